"""Governance: the policies a manifest mode sets, approvals, step selection, unchanged inputs."""
