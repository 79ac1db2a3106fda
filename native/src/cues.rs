//! The name and place cue rules (`engine/phi/cues.py`, `names.py`, `places.py`) over one text.
//!
//! Python is the reference; this is a line-by-line port with the same results (a differential
//! test compares them). The rules' data - `cues.yaml`, the name dictionaries, the gazetteer, the
//! negative lists, the character classes and the cue phrase regexes - is not written here: Python
//! loads it and hands it to `Cues::new`.
//!
//! A text is bytes, one character per byte: in bytes mode the raw bytes (viewed as latin-1, as
//! Python views them), in str mode a text whose characters all lie below U+0100 (Python sends
//! anything else to its own rules). A capitalised word with bytes above 0x7f in bytes mode is
//! its UTF-8 decoding in Python; what the rules need of it (the word, its lookup key, its upper
//! case, whether it is in capitals) comes from a Python callback, once per distinct word and call.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::panic::{catch_unwind, AssertUnwindSafe};

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::finder::Finder;

/// A set of words as Python sends it, hashed with [`Fx`].
pub type Words = HashSet<String, BuildHasherDefault<Fx>>;

/// The multiply-rotate hash of rustc's `FxHasher`: the rules look words up in fixed sets built
/// from the shipped data (never keyed by the text), where SipHash's protection buys nothing and
/// costs most of a lookup.
#[derive(Default, Clone, Copy)]
pub struct Fx(u64);

impl Fx {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for Fx {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]));
        }
        for &b in chunks.remainder() {
            self.add(u64::from(b));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// Everything the rules read, loaded by Python (see `engine/phi/native_cues.py`).
pub struct Data {
    pub titles: Words,
    pub particles: Words,
    pub fillers: Words,
    pub credentials: Words,
    pub stop: Words,
    pub negatives: Words,
    pub eponyms: Words,
    pub abbreviations: Words,
    pub suffixes: Words,
    pub english: Words,
    pub place_words: Words,
    pub county_words: Words,
    pub ambiguous_states: Words,
    pub state_codes: Words,
    pub first: HashMap<String, u64, BuildHasherDefault<Fx>>,
    pub surnames: Words,
    pub common: Words,
    pub needs_context: Words,
    pub never: Words,
    pub cities: HashMap<String, Words, BuildHasherDefault<Fx>>,
    pub any_city: Words,
    pub counties: HashMap<String, Words, BuildHasherDefault<Fx>>,
    pub any_county: Words,
    pub states: Vec<(String, String)>,
    pub state_names: Words,
    pub countries: Words,
    pub separators: Vec<u8>,
    /// Token prefixes ("al-", "d'"), longest first: the order the token regex tries them.
    pub prefixes: Vec<Vec<u8>>,
    /// The bytes a prefix starts with.
    pub prefix_first: [bool; 256],
    pub window: usize,
    pub max_words: usize,
    pub frequent_first_name: u64,
    /// `cues._key` of each character below U+0100.
    pub keys: Vec<String>,
    /// Per mode (0 str, 1 bytes): capital letters, token letters, word characters.
    pub up: [[bool; 256]; 2],
    pub letter: [[bool; 256]; 2],
    pub word: [[bool; 256]; 2],
    pub name_cues: Finder,
    pub place_cues: Finder,
    pub weak_place_cues: Finder,
}

/// What the rules need of a capitalised word (Python's `Token` and the string methods they call).
pub struct Word {
    /// The word as Python has it (UTF-8 decoded in bytes mode).
    pub word: String,
    /// `cues._key`: ASCII upper case, accents, apostrophes and dots dropped.
    pub key: String,
    /// `word.upper()`.
    pub up: String,
    /// `names._key`: the upper case without apostrophes and dots.
    pub nkey: String,
    pub caps: bool,
    /// `len(word)` in characters.
    pub nchars: usize,
}

impl Word {
    fn new(word: String, key: String, caps: bool) -> Self {
        let up = word.to_uppercase();
        Word::with_upper(word, key, up, caps)
    }

    fn with_upper(word: String, key: String, up: String, caps: bool) -> Self {
        let nkey = up.replace(['\'', '.'], "");
        let nchars = word.chars().count();
        Word { word, key, up, nkey, caps, nchars }
    }
}

/// A capitalised token `text[start..end]`.
pub struct Tok {
    pub start: usize,
    pub end: usize,
    pub possessive: bool,
    pub w: std::rc::Rc<Word>,
}

impl Tok {
    pub fn initial(&self) -> bool {
        self.w.nchars == 1
    }
}

/// A text being scanned: its bytes, tokens, and the rules' data.
pub struct Text<'a> {
    pub d: &'a Data,
    pub text: &'a [u8],
    pub mode: usize,
    pub toks: Vec<Tok>,
}

