//! Labelled values ("MRN: 123", "zip code where she lives is 02139") decided in the core, from
//! the registry's declared fields instead of a lookaround regex.
//!
//! The Python reference compiles a labelled pattern as
//! `(?<!LEFT)(?:LABEL1 COND|LABEL2 COND|...)(?:WINDOW){0,N}SEP(?P<value>VALUE)(?!RIGHT)`
//! (`engine/phi/registry.py`, `_label_regex`) and `re` backtracks through it. This module walks
//! the same choices in the same order (labels longest first, a space of a label taking one of
//! `[ \t_-]` before none, the window's repeats greedy, each repeat's optional parts greedy) and
//! runs the lookaround-free tail `SEP(?P<value>VALUE)` + the complement of RIGHT with the
//! `regex` engine's leftmost-first search, which picks the match a backtracking engine picks. The
//! first choice whose tail matches is the match, as in `re`; a position the window reaches again
//! with as many repeats left is not tried twice (what follows depends on nothing else).
//!
//! Window words are alphanumeric (Python checks that before it hands a registry's labelled
//! patterns to the core): a word ends where its alphanumeric run ends, as `(?![A-Za-z0-9])`
//! after it requires. The label senses (`engine/phi/senses.py`) are checked here too.

use std::collections::{HashMap, HashSet};

use regex_automata::meta::Regex;
use regex_automata::util::syntax;
use regex_automata::{Anchored, Input, PatternID};

use crate::matcher::Spans;

/// The window between a label and its value: up to `max` words.
pub struct Window {
    max: usize,
    punct: [bool; 256],
    words: HashSet<Vec<u8>>,
    /// `(?:WORD)\z`: a word of the declared form (anchored at the token's start).
    word: Option<Regex>,
    /// The value's right boundary, anchored: a window word ends where a value would ("A-0101" is
    /// one token, not the word "A" and a value).
    right: Regex,
}

/// What every labelled pattern of a registry shares.
pub struct Grammar {
    after: [bool; 256],
    /// `(?:GLUED)` + the complement of RIGHT: a value glued to the label word.
    glued: Regex,
    window: Option<Window>,
    after_sense: HashMap<Vec<u8>, HashSet<Vec<u8>>>,
    before_sense: HashMap<Vec<u8>, HashSet<Vec<u8>>>,
}

/// One labelled pattern: its labels (lower case, in the reference's order) and its tail.
pub struct Rule {
    labels: Vec<Vec<u8>>,
    tail: Regex,
    value: usize,
    whole: usize,
    senses: bool,
}

/// The grammar as Python sends it: (after-label bytes, glued source, window (max words,
/// punctuation bytes, words, word source | None, right boundary source) | None, senses after,
/// senses before).
pub type GrammarArg = (
    Vec<u8>,
    String,
    Option<(usize, Vec<u8>, Vec<String>, Option<String>, String)>,
    Vec<(String, Vec<String>)>,
    Vec<(String, Vec<String>)>,
);

/// One rule as Python sends it: (pattern index, labels, tail source with `rfm` and `value`
/// groups, whether the label senses apply).
pub type RuleArg = (usize, Vec<String>, String, bool);

/// A part of a labelled pattern; every part is searched anchored, so no literal prefilter.
fn compile(source: &str) -> Result<Regex, String> {
    Regex::builder()
        .syntax(syntax::Config::new().unicode(false).utf8(false))
        .configure(Regex::config().utf8_empty(false).auto_prefilter(false))
        .build(source)
        .map_err(|e| format!("a labelled pattern's part does not compile in the native engine: {e}"))
}

fn table(bytes: &[u8]) -> [bool; 256] {
    let mut t = [false; 256];
    for &b in bytes {
        t[b as usize] = true;
    }
    t
}

fn lower_set(words: &[String]) -> HashSet<Vec<u8>> {
    words.iter().map(|w| w.as_bytes().to_ascii_lowercase()).collect()
}

fn sense_table(pairs: &[(String, Vec<String>)]) -> HashMap<Vec<u8>, HashSet<Vec<u8>>> {
    pairs.iter().map(|(w, ws)| (w.as_bytes().to_ascii_lowercase(), lower_set(ws))).collect()
}

fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Python's `str.isalpha` of a latin-1 character (bytes are read as latin-1 there).
fn latin1_alpha(b: u8) -> bool {
    b.is_ascii_alphabetic() || matches!(b, 0xaa | 0xb5 | 0xba | 0xc0..=0xd6 | 0xd8..=0xf6 | 0xf8..=0xff)
}

impl Grammar {
    /// Compiles the shared parts; an error says which does not compile.
    pub fn new(arg: &GrammarArg) -> Result<Self, String> {
        let (after, glued, window, after_sense, before_sense) = arg;
        let window = match window {
            None => None,
            Some((max, punct, words, word, right)) => Some(Window {
                max: *max,
                punct: table(punct),
                words: lower_set(words),
                word: word.as_ref().map(|w| compile(&format!("(?:{w})\\z"))).transpose()?,
                right: compile(&format!("(?:{right})"))?,
            }),
        };
        Ok(Grammar {
            after: table(after),
            glued: compile(glued)?,
            window,
            after_sense: sense_table(after_sense),
            before_sense: sense_table(before_sense),
        })
    }
}

impl Rule {
    /// Compiles one rule's tail; an error says why it cannot be.
    pub fn new(labels: &[String], tail: &str, senses: bool) -> Result<Self, String> {
        let tail = compile(tail)?;
        let info = tail.group_info();
        let whole = info.to_index(PatternID::ZERO, "rfm").ok_or("a labelled tail needs an rfm group")?;
        let value = info.to_index(PatternID::ZERO, "value").ok_or("a labelled tail needs a value group")?;
        if labels.iter().any(|l| l.is_empty() || l.starts_with(' ')) {
            return Err("a label is empty or starts with a space".into());
        }
        let labels = labels.iter().map(|l| l.as_bytes().to_ascii_lowercase()).collect();
        Ok(Rule { labels, tail, value, whole, senses })
    }

    /// The spans of this pattern's match at `start` (its left boundary already checked), when
    /// the label senses accept it; None otherwise.
    pub fn resolve(&self, g: &Grammar, data: &[u8], start: usize) -> Option<Spans> {
        let mut memo: HashSet<(usize, usize)> = HashSet::new();
        let mut found = None;
        for label in &self.labels {
            label_ends(label, data, start, &mut |end| {
                if found.is_none() && label_cond(g, label, data, end) {
                    found = self.window(g, data, end, 0, &mut memo);
                }
                found.is_some()
            });
            if found.is_some() {
                break;
            }
        }
        let spans = found?;
        if self.senses && other_sense(g, data, start, spans.0) {
            return None;
        }
        Some(spans)
    }

    /// `(?:WINDOW){k..N}` then the tail from `pos`: the first success in the reference's order.
    fn window(&self, g: &Grammar, data: &[u8], pos: usize, k: usize, memo: &mut HashSet<(usize, usize)>) -> Option<Spans> {
        if let Some(w) = &g.window {
            if k < w.max {
                for next in window_steps(w, data, pos) {
                    if memo.contains(&(next, k + 1)) {
                        continue;
                    }
                    if let Some(s) = self.window(g, data, next, k + 1, memo) {
                        return Some(s);
                    }
                    memo.insert((next, k + 1));
                }
            }
        }
        self.tail_at(data, pos)
    }

    fn tail_at(&self, data: &[u8], pos: usize) -> Option<Spans> {
        let input = Input::new(data).range(pos..).anchored(Anchored::Yes);
        let mut caps = self.tail.create_captures();
        self.tail.search_captures(&input, &mut caps);
        let whole = caps.get_group(self.whole)?;
        let value = caps.get_group(self.value)?;
        Some((value.start, value.end, whole.end))
    }
}

/// Every end of `label` matched at `start` (any case; a space takes one of `[ \t_-]`, or none),
/// in the reference's order; `yield_end` returns true to stop.
fn label_ends(label: &[u8], data: &[u8], start: usize, yield_end: &mut dyn FnMut(usize) -> bool) -> bool {
    let Some((&c, rest)) = label.split_first() else { return yield_end(start) };
    if c == b' ' {
        if data.get(start).is_some_and(|&b| matches!(b, b' ' | b'\t' | b'_' | b'-'))
            && label_ends(rest, data, start + 1, yield_end)
        {
            return true;
        }
        return label_ends(rest, data, start, yield_end);
    }
    match data.get(start) {
        Some(&b) if b.to_ascii_lowercase() == c && (c.is_ascii_alphabetic() || b == c) => {
            label_ends(rest, data, start + 1, yield_end)
        }
        _ => false,
    }
}

