//! The native PHI core of rflow.
//!
//! Python (`engine/phi`) stays the reference implementation: every function here has a Python
//! twin, and a differential test requires both to give identical results. Hot loops run with the
//! GIL released so that threads scale. No panic may cross into Python: every entry point works on
//! plain byte slices and returns values, never unwraps on input data.

use std::collections::HashSet;
use std::panic::{catch_unwind, AssertUnwindSafe};

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use sha2::{Digest, Sha256};

mod bytecopy;
mod cells;
mod csvcheck;
mod csvspace;
mod cues;
mod cues_names;
mod cues_places;
mod deid_rows;
mod deid_rows_py;
mod deid_text;
mod deid_values;
mod digest;
mod finder;
mod findings;
mod golden;
mod kept_chunk;
mod labelled;
mod matcher;
mod reservoir;
mod rows;
mod scan_chunk;
mod segments;
mod table;
mod uniquekeys;
mod validators;
mod validators_dates;
mod walk;

/// The PHI registry this build was compiled against, byte for byte.
///
/// Embedding it lets Python detect a stale in-place build: the SHA-256 of this copy must equal
/// the SHA-256 of `engine/phi/registry.yaml` as installed.
const REGISTRY: &[u8] = include_bytes!("../../engine/phi/registry.yaml");

/// Hex SHA-256 of the registry file embedded at build time.
#[pyfunction]
fn registry_sha256() -> String {
    hex(&Sha256::digest(REGISTRY))
}

/// Hex HMAC-SHA-256 of `prefix + value` for every value, under `key` (RFC 2104).
///
/// One call per batch: the pads are primed once and the GIL is released while hashing.
#[pyfunction]
fn hmac_sha256_hex_many(py: Python<'_>, key: &[u8], prefix: &[u8], values: Vec<Vec<u8>>) -> Vec<String> {
    py.detach(|| {
        let mac = digest::PrimedHmac::new(key);
        values.iter().map(|v| hex(&mac.digest(prefix, v))).collect()
    })
}

/// HKDF-SHA-256 subkey of `key` for `purpose` (zero salt, RFC 5869), `length` bytes (1 to 8160).
#[pyfunction]
fn derive_subkey(key: &[u8], purpose: &[u8], length: usize) -> PyResult<Vec<u8>> {
    if !(1..=255 * 32).contains(&length) {
        return Err(PyValueError::new_err("HKDF-SHA-256 derives 1 to 8160 bytes"));
    }
    Ok(digest::hkdf_sha256(key, purpose, length))
}

/// Hex HMAC-SHA-256 of `prefix + value` under one key, the pads primed once (finding digests).
#[pyclass(frozen, module = "engine._native")]
struct Digester {
    mac: digest::PrimedHmac,
}

#[pymethods]
impl Digester {
    #[new]
    fn new(key: &[u8]) -> Self {
        Digester { mac: digest::PrimedHmac::new(key) }
    }

    /// Hex HMAC of `prefix + value` (one finding: short inputs, so the GIL is kept).
    fn __call__(&self, prefix: &[u8], value: &[u8]) -> String {
        hex(&self.mac.digest(prefix, value))
    }
}

/// Offsets just past each row's newline; a final unterminated row ends at `len`.
///
/// Rows end as Python's `csv` ends them with the delimiter `delim` (`rows.rs`): a newline inside
/// a quoted field is no row end, and a quote inside an unquoted field opens nothing.
#[pyfunction]
fn row_ends(py: Python<'_>, data: &[u8], delim: u8) -> Vec<usize> {
    py.detach(|| rows::row_ends(data, delim))
}

/// The compiled patterns of one tier (see `matcher.rs`); built once per process and tier.
///
/// With plans (each pattern's validators, exclusion words, category and normalizer) the core
/// also walks the candidates (`walk.rs`) and maps a table chunk's findings (`table.rs`).
#[pyclass(frozen, module = "engine._native")]
struct Matcher {
    inner: matcher::Matcher,
    plans: Vec<walk::Plan>,
    digests: Vec<table::DigestPlan>,
}

