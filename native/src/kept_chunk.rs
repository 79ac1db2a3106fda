//! One CSV/TSV chunk's findings that a caller does not accept, without a digest or a finding object each.
//!
//! The rescan of a de-identified copy counts, by column and category, the findings that are not
//! accepted there by design (a shifted date in a shifted column is expected). On a dense copy
//! nearly every finding is accepted, so building each one in Python only to drop it was most of
//! the rescan's time. This runs the chunk pass of `scan_chunk.rs` (the same walk, cue spans,
//! column filter and labelled cells) with no key, drops the accepted findings in the core and
//! returns only the others, in the order Python's merge gives them. Python's twin is
//! `engine.phi.scanner.scan_range_kept`'s reference path: `scan_range` filtered by category.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::scan_chunk::{category_name as category, checked_pass, Cat, Found};
use crate::{cells, Column, MapArg, Matcher};

/// A kept finding: `(category, row index in the chunk, column index)`.
type KeptFinding = (String, usize, usize);

/// Whether `name` is accepted in column `col`: `accepted[col]`, or its last entry past the header.
fn is_accepted(accepted: &[Vec<String>], col: usize, name: &str) -> bool {
    let names = accepted.get(col).filter(|_| col + 1 < accepted.len()).or(accepted.last());
    names.is_some_and(|names| names.iter().any(|a| a == name))
}

/// The findings of one chunk of whole CSV/TSV rows that are not accepted where they lie, as
/// `(category, row index in the chunk, column index)`, and the number of rows in the chunk.
///
/// The arguments are `encode_table_chunk`'s, less the encoder, the header, the row and byte
/// bases and the digester: `accepted[i]` are the categories accepted in column `i` of the
/// header and its last entry those accepted in a column past it (so it has one entry more than
/// the header). `judge(cells)` is called once, only when a labelled cell the core cannot judge
/// lies in a column whose category is not accepted there: `cells` are `(position in columns,
/// row index, value start, value end)` of the original bytes and it returns whether each is a
/// finding. The order is the merged findings' (value start, then pattern before cell).
#[pyfunction]
#[pyo3(signature = (matcher, data, delim, extras, cues, only, columns, accepted, ask, judge, original = None,
                    mapping = None))]
#[allow(clippy::too_many_arguments)]
pub fn kept_table_chunk<'py>(
    py: Python<'py>,
    matcher: PyRef<'py, Matcher>,
    data: &[u8],
    delim: u8,
    extras: Vec<(usize, usize, usize)>,
    cues: Vec<(String, String)>,
    only: Option<Vec<bool>>,
    columns: Vec<(usize, PyRef<'py, Column>)>,
    accepted: Vec<Vec<String>>,
    ask: Py<PyAny>,
    judge: Py<PyAny>,
    original: Option<&[u8]>,
    mapping: Option<MapArg>,
) -> PyResult<(Vec<KeptFinding>, usize)> {
    if accepted.is_empty() {
        return Err(PyValueError::new_err("accepted needs an entry past the header"));
    }
    let cols: Vec<(usize, &cells::Column)> = columns.iter().map(|(c, rule)| (*c, &rule.inner)).collect();
    let m: &Matcher = &matcher;
    let done = checked_pass(py, m, data, original, mapping, delim, &extras, &cues, &ask, only.as_deref(), &cols, None)?;
    let kept = |f: &Found| !is_accepted(&accepted, f.col, category(m, &cues, &cols, f.cat));
    let mut found: Vec<Found> = done.found.into_iter().filter(kept).collect();
    // Without a key every accepted labelled cell is left in `cells`, decided: it is a finding.
    let mut ask_cells = Vec::new();
    for (&(k, r, vs, ve, decided), &col) in done.cells.iter().zip(&done.cell_cols) {
        if is_accepted(&accepted, col, cols[k].1.category()) {
            continue;
        }
        let f = Found { key: (vs << 1) | 1, cat: Cat::Cell(k), r, col, vs, ve, digest: None };
        if decided {
            found.push(f);
        } else {
            ask_cells.push(f);
        }
    }
    let nrows = done.nrows;
    if !ask_cells.is_empty() {
        let asked: Vec<(usize, usize, usize, usize)> = ask_cells
            .iter()
            .map(|f| match f.cat {
                Cat::Cell(k) => (k, f.r, f.vs, f.ve),
                _ => unreachable!("only labelled cells are asked"),
            })
            .collect();
        let verdicts: Vec<bool> = judge.bind(py).call1((asked,))?.extract()?;
        if verdicts.len() != ask_cells.len() {
            return Err(PyValueError::new_err("one verdict per cell"));
        }
        found.extend(ask_cells.into_iter().zip(verdicts).filter_map(|(f, yes)| yes.then_some(f)));
    }
    if found.iter().any(|f| matches!(f.cat, Cat::Cell(_))) {
        // Stable, as Python's sort of the same keys; the pattern and cue findings are already in
        // key order (merged matches do not overlap), so sorting a subset keeps Python's order.
        found.sort_by_key(|f| f.key);
    }
    let out = found.iter().map(|f| (category(m, &cues, &cols, f.cat).to_owned(), f.r, f.col)).collect();
    Ok((out, nrows))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_by_column_and_past_the_header() {
        let accepted = vec![vec!["DATE".to_owned()], vec![], vec!["ZIP".to_owned()]];
        assert!(is_accepted(&accepted, 0, "DATE"));
        assert!(!is_accepted(&accepted, 0, "SSN"));
        assert!(!is_accepted(&accepted, 1, "DATE"));
        assert!(!is_accepted(&accepted, 2, "DATE")); // past the header: the last entry
        assert!(is_accepted(&accepted, 2, "ZIP"));
        assert!(is_accepted(&accepted, 7, "ZIP"));
        assert!(!is_accepted(&[], 0, "ZIP"));
    }
}