/// The lookaround after a label word: a label ending in a letter or digit is followed by
/// neither a letter of `after` nor a digit, or by a glued value; another one by no `after` byte.
fn label_cond(g: &Grammar, label: &[u8], data: &[u8], end: usize) -> bool {
    let next = data.get(end).copied();
    let free = next.map_or(true, |b| !g.after[b as usize]);
    if !label.last().is_some_and(|b| b.is_ascii_alphanumeric()) {
        return free;
    }
    (free && !next.is_some_and(|b| b.is_ascii_digit()))
        || g.glued.is_match(Input::new(data).range(end..).anchored(Anchored::Yes))
}

/// Where one window repeat `\.?[ \t]*(?:P[ \t]*){0,2}WORD(?![A-Za-z0-9])\)?` can end from `pos`,
/// in the reference's order (greedy parts longest first).
fn window_steps(w: &Window, data: &[u8], pos: usize) -> Vec<usize> {
    let mut out = Vec::new();
    let dots: &[usize] = if data.get(pos) == Some(&b'.') { &[1, 0] } else { &[0] };
    for &dot in dots {
        let a = pos + dot;
        let blanks = data[a.min(data.len())..].iter().take_while(|&&b| is_blank(b)).count();
        for b in (a..=a + blanks).rev() {
            punct_then_word(w, data, b, 0, &mut out);
        }
    }
    out
}

fn punct_then_word(w: &Window, data: &[u8], pos: usize, n: usize, out: &mut Vec<usize>) {
    if n < 2 && data.get(pos).is_some_and(|&b| w.punct[b as usize]) {
        let after = pos + 1;
        let blanks = data[after..].iter().take_while(|&&b| is_blank(b)).count();
        for c in (after..=after + blanks).rev() {
            punct_then_word(w, data, c, n + 1, out);
        }
    }
    if let Some(end) = word_end(w, data, pos) {
        if data.get(end) == Some(&b')') {
            out.push(end + 1);
        }
        out.push(end);
    }
}

/// The end of a window word at `pos`: its alphanumeric run, when that is a listed word (any
/// case) or of the declared form.
fn word_end(w: &Window, data: &[u8], pos: usize) -> Option<usize> {
    let run = data[pos.min(data.len())..].iter().take_while(|b| b.is_ascii_alphanumeric()).count();
    if run == 0 {
        return None;
    }
    let token = &data[pos..pos + run];
    let listed = w.words.contains(&token.to_ascii_lowercase());
    let formed = || w.word.as_ref().is_some_and(|rx| rx.is_match(Input::new(token).anchored(Anchored::Yes)));
    let ends = || !w.right.is_match(Input::new(data).range(pos + run..).anchored(Anchored::Yes));
    ((listed || formed()) && ends()).then_some(pos + run)
}

/// `LabelSenses.other_sense`: the label `data[start..value_start]` is a word in another sense.
fn other_sense(g: &Grammar, data: &[u8], start: usize, value_start: usize) -> bool {
    let label = &data[start..value_start];
    let mut words = label
        .split(|b| !b.is_ascii_alphabetic())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_ascii_lowercase());
    let Some(first) = words.next() else { return false };
    let second = words.next();
    let window = &data[value_start..(value_start + 64).min(data.len())];
    let after = g.after_sense.get(&first);
    if let (Some(second), Some(after)) = (&second, after) {
        if after.contains(second) {
            let token = window.iter().take_while(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b',' | b';' | b'|'));
            return !token.copied().any(latin1_alpha);
        }
    }
    if second.is_none() {
        if let Some(after) = after {
            if let Some(lead) = word_then_number(window) {
                if after.contains(&lead.to_ascii_lowercase()) {
                    return true;
                }
            }
        }
        if let Some(before) = g.before_sense.get(&first) {
            let from = start.saturating_sub(24);
            return previous_word(&data[from..start]).is_some_and(|w| before.contains(&w.to_ascii_lowercase()));
        }
    }
    false
}

