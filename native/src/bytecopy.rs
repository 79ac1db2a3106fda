//! The de-identified copy of a CSV/TSV as the input's own text (twin of
//! `stages/stage_06_deidentify/bytecopy.py`, which stays the reference).
//!
//! Records are split exactly as the Python module splits them (lines as `open(newline="")`
//! gives them; a field that starts with a quote runs to its closing quote, `""` inside it being a
//! quote; after the closing quote, or in an unquoted field, everything up to the delimiter or a
//! line end; blank lines are no records). Each record is checked against the row the row reader
//! gave, then written with only the changed cells encoded anew.
//!
//! The text arrives in blocks (`feed`); a record that may go on in the next block asks for more
//! (`Status::Need`) instead of guessing.

use pyo3::prelude::*;
use pyo3::types::{PyList, PyString};

/// One field's raw range `[start, end)`; `close`: the closing quote's offset when it was quoted.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Field {
    pub start: usize,
    pub close: Option<usize>,
    pub end: usize,
}

/// A record's fields, where its body ends (its line end follows) and where the next one starts.
#[derive(Debug, PartialEq)]
pub struct Rec {
    pub fields: Vec<Field>,
    pub body_end: usize,
    pub next: usize,
}

#[derive(Debug, PartialEq)]
pub enum Step {
    /// The record may go on past the buffer: feed more text.
    Need,
    /// No text left.
    Eof,
    /// A quote left open at the end of the text.
    Open,
    /// A blank line (no record); the next one starts here.
    Blank(usize),
    Rec(Rec),
}

/// The record starting at `pos` (see the module docs).
pub fn parse(buf: &[u8], pos: usize, eof: bool, delim: u8) -> Step {
    if pos >= buf.len() {
        return if eof { Step::Eof } else { Step::Need };
    }
    let mut fields = Vec::new();
    let mut p = pos;
    loop {
        let start = p;
        let mut close = None;
        if buf.get(p) == Some(&b'"') {
            let mut q = p + 1;
            loop {
                match buf.get(q) {
                    None => return if eof { Step::Open } else { Step::Need },
                    Some(b'"') => match buf.get(q + 1) {
                        Some(b'"') => q += 2,
                        None if !eof => return Step::Need,
                        _ => break,
                    },
                    Some(_) => q += 1,
                }
            }
            close = Some(q);
            p = q + 1;
        }
        while let Some(&c) = buf.get(p) {
            if c == delim || c == b'\r' || c == b'\n' {
                break;
            }
            p += 1;
        }
        if p >= buf.len() && !eof {
            return Step::Need;
        }
        fields.push(Field { start, close, end: p });
        if buf.get(p) == Some(&delim) {
            p += 1;
            continue;
        }
        let next = match buf.get(p) {
            None => p,
            Some(b'\r') => match buf.get(p + 1) {
                Some(b'\n') => p + 2,
                None if !eof => return Step::Need,
                _ => p + 1,
            },
            Some(_) => p + 1,
        };
        if fields.len() == 1 && close.is_none() && p == pos {
            return Step::Blank(next);
        }
        return Step::Rec(Rec { fields, body_end: p, next });
    }
}

/// The value a field reads as: its raw text, or a quoted field's content (`""` a quote) and what follows it.
pub fn value<'a>(buf: &'a str, f: &Field) -> std::borrow::Cow<'a, str> {
    match f.close {
        None => std::borrow::Cow::Borrowed(&buf[f.start..f.end]),
        Some(close) => {
            let mut v = buf[f.start + 1..close].replace("\"\"", "\"");
            v.push_str(&buf[close + 1..f.end]);
            std::borrow::Cow::Owned(v)
        }
    }
}

/// `encode_cell`: quoted when the input's cell was, or when it holds the delimiter, a quote or a line break.
pub fn encode_cell(out: &mut String, value: &str, delim: u8, quoted: bool) {
    let must = value.bytes().any(|c| c == delim || c == b'"' || c == b'\n' || c == b'\r');
    if quoted || must {
        out.push('"');
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(value);
    }
}

