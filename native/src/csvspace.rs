//! Which columns of a checked CSV/TSV block hold a field that Python's `str.strip()` would change.
//!
//! The data plane strips every cell it checks (schema_check, validate, summary) as the row path
//! does, with Python's whitespace (`str.isspace`: Unicode White_Space and `\x1c`-`\x1f`). Most
//! columns of most exports hold no field that starts or ends with such a character, and stripping
//! them copies every byte for nothing. `csvcheck::check`, in its pass over a block, finds per
//! column whether some field may: its first or last character (inside the quotes of a quoted
//! field; a `\r` before `\n` is the line end) is whitespace, by this rule. Only those columns are
//! stripped; the others are already what stripping would give.

/// The UTF-8 spellings of the non-ASCII characters Python's `str.isspace()` accepts.
const WIDE_SPACES: [&[u8]; 17] = [
    b"\xc2\x85", b"\xc2\xa0", b"\xe1\x9a\x80", b"\xe2\x80\x80", b"\xe2\x80\x81", b"\xe2\x80\x82",
    b"\xe2\x80\x83", b"\xe2\x80\x84", b"\xe2\x80\x85", b"\xe2\x80\x86", b"\xe2\x80\x87", b"\xe2\x80\x88",
    b"\xe2\x80\x89", b"\xe2\x80\x8a", b"\xe2\x80\xa8", b"\xe2\x80\xa9", b"\xe2\x80\xaf",
];
const WIDER_SPACES: [&[u8]; 2] = [b"\xe2\x81\x9f", b"\xe3\x80\x80"];

fn ascii_space(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | 0x1c..=0x1f | b' ')
}

fn wide(f: impl Fn(&[u8]) -> bool) -> bool {
    WIDE_SPACES.iter().chain(WIDER_SPACES.iter()).any(|w| f(w))
}

/// Whether `field` (a field's content) starts or ends with a character `str.strip()` removes.
pub fn edge_space(field: &[u8]) -> bool {
    let (Some(&first), Some(&last)) = (field.first(), field.last()) else {
        return false;
    };
    ascii_space(first)
        || ascii_space(last)
        || (first >= 0xc2 && wide(|w| field.starts_with(w)))
        || (last >= 0x80 && wide(|w| field.ends_with(w)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edges_are_pythons_whitespace() {
        for s in ["", "a", "a b", "\u{e9}", "\u{e0}", "\u{200b}x", "x\u{feff}"] {
            assert!(!edge_space(s.as_bytes()), "{s:?}");
        }
        for s in [" a", "a ", "\u{1c}a", "a\u{1f}", "\u{85}a", "a\u{a0}", "\u{2003}a", "a\u{3000}", "\u{205f}", "\t", "a\r"] {
            assert!(edge_space(s.as_bytes()), "{s:?}");
        }
    }
}
