"""E-mail addresses written in other scripts: a local part or a domain in Chinese, Cyrillic, Greek,
Arabic, Hangul or Devanagari letters (an internationalized domain name, ``用户@例子.中国``), with
accented Latin letters, or with an ideographic full stop between the labels.

The addresses are drawn from letters of those scripts, not from the detector. Each is checked
where a user meets it: ``rflow phi scan`` on both regex paths (identical findings), the output
guard (``sanitize``) and the spans of a note; the text and byte normalizations read them alike.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.phi import find_spans, sanitize
from engine.phi.normalize import normalize_bytes_with_map, normalize_with_map
from tests.phi.unseen_support import scan_cli_both

SCRIPTS = {
    "chinese": "用户张伟例子邮件中国网络公司医院",
    "cyrillic": "иванпетровпримеррфмаилбольница",
    "greek": "γιώργοςπαράδειγμαελληνικάνοσοκομείο",
    "arabic": "محمدمثالموقعمستشفى",
    "hangul": "사용자예시병원한국메일",
    "devanagari": "उपयोगकर्ताउदाहरणभारत",
}
WRITTEN = [
    "josé@exämple.com", "用户@例子.中国", "иван@пример.рф", "user@例子.中国", "张伟@hospital.cn",
    "иван.петров@больница.москва", "γιώργος@παράδειγμα.ελ", "محمد@مثال.موقع", "사용자@예시.한국",
    "उपयोगकर्ता@उदाहरण.भारत", "用户@例子。中国", "müller-lüdenscheidt@klinik-köln.de",
]  # fmt: skip
# An at sign in text that is no address: a handle, a price, a time, no dot after it
NEGATIVES = ["联系@张三 明天", "价格@5元", "发给 @иван", "see @пример", "会议@三点", "встреча @ 10:00"]


def spans_of(text: str, category: str) -> list[str]:
    return [text[s.start : s.end] for s in find_spans(text) if s.category == category]


def _word(script: str) -> st.SearchStrategy[str]:
    # a word starts with a letter (a vowel sign or virama only follows one) and has two
    return st.text(SCRIPTS[script], min_size=2, max_size=12).filter(
        lambda w: unicodedata.category(w[0])[0] == "L" and sum(unicodedata.category(c)[0] == "L" for c in w) >= 2)


@st.composite
def addresses(draw: st.DrawFn) -> str:
    script = draw(st.sampled_from(sorted(SCRIPTS)))
    local = draw(_word(script) | st.from_regex(r"[a-z][a-z0-9.]{0,8}[a-z0-9]", fullmatch=True))
    labels = draw(st.lists(_word(script), min_size=1, max_size=2))
    tld = draw(_word(script) | st.sampled_from(["com", "org", "cn", "ru"]))
    if local.isascii() and all(label.isascii() for label in labels):
        labels[0] = draw(_word(script))  # at least one part in the other script
    dot = draw(st.sampled_from([".", ".", "\u3002"]))
    return f"{local}@{dot.join([*labels, tld])}"


@pytest.mark.parametrize("address", WRITTEN)
def test_a_written_address_is_one_email_finding(address: str) -> None:
    text = f"Patient e-mail: {address}, ok"
    assert spans_of(text, "EMAIL") == [address]
    assert address not in sanitize(text) and "[PHI:EMAIL]" in sanitize(text)


@settings(max_examples=200, deadline=None)
@given(address=addresses(), before=st.sampled_from(["mail ", "电邮\uff1a", "почта: ", "(", ""]),
       after=st.sampled_from(["", " ", ".", "。", ")", "\uff0c谢谢"]))  # fmt: skip
def test_generated_addresses_are_found_whole(address: str, before: str, after: str) -> None:
    text = f"{before}{address}{after}"
    found = spans_of(text, "EMAIL")
    assert len(found) == 1 and found[0].endswith(address.rstrip(".\u3002")), (text, found)
    assert address not in sanitize(text)


MIXED = list("@.。\uff20 a1-_“”é\u200b") + list(SCRIPTS["chinese"][:6] + SCRIPTS["cyrillic"][:6])


@settings(max_examples=300, deadline=None)
@given(st.text(st.sampled_from(MIXED), max_size=40))
def test_the_text_and_byte_normalizations_agree(text: str) -> None:
    norm, omap = normalize_with_map(text)
    bnorm, bmap = normalize_bytes_with_map(text.encode("utf-8"))
    assert bnorm.decode("utf-8") == norm
    # every character of the normalized text maps back to the same original character
    for i in range(len(norm)):
        start, end = omap.span(i, i + 1)
        b = len(norm[:i].encode("utf-8"))
        bstart, bend = bmap.span(b, b + len(norm[i].encode("utf-8")))
        assert text.encode("utf-8")[bstart:bend] == text[start:end].encode("utf-8"), (text, i)


@pytest.mark.parametrize("text", NEGATIVES)
def test_an_at_sign_without_an_address_is_no_email(text: str) -> None:
    assert spans_of(text, "EMAIL") == []


def test_addresses_in_other_scripts_through_the_cli(tmp_path: Path) -> None:
    path = tmp_path / "contacts.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write("id,contact,note\n")
        for i, address in enumerate(WRITTEN, 1):
            fh.write(f'{i},{address},"wrote from {address} yesterday"\n')
        for j, text in enumerate(NEGATIVES, len(WRITTEN) + 1):
            fh.write(f'{j},none,"{text}"\n')
    found = scan_cli_both(path, "unicode-email-test-key-0123", "--limit", "0")
    emails = [(f["row"], f["column"]) for f in found if f["category"] == "EMAIL"]
    expected = [(i, c) for i in range(1, len(WRITTEN) + 1) for c in ("contact", "note")]
    assert sorted(emails) == expected
    assert not [f for f in found if f["row"] > len(WRITTEN)], "an at sign without an address was flagged"