/// A pattern's plan as Python sends it: (validator names, has exclusion words, their regex in
/// the core's dialect or None when only Python has it, category, normalizer).
type PlanArg = (Vec<String>, bool, Option<String>, String, String);

/// `OffsetMap`'s four columns as Python sends them: normalized starts and lengths, original ones.
type MapArg = (Vec<usize>, Vec<usize>, Vec<usize>, Vec<usize>);

/// A chunk's offset map (when it was normalized) and the bytes its findings are read from: the
/// chunk itself, or its original bytes when it was matched normalized.
fn chunk_source<'a>(
    data: &'a [u8],
    original: Option<&'a [u8]>,
    mapping: Option<MapArg>,
) -> PyResult<(Option<table::OffsetMap>, &'a [u8])> {
    let map = mapping.map(|(norm_starts, norm_lens, orig_starts, orig_lens)| table::OffsetMap {
        norm_starts,
        norm_lens,
        orig_starts,
        orig_lens,
    });
    let source = match (&map, original) {
        (None, None) => data,
        (Some(m), Some(o)) if m.is_valid() => o,
        _ => return Err(PyValueError::new_err("a normalized chunk needs its original bytes and a valid offset map")),
    };
    Ok((map, source))
}

/// The ask callback: Python decides `(index, start, spans | None) -> spans | None`.
fn ask_python(
    ask: &Py<PyAny>,
    index: usize,
    start: usize,
    spans: Option<matcher::Spans>,
) -> PyResult<Option<matcher::Spans>> {
    Python::attach(|py| ask.bind(py).call1((index, start, spans))?.extract())
}

#[pymethods]
impl Matcher {
    /// Compiles `(regex, exact, left-boundary bytes, first bytes)` specs; ValueError names a pattern that fails.
    #[new]
    #[pyo3(signature = (specs, plans = None, labelled = None))]
    fn new(
        py: Python<'_>,
        specs: Vec<matcher::Spec>,
        plans: Option<Vec<PlanArg>>,
        labelled: Option<(labelled::GrammarArg, Vec<labelled::RuleArg>)>,
    ) -> PyResult<Self> {
        let plans = plans.unwrap_or_default();
        if !plans.is_empty() && plans.len() != specs.len() {
            return Err(PyValueError::new_err("one plan per pattern, or none"));
        }
        let built = py.detach(|| {
            catch_unwind(|| -> Result<Self, String> {
                let mut inner = matcher::Matcher::new(&specs)?;
                if let Some((grammar, rules)) = &labelled {
                    inner.set_labelled(grammar, rules)?;
                }
                let mut walks = Vec::with_capacity(plans.len());
                let mut digests = Vec::with_capacity(plans.len());
                for (names, excludes, source, category, norm) in &plans {
                    let reject = excludes.then(|| source.clone());
                    walks.push(walk::Plan::new(&(names.clone(), reject))?);
                    let mut prefix = category.as_bytes().to_vec();
                    prefix.push(0x1f);
                    digests.push(table::DigestPlan { prefix, norm: table::Norm::named(norm) });
                }
                Ok(Matcher { inner, plans: walks, digests })
            })
        });
        match built {
            Ok(Ok(m)) => Ok(m),
            Ok(Err(msg)) => Err(PyValueError::new_err(msg)),
            Err(_) => Err(PyValueError::new_err("the native engine failed while compiling the registry")),
        }
    }

    /// The accepted matches `(index, start, value start, value end, match end)`, left to right.
    ///
    /// The candidate walk of `matcher.leftmost_accepted` with the core's validators;
    /// `ask(index, start, spans | None)` decides what the core cannot (spans or None).
    fn walk(&self, py: Python<'_>, data: &[u8], ask: Py<PyAny>) -> PyResult<Vec<walk::Match>> {
        self.need_plans()?;
        let run = || -> PyResult<Vec<walk::Match>> {
            let cands = self.inner.candidates(data);
            walk::walk(&cands, &self.plans, data, |i, s, sp| ask_python(&ask, i, s, sp))
        };
        match py.detach(|| catch_unwind(AssertUnwindSafe(run))) {
            Ok(found) => found,
            Err(_) => Err(phi_input_error(py, format!("the native walk failed on a buffer of {} bytes", data.len()))),
        }
    }

