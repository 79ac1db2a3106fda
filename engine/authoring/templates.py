"""Templates for ``rflow manifest new``: small, valid, commented starting points.

Why templates are text, not data: a new manifest should teach its reader, so each template
carries the comments a person would write; the name and the schema modeline are filled in.
"""

from __future__ import annotations

import os
import re
from importlib import resources
from pathlib import Path

from engine.authoring.errors import EditUsageError
from engine.core.errors import safe_excerpt

_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
SCHEMA_URL = "https://rflow.dev/schemas/pipeline-manifest.v1.schema.json"

_HEADER = """\
# yaml-language-server: $schema={schema}
#   ^ editors with yaml-language-server check and complete this file; `rflow schema export -o
#     rflow.schema.json` writes a schema that checks each stage's config too.
#
{about}
#
# Check it:  rflow validate {file}        See it:  rflow plan {file}
# Edit it:   rflow manifest add-step|remove-step|move-step|set|unset|mode ... {file}
apiVersion: rflow/v1
kind: Pipeline
metadata:
  name: {name}
  version: "0.1.0"                          # the pipeline's own semver: rflow manifest bump-version
"""

TEMPLATES: dict[str, tuple[str, str]] = {
    "demo": ("""\
# The {name} pipeline: intake, checks, PHI scan, de-identification and a summary of a study export.
# It runs as is on the bundled synthetic study (every identifier in it is made up):
#   rflow run {file}""", """\
  description: Intake, checks, PHI scan, de-identification and summary of a study export.

inputs:
  - name: dataset
    format: auto                            # sniffed: csv/tsv/jsonl/text, encoding and delimiter
    default: "bundled:demo_study.csv"       # replace with your export, or pass --input dataset=PATH
    description: A study export, one row per visit.

defaults:
  stop_on_failure: true                     # a failed step stops the run; later steps are "skipped"
  timeout_s: 900

steps:
  - id: upload
    stage: upload
    config:
      max_bytes: 2GiB

  - id: schema_check
    stage: schema_check
    config:
      dictionary: "bundled:demo_dictionary.yaml"   # your study's data dictionary (a path)
      on_errors: report

  - id: validate
    stage: validate
    config:
      dictionary: "bundled:demo_dictionary.yaml"
      on_errors: report

  - id: phi_scan
    stage: phi_scan
    config:
      on_findings: policy                   # the mode's phi_policy decides what a finding does

  - id: deidentify
    stage: deidentify
    config:
      dictionary: "bundled:demo_dictionary.yaml"
      dates: shift                          # per-subject shift keeps intervals between visits
      identifiers: pseudonym                # direct identifiers become keyed pseudonyms

  - id: summary
    stage: summary
    config:
      title: Study summary

governance:
  default_mode: DEMO
  modes:
    DEMO:
      description: Synthetic or test data; PHI findings are recorded as warnings.
      steps: [upload, schema_check, validate, phi_scan, deidentify, summary]
      phi_policy: warn
      require: []
"""),
    "live": ("""\
# The {name} pipeline: a real study export under an IRB approval; PHI never goes past
# de-identification. Run it with the export and the approval:
#   rflow run {file} --input dataset=export.csv --approval irb_approval=REF:YYYY-MM-DD:dataset""", """\
  description: Governed intake of a live study export, ending in a de-identified copy and a summary.

inputs:
  - name: dataset
    format: auto
    description: The study export (always named on the command line).

defaults:
  stop_on_failure: true
  timeout_s: 3600

steps:
  - id: upload
    stage: upload
    config:
      max_bytes: 2GiB
      ragged_rows: fail                     # a row with the wrong number of fields is a broken export

  - id: irb_check
    stage: irb_check
    config:
      required: true
      require_expiry: true

  - id: validate
    stage: validate
    config:
      dictionary: "bundled:demo_dictionary.yaml"   # replace with your study's data dictionary
      on_errors: report                     # the gate on deidentify decides

  - id: phi_scan
    stage: phi_scan
    config:
      on_findings: policy                   # phi_policy block: raw data goes on only to deidentify

  - id: deidentify
    stage: deidentify
    config:
      dictionary: "bundled:demo_dictionary.yaml"
      dates: year                           # Safe Harbor: only the year of a date may remain
      identifiers: drop
      fail_on_residual: true                # any PHI the rescan still finds fails the step

governance:
  default_mode: LIVE
  modes:
    LIVE:
      description: Real data under an IRB approval.
      steps: [upload, irb_check, validate, phi_scan, deidentify]
      phi_policy: block
      require: [irb_approval]
      gates:
        deidentify: "validate.errors_total == 0"   # no de-identified copy of data that failed validation
"""),
    "minimal": ("""\
# The {name} pipeline: one step to start from. Add steps with
#   rflow manifest add-step {file} ID --stage KEY --after upload --mode DEMO""", """\
  description: A new pipeline.

inputs:
  - name: dataset
    format: auto
    description: The dataset to process (pass --input dataset=PATH).

steps:
  - id: upload
    stage: upload

governance:
  default_mode: DEMO
  modes:
    DEMO:
      description: Synthetic or test data.
      steps: [upload]
      phi_policy: warn
"""),
}


def schema_reference(target: Path | None) -> str:
    """The installed manifest schema, relative to where the manifest will live (else its URL)."""

    try:
        schema = Path(str(resources.files("engine.schemas").joinpath("pipeline-manifest.v1.schema.json")))
        base = (target.parent if target is not None else Path.cwd()).resolve()
        return Path(os.path.relpath(schema.resolve(), base)).as_posix()
    except (OSError, ValueError):
        return SCHEMA_URL


def render_template(name: str, template: str, target: Path | None) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise EditUsageError("a pipeline name is 1-64 of a-z 0-9 . _ -, starting with a letter or digit")
    if template not in TEMPLATES:
        raise EditUsageError(f"no template {safe_excerpt(template, 40)!r}; templates: {', '.join(TEMPLATES)}")
    about, body = TEMPLATES[template]
    file = target.name if target is not None else f"{name}.yaml"
    header = _HEADER.format(schema=schema_reference(target), about=about.format(name=name, file=file),
                            file=file, name=name)
    return header + body
