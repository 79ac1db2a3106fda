"""Governance: the policies a manifest mode sets, approvals, gate expressions, step selection."""
