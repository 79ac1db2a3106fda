//! Row and field boundaries of CSV/TSV bytes, as Python's `csv` reads them (twin of
//! `engine/core/csvrows.py`, which stays the reference).
//!
//! A row ends at `\r\n`, at `\n` and at a lone `\r` (as `csv` reads a file opened with
//! `newline=""`). A quote opens a quoted field only at the start of a field (the block's start,
//! or just after the delimiter or a row end); inside it `""` is a quote and any other quote closes
//! it (what follows, up to the delimiter or the row end, is still the same field). A quote
//! anywhere else (`5'10"`) is a plain byte. Delimiters and row ends inside a quoted field end
//! nothing. A block starts at a row start; a `\r` at its end ends a row (the Python splitters hold
//! such a `\r` back from a block's cut, so a block given here ends at a row end).

/// What `walk` reports at an offset outside quoted fields.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Stop {
    /// The delimiter: the next field starts just past it.
    Delim,
    /// The last byte of a row end (the `\n` of `\r\n`, a `\n`, a lone `\r`): the next row starts just past it.
    RowEnd,
}

/// Calls `on(i, stop)` for each delimiter and row end of `data[start..end]` outside quoted
/// fields; returns the offset of a quoted field left open at `end`, if any.
pub fn walk(data: &[u8], start: usize, end: usize, delim: u8, mut on: impl FnMut(usize, Stop)) -> Option<usize> {
    let mut i = start;
    let mut field_start = true;
    while i < end {
        let b = data[i];
        if b == b'"' && field_start {
            match quoted_end(data, i, end) {
                Some(next) => i = next,
                None => return Some(i),
            }
            field_start = false;
            continue;
        }
        field_start = true;
        if b == delim {
            on(i, Stop::Delim);
        } else if b == b'\n' || (b == b'\r' && (i + 1 == end || data[i + 1] != b'\n')) {
            on(i, Stop::RowEnd);
        } else {
            field_start = b == b'\r'; // the `\r` of `\r\n`: its `\n` follows
        }
        i += 1;
    }
    None
}

/// Just past the closing quote of the quoted field opening at `open`; `None` when it is left
/// open at `end`.
fn quoted_end(data: &[u8], open: usize, end: usize) -> Option<usize> {
    let mut j = open + 1;
    loop {
        let q = j + data[j..end].iter().position(|&c| c == b'"')?;
        if q + 1 < end && data[q + 1] == b'"' {
            j = q + 2;
        } else {
            return Some(q + 1);
        }
    }
}

/// Offsets just past each row end; a final unterminated row ends at `data.len()`.
pub fn row_ends(data: &[u8], delim: u8) -> Vec<usize> {
    let mut ends = Vec::new();
    walk(data, 0, data.len(), delim, |i, stop| {
        if stop == Stop::RowEnd {
            ends.push(i + 1);
        }
    });
    if !data.is_empty() && ends.last().copied() != Some(data.len()) {
        ends.push(data.len());
    }
    ends
}

/// Start offsets of the fields of the row `data[start..end]`.
pub fn field_starts(data: &[u8], start: usize, end: usize, delim: u8, out: &mut Vec<usize>) {
    out.clear();
    out.push(start);
    walk(data, start, end, delim, |i, stop| {
        if stop == Stop::Delim {
            out.push(i + 1);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::{field_starts, row_ends, walk};

    #[test]
    fn quoted_newline_is_not_a_row_end() {
        assert_eq!(row_ends(b"a,b\n\"x\ny\",2\nlast", b','), vec![4, 12, 16]);
    }

    #[test]
    fn empty_and_terminated() {
        assert!(row_ends(b"", b',').is_empty());
        assert_eq!(row_ends(b"a\nb\n", b','), vec![2, 4]);
    }

    #[test]
    fn a_quote_inside_an_unquoted_field_is_a_plain_byte() {
        assert_eq!(row_ends(b"1,5\",7\n2,x\n", b','), vec![7, 11]);
        assert_eq!(row_ends(b"1\t\"a\nb\"\n2\n", b'\t'), vec![8, 10]);
        // after a comma a quote opens a field; after a tab in a CSV it does not
        assert_eq!(row_ends(b"1\t\"a\nb\"\n", b','), vec![5, 8]);
        let mut out = Vec::new();
        field_starts(b"5'10\",\"a,b\"c\",d", 0, 15, b',', &mut out);
        assert_eq!(out, vec![0, 6, 14]);
        field_starts(b"\"a\"\"\",b", 0, 7, b',', &mut out);
        assert_eq!(out, vec![0, 6]);
    }

    #[test]
    fn an_open_quote_runs_to_the_end() {
        assert_eq!(walk(b"a,\"b\nc,d\n", 0, 9, b',', |_, _| {}), Some(2));
        assert_eq!(walk(b"a,\"b\"\"\n", 0, 7, b',', |_, _| {}), Some(2));
        assert_eq!(walk(b"a,\"b\"x\"\n", 0, 8, b',', |_, _| {}), None);
        assert_eq!(row_ends(b"a,\"b\nc,d\n", b','), vec![9]);
    }

    #[test]
    fn a_lone_cr_ends_a_row_and_a_quote_after_it_opens_a_field() {
        let data = b"1,x\r2,\"a\rb\",536-22-8410\r\n\"3\",y\r";
        assert_eq!(row_ends(data, b','), vec![4, 25, 31]);
        assert_eq!(row_ends(b"a\r\r\nb", b','), vec![2, 4, 5]);
        let mut out = Vec::new();
        field_starts(data, 4, 25, b',', &mut out);
        assert_eq!(out, vec![4, 6, 12]);
    }
}
