//! The findings file's compact form, written in the core (`engine/phi/scan/findings_file.py` is
//! the reference and documents the form; a differential test requires identical bytes).
//!
//! One encoder writes one segment: a header line, a definition line the first time a category or
//! column appears, then one JSON array a finding with rows and offsets as differences and each
//! digest once (base64url), its repeats as a number. It also counts what phi_scan reports, so
//! Python makes no line and no count per finding.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::panic::{catch_unwind, AssertUnwindSafe};

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString, PyTuple};

use crate::cues::Fx;

/// A table keyed by a category or column name. Four lookups a finding went through SipHash; the
/// names come from the registry and the input's header (a few dozen, fixed before the rows), so
/// the multiply-rotate hash does the same job in a fraction of the time.
type Names<V> = HashMap<String, V, BuildHasherDefault<Fx>>;

/// At most this many digests of a segment get a number (as `DIGEST_TABLE` in Python).
pub const DIGEST_TABLE: usize = 65_536;
const HEADER: &[u8] = b"{\"rflow_findings\":2}\n";

/// One finding's fields other than its column, borrowed from Python's `Finding` tuple.
#[derive(Clone, Copy)]
pub struct Fields<'a> {
    pub category: &'a str,
    pub row: Option<i64>,
    pub offset: Option<i64>,
    pub length: i64,
    pub digest: &'a str,
}

