//! Non-overlapping leftmost-first matches of one regex (the cue phrase lists), like `re.finditer`.

use regex_automata::meta::Regex;
use regex_automata::util::syntax;

/// One compiled regex over bytes (no Unicode classes: Python sends an ASCII byte dialect).
pub struct Finder {
    regex: Regex,
}

impl Finder {
    /// Compiles `source`; the error says why it does not compile.
    pub fn new(source: &str) -> Result<Self, String> {
        let regex = Regex::builder()
            .syntax(syntax::Config::new().unicode(false).utf8(false))
            .configure(Regex::config().utf8_empty(false).nfa_size_limit(Some(1 << 26)))
            .build(source)
            .map_err(|e| format!("the regex does not compile in the native engine: {e}"))?;
        Ok(Finder { regex })
    }

    /// `(start, end)` of every match, left to right, each search starting where the last ended.
    pub fn spans(&self, data: &[u8]) -> Vec<(usize, usize)> {
        self.regex.find_iter(data).map(|m| (m.start(), m.end())).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::Finder;

    #[test]
    fn leftmost_first_like_python() {
        let f = Finder::new(r"(?i:son[ \t]+in[ \t]+law|son|daughter)").unwrap();
        assert_eq!(f.spans(b"SON in  law, Daughter; sonny"), vec![(0, 11), (13, 21), (23, 26)]);
        assert!(Finder::new("(").is_err());
    }
}
