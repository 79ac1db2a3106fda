"""A phone number written with its extension is a phone number, in a phone column and after a cue.

Exports write extensions in many ways (``x890``, ``X 12``, ``ext. 4471``, ``Ext:3``, ``extension
22``, after a comma or a semicolon); the number itself may have any area and exchange code, as a
cue or a column says it is a phone. The extension's digits are not counted as the number's, and
the whole value, extension included, is one finding.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.phi.spans import find_spans
from engine.phi.validators import phone_digits

number = st.builds(
    lambda a, b, c, sep: f"{a}{sep}{b}{sep}{c}" if sep != "()" else f"({a}) {b}-{c}",
    st.from_regex(r"[0-9]{3}", fullmatch=True), st.from_regex(r"[0-9]{3}", fullmatch=True),
    st.from_regex(r"[0-9]{4}", fullmatch=True), st.sampled_from(["-", ".", " ", "()"]),
)  # fmt: skip
extension = st.builds(
    lambda lead, word, dot, gap, n: f"{lead}{word}{dot}{gap}{n}",
    st.sampled_from([" ", "  ", ", ", "; ", ""]), st.sampled_from(["x", "X", "ext", "Ext", "EXT", "extn", "extension"]),
    st.sampled_from(["", "."]), st.sampled_from(["", " ", ": ", " #"]), st.from_regex(r"[0-9]{1,6}", fullmatch=True),
)  # fmt: skip


@given(value=st.builds(str.__add__, number, extension))
@settings(max_examples=200, deadline=None)
def test_a_phone_column_cell_with_an_extension_is_one_phone(value: str) -> None:
    spans = find_spans(value, column="phone")
    assert [(s.start, s.end, s.category) for s in spans] == [(0, len(value), "PHONE")], value


@given(num=number, ext=extension, cue=st.sampled_from(["call", "tel:", "reach her at", "fax"]))
@settings(max_examples=200, deadline=None)
def test_after_a_cue_the_number_and_its_extension_go_together(num: str, ext: str, cue: str) -> None:
    text = f"Please {cue} {num}{ext} after 5pm."
    start = text.index(num)
    spans = [(s.start, s.end) for s in find_spans(text) if s.category == "PHONE"]
    assert spans and spans[0][0] == start and spans[0][1] >= start + len(num), (text, spans)


def test_the_extension_is_not_counted_as_the_number() -> None:
    assert phone_digits("315-111-7604 x890") and phone_digits("+44 20 7946 0958 ext. 12")
    assert not phone_digits("315-111-760 x8904")  # nine digits before the extension