/// A finding's digest: its 32 bytes, or the text Python gave (64 hex digits, or any other text).
#[derive(Clone, Copy)]
pub enum Digest<'a> {
    Raw(&'a [u8; 32]),
    Text(&'a str),
}

/// The segment state (pure Rust; the Python class wraps it).
///
/// Categories and columns get a number the first time they appear (their definition line); the
/// counts are kept by number and named only when asked for.
#[derive(Default)]
pub struct Segment {
    started: bool,
    cats: Names<usize>,
    cols: Names<usize>,
    cat_names: Vec<String>,
    col_names: Vec<String>,
    cat_counts: Vec<u64>,
    col_counts: Vec<u64>,
    /// Findings without a column (counted under `<text>`).
    text_count: u64,
    digests: HashMap<[u8; 32], usize, BuildHasherDefault<FirstBytes>>,
    literals: HashMap<String, usize>,
    row: i64,
    offset: i64,
    last_row: Option<i64>,
    pub total: u64,
    pub rows_with_findings: u64,
}

impl Segment {
    /// Appends the lines of one finding to `out`; `column` is the name as written (renamed).
    pub fn push(&mut self, out: &mut Vec<u8>, f: &Fields<'_>, column: Option<&str>) {
        let cat = self.category(out, f.category);
        let col = column.map(|name| self.column(out, name));
        self.push_numbered(out, cat, col, f.row, f.offset, f.length, Digest::Text(f.digest));
    }

    /// The number of a category, its definition line written the first time (the header before).
    pub fn category(&mut self, out: &mut Vec<u8>, name: &str) -> usize {
        self.start(out);
        let n = numbered(&mut self.cats, name, out, b"{\"category\":");
        if n == self.cat_names.len() {
            self.cat_names.push(name.to_string());
            self.cat_counts.push(0);
        }
        n
    }

    /// The number of a column (the name as written), its definition line written the first time.
    pub fn column(&mut self, out: &mut Vec<u8>, name: &str) -> usize {
        self.start(out);
        let n = numbered(&mut self.cols, name, out, b"{\"column\":");
        if n == self.col_names.len() {
            self.col_names.push(name.to_string());
            self.col_counts.push(0);
        }
        n
    }

    /// The line of one finding whose category and column (None: no column) are numbered already.
    #[allow(clippy::too_many_arguments)]
    pub fn push_numbered(
        &mut self,
        out: &mut Vec<u8>,
        cat: usize,
        col: Option<usize>,
        row: Option<i64>,
        offset: Option<i64>,
        length: i64,
        digest: Digest<'_>,
    ) {
        self.start(out);
        out.push(b'[');
        push_int(out, cat as i64);
        out.push(b',');
        match row {
            Some(r) => {
                push_int(out, i128::from(r) - i128::from(self.row));
                self.row = r;
            }
            None => out.extend_from_slice(b"null"),
        }
        out.push(b',');
        match col {
            Some(c) => push_int(out, c as i64),
            None => out.extend_from_slice(b"null"),
        }
        out.push(b',');
        match offset {
            Some(o) => {
                push_int(out, i128::from(o) - i128::from(self.offset));
                self.offset = o;
            }
            None => out.extend_from_slice(b"null"),
        }
        out.push(b',');
        push_int(out, length);
        out.push(b',');
        match digest {
            Digest::Raw(raw) => self.raw_digest(out, raw),
            Digest::Text(text) => match hex32(text) {
                Some(raw) => self.raw_digest(out, &raw),
                None => self.literal_digest(out, text),
            },
        }
        out.extend_from_slice(b"]\n");
        self.total += 1;
        if let Some(n) = self.cat_counts.get_mut(cat) {
            *n += 1;
        }
        match col {
            Some(c) => {
                if let Some(n) = self.col_counts.get_mut(c) {
                    *n += 1;
                }
            }
            None => self.text_count += 1,
        }
        if let Some(r) = row {
            if self.last_row != Some(r) {
                self.rows_with_findings += 1;
                self.last_row = Some(r);
            }
        }
    }

    /// The header line, once per segment.
    pub fn start(&mut self, out: &mut Vec<u8>) {
        if !self.started {
            out.extend_from_slice(HEADER);
            self.started = true;
        }
    }

    /// Findings by category so far.
    pub fn by_category(&self) -> Names<u64> {
        let mut out = Names::default();
        for (name, &n) in self.cat_names.iter().zip(&self.cat_counts) {
            if n > 0 {
                *out.entry(name.clone()).or_insert(0) += n;
            }
        }
        out
    }

    /// Findings by column so far (those without one under `<text>`).
    pub fn by_column(&self) -> Names<u64> {
        let mut out = Names::default();
        for (name, &n) in self.col_names.iter().zip(&self.col_counts) {
            if n > 0 {
                *out.entry(name.clone()).or_insert(0) += n;
            }
        }
        if self.text_count > 0 {
            *out.entry("<text>".to_string()).or_insert(0) += self.text_count;
        }
        out
    }

    fn raw_digest(&mut self, out: &mut Vec<u8>, raw: &[u8; 32]) {
        if let Some(n) = self.digests.get(raw) {
            push_int(out, *n as i64);
            return;
        }
        let numbered = self.digests.len() + self.literals.len();
        if numbered < DIGEST_TABLE {
            self.digests.insert(*raw, numbered);
        }
        out.push(b'"');
        base64url(out, raw);
        out.push(b'"');
    }

    fn literal_digest(&mut self, out: &mut Vec<u8>, digest: &str) {
        if let Some(n) = self.literals.get(digest) {
            push_int(out, *n as i64);
            return;
        }
        let numbered = self.digests.len() + self.literals.len();
        if numbered < DIGEST_TABLE {
            self.literals.insert(digest.to_string(), numbered);
        }
        json_string(out, &format!("~{digest}"));
    }
}

/// Hashes a digest by its first 8 bytes: HMAC outputs are uniform, and an input cannot choose
/// them without the key (so no flooding of the table).
#[derive(Default)]
struct FirstBytes(u64);

impl Hasher for FirstBytes {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for (i, b) in bytes.iter().take(8).enumerate() {
            self.0 ^= u64::from(*b) << (8 * i);
        }
    }
}

/// The 32 bytes of a 64-character lowercase hex digest, or None.
fn hex32(text: &str) -> Option<[u8; 32]> {
    let b = text.as_bytes();
    if b.len() != 64 {
        return None;
    }
    let nib = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    let mut raw = [0u8; 32];
    for (i, pair) in b.chunks_exact(2).enumerate() {
        raw[i] = (nib(pair[0])? << 4) | nib(pair[1])?;
    }
    Some(raw)
}

