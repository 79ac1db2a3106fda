//! The native PHI core of rflow.
//!
//! Python (`engine/phi`) stays the reference implementation: every function here has a Python
//! twin, and a differential test requires both to give identical results. Hot loops run with the
//! GIL released so that threads scale. No panic may cross into Python: every entry point works on
//! plain byte slices and returns values, never unwraps on input data.

use std::panic::{catch_unwind, AssertUnwindSafe};

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use sha2::{Digest, Sha256};

mod digest;
mod finder;
mod golden;
mod matcher;
mod rows;

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

/// Offsets just past each row's newline, quote-aware; a final unterminated row ends at `len`.
///
/// A newline inside a double-quoted CSV field is not a row end (quote parity, as the Python
/// scanner counts it).
#[pyfunction]
fn row_ends(py: Python<'_>, data: &[u8]) -> Vec<usize> {
    py.detach(|| rows::row_ends(data))
}

/// The compiled patterns of one tier (see `matcher.rs`); built once per process and tier.
#[pyclass(frozen, module = "engine._native")]
struct Matcher {
    inner: matcher::Matcher,
}

#[pymethods]
impl Matcher {
    /// Compiles `(regex, exact, left-boundary bytes, first bytes)` specs; ValueError names a pattern that fails.
    #[new]
    fn new(py: Python<'_>, specs: Vec<matcher::Spec>) -> PyResult<Self> {
        let built = py.detach(|| catch_unwind(|| matcher::Matcher::new(&specs)));
        match built {
            Ok(Ok(inner)) => Ok(Matcher { inner }),
            Ok(Err(msg)) => Err(PyValueError::new_err(msg)),
            Err(_) => Err(PyValueError::new_err("the native engine failed while compiling the registry")),
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

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 0x0f) as usize] as char);
    }
    out
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(registry_sha256, m)?)?;
    m.add_function(wrap_pyfunction!(hmac_sha256_hex_many, m)?)?;
    m.add_function(wrap_pyfunction!(row_ends, m)?)?;
    m.add_function(wrap_pyfunction!(derive_subkey, m)?)?;
    m.add_class::<Digester>()?;
    m.add_class::<Matcher>()?;
    m.add_class::<Finder>()?;
    Ok(())
}
