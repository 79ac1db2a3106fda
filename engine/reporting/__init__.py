"""Reporting: the run report, the audit log and its verification."""
