"""Cue regexes spelt as case tries vs ``(?i:...)``: CPU seconds of each cue regex and of ``scan_file``.

The name and place cue phrases were one case-insensitive alternation each; ``re`` cannot skip a
case-insensitive literal alternative by its first character, so every position of the text tried
every phrase. ``engine.phi.cues`` now spells them with explicit case classes grouped by first
letter (``engine.phi.fastform.case_trie``). This runs both spellings in one process on the same
dense file (the PHI scan benchmark's corpus), checks they find the same, and reports CPU time.

    python bench/phi_cue_regex.py --mb 2.4 --repeat 2
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

import attrs

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from phi_scan import KEY, make_file, use_engine

from engine.phi import cues, scan_file

FIELDS = ("name_cues", "place_cues", "weak_place_cues")


def ignorecase_regex(phrases: list[str]) -> re.Pattern[str]:
    """The previous spelling: one ``(?i:...)`` alternation, longest first."""
    alts = sorted({p.lower() for p in phrases}, key=len, reverse=True)
    return re.compile("(?i:" + "|".join(re.escape(p).replace("\\ ", "[ \t]+") for p in alts) + ")")


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.process_time()
        fn()
        times.append(time.process_time() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=2.4)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--engines", default="native,re", help="regex paths of the scan_file runs (see bench/phi_scan.py)")
    args = ap.parse_args()
    live = cues.vocab()
    rules = live.rules
    phrases = {"name_cues": [*rules["names"]["roles"], *rules["names"]["phrases"]],
               "place_cues": rules["places"]["cues"], "weak_place_cues": rules["places"]["weak_cues"]}
    new = attrs.evolve(live)
    old = attrs.evolve(live, **{f: ignorecase_regex(phrases[f]) for f in FIELDS})
    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
        path = Path(tmp) / "dense.csv"
        make_file(path, args.mb, 2)
        size = path.stat().st_size / 1e6
        text = path.read_bytes().decode("latin-1")
        print(f"file: {size:.2f} MB")
        for f in FIELDS:
            a, b = getattr(old, f), getattr(new, f)
            if [m.span() for m in a.finditer(text)] != [m.span() for m in b.finditer(text)]:
                raise SystemExit(f"{f}: the two spellings disagree")
            ta = best(lambda rx=a: sum(1 for _ in rx.finditer(text)), args.repeat)
            tb = best(lambda rx=b: sum(1 for _ in rx.finditer(text)), args.repeat)
            print(f"  {f} ({len(phrases[f])} phrases): (?i:...) {ta:.3f} s CPU, case trie {tb:.3f} s CPU")
        for engine in args.engines.split(","):
            use_engine(engine)
            cpu, found = {}, {}
            for label, v in (("(?i:...)", old), ("case trie", new)):
                for f in FIELDS:  # the rules read the cached vocabulary: swap its regexes in place
                    object.__setattr__(live, f, getattr(v, f))
                found[label] = sum(1 for _ in scan_file(path, key=KEY))
                cpu[label] = best(lambda: sum(1 for _ in scan_file(path, key=KEY)), args.repeat)
            if len(set(found.values())) != 1:
                raise SystemExit(f"findings differ: {found}")
            print(f"  scan_file [{engine}]: " + ", ".join(f"{k} {t:.2f} s CPU ({size / t:.2f} MB/CPU-s)"
                                                         for k, t in cpu.items()) + f"; {found['case trie']} findings")
        for f in FIELDS:
            object.__setattr__(live, f, getattr(new, f))


if __name__ == "__main__":
    main()
