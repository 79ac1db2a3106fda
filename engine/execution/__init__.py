"""Execution: the step runner, the output guard, executors, blocking work, progress, run folders."""