    /// One chunk of whole CSV/TSV rows: `(kind, value start, value end, row, column, in cell,
    /// digest | None)` of every finding (see `table.rs`), `kind` the pattern index or `-1 - i`
    /// for the i-th cue span of `extras` (`(start, end)`, sorted). The GIL is released except
    /// while `ask` runs; digests come from `digester` (None: Python computes them).
    ///
    /// With `original` and `mapping` (`OffsetMap`'s four columns), `data` is the normalized
    /// chunk: matches and digests are of `data`, rows, columns and offsets of `original`.
    #[pyo3(signature = (data, delim, extras, ask, digester = None, original = None, mapping = None))]
    #[allow(clippy::too_many_arguments)]
    fn scan_table(
        &self,
        py: Python<'_>,
        data: &[u8],
        delim: u8,
        extras: Vec<(usize, usize)>,
        ask: Py<PyAny>,
        digester: Option<PyRef<'_, Digester>>,
        original: Option<&[u8]>,
        mapping: Option<MapArg>,
    ) -> PyResult<Vec<HexRow>> {
        self.need_plans()?;
        if extras.iter().any(|&(s, e)| s > e || e > data.len()) {
            return Err(PyValueError::new_err("a cue span lies outside the chunk"));
        }
        let (map, source) = chunk_source(data, original, mapping)?;
        let mac = digester.as_ref().map(|d| &d.mac);
        let run = || -> PyResult<Vec<HexRow>> {
            let cands = self.inner.candidates(data);
            let found = walk::walk(&cands, &self.plans, data, |i, s, sp| ask_python(&ask, i, s, sp))?;
            if found.iter().any(|m| m.2 > m.3 || m.3 > data.len() || m.4 > data.len() || m.1 > m.4) {
                return Err(PyValueError::new_err("a decided match lies outside the chunk"));
            }
            let merged = table::merge(&found, &extras);
            if let Some(m) = &map {
                // a mapped span must lie inside the original chunk (a bad map is an error, not a panic)
                let fits = |s: usize, e: usize| {
                    let (a, b) = m.span(s, e);
                    a <= b && b <= source.len()
                };
                if merged.iter().any(|x| !fits(x.1, x.4) || !fits(x.2, x.3)) {
                    return Err(PyValueError::new_err("the offset map sends a match outside the original chunk"));
                }
            }
            let rows = table::locate(data, source, map.as_ref(), delim, &merged, &self.digests, mac);
            Ok(rows.into_iter().map(|(k, vs, ve, r, c, cell, d, nvs, nve)| (k, vs, ve, r, c, cell, d.map(|d| hex(&d)), nvs, nve)).collect())
        };
        match py.detach(|| catch_unwind(AssertUnwindSafe(run))) {
            Ok(found) => found,
            Err(_) => Err(phi_input_error(py, format!("the native table scan failed on a chunk of {} bytes", data.len()))),
        }
    }

    /// Every `(start, pattern index, (value start, value end, match end) | None)`, sorted.
    ///
    /// None marks a start that Python confirms with its own pattern. The GIL is released while
    /// matching; a panic (a bug, never expected) becomes PhiInputError naming the data length.
    fn candidates(&self, py: Python<'_>, data: &[u8]) -> PyResult<Vec<matcher::Candidate>> {
        let inner = &self.inner;
        match py.detach(|| catch_unwind(AssertUnwindSafe(|| inner.candidates(data)))) {
            Ok(found) => Ok(found),
            Err(_) => Err(phi_input_error(py, format!("the native matcher failed on a buffer of {} bytes", data.len()))),
        }
    }
}

