//! The candidate walk of `engine/phi/matcher.py` (`leftmost_accepted`) in the core.
//!
//! Candidates come sorted by (start, registry order). The first one at or after the end of the
//! last accepted match whose validators and exclusion words accept it is a match; a refused
//! one gives way to the next. A candidate the core cannot decide by itself (a prefix candidate
//! Python confirms with its own pattern, a validator or exclusion regex the core does not have,
//! a non-ASCII value) is asked of Python through `ask`: fail closed, never accepted unchecked.

use regex_automata::meta::Regex;
use regex_automata::util::syntax;
use regex_automata::{Anchored, Input};

use crate::matcher::{Candidate, Spans};
use crate::validators::Validator;

/// One accepted match: (pattern index, match start, value start, value end, match end).
pub type Match = (usize, usize, usize, usize, usize);

/// What the core knows of one pattern beyond its regex.
pub struct Plan {
    /// The pattern's validators; None when one of them is not in the core (Python decides).
    validators: Option<Vec<Validator>>,
    /// The exclusion words after a match: None (no exclusion), Some(None) (Python's only).
    reject: Option<Option<Regex>>,
}

/// A plan as Python sends it: (validator names, exclusion regex: None / Some(None) untranslated / source).
pub type PlanSpec = (Vec<String>, Option<Option<String>>);

impl Plan {
    /// Builds a plan; an exclusion source that does not compile is an error naming it.
    pub fn new(spec: &PlanSpec) -> Result<Self, String> {
        let (names, reject) = spec;
        let validators: Option<Vec<Validator>> = names.iter().map(|n| Validator::named(n)).collect();
        let reject = match reject {
            None => None,
            Some(None) => Some(None),
            Some(Some(source)) => Some(Some(
                Regex::builder()
                    .syntax(syntax::Config::new().unicode(false).utf8(false))
                    // searched only anchored (after a match): no literal prefilter to extract
                    .configure(Regex::config().utf8_empty(false).auto_prefilter(false))
                    .build(source)
                    .map_err(|e| format!("an exclusion regex does not compile in the native engine: {e}"))?,
            )),
        };
        Ok(Plan { validators, reject })
    }

    /// Accept (true), refuse (false), or None: Python must decide this match.
    fn decide(&self, data: &[u8], spans: Spans) -> Option<bool> {
        let (vs, ve, mend) = spans;
        let checks = self.validators.as_ref()?;
        let value = &data[vs..ve];
        for check in checks {
            if !check.check(value)? {
                return Some(false);
            }
        }
        match &self.reject {
            None => Some(true),
            Some(None) => None,
            Some(Some(rx)) => {
                let input = Input::new(data).range(mend..).anchored(Anchored::Yes);
                Some(!rx.is_match(input))
            }
        }
    }
}

/// The accepted matches, left to right; `ask(index, start, spans)` decides what the core cannot.
pub fn walk<E>(
    candidates: &[Candidate],
    plans: &[Plan],
    data: &[u8],
    mut ask: impl FnMut(usize, usize, Option<Spans>) -> Result<Option<Spans>, E>,
) -> Result<Vec<Match>, E> {
    let mut out = Vec::new();
    let mut pos = 0;
    for &(start, index, spans) in candidates {
        if start < pos {
            continue;
        }
        let decided = match spans {
            Some(s) => match plans[index].decide(data, s) {
                Some(true) => Some(s),
                Some(false) => None,
                None => ask(index, start, Some(s))?,
            },
            None => ask(index, start, None)?,
        };
        let Some((vs, ve, mend)) = decided else { continue };
        out.push((index, start, vs, ve, mend));
        pos = if mend > start { mend } else { start + 1 };
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(names: &[&str], reject: Option<Option<&str>>) -> Plan {
        let names = names.iter().map(|s| s.to_string()).collect();
        Plan::new(&(names, reject.map(|r| r.map(str::to_string)))).unwrap()
    }

    #[test]
    fn refused_candidate_gives_way_and_undecided_ones_are_asked() {
        let data = b"123-45-6789 x";
        let plans = [plan(&["ssn"], None), plan(&[], None), plan(&["name_pair"], None)];
        let cands = vec![(0, 0, Some((0, 11, 11))), (0, 1, Some((0, 3, 3))), (4, 2, Some((4, 6, 6)))];
        let mut asked = Vec::new();
        let got = walk::<()>(&cands, &plans, data, |i, s, sp| {
            asked.push((i, s));
            Ok(sp)
        })
        .unwrap();
        // 123-45-6789 is a voided SSN: the second pattern takes the position
        assert_eq!(got, vec![(1, 0, 0, 3, 3), (2, 4, 4, 6, 6)]);
        assert_eq!(asked, vec![(2, 4)]);
    }

    #[test]
    fn exclusion_words_refuse() {
        let data = b"4 mg";
        let plans = [plan(&[], Some(Some(r"[ \t]*(?i:mg)(?:[^A-Za-z]|\z)")))];
        let got = walk::<()>(&[(0, 0, Some((0, 1, 1)))], &plans, data, |_, _, _| Ok(None)).unwrap();
        assert!(got.is_empty());
        assert!(Plan::new(&(vec![], Some(Some("(".into())))).is_err());
    }
}