/// Python's `str.isalpha` of a character below U+0100.
pub fn is_alpha(b: u8) -> bool {
    b.is_ascii_alphabetic() || matches!(b, 0xaa | 0xb5 | 0xba) || (b >= 0xc0 && b != 0xd7 && b != 0xf7)
}

/// Python's `str.isspace` of a character below U+0100 (what `str.split()` splits on).
pub fn is_space(b: u8) -> bool {
    matches!(b, 0x09..=0x0d | 0x1c..=0x20 | 0x85 | 0xa0)
}

/// The characters of latin-1 bytes as a String.
pub fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| b as char).collect()
}

/// Python's `str.lower()` of a latin-1 string.
pub fn lower(bytes: &[u8]) -> String {
    latin1(bytes).to_lowercase()
}

/// Python's `str.capitalize()` of a latin-1 string: the first character in title case.
pub fn capitalize(bytes: &[u8]) -> String {
    let mut out = String::new();
    if let Some((&first, rest)) = bytes.split_first() {
        if first == 0xdf {
            out.push_str("Ss"); // the title case of "ß" (its upper case is "SS")
        } else {
            out.extend((first as char).to_uppercase());
        }
        out.push_str(&lower(rest));
    }
    out
}

/// `s.strip(chars)`.
pub fn strip<'b>(s: &'b [u8], chars: &[u8]) -> &'b [u8] {
    let a = s.iter().position(|c| !chars.contains(c)).unwrap_or(s.len());
    let b = s.iter().rposition(|c| !chars.contains(c)).map_or(a, |i| i + 1);
    &s[a..b.max(a)]
}

pub fn rstrip<'b>(s: &'b [u8], chars: &[u8]) -> &'b [u8] {
    let b = s.iter().rposition(|c| !chars.contains(c)).map_or(0, |i| i + 1);
    &s[..b]
}

pub fn lstrip<'b>(s: &'b [u8], chars: &[u8]) -> &'b [u8] {
    let a = s.iter().position(|c| !chars.contains(c)).unwrap_or(s.len());
    &s[a..]
}

/// `s.split()`: runs of Python whitespace.
pub fn split_ws(s: &[u8]) -> Vec<&[u8]> {
    s.split(|&b| is_space(b)).filter(|w| !w.is_empty()).collect()
}

