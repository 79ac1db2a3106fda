"""Generate the bundled synthetic study: engine/data/demo_study.csv (+ its dictionary is hand-written).

Why a script: the dataset must be reproducible (fixed seed) and reviewable, and its planted
identifiers must be known so tests can check that none of them leaves a report. The generated CSV
is committed, so running rflow never needs Faker; re-run this only to change the data:

    .venv/bin/python bench/make_demo_data.py            # writes engine/data/demo_study.csv
    .venv/bin/python bench/make_demo_data.py --rows 500 --out /tmp/small.csv

Everything is synthetic: names, SSNs, phone numbers, e-mail addresses and record numbers are made
up (phone numbers use real area codes with made-up lines; SSNs use valid-looking, unissued-style
numbers). What the data holds on purpose:

* identifier columns: ``patient_name``, ``mrn``, ``ssn``, ``phone``, ``email``, ``dob``, ``zip``;
* free-text ``notes`` with identifiers planted in about a fifth of them (names after "Patient:"/"Dr.",
  MRNs, SSNs, phone numbers, e-mails, dates of birth), and hard negatives in the rest (blood
  pressure ``132/84``, pain scores ``3/10``, ICD-10 and LOINC codes, lab values);
* ages over 89 for a few subjects, ZIP codes in sparsely populated three-digit areas (036, 059, 823);
* quality issues that the bundled dictionary reports as warnings (implausible blood pressure, a few
  missing lab values), and none that it reports as errors: the DEMO and LIVE pipelines pass.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
from pathlib import Path

SEED = 20260142
SITES = ("BOS", "CHI", "DEN", "HOU", "SEA", "ATL", "PHX", "NYC")
AREA_CODES = {"BOS": 617, "CHI": 312, "DEN": 303, "HOU": 713, "SEA": 206, "ATL": 404, "PHX": 602, "NYC": 212}
ZIP3 = {
    "BOS": ("021", "024", "036"),
    "CHI": ("606", "604"),
    "DEN": ("802", "801"),
    "HOU": ("770", "773"),
    "SEA": ("981", "980"),
    "ATL": ("303", "300"),
    "PHX": ("850", "852"),
    "NYC": ("100", "112", "059"),
}
RESTRICTED_EXTRA = ("823",)
DIAGNOSES = {
    "E11.9": ("type 2 diabetes without complications", "metformin", (500, 1000, 2000)),
    "I10": ("essential hypertension", "lisinopril", (10, 20, 40)),
    "E78.5": ("hyperlipidemia", "atorvastatin", (10, 20, 40, 80)),
    "N18.3": ("chronic kidney disease stage 3", "losartan", (25, 50, 100)),
    "E66.9": ("obesity", "semaglutide", (0.25, 0.5, 1.0)),
    "I25.10": ("coronary artery disease", "aspirin", (81,)),
    "J45.909": ("asthma", "albuterol", (90, 180)),
    "K21.9": ("GERD", "omeprazole", (20, 40)),
}
LOINC = ("4548-4", "2345-7", "2093-3", "8480-6", "8462-4", "8867-4")
CLINICIANS = ("Okafor", "Moreno", "Lindqvist", "Tanaka", "Haddad", "Novak", "Brennan", "Castillo")
CLEAN_NOTES = (
    "Follow-up visit. BP {sbp}/{dbp}, HR {hr}. Tolerating {med} well.",
    "HbA1c {a1c}% (LOINC 4548-4). Continue {med} {dose} mg daily.",
    "Pain 3/10, improved from 6/10. No new complaints.",
    "Dx {icd} reviewed. Labs stable. Return in 3 months.",
    "Medication adherence good. Reports mild fatigue; pain 2/10.",
    "Annual review. Weight {wt} kg. Counselled on diet and exercise.",
    "Dose of {med} adjusted to {dose} mg. Recheck BP in 4 weeks.",
    "",
)
PHI_NOTES = (
    "Patient: {name}, MRN {mrn}, seen today. BP {sbp}/{dbp}.",
    "Called patient at {phone} to confirm appointment.",
    "SSN {ssn} on intake form; verified with front desk.",
    "DOB {dob_us}. Patient reports good adherence to {med}.",
    "Results e-mailed to {email} per patient request.",
    "Seen by Dr. {clinician}. Patient {name} agrees with plan.",
    "Insurance call-back number {phone}; MRN {mrn}.",
)


def _ssn(rng: random.Random) -> str:
    while True:
        area = rng.randint(1, 899)
        if area != 666:
            break
    return f"{area:03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"


def _phone(rng: random.Random, site: str) -> str:
    exchange = rng.randint(200, 999)
    if exchange == 555:
        exchange = 556
    return f"({AREA_CODES[site]}) {exchange}-{rng.randint(0, 9999):04d}"


def _zip(rng: random.Random, site: str) -> str:
    prefix = rng.choice(ZIP3[site]) if rng.random() > 0.01 else RESTRICTED_EXTRA[0]
    return f"{prefix}{rng.randint(1, 99):02d}"


def make_rows(n_rows: int, seed: int = SEED) -> list[dict[str, str]]:
    from faker import Faker

    rng = random.Random(seed)
    fake = Faker("en_US")
    Faker.seed(seed)
    rows: list[dict[str, str]] = []
    subject = 0
    start = dt.date(2024, 1, 8)
    while len(rows) < n_rows:
        subject += 1
        site = SITES[subject % len(SITES)]
        sex = rng.choice("FM") if rng.random() > 0.01 else "U"
        first = fake.first_name_female() if sex == "F" else fake.first_name_male()
        last = fake.last_name()
        age = rng.randint(91, 97) if rng.random() < 0.02 else int(min(88, max(18, rng.gauss(58, 13))))
        enrolled = start + dt.timedelta(days=rng.randint(0, 420))
        dob = enrolled - dt.timedelta(days=age * 365 + rng.randint(0, 364))
        icd = rng.choice(list(DIAGNOSES))
        _, med, doses = DIAGNOSES[icd]
        ident = {
            "patient_name": f"{first} {last}",
            "mrn": f"{rng.randint(10_000_000, 99_999_999)}",
            "ssn": _ssn(rng),
            "phone": _phone(rng, site),
            "email": f"{first.lower()}.{last.lower()}{rng.randint(1, 99)}@{fake.free_email_domain()}",
            "dob": dob.isoformat(),
            "zip": _zip(rng, site),
        }
        base_sbp, base_a1c = rng.gauss(132, 14), rng.gauss(7.1, 1.1)
        visit_date = enrolled
        for visit in range(1, rng.randint(1, 7) + 1):
            if len(rows) >= n_rows:
                break
            sbp = int(base_sbp + rng.gauss(0, 8))
            dbp = int(sbp * 0.62 + rng.gauss(0, 5))
            if rng.random() < 0.004:
                sbp = rng.choice((262, 275, 58))  # implausible: a plausibility warning, not an error
            hr = int(rng.gauss(74, 10))
            a1c = round(max(4.2, base_a1c + rng.gauss(0, 0.4)), 1)
            dose = rng.choice(doses)
            values = {
                "sbp": sbp, "dbp": dbp, "hr": hr, "a1c": a1c, "med": med, "dose": dose, "icd": icd,
                "wt": round(min(190.0, max(42.0, rng.gauss(84, 16))), 1),
                "name": ident["patient_name"], "mrn": ident["mrn"],
                "ssn": ident["ssn"], "phone": ident["phone"], "email": ident["email"],
                "dob_us": dob.strftime("%m/%d/%Y"), "clinician": rng.choice(CLINICIANS),
            }
            template = rng.choice(PHI_NOTES) if rng.random() < 0.2 else rng.choice(CLEAN_NOTES)
            rows.append({
                "subject_id": f"S{subject:05d}",
                "site": site,
                "visit_number": str(visit),
                "enrollment_date": enrolled.isoformat(),
                "visit_date": visit_date.isoformat(),
                "age": str(age),
                "sex": sex,
                "zip": ident["zip"],
                "systolic_bp": str(sbp),
                "diastolic_bp": str(dbp),
                "heart_rate": "" if rng.random() < 0.01 else str(hr),
                "weight_kg": str(values["wt"]),
                "hba1c": "" if rng.random() < 0.03 else f"{a1c}",
                "icd10": icd,
                "loinc": rng.choice(LOINC),
                "medication": med,
                "dosage_mg": f"{dose:g}",
                "patient_name": ident["patient_name"],
                "mrn": ident["mrn"],
                "ssn": ident["ssn"],
                "phone": ident["phone"],
                "email": ident["email"],
                "dob": ident["dob"],
                "notes": template.format(**values),
            })
            visit_date += dt.timedelta(days=rng.randint(28, 120))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rows", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=SEED)
    default_out = Path(__file__).resolve().parents[1] / "engine/data/demo_study.csv"
    parser.add_argument("--out", type=Path, default=default_out)
    args = parser.parse_args()
    rows = make_rows(args.rows, args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} rows to {args.out} ({args.out.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
