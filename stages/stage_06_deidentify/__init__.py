"""Stage 6, ``deidentify``: a de-identified copy of each input, rescanned before it is trusted.

Every column gets one action, decided in this order: the config's ``columns`` override, the data
dictionary's ``phi`` kind, the column's name (the PHI registry's column context plus name,
address, e-mail, phone, subject, birth-date and age words), then a sample of its values (a column
of dates). Actions:

* ``drop`` / ``pseudonym`` — direct identifiers (names, MRNs, SSNs, phones, e-mails, addresses):
  removed, or replaced by a keyed pseudonym (HMAC; the same value gets the same pseudonym);
* ``subject`` — the subject code: a keyed pseudonym, and the key of per-subject date shifts;
* ``year`` / ``shift`` — dates: generalised to the year (Safe Harbor), or shifted by a per-subject
  offset of up to ``max_shift_days`` (keeps intervals; not Safe Harbor);
* ``dob`` — birth dates: the year, and nothing for anyone 90 or older;
* ``zip3`` — the first three ZIP digits, ``000`` for the sparsely populated prefixes;
* ``age`` — ages over 89 become ``90+``;
* ``scrub`` — every other column: PHI spans replaced by category tokens (``[PHI:SSN]``), plus the
  row's own identifier values (a patient's name from the name column, wherever it recurs);
* ``keep`` — copied as is (only by explicit config).

The copy is written atomically, then checked again (:mod:`.rescan`): the PHI scanner's guard tier
over every cell, and the form of every identifier cell. Residuals fail the step in every mode but
DEMO (``fail_on_residual``), where they are reported by column and category. Shifted dates are
dates by design and are not counted as residue.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine import lazy_exports

# The names below are loaded from their modules on first use (PEP 562), not at import: a Dask
# worker imports ``ranges`` (to unpickle a task) while its plugin warm-up imports ``stage`` on
# another thread, and a package that imported its own submodules here would make those two
# imports wait on each other (Python then hands one side a partially initialized module).
_HOME = {
    "Prepared": ".classify", "classify_column": ".classify", "scanned_clear_columns": ".classify",
    "ACTIONS": ".config", "IDENTIFIER_KINDS": ".config", "SAMPLE_ROWS": ".config", "DeidentifyConfig": ".config",
    "DeidPart": ".ranges", "RangeReader": ".ranges", "deidentify_part": ".ranges", "merge_parts": ".ranges",
    "plan_parts": ".ranges", "prepare_input": ".ranges",
    "rescan_categories": ".rescan",
    "Deidentify": ".stage", "describe_input": ".stage",
    "SPAN_MEMO_CHARS": ".transform", "Transformer": ".transform", "replace_word": ".transform",
}

if TYPE_CHECKING:
    from stages.stage_06_deidentify.classify import Prepared, classify_column, scanned_clear_columns
    from stages.stage_06_deidentify.config import ACTIONS, IDENTIFIER_KINDS, SAMPLE_ROWS, DeidentifyConfig
    from stages.stage_06_deidentify.ranges import (
        DeidPart,
        RangeReader,
        deidentify_part,
        merge_parts,
        plan_parts,
        prepare_input,
    )
    from stages.stage_06_deidentify.rescan import rescan_categories
    from stages.stage_06_deidentify.stage import Deidentify, describe_input
    from stages.stage_06_deidentify.transform import SPAN_MEMO_CHARS, Transformer, replace_word


if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_exports(__name__, _HOME)


__all__ = [
    "ACTIONS",
    "IDENTIFIER_KINDS",
    "SAMPLE_ROWS",
    "SPAN_MEMO_CHARS",
    "DeidPart",
    "Deidentify",
    "DeidentifyConfig",
    "Prepared",
    "RangeReader",
    "Transformer",
    "classify_column",
    "deidentify_part",
    "describe_input",
    "merge_parts",
    "plan_parts",
    "prepare_input",
    "replace_word",
    "rescan_categories",
    "scanned_clear_columns",
]
