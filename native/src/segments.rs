//! Findings segments joined into one segment, line by line, without reading a finding back.
//!
//! phi_scan writes one segment per partition, then writes them again as the one segment a single
//! partition would have written (so the file's bytes do not depend on the partitioning). The
//! reference (`merge_segments` in `engine/phi/scan/findings_file.py`) reads every finding back
//! into a Python tuple and encodes it again: on a dense export that is one Python object per
//! finding, more than the scan itself took. Here each line is rewritten in place: a part's
//! category, column and digest numbers become the joined segment's, its row and offset
//! differences are taken from the joined segment's last values, a digest first written in full
//! in a later part becomes a number where the joined segment already has it. Definition lines
//! and digests are compared as the encoder wrote them (it writes one name one way), so no JSON
//! string is decoded. The bytes are the reference's (a differential test holds them equal).

use std::collections::HashMap;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::findings::DIGEST_TABLE;

const HEADER: &[u8] = b"{\"rflow_findings\":2}\n";
const CATEGORY: &[u8] = b"{\"category\":";
const COLUMN: &[u8] = b"{\"column\":";

/// One part's tables: its numbers as the joined segment's, its digests as written in full.
#[derive(Default)]
struct Part {
    cats: Vec<usize>,
    cols: Vec<usize>,
    digests: Vec<Vec<u8>>,
    row: i128,
    offset: i128,
}

/// The joined segment's state.
#[derive(Default)]
pub struct Join {
    started: bool,
    cats: HashMap<Vec<u8>, usize>,
    cols: HashMap<Vec<u8>, usize>,
    digests: HashMap<Vec<u8>, usize>,
    row: i128,
    offset: i128,
    part: Part,
    pending: Vec<u8>,
    tally: HashMap<(usize, Option<usize>), u64>,
}

fn int(text: &[u8]) -> Option<i128> {
    let digits = text.strip_prefix(b"-").unwrap_or(text);
    let plain = digits.iter().all(u8::is_ascii_digit) && (digits.len() == 1 || digits.first() != Some(&b'0'));
    if digits.is_empty() || digits.len() > 30 || !plain {
        return None;
    }
    std::str::from_utf8(text).ok()?.parse().ok()
}

fn index(text: &[u8]) -> Option<usize> {
    usize::try_from(int(text)?).ok()
}

/// `Some(None)` for `null`, `Some(Some(n))` for an integer, None for anything else.
fn nullable(text: &[u8]) -> Option<Option<i128>> {
    if text == b"null" {
        Some(None)
    } else {
        int(text).map(Some)
    }
}

/// Whether `text` is one JSON string and nothing else (`{"category":"SSN","row":1,...}`, a finding
/// of the earlier form, is not a definition).
fn one_string(text: &[u8]) -> Result<(), &'static str> {
    let inner = text.strip_prefix(b"\"").and_then(|t| t.strip_suffix(b"\"")).ok_or("not a findings line")?;
    let mut escaped = false;
    for &b in inner {
        if escaped {
            escaped = false;
        } else if b == b'\\' {
            escaped = true;
        } else if b == b'"' {
            return Err("not a findings line");
        }
    }
    if escaped {
        return Err("not a findings line");
    }
    Ok(())
}

fn push_int(out: &mut Vec<u8>, n: i128) {
    out.extend_from_slice(n.to_string().as_bytes());
}

/// A part's difference (or null) written as the joined segment's: the part's running value moved
/// by it, less the joined segment's last value, which becomes it.
fn rebased(out: &mut Vec<u8>, delta: Option<i128>, part: &mut i128, joined: &mut i128) -> Option<()> {
    match delta {
        Some(d) => {
            *part = part.checked_add(d)?;
            push_int(out, part.checked_sub(*joined)?);
            *joined = *part;
        }
        None => out.extend_from_slice(b"null"),
    }
    Some(())
}

impl Join {
    /// The header line, once.
    pub fn start(&mut self, out: &mut Vec<u8>) {
        if !self.started {
            out.extend_from_slice(HEADER);
            self.started = true;
        }
    }