/// `([A-Za-z]+)[ \t]+[0-9][0-9,.]*(?:[^0-9A-Za-z,.]|\Z)` at the window's start: the word.
fn word_then_number(window: &[u8]) -> Option<&[u8]> {
    let letters = window.iter().take_while(|b| b.is_ascii_alphabetic()).count();
    let blanks = window[letters..].iter().take_while(|&&b| is_blank(b)).count();
    let at = letters + blanks;
    if letters == 0 || blanks == 0 || !window.get(at).is_some_and(u8::is_ascii_digit) {
        return None;
    }
    let run = window[at..].iter().take_while(|&&b| b.is_ascii_digit() || b == b',' || b == b'.').count();
    let ok = window.get(at + run).map_or(true, |b| !b.is_ascii_alphanumeric());
    ok.then(|| &window[..letters])
}

/// `(?:^|[^A-Za-z])([A-Za-z]+)[ \t]+\Z` searched in `text`: the word before the final blanks.
fn previous_word(text: &[u8]) -> Option<&[u8]> {
    let blanks = text.iter().rev().take_while(|&&b| is_blank(b)).count();
    let end = text.len() - blanks;
    let letters = text[..end].iter().rev().take_while(|b| b.is_ascii_alphabetic()).count();
    (blanks > 0 && letters > 0).then(|| &text[end - letters..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grammar() -> Grammar {
        let words = ["is", "on", "file", "code"].iter().map(|s| s.to_string()).collect();
        let senses = vec![("zip".to_string(), vec!["lock".to_string()])];
        let before = vec![("lot".to_string(), vec!["a".to_string()])];
        Grammar::new(&(
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".to_vec(),
            r"(?:[0-9]+)(?:[^0-9A-Za-z-]|-[^0-9A-Za-z]|-\z|\z)".to_string(),
            Some((
                6,
                b",.:#=/(-".to_vec(),
                words,
                Some("[A-Za-z][a-z]{0,14}".to_string()),
                "[A-Za-z0-9]|-[A-Za-z0-9]".to_string(),
            )),
            senses,
            before,
        ))
        .unwrap()
    }

    fn rule(labels: &[&str]) -> Rule {
        let labels: Vec<String> = labels.iter().map(|s| s.to_string()).collect();
        let tail = r"(?P<rfm>[ \t]*:?[ \t]*(?P<value>[0-9]{5}))(?:[^0-9A-Za-z]|\z)";
        Rule::new(&labels, tail, true).unwrap()
    }

    #[test]
    fn labels_window_and_glued_values() {
        let g = grammar();
        let r = rule(&["zip code", "zip"]);
        assert_eq!(r.resolve(&g, b"ZIP: 02139", 0), Some((5, 10, 10)));
        assert_eq!(r.resolve(&g, b"zip_code 02139 x", 0), Some((9, 14, 14)));
        assert_eq!(r.resolve(&g, b"zip code where she lives is 02139", 0), Some((28, 33, 33)));
        assert_eq!(r.resolve(&g, b"zip02139", 0), Some((3, 8, 8)));
        assert_eq!(r.resolve(&g, b"zipper 02139", 0), None);
        assert_eq!(r.resolve(&g, b"zip 021399", 0), None);
        // a word glued to what follows by a hyphen is not a window word: "A-02139" is one token
        assert_eq!(r.resolve(&g, b"zip: A-02139", 0), None);
        assert_eq!(r.resolve(&g, b"zip: A 02139", 0), Some((7, 12, 12)));
    }

    #[test]
    fn senses_refuse_another_meaning() {
        let g = grammar();
        let r = rule(&["zip", "lot"]);
        assert_eq!(r.resolve(&g, b"zip lock 12345", 0), None);
        assert!(r.resolve(&g, b"lot 12345", 0).is_some());
        assert_eq!(r.resolve(&g, b"in a lot 12345", 5), None);
        assert_eq!(previous_word(b"in a "), Some(&b"a"[..]));
        assert_eq!(word_then_number(b"LOCK 12,345 x"), Some(&b"LOCK"[..]));
        assert_eq!(word_then_number(b"LOCK 12345x"), None);
    }

    #[test]
    fn hostile_bytes_do_not_panic() {
        let g = grammar();
        let r = rule(&["zip"]);
        for data in [&b"zip"[..], b"zip\xff", b"zip.", b"zip (.", b"zip is is is is is is is 12345", b""] {
            let _ = r.resolve(&g, data, 0);
            let _ = other_sense(&g, data, 0, data.len());
        }
    }
}
