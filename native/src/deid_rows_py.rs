//! The Python binding of deidentify's row loop (`deid_rows.rs`): argument checks, the GIL
//! released while the core reads and writes a block, and a panic in the core turned into the
//! stage's input error (no traceback, no cell text in the message).

use std::panic::{catch_unwind, AssertUnwindSafe};

use pyo3::prelude::*;

use crate::deid_rows::{Rows, Spec, OK, PASS};
use crate::deid_text::IdentCol;
use crate::deid_values::{iso_answer, DateAnswer, Keyed, Rule, Values};

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

    /// The keyed values the core answers itself (see `deid_values.rs`): the pseudonym and
    /// date-shift subkeys, the largest shift, the dataset's shift, what the four kinds of value
    /// count; `rules`: by kept column `(rule, kind or aggregate, prefix, digits only, out of form,
    /// cutoff year)`, rule 0 ask Python, 1 pseudonym, 2 shift, 3 year, 4 birth year; `name`: the
    /// names' `(kind, prefix, digits only)`.
    #[allow(clippy::too_many_arguments)]
    fn values(&mut self, pseudonym_subkey: &[u8], shift_subkey: &[u8], max_shift_days: i64, dataset_shift: i64,
              counts: [String; 4], rules: Vec<(u8, String, String, bool, bool, i64)>, name: (String, String, bool))
              -> PyResult<()> {
        if !(0..=1 << 20).contains(&max_shift_days) || dataset_shift.abs() > 1 << 20 {
            return Err(pyo3::exceptions::PyValueError::new_err("a shift out of range"));
        }
        let rules = rules
            .into_iter()
            .map(|(rule, a, b, digits, bad, cutoff)| match rule {
                0 => Ok(Rule::Ask),
                1 => Ok(Rule::Pseudonym(a, b, digits, bad)),
                2 => Ok(Rule::Shift),
                3 => Ok(Rule::Year),
                4 => Ok(Rule::Dob(a, cutoff, bad)),
                _ => Err(pyo3::exceptions::PyValueError::new_err("a value rule of no known kind")),
            })
            .collect::<PyResult<Vec<_>>>()?;
        let keyed = Keyed::new(pseudonym_subkey, shift_subkey, max_shift_days);
        self.inner
            .set_values(Values { keyed, rules, name, dataset_shift, counts })
            .map_err(pyo3::exceptions::PyValueError::new_err)
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

/// The core's keyed pseudonym of an ASCII value (None: not ASCII), for the differential tests.
#[pyfunction]
pub fn deid_pseudonym(subkey: &[u8], kind: &str, prefix: &str, digits_only: bool, value: &str) -> Option<String> {
    value.is_ascii().then(|| Keyed::new(subkey, b"", 1).pseudonym(kind, prefix, digits_only, value))
}

/// The core's date shift of an ASCII subject (None: not ASCII), for the differential tests.
#[pyfunction]
pub fn deid_shift_days(subkey: &[u8], subject: &str, max_days: i64) -> Option<i64> {
    if !subject.is_ascii() || !(0..=1 << 20).contains(&max_days) {
        return None;
    }
    Keyed::new(b"", subkey, max_days).shift_days(subject)
}

/// The core's answer for an ISO date cell: shifted by `shift` days with its tail, or its year
/// (`shift` None); None where the core leaves the cell to Python.
#[pyfunction]
#[pyo3(signature = (text, shift=None))]
pub fn deid_date(text: &str, shift: Option<i64>) -> Option<String> {
    if !text.is_ascii() || shift.is_some_and(|d| d.abs() > 1 << 20) {
        return None;
    }
    match iso_answer(text, shift)? {
        DateAnswer::Shifted(out) => Some(out),
        DateAnswer::Year(y) => Some(y.to_string()),
    }
}