    /// The next part begins (its tables are its own; a part that holds no header line yet is one
    /// segment from its first line).
    pub fn next_part(&mut self) -> Result<(), &'static str> {
        self.finish()?;
        self.part = Part::default();
        Ok(())
    }

    /// Whether the last part ended with a whole line (the encoder ends every line).
    pub fn finish(&self) -> Result<(), &'static str> {
        if self.pending.is_empty() {
            Ok(())
        } else {
            Err("a part ends inside a line")
        }
    }

    /// The lines of `data` (a part's bytes, cut anywhere) rewritten into the joined segment.
    pub fn feed(&mut self, out: &mut Vec<u8>, data: &[u8]) -> Result<(), &'static str> {
        self.start(out);
        let mut rest = data;
        if !self.pending.is_empty() {
            let Some(end) = rest.iter().position(|&b| b == b'\n') else {
                self.pending.extend_from_slice(rest);
                return Ok(());
            };
            let mut line = std::mem::take(&mut self.pending);
            line.extend_from_slice(&rest[..end]);
            self.line(out, &line)?;
            rest = &rest[end + 1..];
        }
        while let Some(end) = rest.iter().position(|&b| b == b'\n') {
            self.line(out, &rest[..end])?;
            rest = &rest[end + 1..];
        }
        self.pending.extend_from_slice(rest);
        Ok(())
    }

    fn line(&mut self, out: &mut Vec<u8>, line: &[u8]) -> Result<(), &'static str> {
        if line == &HEADER[..HEADER.len() - 1] {
            self.part = Part::default();
        } else if let Some(name) = line.strip_prefix(CATEGORY).and_then(|l| l.strip_suffix(b"}")) {
            one_string(name)?;
            let n = Self::defined(&mut self.cats, name, CATEGORY, out);
            self.part.cats.push(n);
        } else if let Some(name) = line.strip_prefix(COLUMN).and_then(|l| l.strip_suffix(b"}")) {
            one_string(name)?;
            let n = Self::defined(&mut self.cols, name, COLUMN, out);
            self.part.cols.push(n);
        } else if let Some(inner) = line.strip_prefix(b"[").and_then(|l| l.strip_suffix(b"]")) {
            self.finding(out, inner).ok_or("not a findings line")?;
        } else {
            return Err("not a findings line");
        }
        Ok(())
    }

    /// `(category, column or None, findings)` for every pair seen, the names as their JSON text.
    pub fn crosstab(&self) -> Vec<(String, Option<String>, u64)> {
        let named = |table: &HashMap<Vec<u8>, usize>| {
            let mut names = vec![String::new(); table.len()];
            for (name, &n) in table {
                names[n] = String::from_utf8_lossy(name).into_owned();
            }
            names
        };
        let (cats, cols) = (named(&self.cats), named(&self.cols));
        let mut out: Vec<_> =
            self.tally.iter().map(|(&(cat, col), &n)| (cats[cat].clone(), col.map(|c| cols[c].clone()), n)).collect();
        out.sort();
        out
    }

    /// The joined number of a category or column, its definition line written the first time.
    fn defined(table: &mut HashMap<Vec<u8>, usize>, name: &[u8], prefix: &[u8], out: &mut Vec<u8>) -> usize {
        if let Some(&n) = table.get(name) {
            return n;
        }
        let n = table.len();
        table.insert(name.to_vec(), n);
        out.extend_from_slice(prefix);
        out.extend_from_slice(name);
        out.extend_from_slice(b"}\n");
        n
    }

    fn finding(&mut self, out: &mut Vec<u8>, inner: &[u8]) -> Option<()> {
        let mut fields = inner.splitn(6, |&b| b == b',');
        let (cat, row, col, offset, length, digest) =
            (fields.next()?, fields.next()?, fields.next()?, fields.next()?, fields.next()?, fields.next()?);
        let cat = *self.part.cats.get(index(cat)?)?;
        let row = nullable(row)?;
        let col = match nullable(col)? {
            Some(c) => Some(*self.part.cols.get(usize::try_from(c).ok()?)?),
            None => None,
        };
        let offset = nullable(offset)?;
        int(length)?;
        let token = if digest.first() == Some(&b'"') {
            one_string(digest).ok()?;
            if self.part.digests.len() < DIGEST_TABLE {
                self.part.digests.push(digest.to_vec());
            }
            digest
        } else {
            self.part.digests.get(index(digest)?)?.as_slice()
        };
        *self.tally.entry((cat, col)).or_insert(0) += 1;
        out.push(b'[');
        push_int(out, cat as i128);
        out.push(b',');
        rebased(out, row, &mut self.part.row, &mut self.row)?;
        out.push(b',');
        match col {
            Some(c) => push_int(out, c as i128),
            None => out.extend_from_slice(b"null"),
        }
        out.push(b',');
        rebased(out, offset, &mut self.part.offset, &mut self.offset)?;
        out.push(b',');
        out.extend_from_slice(length);
        out.push(b',');
        match self.digests.get(token) {
            Some(&n) => push_int(out, n as i128),
            None => {
                if self.digests.len() < DIGEST_TABLE {
                    let n = self.digests.len();
                    self.digests.insert(token.to_vec(), n);
                }
                out.extend_from_slice(token);
            }
        }
        out.extend_from_slice(b"]\n");
        Some(())
    }
}