/// The first index of `needle` in `hay` (`str.index`).
pub fn find_sub(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

impl Data {
    /// `cues._key` of a word below U+0100: the keys of its characters, joined (Python's key of
    /// one character is its NFKD form's ASCII, apostrophes and dots dropped, in upper case).
    fn key_latin1(&self, bytes: &[u8]) -> String {
        bytes.iter().map(|&b| self.keys[b as usize].as_str()).collect()
    }

    /// The `Word` of an ASCII or (str mode) latin-1 token.
    fn word_latin1(&self, bytes: &[u8]) -> Word {
        let word = latin1(bytes);
        let caps = if bytes.is_ascii() {
            bytes.len() >= 2 && bytes.iter().any(u8::is_ascii_uppercase) && !bytes.iter().any(u8::is_ascii_lowercase)
        } else {
            let letters: Vec<char> = word.chars().filter(|&c| c <= '\u{ff}' && is_alpha(c as u8)).collect();
            letters.len() >= 2 && letters.iter().all(|c| c.is_uppercase())
        };
        Word::new(word, self.key_latin1(bytes), caps)
    }
}

/// Asks Python for a non-ASCII word of a bytes-mode text: `(word, key, upper, caps)`.
pub type Ask<'p> = dyn FnMut(&[u8]) -> PyResult<Word> + 'p;

impl<'a> Text<'a> {
    /// `cues.tokenize`: the capitalised tokens that start on a word boundary.
    pub fn new(d: &'a Data, text: &'a [u8], bytes_mode: bool, ask: &mut Ask<'_>) -> PyResult<Self> {
        let mode = usize::from(bytes_mode);
        let (up, letter, wordc) = (&d.up[mode], &d.letter[mode], &d.word[mode]);
        let mut toks = Vec::new();
        let mut asked: HashMap<&[u8], std::rc::Rc<Word>> = HashMap::new();
        let n = text.len();
        let mut pos = 0;
        while pos < n {
            // the token regex at pos: the first prefix (longest first) followed by a capital, or a capital
            let mut head = None;
            let prefixed = d.prefix_first[text[pos] as usize];
            for p in d.prefixes.iter().filter(|_| prefixed) {
                if text[pos..].starts_with(p) && pos + p.len() < n && up[text[pos + p.len()] as usize] {
                    head = Some(pos + p.len());
                    break;
                }
            }
            if head.is_none() && up[text[pos] as usize] {
                head = Some(pos);
            }
            let Some(h) = head else {
                pos += 1;
                continue;
            };
            let mut e = h + 1;
            while e < n && letter[text[e] as usize] {
                e += 1;
            }
            // (?:['’-][letters]+)*: in a text below U+0100 the separators are ' and -
            while e + 1 < n && matches!(text[e], b'\'' | b'-') && letter[text[e + 1] as usize] {
                e += 2;
                while e < n && letter[text[e] as usize] {
                    e += 1;
                }
            }
            let (s, mut end) = (pos, e);
            pos = e;
            if (s > 0 && wordc[text[s - 1] as usize]) || (end < n && wordc[text[end] as usize]) {
                continue; // inside a longer word or code ("SpO2", "x_Name")
            }
            let mut possessive = false;
            let len = end - s;
            if len > 2 && text[end - 2] == b'\'' && matches!(text[end - 1], b's' | b'S') {
                end -= 2;
                possessive = true;
            }
            let raw = &text[s..end];
            // one Word per distinct word of the text (SipHash: these keys are the text's)
            let w = match asked.get(raw) {
                Some(w) => w.clone(),
                None => {
                    let w = std::rc::Rc::new(if bytes_mode && !raw.is_ascii() { ask(raw)? } else { d.word_latin1(raw) });
                    asked.insert(raw, w.clone());
                    w
                }
            };
            toks.push(Tok { start: s, end, possessive, w });
        }
        Ok(Text { d, text, mode, toks })
    }

    /// `text[index]` is a word character (False outside the text).
    pub fn is_word_char(&self, index: isize) -> bool {
        index >= 0 && (index as usize) < self.text.len() && self.d.word[self.mode][self.text[index as usize] as usize]
    }

    /// Index of the first token starting at `pos` or later.
    pub fn token_at(&self, pos: usize) -> Option<usize> {
        let i = self.toks.partition_point(|t| t.start < pos);
        (i < self.toks.len()).then_some(i)
    }

    /// `(start, end, token, gap)` of every whole-word match of a cue followed by a token.
    pub fn cue_hits(&self, rx: &Finder, padded: &[u8]) -> Vec<(usize, usize, usize, &'a [u8])> {
        let mut out = Vec::new();
        for (s, e) in rx.spans(padded) {
            let e = e - 1;
            if self.is_word_char(s as isize - 1) || self.is_word_char(e as isize) {
                continue;
            }
            if let Some(i) = self.token_at(e) {
                out.push((s, e, i, &self.text[e..self.toks[i].start]));
            }
        }
        out
    }

    /// Up to `limit` characters after `end` on the same line.
    pub fn after(&self, end: usize, limit: usize) -> &'a [u8] {
        let a = end.min(self.text.len());
        let chunk = &self.text[a..(a + limit).min(self.text.len())];
        match chunk.iter().position(|&b| b == b'\n') {
            Some(cut) => &chunk[..cut],
            None => chunk,
        }
    }

    /// The word after `end` makes what precedes it an eponym or an institution.
    pub fn suffix_after(&self, end: usize) -> bool {
        let mut rest = self.after(end, 40);
        if rest.starts_with(b"'s") {
            rest = &rest[2..];
        }
        let rest = lstrip(rest, b" \t");
        let first = rest.split(|&b| b == b' ').next().unwrap_or(b"");
        let word = lower(strip(first, b".,;:()"));
        self.d.suffixes.contains(&word)
    }

    pub fn english(&self, t: &Tok) -> bool {
        self.d.english.contains(&t.w.key)
    }
}

