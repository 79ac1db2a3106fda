//! One CSV/TSV chunk from its bytes to its findings lines, in one call.
//!
//! Python's twin is `engine/phi/scan/table.py` (`scan_table_chunk`) followed by the findings
//! file's encoder: the pattern matches and the cue spans merged and located (`table.rs`), the
//! column filter, the labelled columns' cells (`cells.rs`) of the cells no pattern found, both
//! merged on the integer key the Python merge sorts on (value start, then pattern before cell),
//! and every finding written into the encoder's segment (`findings.rs`), which counts it. No
//! Python object is made per finding: what the core cannot decide (a digest whose value is not
//! ASCII or whose normalizer only Python has, a labelled cell it cannot judge) is asked of
//! Python once per chunk, in one batch.

use std::collections::{HashMap, HashSet};
use std::panic::{catch_unwind, AssertUnwindSafe};

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::findings::{Digest, FindingsEncoder};
use crate::rows::row_ends;
use crate::table::{self, DigestPlan, Norm, OffsetMap};
use crate::{ask_python, cells, chunk_source, phi_input_error, walk, Column, Digester, MapArg, Matcher};

/// Where a finding's category comes from: a pattern, a cue category, a labelled column.
#[derive(Clone, Copy)]
pub(crate) enum Cat {
    Pattern(usize),
    Cue(usize),
    Cell(usize),
}

/// A finding's digest: computed in the core (its 32 bytes) or given by Python (text).
pub(crate) enum Dig {
    Raw([u8; 32]),
    Text(String),
}

/// A finding before its line.
pub(crate) struct Found {
    pub(crate) key: usize,
    pub(crate) cat: Cat,
    pub(crate) r: usize,
    pub(crate) col: usize,
    pub(crate) vs: usize,
    pub(crate) ve: usize,
    pub(crate) digest: Option<Dig>,
}

/// What a chunk's core pass leaves to Python: pattern digests `(found index, kind, scanned value
/// start, end)` and labelled cells `(found index or none, position in columns, row, value start,
/// end, decided)` with each cell's column index.
pub(crate) struct Pass {
    pub(crate) found: Vec<Found>,
    pub(crate) digests: Vec<(usize, isize, usize, usize)>,
    pub(crate) cells: Vec<(usize, usize, usize, usize, bool)>,
    pub(crate) cell_cols: Vec<usize>,
    pub(crate) nrows: usize,
}

/// The category name of a digest plan (its prefix without the `\x1f`).
fn plan_name(plan: &DigestPlan) -> &str {
    let p = &plan.prefix;
    std::str::from_utf8(&p[..p.len().saturating_sub(1)]).unwrap_or("?")
}

/// Each cue category's digest plan, from its `(name, normalizer)`.
fn cue_plans(cues: &[(String, String)]) -> Vec<DigestPlan> {
    cues.iter()
        .map(|(name, norm)| {
            let mut prefix = name.as_bytes().to_vec();
            prefix.push(0x1f);
            DigestPlan { prefix, norm: Norm::named(norm) }
        })
        .collect()
}

/// A finding's category name: its pattern's, its cue category's or its labelled column's.
pub(crate) fn category_name<'a>(
    m: &'a Matcher,
    cues: &'a [(String, String)],
    cols: &'a [(usize, &cells::Column)],
    cat: Cat,
) -> &'a str {
    match cat {
        Cat::Pattern(k) => plan_name(&m.digests[k]),
        Cat::Cue(c) => cues[c].0.as_str(),
        Cat::Cell(k) => cols[k].1.category(),
    }
}

/// The arguments checked, then [`pass`] with the GIL released (a panic is a `PhiInputError`).
#[allow(clippy::too_many_arguments)]
pub(crate) fn checked_pass(
    py: Python<'_>,
    m: &Matcher,
    data: &[u8],
    original: Option<&[u8]>,
    mapping: Option<MapArg>,
    delim: u8,
    extras: &[(usize, usize, usize)],
    cues: &[(String, String)],
    ask: &Py<PyAny>,
    only: Option<&[bool]>,
    cols: &[(usize, &cells::Column)],
    mac: Option<&crate::digest::PrimedHmac>,
) -> PyResult<Pass> {
    m.need_plans()?;
    if extras.iter().any(|&(s, e, c)| s > e || e > data.len() || c >= cues.len()) {
        return Err(PyValueError::new_err("a cue span lies outside the chunk or names no cue category"));
    }
    let (map, source) = chunk_source(data, original, mapping)?;
    let plans = cue_plans(cues);
    let run = || pass(m, data, source, map.as_ref(), delim, extras, &plans, ask, only, cols, mac);
    match py.detach(|| catch_unwind(AssertUnwindSafe(run))) {
        Ok(res) => res,
        Err(_) => Err(phi_input_error(py, format!("the native chunk scan failed on a chunk of {} bytes", data.len()))),
    }
}

