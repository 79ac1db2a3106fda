"""Reporting: the run report, the audit log and its verification; the HTML run report and the pipeline graph.

Jinja2 (the HTML) is imported only by the code paths that render, never by ``rflow validate``.
"""
