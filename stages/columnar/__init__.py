"""Column-at-a-time versions of the checking stages (schema_check, validate) over frames of text cells.

Why: the row-by-row loops call a Python function per cell; here each rule is a column expression
over a batch of rows (Polars), and the few checks whose exact meaning only Python has (user
patterns in RE2, strptime date formats, ISO datetimes, code check digits) run once per distinct
value of a batch, not once per cell. The rows come from the same reader as before
(:mod:`stages.tabular`), so what a row, a cell and a row number are does not change, and memory is
one batch plus per-distinct-value state (``unique`` keys, bounded by ``max_unique_keys``).
"""
