//! Every start position where a registry pattern matches, for the scanner's candidate walk.
//!
//! Python (`engine/phi/native_match.py`) translates each compiled registry pattern into this
//! engine's dialect and passes it here, so no pattern is written twice. A pattern comes in one
//! of two forms:
//! - exact: its regex without the declared left boundary, with a `rfm` group around the part
//!   that is the match (a right boundary or required right context follows it) and an optional
//!   `value` group;
//! - prefix: a regex that matches a non-empty prefix wherever the pattern matches (its
//!   lookarounds dropped); Python confirms each start with its own `re` pattern.
//!
//! Each pattern also has its left boundary (bytes that must not precede a match) and the bytes a
//! match can start with. Every position is tried, in order, with one anchored walk of an
//! automaton holding every pattern (which of them match there); only those get a capture search.
//! The candidates come out sorted by (start, registry order), and a position inside a word (a
//! byte every left boundary refuses before it) costs one table lookup.

use regex_automata::meta::Regex;
use regex_automata::util::captures::Captures;
use regex_automata::util::syntax;
use regex_automata::{Anchored, Input, MatchKind, PatternSet};

/// Spans of an exact match: (value start, value end, match end).
pub type Spans = (usize, usize, usize);

/// One candidate: (start, pattern index, spans or None when Python must confirm it).
pub type Candidate = (usize, usize, Option<Spans>);

/// A pattern as Python sends it: (regex source, exact, left-boundary bytes, first bytes).
pub type Spec = (String, bool, Vec<u8>, Vec<u8>);

struct Compiled {
    /// The pattern alone, for its capture groups (exact patterns only: a prefix is never captured).
    regex: Option<Regex>,
    left: [bool; 256],
    value: Option<usize>,
    whole: usize,
}

fn builder(kind: MatchKind) -> regex_automata::meta::Builder {
    let mut b = Regex::builder();
    b.syntax(syntax::Config::new().unicode(false).utf8(false)).configure(
        Regex::config()
            .match_kind(kind)
            .utf8_empty(false)
            .nfa_size_limit(Some(1 << 26))
            .hybrid_cache_capacity(8 << 20),
    );
    b
}

/// The compiled patterns of one tier, in registry order.
pub struct Matcher {
    patterns: Vec<Compiled>,
    /// Every pattern in one automaton: which of them match at a position, in one walk.
    all: Regex,
    /// Bytes some match can start with.
    first: [bool; 256],
    /// Bytes that every pattern's left boundary refuses: nothing starts right after one.
    blocked: [bool; 256],
}

fn table(bytes: &[u8]) -> [bool; 256] {
    let mut t = [false; 256];
    for &b in bytes {
        t[b as usize] = true;
    }
    t
}

impl Matcher {
    /// Compiles every spec; an error names the index of the pattern that failed.
    pub fn new(specs: &[Spec]) -> Result<Self, String> {
        let mut patterns = Vec::with_capacity(specs.len());
        let mut first = [false; 256];
        let mut blocked = [true; 256];
        for (i, (source, exact, left_bytes, first_bytes)) in specs.iter().enumerate() {
            let (regex, value, whole) = if *exact {
                let regex = builder(MatchKind::LeftmostFirst)
                    .build(source)
                    .map_err(|e| format!("pattern {i} does not compile in the native engine: {e}"))?;
                let info = regex.group_info();
                let value = info.to_index(regex_automata::PatternID::ZERO, "value");
                let Some(whole) = info.to_index(regex_automata::PatternID::ZERO, "rfm") else {
                    return Err(format!("pattern {i}: an exact pattern needs an rfm group"));
                };
                (Some(regex), value, whole)
            } else {
                (None, None, 0)
            };
            let left = table(left_bytes);
            for (b, slot) in blocked.iter_mut().enumerate() {
                *slot = *slot && left[b];
            }
            for &b in first_bytes {
                first[b as usize] = true;
            }
            patterns.push(Compiled { regex, left, value, whole });
        }
        let sources: Vec<&str> = specs.iter().map(|s| s.0.as_str()).collect();
        let all = builder(MatchKind::All)
            .build_many(&sources)
            .map_err(|e| format!("the registry does not compile as one native automaton: {e}"))?;
        Ok(Matcher { patterns, all, first, blocked })
    }