impl Matcher {
    fn need_plans(&self) -> PyResult<()> {
        if self.plans.is_empty() && !self.inner.is_empty() {
            return Err(PyValueError::new_err("this matcher was built without plans"));
        }
        Ok(())
    }
}

/// A labelled column's rule (see `cells.rs`), compiled once per scan.
#[pyclass(frozen, module = "engine._native")]
struct Column {
    inner: cells::Column,
}

#[pymethods]
impl Column {
    /// Compiles `(value regex, validator names, category, normalizer)`; ValueError says why not.
    #[new]
    fn new(spec: cells::ColumnSpec) -> PyResult<Self> {
        match catch_unwind(|| cells::Column::new(&spec)) {
            Ok(Ok(inner)) => Ok(Column { inner }),
            Ok(Err(msg)) => Err(PyValueError::new_err(msg)),
            Err(_) => Err(PyValueError::new_err("the native engine failed while compiling a column rule")),
        }
    }
}

/// The labelled cells of a chunk of whole rows: `(row, position in columns, value start, value
/// end, decided, digest | None)`; `columns` are `(column index, Column)` in header order, and
/// `taken` the `(row, column)` cells a pattern already found. The GIL is released.
#[pyfunction]
#[pyo3(signature = (data, delim, columns, taken, digester = None))]
fn labelled_cells(
    py: Python<'_>,
    data: &[u8],
    delim: u8,
    columns: Vec<(usize, PyRef<'_, Column>)>,
    taken: HashSet<(usize, usize)>,
    digester: Option<PyRef<'_, Digester>>,
) -> PyResult<Vec<cells::Cell>> {
    let cols: Vec<(usize, &cells::Column)> = columns.iter().map(|(c, rule)| (*c, &rule.inner)).collect();
    let mac = digester.as_ref().map(|d| &d.mac);
    match py.detach(|| catch_unwind(AssertUnwindSafe(|| cells::cells(data, delim, &cols, &taken, mac)))) {
        Ok(found) => Ok(found),
        Err(_) => Err(phi_input_error(py, format!("the native cell scan failed on a chunk of {} bytes", data.len()))),
    }
}

/// Whether validator `name` accepts `value`: None when the core does not decide it (an unknown
/// name or a non-ASCII value; Python's validator is the reference).
#[pyfunction]
fn validate(name: &str, value: &[u8]) -> Option<bool> {
    validators::validate(name, value)
}

/// The validator names the core implements.
#[pyfunction]
fn validator_names() -> Vec<&'static str> {
    validators::NAMES.to_vec()
}

/// One regex for `re.finditer`-like scans of bytes (the cue phrase lists, see `finder.rs`).
#[pyclass(frozen, module = "engine._native")]
struct Finder {
    inner: finder::Finder,
}

#[pymethods]
impl Finder {
    /// Compiles `source`; ValueError says why it does not compile.
    #[new]
    fn new(py: Python<'_>, source: &str) -> PyResult<Self> {
        let built = py.detach(|| catch_unwind(|| finder::Finder::new(source)));
        match built {
            Ok(Ok(inner)) => Ok(Finder { inner }),
            Ok(Err(msg)) => Err(PyValueError::new_err(msg)),
            Err(_) => Err(PyValueError::new_err("the native engine failed while compiling a regex")),
        }
    }

    /// `(start, end)` of every non-overlapping match, left to right; the GIL is released.
    fn spans(&self, py: Python<'_>, data: &[u8]) -> PyResult<Vec<(usize, usize)>> {
        let inner = &self.inner;
        match py.detach(|| catch_unwind(AssertUnwindSafe(|| inner.spans(data)))) {
            Ok(found) => Ok(found),
            Err(_) => Err(phi_input_error(py, format!("the native finder failed on a buffer of {} bytes", data.len()))),
        }
    }
}

