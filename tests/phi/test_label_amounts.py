"""A label noun before "of" or "for" and a number names an amount; the labelled identifier stays PHI.

"certificate of 25000", "licence for 3 years", "an enrolment of 12000 participants": the noun is
a label of some identifier, but "of"/"for" right after it makes the number an amount (of money,
of time, of people), not the number the certificate or licence carries. The class is the
construction, not these phrases: the nouns, the measure words and the sentences around them are
written here (everyday and clinical English), the numbers random. The other side keeps its
recall: the same nouns with an identifier word ("no.", "number", "#") or a value holding a letter
are still redacted.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.phi import find_spans, sanitize

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

NOUNS = ["certificate", "Certificate", "licence", "license", "License", "permit", "enrolment", "enrollment",
         "registration", "policy", "membership", "certification", "claim", "invoice"]  # fmt: skip
ARTICLES = ["", "a ", "an ", "the ", "one ", "her "]
LINKS = ["of", "for", "OF", "For"]
MEASURES = ["", " years", " yrs", " months", " steps", " units", " members", " dollars", " USD", " participants",
            " hours", " beds", " patients", " days", " kg", " miles", " employees", " lives"]  # fmt: skip
BEFORE = ["", "Granted ", "Pt holds ", "Per HR, ", "Note: ", "Renewed "]
AFTER = ["", " today.", " per year", ", renewed.", " (approx)"]
LABELLED = {"LICENSE", "ACCOUNT", "HEALTH_PLAN", "DEVICE", "MRN", "OTHER_ID"}
ID_WORDS = ["no.", "number", "#", "No:", "nr", "number of", "num."]


def _with_commas(n: int, commas: bool) -> str:
    return f"{n:,}" if commas else str(n)


@FAST
@given(before=st.sampled_from(BEFORE), article=st.sampled_from(ARTICLES), noun=st.sampled_from(NOUNS),
       link=st.sampled_from(LINKS), n=st.integers(1, 9_999_999), commas=st.booleans(),
       measure=st.sampled_from(MEASURES), after=st.sampled_from(AFTER))
def test_a_label_noun_before_of_or_for_and_a_number_keeps_the_number(
        before: str, article: str, noun: str, link: str, n: int, commas: bool, measure: str, after: str) -> None:
    number = _with_commas(n, commas)
    text = f"{before}{article}{noun} {link} {number}{measure}{after}"
    start = text.index(number, len(before) + len(article) + len(noun))
    end = start + len(number)
    # An amount may be other PHI ("100 yrs" is an age over 89); it is no labelled identifier.
    hit = [s.category for s in find_spans(text) if s.start < end and s.end > start and s.category in LABELLED]
    assert not hit, (text, hit)
    assert not any(f"[PHI:{c}]" in sanitize(text) for c in LABELLED), text


identifier = st.one_of(
    st.integers(10000, 99_999_999).map(str),
    st.from_regex(r"[A-Z]{3}-[0-9]{2}-[0-9]{5}", fullmatch=True),
    st.from_regex(r"[A-Z][0-9]{6,9}", fullmatch=True),
)
coded = st.one_of(st.from_regex(r"[A-Z]{3}-[0-9]{2}-[0-9]{5}", fullmatch=True),
                  st.from_regex(r"[A-Z][0-9]{6,9}", fullmatch=True))


@FAST
@given(before=st.sampled_from(BEFORE), noun=st.sampled_from(["certificate", "licence", "license", "permit",
                                                              "registration", "policy", "cert"]),
       word=st.sampled_from(ID_WORDS), value=identifier, after=st.sampled_from(AFTER))
def test_a_label_noun_with_an_identifier_word_is_still_redacted(before: str, noun: str, word: str, value: str,
                                                                after: str) -> None:
    text = f"{before}{noun} {word} {value}{after}"
    assert value not in sanitize(text), text


@FAST
@given(noun=st.sampled_from(["certificate", "licence", "permit", "enrolment", "policy", "registration"]),
       link=st.sampled_from(LINKS), value=coded, after=st.sampled_from(AFTER))
def test_a_code_after_of_or_for_is_still_an_identifier(noun: str, link: str, value: str, after: str) -> None:
    """An amount is a number: a value with a letter after "certificate of" is the certificate's code."""
    text = f"{noun} {link} {value}{after}"
    assert value not in sanitize(text), text


SENTENCE_STARTS = ["Days", "Hours", "Patients", "Units", "Lives", "Steps", "Doses", "Visits"]


@FAST
@given(cue=st.sampled_from(["Palm vein template", "fingerprint template", "Iris template", "voice print id",
                            "account number", "device serial", "policy #"]),
       value=coded, stop=st.sampled_from([". ", "; ", ": ", ", "]), start=st.sampled_from(SENTENCE_STARTS))
def test_a_code_then_a_sentence_starting_with_a_measure_word_is_still_redacted(cue: str, value: str, stop: str,
                                                                                start: str) -> None:
    """The measure word belongs to the next sentence or clause, not to the code before the full stop."""
    text = f"{cue} {value}{stop}{start} later."
    assert value not in sanitize(text), text
