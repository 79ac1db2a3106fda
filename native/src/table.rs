//! The structured tier's per-finding work over a chunk of whole CSV/TSV rows.
//!
//! Python's twin is `engine/phi/scan/table.py` (`scan_table_chunk`): the pattern matches merged
//! with the cue rules' spans (the one that starts first wins), each mapped to its row (from the
//! quote-aware row ends) and column (from the row's quote-aware field starts), a match that joins
//! two cells dropped, and the keyed digest of its normalized value. Only ASCII values are
//! normalized here; any other value's digest is left to Python (None).

use std::collections::HashMap;

use crate::digest::PrimedHmac;
use crate::rows::{field_starts, row_ends};
use crate::validators::iso_date;
use crate::walk::Match;

/// A digest normalizer of `engine/phi/validators.py` (`NORMALIZERS`), ASCII values only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Norm {
    Digits,
    Lower,
    UpperAlnum,
    Ip,
    Text,
    DateIso,
    /// A normalizer the core does not have: Python computes the digest.
    Python,
}

impl Norm {
    pub fn named(name: &str) -> Self {
        match name {
            "digits" => Norm::Digits,
            "lower" => Norm::Lower,
            "upper_alnum" => Norm::UpperAlnum,
            "ip" => Norm::Ip,
            "text" => Norm::Text,
            "date_iso" => Norm::DateIso,
            _ => Norm::Python,
        }
    }

    /// The normalized bytes of an ASCII value, or None (Python normalizes it).
    pub fn apply(self, raw: &[u8]) -> Option<Vec<u8>> {
        if !raw.is_ascii() {
            return None;
        }
        Some(match self {
            Norm::Digits => raw.iter().copied().filter(u8::is_ascii_digit).collect(),
            Norm::Lower => raw.to_ascii_lowercase(),
            Norm::UpperAlnum => raw.iter().filter(|b| b.is_ascii_alphanumeric()).map(u8::to_ascii_uppercase).collect(),
            Norm::Ip if !raw.contains(&b':') => raw.to_ascii_lowercase(),
            Norm::Text => text(raw),
            Norm::DateIso => iso_date(raw)?,
            Norm::Ip | Norm::Python => return None,
        })
    }
}

/// `" ".join(v.replace(".", " ").replace(",", " ").lower().split())` of an ASCII value.
fn text(raw: &[u8]) -> Vec<u8> {
    let space = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c | 0x1c..=0x1f | b'.' | b',');
    let mut out = Vec::with_capacity(raw.len());
    for word in raw.split(space).filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(b' ');
        }
        out.extend(word.iter().map(u8::to_ascii_lowercase));
    }
    out
}

/// What the digest of a pattern's match needs: the `CATEGORY\x1f` prefix and the normalizer.
pub struct DigestPlan {
    pub prefix: Vec<u8>,
    pub norm: Norm,
}

/// One finding of a chunk: (kind, value start, value end, row index, column index, in its cell,
/// digest (the 32 bytes of the MAC), and the value's start and end in the scanned bytes). `kind`
/// is the pattern index, or `-1 - i` for the i-th cue span.
pub type Row = (isize, usize, usize, usize, usize, bool, Option<[u8; 32]>, usize, usize);

/// `engine.phi.normalize.OffsetMap`: changed pieces (normalized start and length, original
/// start and length), sorted; bytes between them map one to one.
pub struct OffsetMap {
    pub norm_starts: Vec<usize>,
    pub norm_lens: Vec<usize>,
    pub orig_starts: Vec<usize>,
    pub orig_lens: Vec<usize>,
}

impl OffsetMap {
    /// Whether the four columns have one length and the pieces are in order.
    pub fn is_valid(&self) -> bool {
        let n = self.norm_starts.len();
        self.norm_lens.len() == n
            && self.orig_starts.len() == n
            && self.orig_lens.len() == n
            && self.norm_starts.windows(2).all(|w| w[0] <= w[1])
    }

    fn start(&self, x: usize) -> usize {
        let k = self.norm_starts.partition_point(|&v| v <= x);
        if k == 0 {
            return x;
        }
        let (n, nl, o, ol) = self.piece(k - 1);
        if x < n + nl {
            o
        } else {
            o + ol + (x - n - nl)
        }
    }

    fn end(&self, x: usize) -> usize {
        let k = self.norm_starts.partition_point(|&v| v < x);
        if k == 0 {
            return x;
        }
        let (n, nl, o, ol) = self.piece(k - 1);
        if x - 1 < n + nl {
            o + ol
        } else {
            o + ol + (x - n - nl)
        }
    }

    fn piece(&self, k: usize) -> (usize, usize, usize, usize) {
        (self.norm_starts[k], self.norm_lens[k], self.orig_starts[k], self.orig_lens[k])
    }

    /// The original span of the normalized span `[start, end)`.
    pub fn span(&self, start: usize, end: usize) -> (usize, usize) {
        if end <= start {
            let s = self.start(start);
            return (s, s);
        }
        (self.start(start), self.end(end))
    }
}