    /// True when the tier has no patterns.
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Every (start, pattern) where the pattern may match, sorted by start, then registry order.
    pub fn candidates(&self, data: &[u8]) -> Vec<Candidate> {
        let mut found: Vec<Candidate> = Vec::new();
        // The regexes' own per-thread cache pools: a cache is built once per thread, not per call.
        let mut caps: Vec<Option<Captures>> = self.patterns.iter().map(|_| None).collect();
        let mut set = PatternSet::new(self.patterns.len());
        for (start, &b) in data.iter().enumerate() {
            let before = if start > 0 { Some(data[start - 1] as usize) } else { None };
            if !self.first[b as usize] || before.is_some_and(|x| self.blocked[x]) {
                continue;
            }
            let input = Input::new(data).range(start..).anchored(Anchored::Yes);
            set.clear();
            self.all.which_overlapping_matches(&input, &mut set);
            for pid in set.iter() {
                let index = pid.as_usize();
                let pat = &self.patterns[index];
                if before.is_some_and(|x| pat.left[x]) {
                    continue;
                }
                let Some(regex) = pat.regex.as_ref() else {
                    found.push((start, index, None));
                    continue;
                };
                let c = caps[index].get_or_insert_with(|| regex.create_captures());
                regex.search_captures(&input, c);
                let Some(whole) = c.get_group(pat.whole) else { continue };
                let (vs, ve) = match pat.value.and_then(|g| c.get_group(g)) {
                    Some(v) => (v.start, v.end),
                    None => (whole.start, whole.end),
                };
                found.push((start, index, Some((vs, ve, whole.end))));
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alnum() -> Vec<u8> {
        (b'0'..=b'9').chain(b'A'..=b'Z').chain(b'a'..=b'z').collect()
    }

    fn digits() -> Vec<u8> {
        (b'0'..=b'9').collect()
    }

    #[test]
    fn left_boundary_and_right_complement() {
        // An SSN-like pattern whose right boundary [0-9] is spelled as its complement.
        let spec = (r"(?P<rfm>[0-9]{3}-[0-9]{2})(?:[^0-9]|\z)".to_string(), true, alnum(), digits());
        let m = Matcher::new(&[spec]).unwrap();
        let got = m.candidates(b"x123-45 123-45 123-456 a123-45");
        assert_eq!(got, vec![(8, 0, Some((8, 14, 14)))]);
    }

    #[test]
    fn value_group_and_prefix_candidates() {
        let exact = (r"(?P<rfm>MRN: (?P<value>[0-9]+))".to_string(), true, alnum(), b"M".to_vec());
        let prefix = (r"[0-9]".to_string(), false, alnum(), digits());
        let m = Matcher::new(&[exact, prefix]).unwrap();
        let got = m.candidates(b"MRN: 42");
        assert_eq!(got, vec![(0, 0, Some((5, 7, 7))), (5, 1, None)]);
    }

    #[test]
    fn hostile_bytes_do_not_panic() {
        let spec = (r"(?P<rfm>[\x80-\xff]+)".to_string(), true, vec![], (0x80..=0xff).collect());
        let m = Matcher::new(&[spec]).unwrap();
        assert_eq!(m.candidates(b"\xff\xfe"), vec![(0, 0, Some((0, 2, 2))), (1, 0, Some((1, 2, 2)))]);
    }

    #[test]
    fn bad_pattern_is_an_error_not_a_panic() {
        assert!(Matcher::new(&[("(".to_string(), false, vec![], vec![])]).is_err());
        assert!(Matcher::new(&[("a".to_string(), true, vec![], vec![])]).is_err());
    }
}