/// The chunk's findings and the questions for Python (the GIL released by the caller).
///
/// Without `mac` no digest is made: every pattern and cue finding is listed in `digests` and
/// every accepted labelled cell in `cells` (decided), for a caller that needs no digest.
#[allow(clippy::too_many_arguments)]
fn pass(
    m: &Matcher,
    data: &[u8],
    source: &[u8],
    map: Option<&OffsetMap>,
    delim: u8,
    extras: &[(usize, usize, usize)],
    cue_plans: &[DigestPlan],
    ask: &Py<PyAny>,
    only: Option<&[bool]>,
    columns: &[(usize, &cells::Column)],
    mac: Option<&crate::digest::PrimedHmac>,
) -> PyResult<Pass> {
    let cands = m.inner.candidates(data);
    let found = walk::walk(&cands, &m.plans, data, |i, s, sp| ask_python(ask, i, s, sp))?;
    if found.iter().any(|x| x.2 > x.3 || x.3 > data.len() || x.4 > data.len() || x.1 > x.4) {
        return Err(PyValueError::new_err("a decided match lies outside the chunk"));
    }
    let spans: Vec<(usize, usize)> = extras.iter().map(|&(s, e, _)| (s, e)).collect();
    let merged = table::merge(&found, &spans);
    if let Some(mp) = map {
        let fits = |s: usize, e: usize| {
            let (a, b) = mp.span(s, e);
            a <= b && b <= source.len()
        };
        if merged.iter().any(|x| !fits(x.1, x.4) || !fits(x.2, x.3)) {
            return Err(PyValueError::new_err("the offset map sends a match outside the original chunk"));
        }
    }
    let rows = table::locate(data, source, map, delim, &merged, &m.digests, mac);
    let mut out = Pass { found: Vec::with_capacity(rows.len()), digests: Vec::new(), cells: Vec::new(), cell_cols: Vec::new(), nrows: 0 };
    let mut taken: HashSet<(usize, usize)> = HashSet::new();
    let mut cue_cache: HashMap<(usize, &[u8]), [u8; 32]> = HashMap::new();
    for (kind, vs, ve, r, col, in_cell, digest, nvs, nve) in rows {
        if let Some(mask) = only {
            if !mask.get(col).copied().unwrap_or(false) {
                continue;
            }
        }
        let (cat, digest) = if kind >= 0 {
            (Cat::Pattern(kind as usize), digest)
        } else {
            let plan = extras[(-1 - kind) as usize].2;
            let raw = &data[nvs..nve];
            let digest = match cue_cache.get(&(plan, raw)) {
                Some(hit) => Some(*hit),
                None => {
                    let p = &cue_plans[plan];
                    let got = mac.and_then(|mac| Some(mac.digest(&p.prefix, &p.norm.apply(raw)?)));
                    if let Some(d) = got {
                        cue_cache.insert((plan, raw), d);
                    }
                    got
                }
            };
            (Cat::Cue(plan), digest)
        };
        let digest = digest.map(Dig::Raw);
        if digest.is_none() {
            out.digests.push((out.found.len(), kind, nvs, nve));
        }
        out.found.push(Found { key: vs << 1, cat, r, col, vs, ve, digest });
        if in_cell {
            taken.insert((r, col));
        }
    }
    if !columns.is_empty() {
        for (r, k, vs, ve, decided, digest) in cells::cells(source, delim, columns, &taken, mac) {
            match (decided, digest) {
                (true, Some(d)) => out.found.push(Found {
                    key: (vs << 1) | 1,
                    cat: Cat::Cell(k),
                    r,
                    col: columns[k].0,
                    vs,
                    ve,
                    digest: Some(Dig::Text(d)),
                }),
                (decided, _) => {
                    out.cells.push((k, r, vs, ve, decided));
                    out.cell_cols.push(columns[k].0);
                }
            }
        }
    }
    out.nrows = row_ends(source, delim).len();
    Ok(out)
}

/// One chunk of whole CSV/TSV rows, encoded into `encoder`'s segment: `(lines, rows in chunk)`.
///
/// `data` is the chunk as matched (normalized when `original` and `mapping` are given, as for
/// `Matcher.scan_table`); `extras` the cue spans `(start, end, cue category)`, sorted, and
/// `cues` each cue category's `(name, normalizer)`; `header` the column names (a column past
/// them has none); `only` which columns are scanned (None: all); `columns` the labelled
/// columns `(column index, Column)` in header order; `first_row` and `base` the chunk's first
/// row number and byte offset in the file. `answer(digests, cells)` is called once, only when
/// the core left something to Python: `digests` are `(kind, value start, value end)` of the
/// scanned bytes (kind: pattern index, or `-1 - i` for the i-th cue span) and it returns their
/// digests; `cells` are `(position in columns, row index, value start, value end, decided)` of
/// the original bytes and it returns each one's digest, or None when the cell is no finding.
#[pyfunction]
#[pyo3(signature = (matcher, encoder, data, delim, extras, cues, header, only, columns, first_row, base, ask,
                    answer, digester = None, original = None, mapping = None))]