/// Pattern matches and cue spans `(start, end)`, both sorted, merged as `matcher.iter_matches`.
pub fn merge(found: &[Match], extras: &[(usize, usize)]) -> Vec<(isize, usize, usize, usize, usize)> {
    let mut out = Vec::with_capacity(found.len() + extras.len());
    let mut k = 0;
    let mut last = 0;
    for &(index, ms, vs, ve, me) in found {
        while k < extras.len() && extras[k].0 < ms {
            let (s, e) = extras[k];
            if s >= last {
                out.push((-1 - k as isize, s, s, e, e));
                last = e;
            }
            k += 1;
        }
        if ms >= last {
            out.push((index as isize, ms, vs, ve, me));
            last = me;
        }
    }
    for (j, &(s, e)) in extras.iter().enumerate().skip(k) {
        if s >= last {
            out.push((-1 - j as isize, s, s, e, e));
            last = e;
        }
    }
    out
}

fn bisect_right(xs: &[usize], x: usize) -> usize {
    xs.partition_point(|&v| v <= x)
}

/// Rows, columns and digests of merged matches; `digests[kind]` for patterns (cue spans: None).
///
/// `scanned` is what was matched (the normalized chunk) and `data` the chunk as read; `map` takes
/// spans of the one to the other (None: they are the same bytes). Digests are of the scanned
/// value; rows and columns are the original's.
pub fn locate(
    scanned: &[u8],
    data: &[u8],
    map: Option<&OffsetMap>,
    delim: u8,
    merged: &[(isize, usize, usize, usize, usize)],
    plans: &[DigestPlan],
    mac: Option<&PrimedHmac>,
) -> Vec<Row> {
    let ends = row_ends(data, delim);
    let mut out = Vec::with_capacity(merged.len());
    let mut fields: Vec<usize> = Vec::new();
    let (mut r, mut row_end) = (0usize, 0usize);
    let mut cache: HashMap<(isize, &[u8]), [u8; 32]> = HashMap::new();
    for &(kind, nms, nvs, nve, nme) in merged {
        let ((ms, me), (vs, ve)) = match map {
            None => ((nms, nme), (nvs, nve)),
            Some(m) => (m.span(nms, nme), m.span(nvs, nve)),
        };
        if ms >= row_end || fields.is_empty() {
            r = bisect_right(&ends, ms);
            let row_start = if r > 0 { ends[r - 1] } else { 0 };
            row_end = if r < ends.len() { ends[r] } else { data.len() };
            field_starts(data, row_start, row_end, delim, &mut fields);
        }
        let col = bisect_right(&fields, vs) - 1;
        if data[ms..me].contains(&delim) && bisect_right(&fields, me - 1) != bisect_right(&fields, ms) {
            continue; // the match joins two cells
        }
        let cell_end = if col + 1 < fields.len() { fields[col + 1] - 1 } else { row_end };
        let digest = match (kind >= 0, mac) {
            (true, Some(mac)) => {
                let raw = &scanned[nvs..nve];
                match cache.get(&(kind, raw)) {
                    Some(hit) => Some(*hit),
                    None => {
                        let plan = &plans[kind as usize];
                        let mac = plan.norm.apply(raw).map(|n| mac.digest(&plan.prefix, &n));
                        if let Some(m) = mac {
                            cache.insert((kind, raw), m);
                        }
                        mac
                    }
                }
            }
            _ => None,
        };
        out.push((kind, vs, ve, r, col, vs < cell_end, digest, nvs, nve));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizers_match_python() {
        assert_eq!(Norm::Text.apply(b" Ann.  LEE,jr\x1f"), Some(b"ann lee jr".to_vec()));
        assert_eq!(Norm::UpperAlnum.apply(b"ab-12"), Some(b"AB12".to_vec()));
        assert_eq!(Norm::Ip.apply(b"::1"), None);
        assert_eq!(Norm::DateIso.apply(b"March 4, 2021"), Some(b"2021-03-04".to_vec()));
        assert_eq!(Norm::Digits.apply("1\u{e9}".as_bytes()), None);
    }

    #[test]
    fn merge_prefers_the_earlier_start_and_the_pattern_at_a_tie() {
        let found = [(0, 2, 2, 5, 5), (0, 10, 10, 12, 12)];
        let got = merge(&found, &[(0, 3), (2, 4), (11, 14), (20, 21)]);
        let kinds: Vec<isize> = got.iter().map(|m| m.0).collect();
        assert_eq!(kinds, vec![-1, 0, -4]);
    }

    #[test]
    fn rows_columns_and_joined_cells() {
        let data = b"a,\"x,y\",b\nc,d\n";
        let merged = [(0, 3, 3, 6, 6), (0, 8, 8, 9, 9), (0, 11, 11, 14, 14), (0, 12, 12, 13, 13)];
        let plans = [DigestPlan { prefix: b"X\x1f".to_vec(), norm: Norm::Lower }];
        let got = locate(data, data, None, b',', &merged, &plans, None);
        let where_: Vec<(usize, usize, bool)> = got.iter().map(|f| (f.3, f.4, f.5)).collect();
        assert_eq!(where_, vec![(0, 1, true), (0, 2, true), (1, 1, true)]);
    }

    #[test]
    fn offsets_map_back_like_python() {
        // "a\u{a0}b" normalized to "a b": the 2-byte no-break space became one space
        let m = OffsetMap { norm_starts: vec![1], norm_lens: vec![1], orig_starts: vec![1], orig_lens: vec![2] };
        assert_eq!(m.span(0, 3), (0, 4));
        assert_eq!(m.span(2, 3), (3, 4));
        assert_eq!(m.span(1, 1), (1, 1));
        assert!(m.is_valid());
    }
}
