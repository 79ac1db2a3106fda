//! The Python binding of deidentify's row loop (`deid_rows.rs`): argument checks, the GIL
//! released while the core reads and writes a block, and a panic in the core turned into the
//! stage's input error (no traceback, no cell text in the message).

use std::panic::{catch_unwind, AssertUnwindSafe};

use pyo3::prelude::*;

use crate::deid_rows::{Rows, Spec, OK, PASS};
use crate::deid_text::IdentCol;

/// deidentify's row loop for one CSV/TSV part (see `stages/stage_06_deidentify/core_rows.py`).
#[pyclass(module = "engine._native")]
pub struct DeidRows {
    inner: Rows,
}

fn guarded<T>(py: Python<'_>, at: usize, f: impl FnOnce() -> T) -> PyResult<T> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|_| {
        crate::phi_input_error(py, format!("the native row loop failed near byte {at} of the part (a bug in the core)"))
    })
}

#[pymethods]
impl DeidRows {
    /// `specs`: `(input index, memo mode, form checked)` of each kept column; `idents`: `(input
    /// index, is a name, token, what to count, pseudonym)`; `subject`: the subject column's index.
    #[new]
    #[allow(clippy::too_many_arguments)]
    fn new(delimiter: &str, specs: Vec<(usize, u8, bool)>, idents: Vec<(usize, bool, String, String, bool)>,
           subject: Option<usize>, skip_first: bool, max_field_chars: usize) -> PyResult<Self> {
        let d = delimiter.as_bytes();
        if d.len() != 1 || d[0] == b'"' || d[0] == b'\r' || d[0] == b'\n' || !d[0].is_ascii() {
            return Err(pyo3::exceptions::PyValueError::new_err("the row loop takes one ASCII delimiter"));
        }
        if specs.iter().any(|s| s.1 > 3) || specs.len() >= PASS as usize {
            return Err(pyo3::exceptions::PyValueError::new_err("a column spec of no known mode"));
        }
        let count_names: Vec<String> = idents.iter().map(|i| i.3.clone()).collect();
        // What each identifier column counts, by its name's number (names may repeat).
        let mut seen: Vec<&String> = Vec::new();
        let ident_cols = idents
            .iter()
            .map(|(src, is_name, token, count, pseudonym)| {
                let id = seen.iter().position(|c| *c == count).unwrap_or_else(|| {
                    seen.push(count);
                    seen.len() - 1
                });
                IdentCol { src: *src, is_name: *is_name, token: token.clone(), count: id as u16, pseudonym: *pseudonym }
            })
            .collect();
        let specs = specs.into_iter().map(|(src, mode, checked)| Spec { src, mode, checked }).collect();
        Ok(DeidRows { inner: Rows::new(d[0], specs, ident_cols, subject, skip_first, max_field_chars, count_names) })
    }

    /// More of the part's text; `""`: the end.
    fn feed(&mut self, text: &str) {
        self.inner.feed(text);
    }

    /// Reads the records fed so far: `(status, misses, name misses, Python rows)`.
    #[allow(clippy::type_complexity)]
    fn scan(&mut self, py: Python<'_>)
            -> PyResult<(u8, Vec<(usize, String, String)>, Vec<String>, Vec<(usize, usize, Vec<String>)>)> {
        let at = self.inner.position();
        let inner = &mut self.inner;
        guarded(py, at, move || {
            let status = py.detach(|| inner.scan());
            if status != OK {
                return (status, Vec::new(), Vec::new(), Vec::new());
            }
            (OK, inner.misses(), inner.name_misses().to_vec(), inner.python_rows(false))
        })
    }

    /// Python's answers; returns the rows that only Python computes found by them.
    fn resolve(&mut self, py: Python<'_>, answers: Vec<(u8, String, Vec<String>, bool)>, names: Vec<String>)
               -> PyResult<Vec<(usize, usize, Vec<String>)>> {
        let at = self.inner.position();
        let inner = &mut self.inner;
        let done = guarded(py, at, move || inner.resolve(answers, names).map(|_| inner.python_rows(true)))?;
        done.map_err(pyo3::exceptions::PyValueError::new_err)
    }

    /// Writes the block (`outs`: `(block index, output cells)` of the Python rows); returns the
    /// form-check residues `(row number, kept column)`.
    fn write(&mut self, py: Python<'_>, outs: Vec<(usize, Vec<String>)>) -> PyResult<Vec<(usize, usize)>> {
        let at = self.inner.position();
        let inner = &mut self.inner;
        let done = guarded(py, at, move || py.detach(|| inner.write(outs)))?;
        done.map_err(pyo3::exceptions::PyValueError::new_err)
    }

    /// The copy written since the last call.
    fn take(&mut self) -> String {
        self.inner.take()
    }

    /// The data rows read so far.
    #[getter]
    fn rows(&self) -> usize {
        self.inner.rows()
    }

    /// What the core replaced, by what the stage counts.
    fn counts(&self) -> Vec<(String, u64)> {
        self.inner.counts()
    }
}
