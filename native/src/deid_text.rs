//! The text side of deidentify's row loop (`deid_rows.rs`): a row's own identifier values
//! replaced in its free text, whole words, any case, longest first (twin of `replace_idents` and
//! `_replace_lowered` in `stages/stage_06_deidentify/transform.py`), and the ASCII `str.strip()` /
//! `str.split()` it reads cells with.
//!
//! Kept apart from the row loop so that what a replacement does can be read and tested without
//! the memo, the blocks and the byte copy. Everything here takes ASCII text: the row loop hands
//! rows with any other byte to Python.

use std::borrow::Cow;
use std::collections::HashMap;

/// Python's `str.isspace` on ASCII.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c | 0x1c..=0x1f)
}

/// Python's `str.strip()` on ASCII text.
pub fn strip(s: &str) -> &str {
    let b = s.as_bytes();
    let mut i = 0;
    let mut j = b.len();
    while i < j && is_space(b[i]) {
        i += 1;
    }
    while j > i && is_space(b[j - 1]) {
        j -= 1;
    }
    &s[i..j]
}

/// Python's `str.split()` on ASCII text.
fn split_ws(s: &str) -> impl Iterator<Item = &str> {
    s.split(|c: char| c.is_ascii() && is_space(c as u8)).filter(|p| !p.is_empty())
}

/// `_replace_lowered` on ASCII text: whole-word occurrences of `needle` in `text` (`low` its lower
/// case) replaced by `token`; the count.
pub fn replace_lowered(text: &str, low: &str, needle: &str, token: &str) -> (String, usize) {
    let tb = text.as_bytes();
    let alnum = |i: usize| tb[i].is_ascii_alphanumeric();
    let mut out = String::new();
    let (mut pos, mut count) = (0, 0);
    let mut at = low.find(needle);
    while let Some(i) = at {
        let end = i + needle.len();
        if (i == 0 || !alnum(i - 1)) && (end == tb.len() || !alnum(end)) {
            out.push_str(&text[pos..i]);
            out.push_str(token);
            pos = end;
            count += 1;
            at = low[end..].find(needle).map(|k| k + end);
        } else {
            at = low[i + 1..].find(needle).map(|k| k + i + 1);
        }
    }
    if count == 0 {
        return (text.to_string(), 0);
    }
    out.push_str(&text[pos..]);
    (out, count)
}

/// An identifier column whose values are hunted in the row's other cells.
#[derive(Clone)]
pub struct IdentCol {
    pub src: usize,
    pub is_name: bool,
    pub token: String,
    pub count: u16,
    /// Replaced by the value's keyed NAME pseudonym instead of the token.
    pub pseudonym: bool,
}

/// A row's identifier values, longest first: `(value, lower case, ident column)`.
pub type Idents = Vec<(String, String, usize)>;

/// The row's identifier values (`cell`: the row's cell at an input index), longest first: each
/// value of 3 characters or more and, of a name, each of its words of 3 or more that starts upper case.
pub fn idents_of<'a>(cols: &[IdentCol], cell: impl Fn(usize) -> &'a str) -> Idents {
    let mut found: Idents = Vec::new();
    for (k, ic) in cols.iter().enumerate() {
        let v = strip(cell(ic.src));
        if v.len() < 3 {
            continue;
        }
        found.push((v.to_string(), v.to_ascii_lowercase(), k));
        if ic.is_name {
            for part in split_ws(v) {
                if part.len() >= 3 && part.as_bytes()[0].is_ascii_uppercase() {
                    found.push((part.to_string(), part.to_ascii_lowercase(), k));
                }
            }
        }
    }
    found.sort_by_key(|b| std::cmp::Reverse(b.0.len()));
    found
}

/// The row's identifier values replaced in `text` (see `replace_idents` in transform.py), counted.
///
/// A needle longer than the text is not in it: most cells (codes, numbers) are shorter than every
/// identifier value and are returned as they are, without a copy or a lower-case twin.
pub fn apply_idents<'t>(text: &'t str, idents: &Idents, cols: &[IdentCol], names: &HashMap<String, Option<String>>,
                        counts: &mut [u64]) -> Cow<'t, str> {
    let mut text = Cow::Borrowed(text);
    let mut low: Option<String> = None;
    for (value, needle, k) in idents {
        if needle.len() > text.len() {
            continue;
        }
        let lowered = low.get_or_insert_with(|| text.to_ascii_lowercase());
        if !lowered.contains(needle.as_str()) {
            continue;
        }
        let ic = &cols[*k];
        let token = if ic.pseudonym {
            names.get(value).and_then(|p| p.as_deref()).unwrap_or(ic.token.as_str())
        } else {
            ic.token.as_str()
        };
        let (new, n) = replace_lowered(&text, lowered, needle, token);
        if n > 0 {
            counts[ic.count as usize] += n as u64;
            low = None;
            text = Cow::Owned(new);
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replace_lowered_whole_words() {
        let (out, n) = replace_lowered("Bob bobby BOB.", "bob bobby bob.", "bob", "[N]");
        assert_eq!((out.as_str(), n), ("[N] bobby [N].", 2));
        assert_eq!(replace_lowered("abc", "abc", "x", "T"), ("abc".to_string(), 0));
    }

    #[test]
    fn strip_and_split_like_python() {
        assert_eq!(strip(" \x1f a b\x0c"), "a b");
        assert_eq!(split_ws("\tA  bc\x1d d ").collect::<Vec<_>>(), vec!["A", "bc", "d"]);
    }

    #[test]
    fn idents_longest_first_and_counted() {
        let cols = vec![IdentCol { src: 0, is_name: true, token: "[N]".into(), count: 0, pseudonym: false }];
        let cells = [" Ann Leeson ", "x"];
        let idents = idents_of(&cols, |i| cells[i]);
        let values: Vec<&str> = idents.iter().map(|v| v.0.as_str()).collect();
        assert_eq!(values, vec!["Ann Leeson", "Leeson", "Ann"]);
        let mut counts = vec![0];
        let out = apply_idents("ANN LEESON met Leeson and anne", &idents, &cols, &HashMap::new(), &mut counts);
        assert_eq!((out.as_ref(), counts[0]), ("[N] met [N] and anne", 2));
        assert!(matches!(apply_idents("144", &idents, &cols, &HashMap::new(), &mut counts), Cow::Borrowed("144")));
        assert_eq!(counts[0], 2);
    }
}
