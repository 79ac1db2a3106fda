//! Row boundaries of CSV/TSV bytes.

/// Offsets just past each row's newline; a newline with an odd number of `"` before it (since
/// the last row end) is inside a quoted field. A final unterminated row ends at `data.len()`.
pub fn row_ends(data: &[u8]) -> Vec<usize> {
    let mut ends = Vec::new();
    let mut quotes: usize = 0;
    for (i, &b) in data.iter().enumerate() {
        if b == b'"' {
            quotes += 1;
        } else if b == b'\n' && quotes % 2 == 0 {
            ends.push(i + 1);
        }
    }
    if !data.is_empty() && ends.last().copied() != Some(data.len()) {
        ends.push(data.len());
    }
    ends
}

#[cfg(test)]
mod tests {
    use super::row_ends;

    #[test]
    fn quoted_newline_is_not_a_row_end() {
        assert_eq!(row_ends(b"a,b\n\"x\ny\",2\nlast"), vec![4, 12, 16]);
    }

    #[test]
    fn empty_and_terminated() {
        assert!(row_ends(b"").is_empty());
        assert_eq!(row_ends(b"a\nb\n"), vec![2, 4]);
    }
}
