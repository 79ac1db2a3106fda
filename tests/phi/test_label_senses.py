"""A label word used in another sense introduces no identifier; the labelled forms stay PHI.

"account for 25000 steps", "a lot of 10000 units", "zip lock bag of 12345": the word is a label of
some category, used as a verb, a quantity or part of a compound noun, and the number after it is a
count. Both sides are drawn here from wordings written for this test (clinical and everyday
English), with random numbers and random identifiers of letters and digits.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.phi import find_spans, sanitize

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# The label word in another sense, before a number: verbs, quantities, compound nouns, adjectives.
OTHER_SENSE = ["to account for", "accounting for", "accounts for", "took into account", "into account",
               "on account of", "a lot of", "lots of", "a whole lot of", "a lot more than", "a lot less than",
               "in a lot", "parking lot", "a zip lock bag of", "zip-lock bag with", "ziplock of", "zip tie",
               "zip ties x", "as a policy of", "registration of", "serial troponins", "serial exams",
               "serial x-rays", "serial measurements of", "serial levels"]  # fmt: skip
COUNT_NOUNS = ["", " steps", " units", " cells", " patients", " participants", " households", " mg",
               " hours", " times", " samples", " pieces"]  # fmt: skip
BEFORE = ["", "Walked enough ", "Pt ", "Nursing notes: ", "Per pharmacy, ", "Reports "]

# Real labelled forms: the label, a separator, the identifier.
LABELLED = ["account no. {}", "acct {}", "Account number: {}", "acct # {}", "account {}", "billing account {}",
            "lot # {}", "Lot number {}", "device lot {}", "lot {} of the implant", "serial no. {}", "serial {}",
            "S/N {}", "policy # {}", "registration no. {}"]  # fmt: skip
ZIP_LABELLED = ["zip code {}", "ZIP: {}", "zip {}", "Zip code is {}"]


def _number(n: int) -> str:
    return str(n)


identifier = st.one_of(
    st.integers(10000, 99_999_999).map(_number),
    st.from_regex(r"[A-Z]{1,3}[0-9]{4,8}", fullmatch=True),
    st.from_regex(r"[A-Z]{3}-[0-9]{2}-[0-9]{5}", fullmatch=True),  # a 2-letter prefix may be a window word (AS-)
)


@FAST
@given(st.sampled_from(BEFORE), st.sampled_from(OTHER_SENSE), st.integers(1000, 9_999_999),
       st.sampled_from(COUNT_NOUNS))  # fmt: skip
def test_a_label_word_in_another_sense_keeps_the_number(before: str, phrase: str, n: int, noun: str) -> None:
    text = f"{before}{phrase} {n}{noun} today."
    start = text.index(str(n))
    end = start + len(str(n))
    hit = [(s.category, text[s.start : s.end]) for s in find_spans(text) if s.start < end and s.end > start]
    assert not hit, (text, hit)
    assert str(n) in sanitize(text)


zip_code = st.from_regex(r"[0-9]{5}(-[0-9]{4})?", fullmatch=True)
labelled = st.one_of(st.tuples(st.sampled_from(LABELLED), identifier),
                     st.tuples(st.sampled_from(ZIP_LABELLED), zip_code))  # fmt: skip


@FAST
@given(st.sampled_from(["", "Note: ", "Pt "]), labelled, st.sampled_from([".", " on file.", ", verified."]))
def test_labelled_identifiers_stay_phi(before: str, form_value: tuple[str, str], after: str) -> None:
    form, value = form_value
    text = before + form.format(value) + after
    start = text.index(value)
    spans = find_spans(text)
    assert any(s.start <= start and s.end >= start + len(value) for s in spans), (text, spans)
    assert value not in sanitize(text)
