//! The check that a block of CSV/TSV records reads alike in Polars' CSV reader and Python's `csv`.
//!
//! Twin of `_check` in `stages/columnar/csvchunks.py` (the reference, a regex pass plus a
//! per-record count): one pass over the bytes instead. A quoted field opens at the start of a
//! field (the block's start, or after the delimiter or a newline), doubles its inner quotes and
//! closes just before the delimiter, a line end or the block's end. With the quoted fields read
//! as one byte each, what is left must hold no blank line, no carriage return outside `\r\n`, and
//! exactly `width - 1` delimiters per record; the whole block must be UTF-8.
//!
//! The same pass finds the columns stripping may change (`csvspace::edge_space` on each field's
//! first and last character), so the columnar stages read a block's bytes once.

use crate::csvspace::edge_space;

/// Why a block is not faithful; the same words as the Python reference's `NotFaithful`.
pub const NUL: &str = "a NUL byte";
pub const QUOTE: &str = "a quote";
pub const BLANK: &str = "a blank line";
pub const CARRIAGE_RETURN: &str = "a carriage return";
pub const NOT_UTF8: &str = "not UTF-8";
pub const RAGGED: &str = "a ragged record";

/// What a faithful block holds, found by the same pass: a reader that needs only these (upload's
/// row count and field-length limit) does not have to parse the block.
#[derive(Debug, PartialEq, Eq)]
pub struct Shape {
    /// Whether the block holds a quote.
    pub quoted: bool,
    /// Its records.
    pub records: usize,
    /// The longest field in bytes as written (quotes, doubled quotes and a `\r` before `\n`
    /// included): an upper bound on its length in characters once parsed.
    pub widest: usize,
    /// Per column, whether some field starts or ends with a character Python's `str.strip()`
    /// removes (inside the quotes of a quoted field; a `\r` before `\n` is the line end): the
    /// only columns whose stripping changes them.
    pub spaced: Vec<bool>,
}

/// The block's shape when it reads alike in both readers, else the reason it may not.
pub fn check(block: &[u8], delim: u8, width: usize) -> Result<Shape, &'static str> {
    if block.contains(&0) {
        return Err(NUL);
    }
    let quoted = block.contains(&b'"');
    let n = block.len();
    let mut blank = false;
    let mut lone_cr = false;
    let mut ragged = false;
    // The current record as the reference sees it after the quoted fields became one byte each.
    let mut record_len = 0usize;
    let mut record_is_cr = false;
    let mut delims = 0usize;
    let mut records = 0usize;
    let mut field = 0usize;
    let mut widest = 0usize;
    let mut spaced = vec![false; width];
    // Where the current field starts, and whether it was quoted (its edges are then already seen).
    let mut field_start = 0usize;
    let mut field_quoted = false;
    // The bytes the loop below acts on; runs of the others are skipped in one step (they only
    // lengthen the field and the record).
    let mut special = [false; 256];
    for c in [delim, b'\n', b'\r', b'"'] {
        special[usize::from(c)] = true;
    }
    let mut i = 0usize;
    while i < n {
        let run = block[i..].iter().position(|&c| special[usize::from(c)]).unwrap_or(n - i);
        if run > 0 {
            field += run;
            record_len += run;
            record_is_cr = false;
            i += run;
            if i == n {
                break;
            }
        }
        let b = block[i];
        if b == b'"' {
            let end = quoted_field_end(block, i, delim).ok_or(QUOTE)?;
            mark(&mut spaced, delims, &block[i + 1..end - 1]);
            field_quoted = true;
            field += end - i;
            i = end;
            record_len += 1;
            record_is_cr = false;
            continue;
        }
        if b == delim || b == b'\n' {
            if !field_quoted {
                let cr = b == b'\n' && i > field_start && block[i - 1] == b'\r';
                mark(&mut spaced, delims, &block[field_start..i - usize::from(cr)]);
            }
            field_start = i + 1;
            field_quoted = false;
        }
        if b == b'\n' {
            blank |= record_len == 0 || record_is_cr;
            ragged |= width > 0 && delims != width - 1;
            records += 1;
            widest = widest.max(field);
            field = 0;
            record_len = 0;
            record_is_cr = false;
            delims = 0;
        } else {
            if b == b'\r' {
                lone_cr |= i + 1 == n || block[i + 1] != b'\n';
            }
            if b == delim {
                delims += 1;
                widest = widest.max(field);
                field = 0;
            } else {
                field += 1;
            }
            record_is_cr = record_len == 0 && b == b'\r';
            record_len += 1;
        }
        i += 1;
    }
    // The last record, unless the block ends with a newline. An empty block is checked as one empty
    // record (as the reference does) but holds none.
    if n == 0 || block[n - 1] != b'\n' {
        if !field_quoted {
            mark(&mut spaced, delims, &block[field_start.min(n)..]);
        }
        ragged |= width > 0 && delims != width - 1;
        records += usize::from(n > 0);
        widest = widest.max(field);
    }
    if blank {
        Err(BLANK)
    } else if lone_cr {
        Err(CARRIAGE_RETURN)
    } else if std::str::from_utf8(block).is_err() {
        Err(NOT_UTF8)
    } else if ragged {
        Err(RAGGED)
    } else {
        Ok(Shape { quoted, records, widest, spaced })
    }
}

