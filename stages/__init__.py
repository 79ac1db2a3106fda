"""Built-in stages of rflow, a plugin like any other: each is declared under the ``rflow.stages``
entry points (pyproject.toml) and registered when the registry loads it.

One module per stage (``stage_NN_<key>.py``); shared components in :mod:`stages.components`,
shared tabular reading in :mod:`stages.tabular`. Importing this package imports no stage: looking
up one stage by key loads only that stage's module.
"""