#[allow(clippy::too_many_arguments)]
pub fn encode_table_chunk<'py>(
    py: Python<'py>,
    matcher: PyRef<'py, Matcher>,
    mut encoder: PyRefMut<'py, FindingsEncoder>,
    data: &[u8],
    delim: u8,
    extras: Vec<(usize, usize, usize)>,
    cues: Vec<(String, String)>,
    header: Vec<String>,
    only: Option<Vec<bool>>,
    columns: Vec<(usize, PyRef<'py, Column>)>,
    first_row: i64,
    base: i64,
    ask: Py<PyAny>,
    answer: Py<PyAny>,
    digester: Option<PyRef<'py, Digester>>,
    original: Option<&[u8]>,
    mapping: Option<MapArg>,
) -> PyResult<(Bound<'py, PyBytes>, usize)> {
    let cols: Vec<(usize, &cells::Column)> = columns.iter().map(|(c, rule)| (*c, &rule.inner)).collect();
    let mac = digester.as_ref().map(|d| &d.mac);
    let m: &Matcher = &matcher;
    let mut done = checked_pass(py, m, data, original, mapping, delim, &extras, &cues, &ask, only.as_deref(), &cols, mac)?;
    answer_python(py, &answer, &mut done)?;
    let Pass { mut found, .. } = done;
    if found.iter().any(|f| matches!(f.cat, Cat::Cell(_))) {
        found.sort_by_key(|f| f.key); // stable, as Python's sort of the same keys
    }
    // Column names as written: the encoder's rename, asked once per distinct column.
    let mut shown: HashMap<usize, Option<String>> = HashMap::new();
    for f in &found {
        if let std::collections::hash_map::Entry::Vacant(slot) = shown.entry(f.col) {
            slot.insert(match header.get(f.col) {
                Some(raw) => encoder.written_name(py, raw)?,
                None => None,
            });
        }
    }
    let seg = encoder.segment();
    let write = || -> Result<Vec<u8>, String> {
        let mut out = Vec::with_capacity(found.len() * 24 + 64);
        seg.start(&mut out);
        // Each category's and column's number in the segment, looked up once a chunk.
        let mut pattern_no: Vec<Option<usize>> = vec![None; m.digests.len()];
        let mut cue_no: Vec<Option<usize>> = vec![None; cues.len()];
        let mut cell_no: Vec<Option<usize>> = vec![None; cols.len()];
        let mut col_no: Vec<Option<Option<usize>>> = Vec::new();
        for f in &found {
            let name = category_name(m, &cues, &cols, f.cat);
            let slot = match f.cat {
                Cat::Pattern(k) => &mut pattern_no[k],
                Cat::Cue(c) => &mut cue_no[c],
                Cat::Cell(k) => &mut cell_no[k],
            };
            let cat = match *slot {
                Some(n) => n,
                None => *slot.insert(seg.category(&mut out, name)),
            };
            if col_no.len() <= f.col {
                col_no.resize(f.col + 1, None);
            }
            let col = match col_no[f.col] {
                Some(n) => n,
                None => {
                    let n = shown.get(&f.col).and_then(|n| n.as_deref()).map(|name| seg.column(&mut out, name));
                    col_no[f.col] = Some(n);
                    n
                }
            };
            let digest = match f.digest.as_ref().ok_or("a finding without a digest")? {
                Dig::Raw(raw) => Digest::Raw(raw),
                Dig::Text(text) => Digest::Text(text),
            };
            seg.push_numbered(&mut out, cat, col, Some(first_row + f.r as i64), Some(base + f.vs as i64), (f.ve - f.vs) as i64, digest);
        }
        Ok(out)
    };
    let lines = match py.detach(|| catch_unwind(AssertUnwindSafe(write))) {
        Ok(Ok(lines)) => lines,
        Ok(Err(msg)) => return Err(PyValueError::new_err(msg)),
        Err(_) => return Err(PyValueError::new_err("the findings encoder failed (a bug in the core)")),
    };
    Ok((PyBytes::new(py, &lines), done.nrows))
}

/// Python's answers for what the core left undecided, written into the pass (cells it refuses dropped).
fn answer_python(py: Python<'_>, answer: &Py<PyAny>, done: &mut Pass) -> PyResult<()> {
    if done.digests.is_empty() && done.cells.is_empty() {
        return Ok(());
    }
    let asked: Vec<(isize, usize, usize)> = done.digests.iter().map(|&(_, k, s, e)| (k, s, e)).collect();
    let (digests, cells): (Vec<String>, Vec<Option<String>>) =
        answer.bind(py).call1((asked, done.cells.clone()))?.extract()?;
    if digests.len() != done.digests.len() || cells.len() != done.cells.len() {
        return Err(PyValueError::new_err("one answer per question"));
    }
    for (&(i, ..), d) in done.digests.iter().zip(digests) {
        done.found[i].digest = Some(Dig::Text(d));
    }
    for ((&(k, r, vs, ve, _), &col), d) in done.cells.iter().zip(&done.cell_cols).zip(cells) {
        if let Some(d) = d {
            done.found.push(Found { key: (vs << 1) | 1, cat: Cat::Cell(k), r, col, vs, ve, digest: Some(Dig::Text(d)) });
        }
    }
    Ok(())
}