/// `rewrite`: the record with the kept columns' cells, raw where the value is unchanged.
///
/// `values`: the record's values (equal to the row reader's row); `cells`: the output cells, one
/// per kept column.
pub fn rewrite(out: &mut String, buf: &str, rec: &Rec, values: &[&str], cells: &[&str], kept: &[usize], delim: u8) {
    let width = values.len();
    let start = rec.fields[0].start;
    let identity = kept.len() == width && kept.iter().enumerate().all(|(n, &i)| n == i);
    if identity && cells.iter().zip(values).all(|(a, b)| a == b) {
        out.push_str(&buf[start..rec.next]);
        return;
    }
    let body_start = out.len();
    for (n, (cell, &i)) in cells.iter().zip(kept).enumerate() {
        if n > 0 {
            out.push(delim as char);
        }
        if i < width && values[i] == *cell {
            let f = &rec.fields[i];
            out.push_str(&buf[f.start..f.end]);
        } else {
            encode_cell(out, cell, delim, i < width && rec.fields[i].close.is_some());
        }
    }
    if out.len() == body_start && kept.len() == 1 {
        out.push_str("\"\"");
    }
    out.push_str(&buf[rec.body_end..rec.next]);
}

/// `write_rows` and `finish` statuses.
pub const OK: u8 = 0;
pub const NEED: u8 = 1;
pub const NOT_BYTEWISE: u8 = 2;

/// The copier's state: the text not yet consumed, where the next record starts, the copy so far.
pub struct Copier {
    buf: String,
    pos: usize,
    eof: bool,
    delim: u8,
    kept: Vec<usize>,
    skip_first: bool,
    out: String,
}

impl Copier {
    pub fn new(delim: u8, kept: Vec<usize>, skip_first: bool) -> Self {
        Copier { buf: String::new(), pos: 0, eof: false, delim, kept, skip_first, out: String::new() }
    }

    /// More text; `""` marks its end.
    pub fn feed(&mut self, text: &str) {
        if text.is_empty() {
            self.eof = true;
            return;
        }
        if self.pos > (1 << 20) && self.pos * 2 > self.buf.len() {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        self.buf.push_str(text);
    }

    /// The next record that is not blank (after the skipped first one): Ok(Some), Ok(None) at the
    /// end, Err(status) when more text is needed or the text is not bytewise.
    fn next_record(&mut self) -> Result<Option<Rec>, u8> {
        loop {
            match parse(self.buf.as_bytes(), self.pos, self.eof, self.delim) {
                Step::Need => return Err(NEED),
                Step::Open => return Err(NOT_BYTEWISE),
                Step::Eof => {
                    self.skip_first = false;
                    return Ok(None);
                }
                Step::Blank(next) => {
                    self.pos = next;
                    self.skip_first = false;
                }
                Step::Rec(rec) => {
                    if !self.skip_first {
                        return Ok(Some(rec));
                    }
                    self.pos = rec.next;
                    self.skip_first = false;
                }
            }
        }
    }

    /// Writes one row over its record: OK, NEED (nothing consumed) or NOT_BYTEWISE.
    pub fn write_row(&mut self, row: &[&str], cells: &[&str]) -> u8 {
        if cells.len() != self.kept.len() {
            return NOT_BYTEWISE;
        }
        let rec = match self.next_record() {
            Ok(Some(rec)) => rec,
            Ok(None) => return NOT_BYTEWISE,
            Err(status) => return status,
        };
        let values: Vec<_> = rec.fields.iter().map(|f| value(&self.buf, f)).collect();
        if values.len() != row.len() || values.iter().zip(row).any(|(a, b)| a != b) {
            return NOT_BYTEWISE;
        }
        let values: Vec<&str> = values.iter().map(|v| v.as_ref()).collect();
        rewrite(&mut self.out, &self.buf, &rec, &values, cells, &self.kept, self.delim);
        self.pos = rec.next;
        OK
    }

    /// OK when no record is left, NEED, or NOT_BYTEWISE (a record the row reader did not give).
    pub fn finish(&mut self) -> u8 {
        match self.next_record() {
            Ok(None) => OK,
            Ok(Some(_)) => NOT_BYTEWISE,
            Err(status) => status,
        }
    }

    pub fn take(&mut self) -> String {
        std::mem::take(&mut self.out)
    }
}

fn strs<'py>(list: &Bound<'py, PyAny>) -> PyResult<Vec<Bound<'py, PyString>>> {
    let list = list.cast::<PyList>()?;
    list.iter().map(|item| item.cast_into::<PyString>().map_err(PyErr::from)).collect()
}

/// The byte copy of one part (see `engine/phi/native_deid.py`).
#[pyclass(module = "engine._native")]
pub struct ByteCopy {
    inner: Copier,
}

