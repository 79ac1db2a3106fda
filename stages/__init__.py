"""Built-in stages of rflow; importing this package registers them all.

One module per stage (``stage_NN_<key>.py``); shared components in :mod:`stages.components`,
shared tabular reading in :mod:`stages.tabular`.
"""

from __future__ import annotations

from stages import (  # noqa: F401 - imported for their @register_stage side effect
    stage_01_upload,
    stage_02_schema_check,
    stage_03_irb_check,
    stage_04_phi_scan,
    stage_05_validate,
    stage_06_deidentify,
    stage_20_summary,
)
