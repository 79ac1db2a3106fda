"""Names the dictionaries do not know, found by their cue; eponyms and drug names kept.

The names here are built independently of the rules: random syllables, and Latin transliterations
of names from several languages written into this file (not taken from the shipped dictionaries).
The cue wordings vary case, punctuation and possessives.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.phi import find_spans, sanitize

FAST = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Transliterated given names and surnames (Yoruba, Igbo, Amharic, Mandarin pinyin, Japanese,
# Korean, Vietnamese, Arabic, Hindi/Tamil, Russian, Greek, Turkish, Polish, Hungarian, Finnish).
GIVEN = [
    "Adebayo", "Chukwuemeka", "Ngozi", "Oluwaseun", "Tesfaye", "Abebech", "Xiaoming", "Jianhua",
    "Haruto", "Yuzuki", "Seo-yeon", "Minjun", "Thuy", "Abdulrahman", "Nurhan", "Priyanka",
    "Venkatesh", "Svetlana", "Dmitrii", "Konstantinos", "Eleftheria", "Ayşe", "Wojciech",
    "Małgorzata", "Zsófia", "Aino", "Chidinma", "Oyelaran", "Kwabena", "Thandiwe",
]  # fmt: skip
FAMILY = [
    "Okonkwo", "Adeyemi", "Nwachukwu", "Gebremedhin", "Zhou", "Takahashi", "Nakamura", "Yoon",
    "Nguyen-Tran", "Abdelrahman", "Raghunathan", "Kuznetsova", "Papadopoulos", "Y\u0131lmaz",
    "Wiśniewski", "Szabó", "Korhonen", "Oyelowo", "Mensah", "Dlamini", "al-Hashimi", "O'Donoghue",
    "McGillicuddy", "van der Westhuizen", "de la Fuente", "bin Rashid", "Okafor-Eze",
]  # fmt: skip

_ONSETS = ["b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "kw", "ts", "ng", "zh", "mb", "dj"]
_VOWELS = ["a", "e", "i", "o", "u", "ai", "ou", "ei"]
syllable = st.builds(lambda c, v: c + v, st.sampled_from(_ONSETS), st.sampled_from(_VOWELS))
random_name = st.lists(syllable, min_size=3, max_size=4).map(lambda parts: "".join(parts).capitalize())

given_name = st.one_of(st.sampled_from(GIVEN), random_name)
family_name = st.one_of(st.sampled_from(FAMILY), random_name)

# "{}" is where the name goes; a cue before it.
CUES = [
    "Seen by Dr. {}.", "seen by dr. {} today.", "Spoke with {} about the plan.",
    "spoke with the patient's daughter, {}.",
    "Pt accompanied by her husband {}.", "Per {}, no falls at home.", "Called {} to confirm.",
    "NOK: {}", "Emergency contact: {}, cell on file.", "Discussed with son {} at bedside.",
    "Attending: {}", "Mrs. {} arrived early.", "Herr {} reports dizziness.", "Sra. {} prefers Spanish.",
    "Mme {} called back.", "Prof. {} reviewed the slides.", "Patient: {}", "PATIENT: {}", "wife {} is at bedside",
    "Guardian - {}", "the caregiver, {}, helps with meds", "Next of kin: {}.", "Mx. {} declined.",
]  # fmt: skip
PADDING = st.sampled_from(["", "Follow up in 2 weeks. ", "BP 128/84, afebrile. ", "labs pending; "])


def _covered(text: str, value: str) -> bool:
    """Every character of ``value`` (where it occurs) lies inside a NAME span."""
    start = text.index(value)
    spans = [s for s in find_spans(text) if s.category == "NAME"]
    return all(any(s.start <= k < s.end for s in spans) for k in range(start, start + len(value)) if text[k] != " ")


full_name = st.builds(lambda g, f: f"{g} {f}", given_name, family_name)
one_name = st.one_of(given_name, family_name)


@FAST
@given(PADDING, st.sampled_from(CUES), st.one_of(full_name, one_name))
def test_unknown_names_after_a_cue_are_found(pad: str, cue: str, name: str) -> None:
    if cue.startswith("PATIENT"):
        name = name.upper()
    text = pad + cue.format(name)
    assert _covered(text, name), (text, [(s.category, text[s.start : s.end]) for s in find_spans(text)])
    clean = sanitize(text)
    assert not any(part in clean for part in name.split() if len(part) > 3 and part not in ("der", "bin"))


@FAST
@given(st.sampled_from(["Patient: {}", "Seen by {}", "{} was seen"]), family_name, given_name)
def test_last_comma_first_and_capitals(cue: str, family: str, given_: str) -> None:
    # A surname in capitals before the given name needs no cue ("OKONKWO, Adebayo was seen").
    value = f"{family.upper()}, {given_}" if cue != "Seen by {}" else f"{family}, {given_}"
    text = cue.format(value)
    assert _covered(text, value), (text, find_spans(text))


# Short surnames of other locales (Chinese, Vietnamese, Korean, Igbo, Japanese, Malay...), written here.
SHORT_FAMILY = ["Ng", "Li", "Wu", "Xu", "Vo", "Ha", "Yu", "Ko", "Eze", "Obi", "Lim", "Tan", "Abe", "Ito",
                "Ali", "Sen", "Kaur", "Diop", "Ba", "Sy"]  # fmt: skip
# Cue wordings before an inverted name, with and without a colon.
INVERTED_CUES = ["Patient: {}", "Patient {} was seen", "pt {} agrees", "Seen by {} today.", "seen by: {}",
                 "NOK: {}", "spoke with {} by phone", "Daughter {} at bedside", "per {}, no falls",
                 "Accompanied by her son {}.", "Attending - {}", "Consent signed by guardian {}.",
                 "Dr. {} reviewed", "Mrs. {} called", "history obtained from {}"]  # fmt: skip
surname_any = st.one_of(st.sampled_from(SHORT_FAMILY), st.sampled_from(FAMILY), random_name)


@FAST
@given(PADDING, st.sampled_from(INVERTED_CUES), surname_any, st.booleans(), given_name)
def test_surname_comma_given_after_a_cue(pad: str, cue: str, family: str, caps: bool, given_: str) -> None:
    # "SURNAME, Given" (capitals or Title Case, any length) after any name cue: the cue and the
    # comma are the evidence, no dictionary needs to know either word.
    surname = family.upper() if caps else family
    value = f"{surname}, {given_}"
    text = pad + cue.format(value)
    assert _covered(text, value), (text, [(s.category, text[s.start : s.end]) for s in find_spans(text)])


# An acronym, service or department, a comma, then a clinical word: no name.
INVERTED_NEGATIVES = ["Seen by ENT, Recommend CT sinus.", "per CDC, Isolation for 5 days.",
                      "per IDSA, Vancomycin trough before dose 4.", "Seen by ENT, Will follow up.",
                      "per Cardiology, Neurology agrees.", "patient HR, Temp and BP stable.",
                      "seen by OT, Transfers with assist.", "per protocol, Heparin held.",
                      "discussed with ICU, Transfer accepted.", "Patient SOB, Denies chest pain."]  # fmt: skip


def test_acronym_comma_word_after_a_cue_is_kept() -> None:
    flagged = [(t, [t[s.start : s.end] for s in find_spans(t)]) for t in INVERTED_NEGATIVES if find_spans(t)]
    assert not flagged, flagged


@FAST
@given(st.sampled_from(CUES[:8]), given_name, st.sampled_from(["Peggy", "Bisi", "Koko", "Tunde"]), family_name)
def test_nicknames_in_quotes_and_initials(cue: str, given_: str, nick: str, family: str) -> None:
    value = f'{given_} "{nick}" {family}'
    text = cue.format(value)
    assert _covered(text, value), (text, find_spans(text))
    initials = f"{given_[0]}. {family}"
    text = cue.format(initials)
    assert _covered(text, initials), (text, find_spans(text))


def test_dictionary_first_name_with_an_unknown_surname_needs_no_cue() -> None:
    for text, value in [
        ("Margaret Okonkwo was updated", "Margaret Okonkwo"),
        ("results faxed to Maria Nwachukwu", "Maria Nwachukwu"),
        ("Chidinma Johnson called", "Chidinma Johnson"),
    ]:
        assert _covered(text, value), text


# Hard negatives written here from standard medical usage, placed after cue words on purpose.
HARD_NEGATIVES = [
    "history of Parkinson disease", "Parkinson's disease, on levodopa", "early Alzheimer dementia",
    "Crohn's flare", "Hodgkin lymphoma in remission", "Down syndrome", "Babinski sign positive",
    "Apgar 8 and 9", "Apgar score 9", "Glasgow coma scale 14", "patient Glasgow coma scale 15",
    "Graves disease", "Bell's palsy", "Cushing syndrome", "Raynaud phenomenon", "Homans sign negative",
    "Murphy's sign", "Kernig sign", "Romberg test negative", "placed in Trendelenburg position",
    "Foley catheter removed", "patient Foley removed", "Swan-Ganz catheter", "Whipple procedure",
    "Nissen fundoplication", "Tanner stage 3", "Gleason 7", "Child-Pugh class B", "Wells score 2",
    "Mallampati class II", "Killip class I", "Epley maneuver", "Valsalva maneuver", "Heimlich maneuver",
    "Holter monitor placed", "Doppler ultrasound", "Gram stain pending", "Coombs test negative",
    "Lyme disease", "West Nile virus", "Wilson disease", "Hashimoto thyroiditis", "Kawasaki disease",
    "Guillain-Barre syndrome", "Tourette syndrome", "Meniere disease", "Sjogren syndrome",
    "patient on Lasix", "started Metoprolol 25 mg", "Eliquis 5 mg bid", "Atorvastatin 40 mg",
    "per Cardiology", "discussed with Neurology", "called Pharmacy", "per Nephrology", "seen by Oncology",
    "patient HR 95 bpm", "patient SpO2 97 percent", "per protocol", "Patient Education provided",
    "Patient Portal message", "patient Tolerated diet", "daughter Reports no falls", "NIHSS 4",
    "transferred from Emergency Department", "in ICU overnight", "Zofran prn nausea", "Humira every 2 weeks",
    "Tylenol 650 mg", "Amoxicillin 500 mg", "Keppra 500 mg", "pt given Narcan", "started Ozempic",
    "Patient Reports pain 3/10", "Grace period for refills", "will follow up in May", "May be discharged",
    "Will follow up", "Hope this helps", "in March", "from Monday", "from January", "lives in Assisted Living",
    "resides in Skilled Nursing", "moved to ICU", "Mercy Hospital discharge summary",
]  # fmt: skip


def test_hard_negatives_are_kept() -> None:
    flagged = [(t, [t[s.start : s.end] for s in find_spans(t)]) for t in HARD_NEGATIVES if find_spans(t)]
    kept = 1 - len(flagged) / len(HARD_NEGATIVES)
    assert kept >= 0.95, flagged
    assert kept == 1.0, flagged  # all of these are kept today; a regression shows which
