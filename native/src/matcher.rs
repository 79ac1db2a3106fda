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

use std::sync::OnceLock;

use regex_automata::meta::Regex;
use regex_automata::nfa::thompson::WhichCaptures;
use regex_automata::util::captures::Captures;
use regex_automata::util::syntax;
use regex_automata::{Anchored, Input, MatchKind, PatternSet};

use crate::labelled;

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
    /// A labelled pattern the core decides from the registry's declared fields (`labelled.rs`).
    label: Option<labelled::Rule>,
}

/// A meta regex builder; `anchored` for a regex only ever searched anchored (at a candidate's
/// start), which needs no literal prefilter: extracting one (and the reverse-inner and suffix
/// strategies it enables) is most of the compile time of a registry pattern and never used.
fn builder(kind: MatchKind, anchored: bool) -> regex_automata::meta::Builder {
    let mut b = Regex::builder();
    b.syntax(syntax::Config::new().unicode(false).utf8(false)).configure(
        Regex::config()
            .match_kind(kind)
            .utf8_empty(false)
            .auto_prefilter(!anchored)
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
    /// What the labelled patterns share, when the core decides them.
    grammar: Option<labelled::Grammar>,
    /// The patterns' sources, for `skip`.
    sources: Vec<String>,
    /// Every pattern behind one byte that not every left boundary refuses, unanchored: where
    /// the next start worth trying is (None: it does not compile; every position is tried).
    skip: OnceLock<Option<Regex>>,
}

/// A buffer this long or longer is walked with the skip search (short texts never build it).
const SKIP_MIN: usize = 4096;

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
                let regex = builder(MatchKind::LeftmostFirst, true)
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
            patterns.push(Compiled { regex, left, value, whole, label: None });
        }
        let sources: Vec<&str> = specs.iter().map(|s| s.0.as_str()).collect();
        // Only which patterns match is asked of it: no capture groups beyond the whole match.
        let mut all = builder(MatchKind::All, true);
        all.configure(Regex::config().which_captures(WhichCaptures::Implicit));
        let all = all
            .build_many(&sources)
            .map_err(|e| format!("the registry does not compile as one native automaton: {e}"))?;
        let sources = sources.iter().map(|s| s.to_string()).collect();
        Ok(Matcher { patterns, all, first, blocked, grammar: None, sources, skip: OnceLock::new() })
    }

    /// Lets the core decide the labelled patterns `rules` name (prefix specs until now) from
    /// the registry's declared fields; an error says which part does not compile.
    pub fn set_labelled(&mut self, grammar: &labelled::GrammarArg, rules: &[labelled::RuleArg]) -> Result<(), String> {
        self.grammar = Some(labelled::Grammar::new(grammar)?);
        for (index, labels, tail, senses) in rules {
            let Some(pat) = self.patterns.get_mut(*index) else {
                return Err(format!("a labelled rule names pattern {index}, which does not exist"));
            };
            if pat.regex.is_some() {
                return Err(format!("pattern {index} is exact: a labelled rule needs a prefix spec"));
            }
            pat.label = Some(labelled::Rule::new(labels, tail, *senses)?);
        }
        Ok(())
    }

    /// True when the tier has no patterns.
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Every (start, pattern) where the pattern may match, sorted by start, then registry order.
    pub fn candidates(&self, data: &[u8]) -> Vec<Candidate> {
        self.candidates_with(data, if data.len() >= SKIP_MIN { self.skip() } else { None })
    }

    fn candidates_with(&self, data: &[u8], skip: Option<&Regex>) -> Vec<Candidate> {
        let mut found: Vec<Candidate> = Vec::new();
        // The regexes' own per-thread cache pools: a cache is built once per thread, not per call.
        let mut caps: Vec<Option<Captures>> = self.patterns.iter().map(|_| None).collect();
        let mut set = PatternSet::new(self.patterns.len());
        let Some(skip) = skip else {
            for (start, &b) in data.iter().enumerate() {
                let before = if start > 0 { Some(data[start - 1] as usize) } else { None };
                if !self.first[b as usize] || before.is_some_and(|x| self.blocked[x]) {
                    continue;
                }
                self.at(data, start, &mut set, &mut caps, &mut found);
            }
            return found;
        };
        // Only the positions where some pattern matches behind a byte that not every left
        // boundary refuses: the same positions the loop above reaches, found by one search each.
        if !data.is_empty() && self.first[data[0] as usize] {
            self.at(data, 0, &mut set, &mut caps, &mut found);
        }
        let mut pos = 1;
        while pos < data.len() {
            let Some(m) = skip.find(Input::new(data).range(pos - 1..)) else { break };
            let start = m.start() + 1;
            self.at(data, start, &mut set, &mut caps, &mut found);
            pos = start + 1;
        }
        found
    }

    /// The unanchored search for the next start worth trying (built on the first large buffer).
    fn skip(&self) -> Option<&Regex> {
        self.skip
            .get_or_init(|| {
                let open: Vec<u8> = (0..=255u8).filter(|&b| !self.blocked[b as usize]).collect();
                if open.is_empty() {
                    return None;
                }
                let class: String = open.iter().map(|b| format!("\\x{b:02x}")).collect();
                let sources: Vec<String> = self.sources.iter().map(|s| format!("[{class}](?:{s})")).collect();
                let mut b = builder(MatchKind::LeftmostFirst, false);
                b.configure(Regex::config().which_captures(WhichCaptures::Implicit));
                b.build_many(&sources).ok()
            })
            .as_ref()
    }

    /// The candidates at `start`, appended to `found` in registry order.
    fn at(&self, data: &[u8], start: usize, set: &mut PatternSet, caps: &mut [Option<Captures>], found: &mut Vec<Candidate>) {
        let before = if start > 0 { Some(data[start - 1] as usize) } else { None };
        let input = Input::new(data).range(start..).anchored(Anchored::Yes);
        set.clear();
        self.all.which_overlapping_matches(&input, set);
        for pid in set.iter() {
            let index = pid.as_usize();
            let pat = &self.patterns[index];
            if before.is_some_and(|x| pat.left[x]) {
                continue;
            }
            if let (Some(rule), Some(g)) = (pat.label.as_ref(), self.grammar.as_ref()) {
                if let Some(spans) = rule.resolve(g, data, start) {
                    found.push((start, index, Some(spans)));
                }
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
    fn the_skip_search_finds_the_candidates_every_position_does() {
        let specs = vec![
            (r"(?P<rfm>[0-9]{3}-[0-9]{2})(?:[^0-9]|\z)".to_string(), true, alnum(), digits()),
            (r"(?P<rfm>MRN: (?P<value>[0-9]+))".to_string(), true, alnum(), b"M".to_vec()),
            (r"[0-9]".to_string(), false, alnum(), digits()),
            (r"(?P<rfm>x[a-z]*)".to_string(), true, vec![b'-'], b"x".to_vec()),
        ];
        let m = Matcher::new(&specs).unwrap();
        let mut data = Vec::new();
        let mut seed: u32 = 7;
        let pieces: [&[u8]; 9] = [b"123-45 ", b"MRN: 42", b"a1", b"xyz", b"-x", b"\xff", b"\n", b"99", b" "];
        while data.len() < 3 * SKIP_MIN {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            data.extend_from_slice(pieces[(seed >> 16) as usize % pieces.len()]);
        }
        let every = m.candidates_with(&data, None);
        assert!(every.len() > 1000);
        assert_eq!(m.candidates(&data), every);
        assert_eq!(m.candidates_with(&data[1..], m.skip()), m.candidates_with(&data[1..], None));
    }

    #[test]
    fn bad_pattern_is_an_error_not_a_panic() {
        assert!(Matcher::new(&[("(".to_string(), false, vec![], vec![])]).is_err());
        assert!(Matcher::new(&[("a".to_string(), true, vec![], vec![])]).is_err());
    }
}
