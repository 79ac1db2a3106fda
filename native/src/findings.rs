//! The findings file's compact form, written in the core (`engine/phi/scan/findings_file.py` is
//! the reference and documents the form; a differential test requires identical bytes).
//!
//! One encoder writes one segment: a header line, a definition line the first time a category or
//! column appears, then one JSON array a finding with rows and offsets as differences and each
//! digest once (base64url), its repeats as a number. It also counts what phi_scan reports, so
//! Python makes no line and no count per finding.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

/// At most this many digests of a segment get a number (as `DIGEST_TABLE` in Python).
pub const DIGEST_TABLE: usize = 65_536;
const HEADER: &[u8] = b"{\"rflow_findings\":2}\n";

/// One finding as Python's `Finding` tuple holds it.
pub type FindingArg = (String, Option<i64>, Option<String>, Option<i64>, i64, String);

/// The segment state (pure Rust; the Python class wraps it).
#[derive(Default)]
pub struct Segment {
    started: bool,
    cats: HashMap<String, usize>,
    cols: HashMap<String, usize>,
    digests: HashMap<String, usize>,
    row: i64,
    offset: i64,
    last_row: Option<i64>,
    pub total: u64,
    pub rows_with_findings: u64,
    pub by_category: HashMap<String, u64>,
    pub by_column: HashMap<String, u64>,
}

impl Segment {
    /// Appends the lines of one finding to `out`; `column` is the name as written (renamed).
    pub fn push(&mut self, out: &mut Vec<u8>, f: &FindingArg, column: Option<&str>) {
        self.start(out);
        let (category, row, _, offset, length, digest) = f;
        let ncats = self.cats.len();
        let cat = *self.cats.entry(category.clone()).or_insert_with(|| {
            out.extend_from_slice(b"{\"category\":");
            json_string(out, category);
            out.extend_from_slice(b"}\n");
            ncats
        });
        let col = column.map(|name| {
            let ncols = self.cols.len();
            *self.cols.entry(name.to_string()).or_insert_with(|| {
                out.extend_from_slice(b"{\"column\":");
                json_string(out, name);
                out.extend_from_slice(b"}\n");
                ncols
            })
        });
        out.push(b'[');
        push_int(out, cat as i64);
        out.push(b',');
        match row {
            Some(r) => {
                push_int(out, r.wrapping_sub(self.row));
                self.row = *r;
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
                push_int(out, o.wrapping_sub(self.offset));
                self.offset = *o;
            }
            None => out.extend_from_slice(b"null"),
        }
        out.push(b',');
        push_int(out, *length);
        out.push(b',');
        self.digest(out, digest);
        out.extend_from_slice(b"]\n");
        self.total += 1;
        *self.by_category.entry(category.clone()).or_insert(0) += 1;
        *self.by_column.entry(column.unwrap_or("<text>").to_string()).or_insert(0) += 1;
        if let Some(r) = row {
            if self.last_row != Some(*r) {
                self.rows_with_findings += 1;
                self.last_row = Some(*r);
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

    fn digest(&mut self, out: &mut Vec<u8>, digest: &str) {
        if let Some(n) = self.digests.get(digest) {
            push_int(out, *n as i64);
            return;
        }
        if self.digests.len() < DIGEST_TABLE {
            let n = self.digests.len();
            self.digests.insert(digest.to_string(), n);
        }
        match hex32(digest) {
            Some(raw) => {
                out.push(b'"');
                base64url(out, &raw);
                out.push(b'"');
            }
            None => json_string(out, &format!("~{digest}")),
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
    for chunk in data.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        let emit = chunk.len() + 1;
        for i in 0..emit {
            out.push(ABC[((n >> (18 - 6 * i)) & 63) as usize]);
        }
    }
}

fn push_int(out: &mut Vec<u8>, n: i64) {
    out.extend_from_slice(n.to_string().as_bytes());
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
    names: HashMap<String, Option<String>>,
}

#[pymethods]
impl FindingsEncoder {
    #[new]
    #[pyo3(signature = (rename = None))]
    fn new(rename: Option<Py<PyAny>>) -> Self {
        FindingsEncoder { seg: Segment::default(), rename, names: HashMap::new() }
    }

    /// The lines of `findings` (a list of `Finding`), the header line first in a new segment.
    fn encode<'py>(&mut self, py: Python<'py>, findings: Vec<FindingArg>) -> PyResult<Bound<'py, PyBytes>> {
        if let Some(rename) = &self.rename {
            for f in &findings {
                if let Some(raw) = &f.2 {
                    if !self.names.contains_key(raw) {
                        let shown: Option<String> = rename.bind(py).call1((raw.as_str(),))?.extract()?;
                        self.names.insert(raw.clone(), shown);
                    }
                }
            }
        }
        let seg = &mut self.seg;
        let names = &self.names;
        let renamed = self.rename.is_some();
        let out = py.detach(|| {
            catch_unwind(AssertUnwindSafe(|| {
                let mut out = Vec::with_capacity(findings.len() * 24 + HEADER.len());
                seg.start(&mut out);
                for f in &findings {
                    let column = match &f.2 {
                        Some(raw) if renamed => names.get(raw).and_then(|n| n.as_deref()),
                        Some(raw) => Some(raw.as_str()),
                        None => None,
                    };
                    seg.push(&mut out, f, column);
                }
                out
            }))
        });
        match out {
            Ok(out) => Ok(PyBytes::new(py, &out)),
            Err(_) => Err(PyValueError::new_err("the findings encoder failed (a bug in the core)")),
        }
    }

    /// `{findings_total, rows_with_findings, by_category, by_column}` so far.
    fn counts<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("findings_total", self.seg.total)?;
        d.set_item("rows_with_findings", self.seg.rows_with_findings)?;
        let cats = PyDict::new(py);
        for (k, v) in &self.seg.by_category {
            cats.set_item(k, v)?;
        }
        let cols = PyDict::new(py);
        for (k, v) in &self.seg.by_column {
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

    fn f(cat: &str, row: Option<i64>, col: Option<&str>, off: Option<i64>, digest: &str) -> FindingArg {
        (cat.to_string(), row, col.map(str::to_string), off, 4, digest.to_string())
    }

    #[test]
    fn lines_and_repeats() {
        let d = "ab".repeat(32);
        let mut seg = Segment::default();
        let mut out = Vec::new();
        seg.push(&mut out, &f("MRN", Some(1), Some("mrn"), Some(10), &d), Some("mrn"));
        seg.push(&mut out, &f("MRN", Some(2), Some("mrn"), Some(30), &d), Some("mrn"));
        seg.push(&mut out, &f("NAME", None, None, None, "x\u{e9}"), None);
        let text = String::from_utf8(out).unwrap();
        let want = "{\"rflow_findings\":2}\n{\"category\":\"MRN\"}\n{\"column\":\"mrn\"}\n\
                    [0,1,0,10,4,\"q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s\"]\n[0,1,0,20,4,0]\n\
                    {\"category\":\"NAME\"}\n[1,null,null,null,4,\"~x\\u00e9\"]\n";
        assert_eq!(text, want);
        assert_eq!(seg.rows_with_findings, 2);
    }

    #[test]
    fn json_escapes_like_python() {
        let mut out = Vec::new();
        json_string(&mut out, "a\"\\\u{1}\u{1f600}");
        assert_eq!(String::from_utf8(out).unwrap(), "\"a\\\"\\\\\\u0001\\ud83d\\ude00\"");
    }
}