fn phi_input_error(py: Python<'_>, msg: String) -> PyErr {
    match py.import("engine.phi.errors").and_then(|m| m.getattr("PhiInputError")) {
        Ok(cls) => PyErr::from_type(cls.cast_into().expect("PhiInputError is a type"), msg),
        Err(err) => err,
    }
}

/// A `table::Row` as Python reads it: the digest in lowercase hex.
type HexRow = (isize, usize, usize, usize, usize, bool, Option<String>, usize, usize);

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 0x0f) as usize] as char);
    }
    out
}

/// Whether a block of CSV/TSV records reads alike in Polars' reader and Python's `csv` module:
/// `(None, has_quotes, records, widest field in bytes, the columns stripping may change)`, or
/// `(reason, False, 0, 0, [])` (see `csvcheck`). The GIL is released.
#[pyfunction]
#[allow(clippy::type_complexity)]
fn csv_block_check(py: Python<'_>, block: &[u8], delimiter: u8, width: usize) -> (Option<&'static str>, bool, usize, usize, Vec<usize>) {
    py.detach(|| match csvcheck::check(block, delimiter, width) {
        Ok(shape) => {
            let spaced = shape.spaced.iter().enumerate().filter(|(_, &s)| s).map(|(i, _)| i).collect();
            (None, shape.quoted, shape.records, shape.widest, spaced)
        }
        Err(reason) => (Some(reason), false, 0, 0, Vec::new()),
    })
}

/// Validate's `unique` rule for one rule: remembers each key's 128-bit digest (never the key).
#[pyclass(module = "engine._native")]
struct UniqueKeys {
    inner: uniquekeys::UniqueKeys,
}

#[pymethods]
impl UniqueKeys {
    #[new]
    fn new(limit: usize) -> Self {
        UniqueKeys { inner: uniquekeys::UniqueKeys::new(limit) }
    }

    /// The positions in `keys` whose key was seen before (in order), up to the overflow.
    fn feed(&mut self, py: Python<'_>, keys: Vec<String>) -> Vec<usize> {
        py.detach(|| self.inner.feed(&keys))
    }

    /// Whether the rule stopped tracking keys at its limit.
    #[getter]
    fn overflow(&self) -> bool {
        self.inner.overflow()
    }
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(registry_sha256, m)?)?;
    m.add_function(wrap_pyfunction!(csv_block_check, m)?)?;
    m.add_function(wrap_pyfunction!(reservoir::reservoir_draw, m)?)?;
    m.add_class::<UniqueKeys>()?;
    m.add_function(wrap_pyfunction!(hmac_sha256_hex_many, m)?)?;
    m.add_function(wrap_pyfunction!(row_ends, m)?)?;
    m.add_function(wrap_pyfunction!(derive_subkey, m)?)?;
    m.add_function(wrap_pyfunction!(validate, m)?)?;
    m.add_function(wrap_pyfunction!(labelled_cells, m)?)?;
    m.add_class::<Column>()?;
    m.add_function(wrap_pyfunction!(validator_names, m)?)?;
    m.add_class::<Digester>()?;
    m.add_class::<Matcher>()?;
    m.add_class::<Finder>()?;
    m.add_class::<findings::FindingsEncoder>()?;
    m.add_class::<segments::SegmentJoin>()?;
    m.add_class::<cues::Cues>()?;
    m.add_function(wrap_pyfunction!(scan_chunk::encode_table_chunk, m)?)?;
    m.add_function(wrap_pyfunction!(kept_chunk::kept_table_chunk, m)?)?;
    m.add_class::<bytecopy::ByteCopy>()?;
    m.add_class::<deid_rows_py::DeidRows>()?;
    m.add_function(wrap_pyfunction!(deid_rows_py::deid_pseudonym, m)?)?;
    m.add_function(wrap_pyfunction!(deid_rows_py::deid_shift_days, m)?)?;
    m.add_function(wrap_pyfunction!(deid_rows_py::deid_date, m)?)?;
    Ok(())
}
