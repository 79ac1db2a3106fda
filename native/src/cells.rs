//! Cells of labelled columns (`mrn`, `zip`...): Python's `_labelled_cells` of
//! `engine/phi/scan/table.py` for a chunk of whole rows.
//!
//! A cell a pattern already found is skipped; the others are trimmed like
//! `rows.cell_value_span` (spaces, the row terminator, surrounding quotes), fully matched
//! against the category's value regex and validated. Only ASCII cells are decided here; any
//! other cell, or a validator the core lacks, is returned undecided for Python.

use std::collections::{HashMap, HashSet};

use regex_automata::meta::Regex;
use regex_automata::util::syntax;

use crate::digest::PrimedHmac;
use crate::rows::row_ends;
use crate::table::Norm;
use crate::validators::Validator;

/// A labelled column's rule as Python sends it: (value regex, validator names, category, normalizer).
pub type ColumnSpec = (String, Vec<String>, String, String);

/// One cell: (row index, position in the column list, value start, value end, decided, digest).
/// Decided cells are accepted ones (refused cells are not returned); undecided ones are Python's.
pub type Cell = (usize, usize, usize, usize, bool, Option<String>);

pub struct Column {
    full: Regex,
    validators: Option<Vec<Validator>>,
    prefix: Vec<u8>,
    norm: Norm,
}

impl Column {
    pub fn new(spec: &ColumnSpec) -> Result<Self, String> {
        let (source, names, category, norm) = spec;
        let full = Regex::builder()
            .syntax(syntax::Config::new().unicode(false).utf8(false))
            .configure(Regex::config().utf8_empty(false).nfa_size_limit(Some(1 << 26)))
            .build(&format!(r"\A(?:{source})\z"))
            .map_err(|e| format!("a column's value regex does not compile in the native engine: {e}"))?;
        let mut prefix = category.as_bytes().to_vec();
        prefix.push(0x1f);
        Ok(Column {
            full,
            validators: names.iter().map(|n| Validator::named(n)).collect(),
            prefix,
            norm: Norm::named(norm),
        })
    }

    /// The column's category name (its digest prefix without the `\x1f`).
    pub fn category(&self) -> &str {
        std::str::from_utf8(&self.prefix[..self.prefix.len() - 1]).unwrap_or("?")
    }

    /// Accepted (Some(true)), refused (Some(false)) or Python's to decide (None).
    fn decide(&self, raw: &[u8]) -> Option<bool> {
        if !raw.is_ascii() {
            return None;
        }
        if !self.full.is_match(raw) {
            return Some(false);
        }
        for check in self.validators.as_ref()? {
            if !check.check(raw)? {
                return Some(false);
            }
        }
        Some(true)
    }
}

fn padding(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'"')
}

/// `rows.cell_value_span`: the cell without the row terminator, spaces and surrounding quotes.
fn value_span(data: &[u8], mut start: usize, mut end: usize) -> (usize, usize) {
    while end > start && matches!(data[end - 1], b'\n' | b'\r' | b' ' | b'\t') {
        end -= 1;
    }
    while start < end && matches!(data[start], b' ' | b'\t') {
        start += 1;
    }
    if end - start >= 2 && data[start] == b'"' && data[end - 1] == b'"' {
        (start + 1, end - 1)
    } else {
        (start, end)
    }
}

/// The labelled cells of every row of `data`; `columns` are (column index, rule), in header order.
pub fn cells(
    data: &[u8],
    delim: u8,
    columns: &[(usize, &Column)],
    taken: &HashSet<(usize, usize)>,
    mac: Option<&PrimedHmac>,
) -> Vec<Cell> {
    let mut out = Vec::new();
    let mut fields = Vec::new();
    let mut cache: HashMap<(usize, &[u8]), String> = HashMap::new();
    let mut prev = 0;
    for (r, end) in row_ends(data, delim).into_iter().enumerate() {
        crate::rows::field_starts(data, prev, end, delim, &mut fields);
        prev = end;
        for (k, &(col, rule)) in columns.iter().enumerate() {
            if col >= fields.len() || taken.contains(&(r, col)) {
                continue;
            }
            let cs = fields[col];
            let ce = if col + 1 < fields.len() { fields[col + 1] - 1 } else { end };
            if ce <= cs {
                continue;
            }
            let (vs, ve) = if padding(data[cs]) || matches!(data[ce - 1], b' ' | b'\t' | b'"' | b'\r' | b'\n') {
                value_span(data, cs, ce)
            } else {
                (cs, ce)
            };
            if ve <= vs {
                continue;
            }
            let raw = &data[vs..ve];
            match rule.decide(raw) {
                Some(false) => {}
                None => out.push((r, k, vs, ve, false, None)),
                Some(true) => {
                    let digest = mac.and_then(|mac| {
                        if let Some(hit) = cache.get(&(k, raw)) {
                            return Some(hit.clone());
                        }
                        let hex = crate::hex(&mac.digest(&rule.prefix, &rule.norm.apply(raw)?));
                        cache.insert((k, raw), hex.clone());
                        Some(hex)
                    });
                    out.push((r, k, vs, ve, true, digest));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trimmed_matched_validated_and_taken_cells_skipped() {
        let zip = Column::new(&("[0-9]{5}".into(), vec![], "ZIP".into(), "digits".into())).unwrap();
        let ssn = Column::new(&("[0-9-]+".into(), vec!["ssn_digits".into()], "SSN".into(), "digits".into())).unwrap();
        let odd = Column::new(&("[0-9]+".into(), vec!["name_pair".into()], "X".into(), "digits".into())).unwrap();
        let data = b"\" 02134 \",123-45-6789,7\r\n02134,12-3,8\n";
        let cols = [(0, &zip), (1, &ssn), (2, &odd)];
        let mut taken = HashSet::new();
        taken.insert((1, 0));
        let got: Vec<(usize, usize, usize, usize, bool)> =
            cells(data, b',', &cols, &taken, None).into_iter().map(|c| (c.0, c.1, c.2, c.3, c.4)).collect();
        // the quoted cell keeps its inner spaces: " 02134 " is not five digits
        assert_eq!(got, vec![(0, 1, 10, 21, true), (0, 2, 22, 23, false), (1, 2, 36, 37, false)]);
        assert!(Column::new(&("(".into(), vec![], "X".into(), "digits".into())).is_err());
    }
}