/// Findings segments joined into one: `header()`, then per part `next_part()` and `feed(bytes)`
/// (the part file's bytes, in pieces cut anywhere) -> the joined segment's lines; `finish()`.
/// Raises ValueError on a line this form does not hold.
#[pyclass(module = "engine._native")]
pub struct SegmentJoin {
    inner: Join,
}

#[pymethods]
impl SegmentJoin {
    #[new]
    fn new() -> Self {
        SegmentJoin { inner: Join::default() }
    }

    /// The joined segment's header line (once; empty after).
    fn header<'py>(&mut self, py: Python<'py>) -> Bound<'py, PyBytes> {
        let mut out = Vec::new();
        self.inner.start(&mut out);
        PyBytes::new(py, &out)
    }

    /// The next part begins.
    fn next_part(&mut self) -> PyResult<()> {
        self.inner.next_part().map_err(PyValueError::new_err)
    }

    /// Raises unless the last part ended with a whole line.
    fn finish(&self) -> PyResult<()> {
        self.inner.finish().map_err(PyValueError::new_err)
    }

    /// `(category, column or None, findings)` of every finding fed so far, each name as the JSON
    /// string the file holds (the caller decodes the few names).
    fn crosstab(&self) -> Vec<(String, Option<String>, u64)> {
        self.inner.crosstab()
    }

    /// The lines of `data` rewritten (the GIL released).
    fn feed<'py>(&mut self, py: Python<'py>, data: &[u8]) -> PyResult<Bound<'py, PyBytes>> {
        let mut out = Vec::with_capacity(data.len() + 64);
        let inner = &mut self.inner;
        py.detach(|| inner.feed(&mut out, data)).map_err(PyValueError::new_err)?;
        Ok(PyBytes::new(py, &out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn join(parts: &[&[u8]]) -> Result<Vec<u8>, &'static str> {
        let mut j = Join::default();
        let mut out = Vec::new();
        j.start(&mut out);
        for p in parts {
            j.next_part()?;
            for piece in p.chunks(3) {
                j.feed(&mut out, piece)?;
            }
        }
        j.finish()?;
        Ok(out)
    }

    #[test]
    fn numbers_and_differences_are_the_joined_segments() {
        let a: &[u8] = b"{\"rflow_findings\":2}\n{\"category\":\"MRN\"}\n{\"column\":\"id\"}\n[0,2,0,10,3,\"AAAA\"]\n[0,1,0,5,3,0]\n";
        let b: &[u8] = b"{\"rflow_findings\":2}\n{\"category\":\"NAME\"}\n{\"category\":\"MRN\"}\n{\"column\":\"id\"}\n[0,7,null,40,3,\"BBBB\"]\n[1,0,0,2,3,\"AAAA\"]\n[1,1,0,1,2,1]\n[0,null,null,null,4,\"~x,y\"]\n";
        let out = join(&[a, b]).unwrap();
        let want: &[u8] = b"{\"rflow_findings\":2}\n{\"category\":\"MRN\"}\n{\"column\":\"id\"}\n[0,2,0,10,3,\"AAAA\"]\n[0,1,0,5,3,0]\n{\"category\":\"NAME\"}\n[1,4,null,25,3,\"BBBB\"]\n[0,0,0,2,3,0]\n[0,1,0,1,2,0]\n[1,null,null,null,4,\"~x,y\"]\n";
        assert_eq!(String::from_utf8_lossy(&out), String::from_utf8_lossy(want));
        let mut j = Join::default();
        let mut sink = Vec::new();
        for p in [a, b] {
            j.next_part().unwrap();
            j.feed(&mut sink, p).unwrap();
        }
        let pair = |c: &str, k: Option<&str>, n| (c.to_string(), k.map(str::to_string), n);
        assert_eq!(j.crosstab(), vec![pair("\"MRN\"", Some("\"id\""), 4), pair("\"NAME\"", None, 2)]);
    }

    #[test]
    fn other_lines_are_refused() {
        for bad in [&b"[0,1,0,1,1,\"A\"]\n"[..], b"{\"rflow_findings\":2}\n[0,1]\n", b"{\"x\":1}\n",
                    b"{\"rflow_findings\":2}\n{\"category\":\"A\"}\n[0,1,null,1,1,3]\n",
                    b"{\"category\":\"SSN\",\"row\":1,\"digest\":\"x\"}\n", b"{\"column\":\"a\\\"}\n", b"{\"rflow_findings\":2}\n{\"category\":\"A\"}\n[0,01,null,1,1,\"A\"]\n"] {
            assert!(join(&[bad]).is_err(), "{}", String::from_utf8_lossy(bad));
        }
        assert!(join(&[b"{\"rflow_findings\":2}\n{\"category\""]).is_err());
    }
}