#[pymethods]
impl ByteCopy {
    /// `delimiter`: one ASCII character; `kept`: input indexes of the output columns.
    #[new]
    fn new(delimiter: &str, kept: Vec<usize>, skip_first: bool) -> PyResult<Self> {
        let d = delimiter.as_bytes();
        if d.len() != 1 || d[0] == b'"' || d[0] == b'\r' || d[0] == b'\n' {
            return Err(pyo3::exceptions::PyValueError::new_err("the byte copy takes one ASCII delimiter"));
        }
        Ok(ByteCopy { inner: Copier::new(d[0], kept, skip_first) })
    }

    /// More of the part's text; `""`: the end.
    fn feed(&mut self, text: &str) {
        self.inner.feed(text);
    }

    /// Writes `rows[start:]` over their records (each with its output cells `outs[n]`); returns
    /// `(next, status)`: the first row not written and OK, NEED (feed, then call again from
    /// `next`) or NOT_BYTEWISE.
    fn write_rows(&mut self, rows: &Bound<'_, PyList>, outs: &Bound<'_, PyList>, start: usize) -> PyResult<(usize, u8)> {
        let n = rows.len().min(outs.len());
        for k in start..n {
            let row = strs(&rows.get_item(k)?)?;
            let out = strs(&outs.get_item(k)?)?;
            let row: Vec<&str> = row.iter().map(|s| s.to_str()).collect::<PyResult<_>>()?;
            let out: Vec<&str> = out.iter().map(|s| s.to_str()).collect::<PyResult<_>>()?;
            let inner = &mut self.inner;
            let status = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| inner.write_row(&row, &out)))
                .map_err(|_| pyo3::exceptions::PyValueError::new_err("the byte copy failed (a bug in the core)"))?;
            if status != OK {
                return Ok((k, status));
            }
        }
        Ok((n, OK))
    }

    fn finish(&mut self) -> PyResult<u8> {
        let inner = &mut self.inner;
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| inner.finish()))
            .map_err(|_| pyo3::exceptions::PyValueError::new_err("the byte copy failed (a bug in the core)"))
    }

    /// The copy written since the last call.
    fn take(&mut self) -> String {
        self.inner.take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn copy(text: &str, rows: &[(&[&str], &[&str])], kept: &[usize]) -> (String, u8) {
        let mut c = Copier::new(b',', kept.to_vec(), false);
        c.feed(text);
        c.feed("");
        for (row, out) in rows {
            let s = c.write_row(row, out);
            if s != OK {
                return (c.take(), s);
            }
        }
        let s = c.finish();
        (c.take(), s)
    }

    #[test]
    fn keeps_raw_cells_and_line_ends() {
        let text = "\"a\",b\r\n\n\"x\"\"y\",\"z\nw\"\r";
        let rows: [(&[&str], &[&str]); 2] = [(&["a", "b"], &["a", "B"]), (&["x\"y", "z\nw"], &["x\"y", "z\nw"])];
        let (out, s) = copy(text, &rows, &[0, 1]);
        assert_eq!(s, OK);
        assert_eq!(out, "\"a\",B\r\n\"x\"\"y\",\"z\nw\"\r");
    }

    #[test]
    fn dropped_columns_and_quoting() {
        let (out, s) = copy("a,\"b\",c\n", &[(&["a", "b", "c"], &["x,y", "c"])], &[1, 2]);
        assert_eq!((out.as_str(), s), ("\"x,y\",c\n", OK));
        let (out, _) = copy("a,b\n", &[(&["a", "b"], &[""])], &[0]);
        assert_eq!(out, "\"\"\n");
    }

    #[test]
    fn open_quote_and_mismatch() {
        assert_eq!(copy("\"ab\"\"", &[(&["ab"], &["ab"])], &[0]).1, NOT_BYTEWISE);
        assert_eq!(copy("a,b\n", &[(&["a", "c"], &["a", "c"])], &[0, 1]).1, NOT_BYTEWISE);
        assert_eq!(copy("a\nb\n", &[(&["a"], &["a"])], &[0]).1, NOT_BYTEWISE);
    }

    #[test]
    fn needs_more_at_block_ends() {
        for text in ["\"a", "\"a\"", "a", "a\r"] {
            assert_eq!(parse(text.as_bytes(), 0, false, b','), Step::Need, "{text:?}");
        }
        assert_eq!(parse(b"\"a\"b,c\n", 0, false, b','), Step::Rec(Rec {
            fields: vec![Field { start: 0, close: Some(2), end: 4 }, Field { start: 5, close: None, end: 6 }],
            body_end: 6,
            next: 7,
        }));
    }
}
