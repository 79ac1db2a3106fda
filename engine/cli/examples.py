"""The examples at the end of each command's ``--help``, and the task groups of ``rflow --help``.

Why here and not beside each ``add_parser``: examples read best side by side (the same file names,
the same flow from one command to the next), and each command module stays about its arguments.
:func:`engine.cli.build_parser` attaches them; a test checks that every command has some.
"""

from __future__ import annotations

COMMAND_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("run a pipeline and look at its runs", ("run", "runs", "report", "audit")),
    ("check and explain a pipeline", ("validate", "plan", "stages", "schema")),
    ("write and change a pipeline", ("manifest",)),
    ("PHI", ("phi",)),
    ("set up", ("completion",)),
)
"""``rflow --help`` lists the commands by what a user wants to do; a command in no group is listed last."""

TOP = """\
start here:
  rflow run                                   the DEMO pipeline on the bundled synthetic study
  rflow manifest new mystudy                  a commented manifest to start from (mystudy.yaml)
  rflow run mystudy.yaml --input dataset=export.csv
  rflow runs                                  what ran, newest first

'rflow COMMAND --help' describes every argument of a command, with examples.
"""

EXAMPLES: dict[str, str] = {
    "run": """\
  rflow run                                        the DEMO pipeline on the bundled data
  rflow run manifests/demo.yaml --input dataset=export.csv
  rflow run manifests/study-live.yaml --mode LIVE --input dataset=export.csv \\
      --approval irb_approval=IRB-2026-0142:2027-06-30
  rflow run pipeline.yaml --only upload,phi_scan    two steps of the default mode
  rflow run pipeline.yaml --json | jq .event        one JSON event per line, for programs
  rflow run pipeline.yaml --executor processes --workers 4
  RFLOW_PHI_KEY_FILE=rflow-phi.key rflow run ...   digests comparable across runs (rflow phi keygen)""",
    "runs": """\
  rflow runs                       the runs under ./rflow-runs, newest first
  rflow runs ci/rflow-runs         the runs under another folder
  rflow runs rflow-runs/RUN_ID     one run folder
  rflow runs --json | jq '.[0]'    the newest run, for a script""",
    "audit": """\
  rflow audit verify rflow-runs/RUN_ID""",
    "audit verify": """\
  rflow audit verify rflow-runs/RUN_ID                       one run's log, against its report
  RFLOW_PHI_KEY_FILE=rflow-phi.key rflow audit verify rflow-runs/RUN_ID   a keyed log
  rflow audit verify shared-audit.jsonl --report rflow-runs/RUN_ID        a shared --audit-log""",
    "validate": """\
  rflow validate                          every manifest under ./manifests
  rflow validate pipeline.yaml --strict   warnings fail too (exit 1)
  rflow validate 'pipelines/**/*.yaml' --format github    annotations for a CI job""",
    "plan": """\
  rflow plan manifests/demo.yaml                 the default mode's steps, in order
  rflow plan manifests/study-live.yaml --mode LIVE
  rflow plan pipeline.yaml --format json""",
    "stages": """\
  rflow stages list
  rflow stages show phi_scan""",
    "stages list": """\
  rflow stages list                  id, key, version, reads (optional ones with ?), writes, modes
  rflow stages list --format json""",
    "stages show": """\
  rflow stages show phi_scan         by key
  rflow stages show 4                by numeric id""",
    "schema": """\
  rflow schema export -o pipeline.schema.json""",
    "schema export": """\
  rflow schema export -o pipeline.schema.json    for an editor's YAML language server
  rflow schema export --plain                    without the stages' config schemas""",
    "phi": """\
  rflow phi keygen
  rflow phi scan export.csv""",
    "phi scan": """\
  rflow phi scan export.csv                        a summary and hash-only findings
  rflow phi scan export.csv --fail-on-findings     exit 1 when anything is found (CI)
  rflow phi scan notes.txt --input-format text --format json
  rflow phi scan export.csv --phi-column study_code=none    a column known to hold no PHI""",
    "phi keygen": """\
  rflow phi keygen                                 writes ./rflow-phi.key (mode 0600)
  rflow phi keygen -o ~/.config/rflow/phi.key
  export RFLOW_PHI_KEY_FILE=~/.config/rflow/phi.key     then every run uses it""",
    "phi keyring": """\
  rflow phi keyring new ~/.config/rflow/phi.keyring
  export RFLOW_PHI_KEYRING=~/.config/rflow/phi.keyring""",
    "phi keyring new": """\
  rflow phi keyring new ~/.config/rflow/phi.keyring
  rflow phi keyring new phi.keyring --from-key-file rflow-phi.key    keeps that key's id""",
    "phi keyring rotate": """\
  rflow phi keyring rotate ~/.config/rflow/phi.keyring""",
    "phi keyring list": """\
  rflow phi keyring list ~/.config/rflow/phi.keyring""",
    "phi crosswalk": """\
  rflow phi crosswalk export.csv --column subject_id --from 0123456789abcdef --out crosswalk.csv \\
      --audit-log audit.jsonl --approval pseudonym_crosswalk=CW-2026-01:2027-01-31""",
    "phi registry": """\
  rflow phi registry
  rflow phi registry --format json""",
    "manifest": """\
  rflow manifest new mystudy
  rflow manifest add-step mystudy.yaml qc --stage validate --after upload --mode DEMO
  rflow manifest fmt --check manifests/*.yaml""",
    "manifest new": """\
  rflow manifest new mystudy                         mystudy.yaml from the demo template
  rflow manifest new trial --from-template live -o pipelines/trial.yaml
  rflow manifest new scratch --from-template minimal --dry-run""",
    "manifest add-step": """\
  rflow manifest add-step pipeline.yaml qc --stage validate --after upload --mode DEMO
  rflow manifest add-step pipeline.yaml strict_qc --stage validate@1 --mode DEMO --mode LIVE \\
      --config on_errors=fail --dry-run""",
    "manifest remove-step": """\
  rflow manifest remove-step pipeline.yaml summary
  rflow manifest remove-step pipeline.yaml phi_scan --force --dry-run""",
    "manifest move-step": """\
  rflow manifest move-step pipeline.yaml validate --before schema_check
  rflow manifest move-step pipeline.yaml validate --before schema_check --mode DEMO   in one mode only""",
    "manifest set": """\
  rflow manifest set pipeline.yaml steps.phi_scan.config.on_findings block
  rflow manifest set pipeline.yaml defaults.timeout_s 600""",
    "manifest unset": """\
  rflow manifest unset pipeline.yaml steps.upload.config.max_bytes""",
    "manifest mode": """\
  rflow manifest mode add pipeline.yaml AUDIT --from DEMO --phi-policy block
  rflow manifest mode set-steps pipeline.yaml AUDIT upload phi_scan""",
    "manifest mode add": """\
  rflow manifest mode add pipeline.yaml AUDIT --from DEMO --phi-policy block
  rflow manifest mode add pipeline.yaml QUICK --steps upload schema_check""",
    "manifest mode remove": """\
  rflow manifest mode remove pipeline.yaml QUICK""",
    "manifest mode set-steps": """\
  rflow manifest mode set-steps pipeline.yaml QUICK upload schema_check validate""",
    "manifest bump-version": """\
  rflow manifest bump-version pipeline.yaml minor     1.2.3 -> 1.3.0""",
    "manifest fmt": """\
  rflow manifest fmt pipeline.yaml
  rflow manifest fmt --check manifests/*.yaml         exit 1 if a file would change (CI)""",
    "manifest migrate": """\
  rflow manifest migrate legacy_job.json -o pipeline.yaml
  rflow manifest migrate old-pipeline.yaml --dry-run""",
    "completion": """\
  eval "$(rflow completion bash)"                     in ~/.bashrc
  eval "$(rflow completion zsh)"                      in ~/.zshrc
  rflow completion fish > ~/.config/fish/completions/rflow.fish""",
}
"""Examples by command path (``"manifest add-step"``): each line a command a user can type."""