/// Column `col` is spaced when `content` (a field's) has an edge stripping removes; a column past
/// the width is left to the ragged check.
fn mark(spaced: &mut [bool], col: usize, content: &[u8]) {
    if let Some(flag) = spaced.get_mut(col) {
        if !*flag && edge_space(content) {
            *flag = true;
        }
    }
}

/// The index just after the quoted field opening at `start`, or `None` where the quote is not a
/// well-formed field (not at a field start, left open, or closed before other than a delimiter,
/// a line end or the block's end).
fn quoted_field_end(block: &[u8], start: usize, delim: u8) -> Option<usize> {
    if start > 0 && block[start - 1] != delim && block[start - 1] != b'\n' {
        return None;
    }
    let mut j = start + 1;
    loop {
        j += block.get(j..)?.iter().position(|&c| c == b'"')?;
        if block.get(j + 1) == Some(&b'"') {
            j += 2;
            continue;
        }
        return match block.get(j + 1) {
            None => Some(j + 1),
            Some(&c) if c == delim || c == b'\r' || c == b'\n' => Some(j + 1),
            Some(_) => None,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_formed_blocks_pass() {
        let shape = |quoted, records, widest| Ok(Shape { quoted, records, widest, spaced: vec![false, false] });
        assert_eq!(check(b"a,b\nc,d\n", b',', 2), shape(false, 2, 1));
        assert_eq!(check(b"\"a,\n\"\"x\",b\r\nc,\"\"\n", b',', 2), shape(true, 2, 8));
        assert_eq!(check(b"a,\"b\"", b',', 2), shape(true, 1, 3));
    }

    #[test]
    fn spaced_columns_are_found_in_quoted_and_plain_fields() {
        let spaced = |block: &[u8], width| check(block, b',', width).map(|s| s.spaced);
        let block = b"a, b,\"c \",d\r\n\"\"\"x\"\"\",y,z,w\n";
        assert_eq!(spaced(block, 4), Ok(vec![false, true, true, false]));
        assert_eq!(spaced(b"a,b\r\n", 2), Ok(vec![false, false]));
        assert_eq!(spaced(b"a,\"b\"\r\nc,d", 2), Ok(vec![false, false]));
        assert_eq!(spaced(b"a,\"b\nc \"\n", 2), Ok(vec![false, true]));
        assert_eq!(spaced(b"a,b \r\n", 2), Ok(vec![false, true]));
        assert_eq!(spaced(b"a,b\n \xc2\xa0,c\n", 2), Ok(vec![true, false]));
        assert_eq!(spaced(b"a,b\nc, d", 2), Ok(vec![false, true]));
        assert_eq!(spaced(b"a,\" \"", 2), Ok(vec![false, true]));
        assert_eq!(spaced(b"a,b,c\n", 2), Err(RAGGED));
    }

    #[test]
    fn each_reason_is_found() {
        assert_eq!(check(b"a,b\0\n", b',', 2), Err(NUL));
        assert_eq!(check(b"a,b\"c\n", b',', 2), Err(QUOTE));
        assert_eq!(check(b"a,\"b\"c\n", b',', 2), Err(QUOTE));
        assert_eq!(check(b"a,\"b\n", b',', 2), Err(QUOTE));
        assert_eq!(check(b"a,b\n\nc,d\n", b',', 2), Err(BLANK));
        assert_eq!(check(b"\r\na,b\n", b',', 2), Err(BLANK));
        assert_eq!(check(b"a,b\rc,d\n", b',', 2), Err(CARRIAGE_RETURN));
        assert_eq!(check(b"a,\xff\n", b',', 2), Err(NOT_UTF8));
        assert_eq!(check(b"a,b\nc\n", b',', 2), Err(RAGGED));
        assert_eq!(check(b"a,b\n", b',', 1), Err(RAGGED));
        assert_eq!(check(b"", b',', 2), Err(RAGGED));
    }
}