/// `cues.gap_words` over latin-1 bytes.
pub fn gap_words<'g>(d: &Data, gap: &'g [u8]) -> Option<Vec<&'g [u8]>> {
    if gap.contains(&b'\n') || gap.contains(&b'\r') || gap.len() > 32 {
        return None;
    }
    let mut words = Vec::new();
    for part in gap.split(|&b| b == b' ' || b == b'\t') {
        let mut core = strip(part, &d.separators);
        if core.last() == Some(&b'.') {
            core = &core[..core.len() - 1];
        }
        if core.is_empty() {
            continue;
        }
        if !core.iter().all(|&b| is_alpha(b)) {
            return None;
        }
        words.push(core);
    }
    Some(words)
}

/// `cues.resolve`: non-overlapping spans, left to right; at one start the longest, then the lower rank.
pub fn resolve(mut spans: Vec<(usize, usize, u8, u8)>) -> Vec<(usize, usize, u8)> {
    spans.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)).then(a.3.cmp(&b.3)));
    let mut out = Vec::new();
    let mut last = 0usize;
    let mut any = false;
    for (s, e, cat, _) in spans {
        if (!any || s >= last) && e > s {
            out.push((s, e, cat));
            last = e;
            any = true;
        }
    }
    out
}

/// NAME and CITY spans (`0` NAME, `1` CITY) of a text.
pub fn find(d: &Data, text: &[u8], bytes_mode: bool, ask: &mut Ask<'_>) -> PyResult<Vec<(usize, usize, u8)>> {
    let t = Text::new(d, text, bytes_mode, ask)?;
    if t.toks.is_empty() {
        return Ok(Vec::new());
    }
    let mut padded = Vec::with_capacity(text.len() + 1);
    padded.push(b' ');
    padded.extend_from_slice(text);
    let mut spans = crate::cues_names::name_spans(&t, &padded);
    spans.extend(crate::cues_places::place_spans(&t, &padded));
    Ok(resolve(spans))
}

/// The cue rules with their data, compiled once per process (`engine/phi/native_cues.py`).
#[pyclass(frozen, module = "engine._native")]
pub struct Cues {
    data: Data,
}

/// The word sets, in the order Python sends them.
const SETS: [&str; 21] = [
    "titles",
    "particles",
    "fillers",
    "credentials",
    "stop",
    "negatives",
    "eponyms",
    "abbreviations",
    "suffixes",
    "english",
    "place_words",
    "county_words",
    "ambiguous_states",
    "state_codes",
    "surnames",
    "common",
    "needs_context",
    "never",
    "any_city",
    "state_names",
    "countries",
];

fn take(sets: &mut HashMap<String, Vec<String>>, name: &str) -> PyResult<Words> {
    sets.remove(name)
        .map(|v| v.into_iter().collect())
        .ok_or_else(|| PyValueError::new_err(format!("the cue rules need the word set {name:?}")))
}

fn table(rows: &[Vec<u8>], i: usize) -> PyResult<[bool; 256]> {
    let row = rows.get(i).filter(|r| r.len() == 256).ok_or_else(|| PyValueError::new_err("a character table has 256 entries"))?;
    let mut out = [false; 256];
    for (o, &b) in out.iter_mut().zip(row.iter()) {
        *o = b != 0;
    }
    Ok(out)
}

fn compile(source: &str) -> PyResult<Finder> {
    Finder::new(source).map_err(PyValueError::new_err)
}

type Places = (HashMap<String, Vec<String>>, HashMap<String, Vec<String>>, Vec<(String, String)>);