/// Unpadded base64url (RFC 4648 section 5), as `base64.urlsafe_b64encode(...).rstrip(b"=")`.
pub fn base64url(out: &mut Vec<u8>, data: &[u8]) {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    out.reserve(data.len().div_ceil(3) * 4);
    let whole = data.len() / 3 * 3;
    for c in data[..whole].chunks_exact(3) {
        let n = (u32::from(c[0]) << 16) | (u32::from(c[1]) << 8) | u32::from(c[2]);
        out.extend_from_slice(&[
            ABC[(n >> 18) as usize & 63],
            ABC[(n >> 12) as usize & 63],
            ABC[(n >> 6) as usize & 63],
            ABC[n as usize & 63],
        ]);
    }
    for chunk in data[whole..].chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        let emit = chunk.len() + 1;
        for i in 0..emit {
            out.push(ABC[((n >> (18 - 6 * i)) & 63) as usize]);
        }
    }
}

/// The number of `name` in `table`, its definition line written the first time (no allocation after).
fn numbered(table: &mut Names<usize>, name: &str, out: &mut Vec<u8>, line: &[u8]) -> usize {
    if let Some(n) = table.get(name) {
        return *n;
    }
    let n = table.len();
    table.insert(name.to_string(), n);
    out.extend_from_slice(line);
    json_string(out, name);
    out.extend_from_slice(b"}\n");
    n
}

/// `n` in decimal, as Python's `str(int)` writes it.
fn push_int(out: &mut Vec<u8>, n: impl Into<i128>) {
    let n: i128 = n.into();
    if n < 0 {
        out.push(b'-');
    }
    let wide = n.unsigned_abs();
    match u64::try_from(wide) {
        Ok(small) => push_u64(out, small),
        // Beyond 64 bits (never a row or an offset in practice): the standard formatting.
        Err(_) => out.extend_from_slice(wide.to_string().as_bytes()),
    }
}

/// `v` in decimal (64-bit division: the common case of `push_int`).
fn push_u64(out: &mut Vec<u8>, mut v: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

/// A JSON string exactly as Python's `json.dumps` writes it (ASCII only, `\uXXXX` escapes).
pub fn json_string(out: &mut Vec<u8>, text: &str) {
    out.push(b'"');
    for ch in text.chars() {
        match ch {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\r' => out.extend_from_slice(b"\\r"),
            '\t' => out.extend_from_slice(b"\\t"),
            '\u{8}' => out.extend_from_slice(b"\\b"),
            '\u{c}' => out.extend_from_slice(b"\\f"),
            c if (' '..='~').contains(&c) => out.push(c as u8),
            c => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.extend_from_slice(format!("\\u{unit:04x}").as_bytes());
                }
            }
        }
    }
    out.push(b'"');
}

/// One segment of a findings file, written in the core: `encode(findings) -> bytes`.
///
/// `rename` (optional) maps a column as the scan names it to the name written; it is called once
/// per distinct column.
#[pyclass(module = "engine._native")]
pub struct FindingsEncoder {
    seg: Segment,
    rename: Option<Py<PyAny>>,
    names: Names<Option<String>>,
}

impl FindingsEncoder {
    /// The name written for the column `raw` (the scan's name): `rename`'s answer, asked once per
    /// distinct column, or `raw` itself without one.
    pub(crate) fn written_name(&mut self, py: Python<'_>, raw: &str) -> PyResult<Option<String>> {
        let Some(rename) = &self.rename else {
            return Ok(Some(raw.to_owned()));
        };
        if !self.names.contains_key(raw) {
            let shown: Option<String> = rename.bind(py).call1((raw,))?.extract()?;
            self.names.insert(raw.to_owned(), shown);
        }
        Ok(self.names.get(raw).cloned().flatten())
    }

    /// The segment state, for a caller that writes findings the core found itself.
    pub(crate) fn segment(&mut self) -> &mut Segment {
        &mut self.seg
    }
}

#[pymethods]
impl FindingsEncoder {
    #[new]
    #[pyo3(signature = (rename = None))]
    fn new(rename: Option<Py<PyAny>>) -> Self {
        FindingsEncoder { seg: Segment::default(), rename, names: Names::default() }
    }

