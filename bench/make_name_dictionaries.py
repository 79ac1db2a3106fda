"""Build ``engine/phi/names.json``: first-name and surname dictionaries for the NAME category.

Source (public domain): the US Census Bureau's 1990 name files ``dist.male.first``,
``dist.female.first`` and ``dist.all.last`` (frequency in percent of the population), as shipped
inside the PyPI package ``names`` 0.3.0 (MIT code; its README states the data files are public
domain, derived from 1990 Census data). Nothing is downloaded at run time: this script runs once,
offline from the package's sdist, and its output is committed.

Ambiguity flags come from SCOWL's "small" American English word list (Debian ``wamerican-small``,
permissive SCOWL licence): a name whose lower-case form is a common English word ("Mark",
"Rose", "Brown", "Young") needs a partner that is not one. A short curated list (below) names the
words that need a context word whatever their partner ("Will", "May", "Hope", "Gene", months...).
Only the flags derived from the word list are shipped, never the list itself.

    pip download --no-deps -d /tmp/names names==0.3.0
    apt-get install wamerican-small
    python bench/make_name_dictionaries.py --names-sdist /tmp/names/names-0.3.0.tar.gz \\
        --words /usr/share/dict/american-english-small
"""

from __future__ import annotations

import argparse
import hashlib
import json
import tarfile
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "engine" / "phi" / "names.json"
SURNAMES = 50_000  # 85.9% of the 1990 population; the long tail adds 4.5% and many odd words

# Need a context word ("Dr.", "Patient:", "mother") whatever their partner: modal and function
# words, virtues and words that start clinical sentences. Months that are frequent names (April,
# June, August) are not here: a dictionary surname after them is evidence enough.
NEEDS_CONTEXT = """
WILL MAY HOPE GENE JOY FAITH GRACE ART BILL GUY RICH CHANCE MAJOR CHASE PAGE CHARITY PATIENCE MERCY
SUNNY STAR KING SON IN MY SO MA HA ELSE SOON ERA NOVA SIERRA DELTA ALPHA OMEGA ECHO LIBERTY CHINA
LORE DESIRE MAN MANUAL NUMBERS BRAIN MARRY HUNG SANG SUNG CHIN SONG LOAN DOT DUNG TINY LADY QUEEN
PRINCESS PRINCE ROYAL NOBLE GLORY SPRING HARMONY DIAMOND TRINITY DESTINY LONG YOUNG
"""
# Common English words that are far more often names when capitalised: not flagged.
NOT_AMBIGUOUS = "MARIA PETER MARTIN CAROL VICTOR EARL JACK HARRY FRANK MIKE DON JAY TERRY LEE"
# Drug names, eponyms and clinical words that occur in the Census files but are never taken as
# names (common surnames that are also eponyms, e.g. Wilson, stay: the patterns' right context
# rejects "Wilson disease").
NEVER = """
LASIX WARFARIN COUMADIN ASPIRIN TYLENOL INSULIN HEPARIN MORPHINE LYME NILE CROHN APGAR HODGKIN
PATIENT DOCTOR NURSE CLINIC HOSPITAL MEDICAL
"""


def _read_census(tar: tarfile.TarFile, member: str) -> list[tuple[str, int]]:
    """``(NAME, frequency per 100,000)`` in rank order."""
    fh = tar.extractfile(member)
    if fh is None:
        raise SystemExit(f"{member} missing from the sdist")
    out: list[tuple[str, int]] = []
    for line in fh.read().decode("ascii").splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0].isalpha():
            out.append((parts[0].upper(), round(float(parts[1]) * 1000)))
    return out


def build(sdist: Path, words_path: Path, surnames: int) -> dict[str, object]:
    """The dictionary document (names rank-ordered, frequencies per 100,000, flags)."""
    with tarfile.open(sdist) as tar:
        prefix = next(m.name for m in tar.getmembers() if m.name.endswith("/dist.all.last")).rsplit("/", 1)[0]
        male = _read_census(tar, f"{prefix}/dist.male.first")
        female = _read_census(tar, f"{prefix}/dist.female.first")
        last = _read_census(tar, f"{prefix}/dist.all.last")[:surnames]
    first: dict[str, int] = {}
    for name, freq in male + female:
        first[name] = first.get(name, 0) + freq  # a name in both lists: population share summed
    first_ranked = sorted(first.items(), key=lambda kv: (-kv[1], kv[0]))
    never = set(NEVER.split())
    first_ranked = [(n, f) for n, f in first_ranked if n not in never]
    last = [(n, f) for n, f in last if n not in never]
    words = {w.strip().upper() for w in words_path.read_text(encoding="utf-8").splitlines() if w.strip().islower()}
    keep = set(NOT_AMBIGUOUS.split())
    names = {n for n, _ in first_ranked} | {n for n, _ in last}
    common = sorted(n for n in names if n in words and n not in keep)
    return {
        "format": "rflow/phi-names/v1",
        "source": "US Census Bureau 1990 name files (dist.male.first, dist.female.first, dist.all.last), public "
        "domain, as shipped in the PyPI package names 0.3.0",
        "source_sha256": hashlib.sha256(sdist.read_bytes()).hexdigest(),
        "ambiguity_source": "SCOWL small American English word list (Debian wamerican-small)",
        "ambiguity_sha256": hashlib.sha256(words_path.read_bytes()).hexdigest(),
        "generated_by": "bench/make_name_dictionaries.py",
        "frequency_unit": "per 100,000 people (1990 Census)",
        "first_names": " ".join(n for n, _ in first_ranked),
        "first_names_per_100k": [f for _, f in first_ranked],
        "surnames": " ".join(n for n, _ in last),
        "surnames_per_100k": [f for _, f in last],
        "common_words": " ".join(common),
        "needs_context": " ".join(sorted(set(NEEDS_CONTEXT.split()))),
        "never": " ".join(sorted(never)),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--names-sdist", type=Path, required=True, help="names-0.3.0.tar.gz (pip download)")
    ap.add_argument("--words", type=Path, default=Path("/usr/share/dict/american-english-small"))
    ap.add_argument("--surnames", type=int, default=SURNAMES)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    doc = build(args.names_sdist, args.words, args.surnames)
    text = json.dumps(doc, separators=(",", ":"), ensure_ascii=True) + "\n"
    args.out.write_text(text, encoding="ascii")
    print(
        f"wrote {args.out} ({len(text)} bytes): {len(str(doc['first_names']).split())} first names, "
        f"{len(str(doc['surnames']).split())} surnames, {len(str(doc['common_words']).split())} flagged as words"
    )


if __name__ == "__main__":
    main()