#[pymethods]
impl Cues {
    /// `sets` (named word sets), `first` (first names and their frequency), `places` (cities and
    /// counties per state, states in order), `patterns` (name, place and weak place cue regexes,
    /// gated), `tables` (str and bytes mode: capitals, letters, word characters), `ints` (window,
    /// max_words, frequent_first_name), `separators`, `prefixes` (longest first), `keys` (of
    /// each character below U+0100).
    #[new]
    #[allow(clippy::too_many_arguments)]
    fn new(
        mut sets: HashMap<String, Vec<String>>,
        first: HashMap<String, u64, BuildHasherDefault<Fx>>,
        places: Places,
        patterns: (String, String, String),
        tables: Vec<Vec<u8>>,
        ints: (usize, usize, u64),
        separators: String,
        prefixes: Vec<String>,
        keys: Vec<String>,
    ) -> PyResult<Self> {
        for name in SETS {
            if !sets.contains_key(name) {
                return Err(PyValueError::new_err(format!("the cue rules need the word set {name:?}")));
            }
        }
        if keys.len() != 256 || !separators.is_ascii() {
            return Err(PyValueError::new_err("the cue rules need 256 character keys and ASCII separators"));
        }
        let (cities, counties, states) = places;
        let to_sets = |m: HashMap<String, Vec<String>>| -> HashMap<String, Words, BuildHasherDefault<Fx>> {
            m.into_iter().map(|(k, v)| (k, v.into_iter().collect())).collect()
        };
        let any_county: Words = counties.values().flatten().cloned().collect();
        let data = Data {
            titles: take(&mut sets, "titles")?,
            particles: take(&mut sets, "particles")?,
            fillers: take(&mut sets, "fillers")?,
            credentials: take(&mut sets, "credentials")?,
            stop: take(&mut sets, "stop")?,
            negatives: take(&mut sets, "negatives")?,
            eponyms: take(&mut sets, "eponyms")?,
            abbreviations: take(&mut sets, "abbreviations")?,
            suffixes: take(&mut sets, "suffixes")?,
            english: take(&mut sets, "english")?,
            place_words: take(&mut sets, "place_words")?,
            county_words: take(&mut sets, "county_words")?,
            ambiguous_states: take(&mut sets, "ambiguous_states")?,
            state_codes: take(&mut sets, "state_codes")?,
            surnames: take(&mut sets, "surnames")?,
            common: take(&mut sets, "common")?,
            needs_context: take(&mut sets, "needs_context")?,
            never: take(&mut sets, "never")?,
            any_city: take(&mut sets, "any_city")?,
            first,
            cities: to_sets(cities),
            counties: to_sets(counties),
            any_county,
            state_names: take(&mut sets, "state_names")?,
            countries: take(&mut sets, "countries")?,
            states,
            separators: separators.into_bytes(),
            prefix_first: {
                let mut first = [false; 256];
                for p in &prefixes {
                    if let Some(&b) = p.as_bytes().first() {
                        first[b as usize] = true;
                    }
                }
                first
            },
            prefixes: prefixes.into_iter().map(String::into_bytes).collect(),
            window: ints.0,
            max_words: ints.1,
            frequent_first_name: ints.2,
            keys,
            up: [table(&tables, 0)?, table(&tables, 3)?],
            letter: [table(&tables, 1)?, table(&tables, 4)?],
            word: [table(&tables, 2)?, table(&tables, 5)?],
            name_cues: compile(&patterns.0)?,
            place_cues: compile(&patterns.1)?,
            weak_place_cues: compile(&patterns.2)?,
        };
        Ok(Cues { data })
    }

    /// `(start, end, kind)` of the NAME (kind 0) and CITY (1) spans of `data`, left to right.
    ///
    /// `word_info(raw)` gives `(word, key, upper, caps)` of a bytes-mode token with bytes above 0x7f.
    fn find(&self, py: Python<'_>, data: &[u8], bytes_mode: bool, word_info: Py<PyAny>) -> PyResult<Vec<(usize, usize, u8)>> {
        let d = &self.data;
        let mut ask = |raw: &[u8]| -> PyResult<Word> {
            Python::attach(|py| {
                let (word, key, up, caps): (String, String, String, bool) =
                    word_info.bind(py).call1((pyo3::types::PyBytes::new(py, raw),))?.extract()?;
                Ok(Word::with_upper(word, key, up, caps))
            })
        };
        let run = AssertUnwindSafe(|| find(d, data, bytes_mode, &mut ask));
        match py.detach(|| catch_unwind(run)) {
            Ok(found) => found,
            Err(_) => Err(crate::phi_input_error(py, format!("the native cue rules failed on a text of {} bytes", data.len()))),
        }
    }
}
