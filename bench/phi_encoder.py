"""The core's findings encoder alone: ``FindingsEncoder.encode`` on 600,000 generated findings.

Why: the encoder runs once per finding on a dense scan; this isolates it from the matching. Run it
with ``PYTHONPATH`` set to each tree in turn to compare two builds of the core; it prints the best
of 5 (CPU) and a hash of the bytes, which must agree between the trees.

    PYTHONPATH=/tmp/base python bench/phi_encoder.py before
    PYTHONPATH=. python bench/phi_encoder.py after
"""

from __future__ import annotations

import hashlib
import random
import sys
import time

from engine import _native


def main() -> None:
    rng = random.Random(1)
    cats = ["NAME", "DATE", "MRN", "PHONE", "EMAIL", "ZIP", "SSN", "ADDRESS"]
    cols = [f"col_{i}" for i in range(24)]
    digs = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(40000)]
    findings = [
        (rng.choice(cats), r // 3, rng.choice(cols), rng.randrange(80), rng.randrange(4, 20), rng.choice(digs))
        for r in range(600_000)
    ]
    best, out = float("inf"), b""
    for _ in range(5):
        encoder = _native.FindingsEncoder(str.upper)
        t = time.process_time()
        out = encoder.encode(findings)
        best = min(best, time.process_time() - t)
    label = sys.argv[1] if len(sys.argv) > 1 else "this tree"
    digest = hashlib.sha256(out).hexdigest()[:12]
    print(f"{label}: best of 5 {best * 1000:.0f} ms CPU, {len(out)} bytes, sha256 {digest}")


if __name__ == "__main__":
    main()