    /// The lines of `findings` (an iterable of `Finding`), the header line first in a new segment.
    ///
    /// The fields are read in place (no copy of a string per finding); a finding that is not a
    /// `Finding`-shaped tuple is a ValueError naming its position in the batch.
    fn encode<'py>(&mut self, py: Python<'py>, findings: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyBytes>> {
        let mut out = Vec::new();
        self.seg.start(&mut out);
        for (n, item) in findings.try_iter()?.enumerate() {
            let item = item?;
            let bad = |what: &str| PyValueError::new_err(format!("finding {n} of the batch: {what}"));
            let t = item.cast::<PyTuple>().map_err(|_| bad("not a tuple"))?;
            if t.len() != 6 {
                return Err(bad("not six fields"));
            }
            let (cat, col, dig) = (t.get_item(0)?, t.get_item(2)?, t.get_item(5)?);
            let fields = Fields {
                category: cat.cast::<PyString>().map_err(|_| bad("category is not a string"))?.to_str()?,
                row: t.get_item(1)?.extract()?,
                offset: t.get_item(3)?.extract()?,
                length: t.get_item(4)?.extract()?,
                digest: dig.cast::<PyString>().map_err(|_| bad("digest is not a string"))?.to_str()?,
            };
            let raw = if col.is_none() {
                None
            } else {
                Some(col.cast::<PyString>().map_err(|_| bad("column is not a string or None"))?.to_str()?)
            };
            let column = match (raw, &self.rename) {
                (Some(raw), Some(rename)) => {
                    if !self.names.contains_key(raw) {
                        let shown: Option<String> = rename.bind(py).call1((raw,))?.extract()?;
                        self.names.insert(raw.to_owned(), shown);
                    }
                    self.names.get(raw).and_then(|name| name.as_deref())
                }
                (raw, _) => raw,
            };
            let seg = &mut self.seg;
            catch_unwind(AssertUnwindSafe(|| seg.push(&mut out, &fields, column)))
                .map_err(|_| PyValueError::new_err("the findings encoder failed (a bug in the core)"))?;
        }
        Ok(PyBytes::new(py, &out))
    }

    /// `{findings_total, rows_with_findings, by_category, by_column}` so far.
    fn counts<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("findings_total", self.seg.total)?;
        d.set_item("rows_with_findings", self.seg.rows_with_findings)?;
        let cats = PyDict::new(py);
        for (k, v) in &self.seg.by_category() {
            cats.set_item(k, v)?;
        }
        let cols = PyDict::new(py);
        for (k, v) in &self.seg.by_column() {
            cols.set_item(k, v)?;
        }
        d.set_item("by_category", cats)?;
        d.set_item("by_column", cols)?;
        Ok(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f<'a>(category: &'a str, row: Option<i64>, offset: Option<i64>, digest: &'a str) -> Fields<'a> {
        Fields { category, row, offset, length: 4, digest }
    }

    #[test]
    fn lines_and_repeats() {
        let d = "ab".repeat(32);
        let mut seg = Segment::default();
        let mut out = Vec::new();
        seg.push(&mut out, &f("MRN", Some(1), Some(10), &d), Some("mrn"));
        seg.push(&mut out, &f("MRN", Some(2), Some(30), &d), Some("mrn"));
        seg.push(&mut out, &f("NAME", None, None, "x\u{e9}"), None);
        let text = String::from_utf8(out).unwrap();
        let want = "{\"rflow_findings\":2}\n{\"category\":\"MRN\"}\n{\"column\":\"mrn\"}\n\
                    [0,1,0,10,4,\"q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s\"]\n[0,1,0,20,4,0]\n\
                    {\"category\":\"NAME\"}\n[1,null,null,null,4,\"~x\\u00e9\"]\n";
        assert_eq!(text, want);
        assert_eq!(seg.rows_with_findings, 2);
    }

    #[test]
    fn ints_like_python() {
        for n in [0i128, 7, -7, 10, -10, 1234567890, i128::from(i64::MIN) * 2, i128::from(i64::MAX) * 2] {
            let mut out = Vec::new();
            push_int(&mut out, n);
            assert_eq!(String::from_utf8(out).unwrap(), n.to_string());
        }
    }

    #[test]
    fn json_escapes_like_python() {
        let mut out = Vec::new();
        json_string(&mut out, "a\"\\\u{1}\u{1f600}");
        assert_eq!(String::from_utf8(out).unwrap(), "\"a\\\"\\\\\\u0001\\ud83d\\ude00\"");
    }
}
