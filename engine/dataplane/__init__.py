"""The tabular data plane: typed file formats (Parquet, Excel, SAS, Stata, SPSS) read as frames.

Why a package of its own: the columnar libraries it uses (Polars, and the optional pyreadstat and
fastexcel) take a second or more to import, and ``rflow validate`` must never pay for them. This
``__init__`` and :mod:`engine.dataplane.formats` import nothing heavy; :mod:`engine.dataplane.frames`
imports Polars when a typed file is actually read.
"""
