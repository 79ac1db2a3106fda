//! The native PHI core of rflow.
//!
//! Python (`engine/phi`) stays the reference implementation: every function here has a Python
//! twin, and a differential test requires both to give identical results. Hot loops run with the
//! GIL released so that threads scale. No panic may cross into Python: every entry point works on
//! plain byte slices and returns values, never unwraps on input data.

use pyo3::prelude::*;
use sha2::{Digest, Sha256};

mod digest;
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

/// Offsets just past each row's newline, quote-aware; a final unterminated row ends at `len`.
///
/// A newline inside a double-quoted CSV field is not a row end (quote parity, as the Python
/// scanner counts it).
#[pyfunction]
fn row_ends(py: Python<'_>, data: &[u8]) -> Vec<usize> {
    py.detach(|| rows::row_ends(data))
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
    Ok(())
}
