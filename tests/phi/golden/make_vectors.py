# ruff: noqa: RUF001
"""Write ``golden_vectors.json``: the outputs of the current key schemes, pinned as plain data.

Run only when a NEW scheme version is added (then keep the old vectors beside the new ones):
``python tests/phi/golden/make_vectors.py``. Any other change to the file is a change of every
pseudonym, digest and date shift rflow has ever written, which is what the vectors forbid.
"""

from __future__ import annotations

import json
from pathlib import Path

from engine.phi.keys import PhiKey, derive_subkey
from engine.phi.registry import load_registry
from engine.phi.schemes import (
    DATE_SHIFT_SCHEME,
    DIGEST_SCHEME,
    PSEUDONYM_SCHEME,
    PURPOSES,
    normalize,
    pseudonym,
    shift_days,
)
from engine.phi.validators import NORMALIZERS

KEYS = ["3f1d5c7a9b2e4f6081a3c5e7092b4d6f8e0a2c4e6f8091b3d5f7092a4c6e8f0a", "rflow golden vector key #2"]
PSEUDONYM_CASES = [
    ("SUBJECT_ID", "S00001"), ("SUBJECT_ID", "  s00001 "), ("NAME", "Nicholas Ramirez"),
    ("NAME", "NICHOLAS\tRAMIREZ"), ("NAME", "Zoë Ångström"), ("NAME", "Zoe\u0308 Ångström"),
    ("NAME", "Ayşe Yılmaz"), ("NAME", "İlkay Gündoğan"), ("NAME", "ﬁona\u00a0o'brien"), ("NAME", "李小龍"),
    ("NAME", "Ｍａｒｇａｒｅｔ\u3000Okonkwo"), ("MRN", "18815984"), ("MRN", "MRN-1881-5984"),
    ("SSN", "430-72-2852"), ("SSN", "４３０ ７２ ２８５２"), ("PHONE", "(312) 981-1137"),
    ("PHONE", "+1 312.981.1137"), ("EMAIL", "Nicholas.Ramirez10@Hotmail.com"), ("IDENTIFIER", "KTW-55-10293"),
    ("NAME", ""), ("NAME", "\u2003\u2028"),
]
SHIFT_CASES = [("S00001", 180), ("S00002", 180), ("s00002", 180), ("Ｓ00002", 180), ("S00003", 1), ("S00004", 3650)]
DIGEST_CASES = [("SSN", "430722852"), ("PHONE", "3129811137"), ("NAME", "nicholas ramirez"), ("EMAIL", "ä@b.org")]
# Matched values as written, through the registry's normalizer of their category (digest version 3).
MATCHED_CASES = [
    ("NAME", "José Müller"), ("NAME", "Jose\u0301 Mu\u0308ller"), ("NAME", "JOSÉ  MÜLLER"),
    ("SSN", "430-72-2852"), ("SSN", "\u0664\u0663\u0660-\u0667\u0662-\u0662\u0668\u0665\u0662"),
    ("SSN", "４３０-７２-２８５２"), ("EMAIL", "Ｎicholas@Example.org"), ("EMAIL", "nicholas@example.org"),
    ("DATE", "２０２４-03-05"), ("DATE", "2024-03-05"), ("ADDRESS", "12 Rue\u00a0de la Paix"),
]


def _matched(phi: PhiKey, category: str, value: str, normalized: str) -> dict:
    return {"category": category, "value": value, "normalized": normalized, "digest": phi.digest(category, normalized)}


def vectors() -> dict:
    out: dict = {
        "about": "Outputs every implementation of these scheme versions (Python, Rust) must reproduce exactly. "
                 "key is the deployment key's bytes as UTF-8 (a key file's text without its newline); subkeys "
                 "are HKDF-SHA-256 (zero salt, info = the purpose); see engine/phi/schemes.py.",
        "schemes": {"pseudonym": PSEUDONYM_SCHEME, "date_shift": DATE_SHIFT_SCHEME, "digest": DIGEST_SCHEME},
        "purposes": {name: purpose.decode() for name, purpose in PURPOSES.items()},
        "keys": [],
    }
    registry = load_registry()
    for text in KEYS:
        key = text.encode()
        phi = PhiKey(key, "explicit")
        subkeys = {name: derive_subkey(key, purpose).hex() for name, purpose in PURPOSES.items()}
        out["keys"].append({
            "key": text,
            "key_id": phi.key_id,
            "subkeys": subkeys,
            "pseudonyms": [{"kind": k, "value": v, "normalized": normalize(k, v),
                            "pseudonym": pseudonym(bytes.fromhex(subkeys["pseudonym"]), k, v)}
                           for k, v in PSEUDONYM_CASES],
            "date_shifts": [{"subject": s, "max_shift_days": m,
                             "days": shift_days(bytes.fromhex(subkeys["date_shift"]), s, m)} for s, m in SHIFT_CASES],
            "digests": [{"category": c, "normalized": n, "digest": phi.digest(c, n)} for c, n in DIGEST_CASES],
            "matched": [_matched(phi, c, v, NORMALIZERS[registry.category(c).normalize](v)) for c, v in MATCHED_CASES],
        })
    return out


if __name__ == "__main__":
    target = Path(__file__).with_name("golden_vectors.json")
    target.write_text(json.dumps(vectors(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
