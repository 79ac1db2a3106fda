//! The NAME cue rules of `engine/phi/names.py` (the token rules below its "cue rules" line).

use crate::cues::{capitalize, find_sub, gap_words, lower, lstrip, rstrip, split_ws, strip, Data, Text, Tok, Word};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Strength {
    Title,
    Label,
    Cue,
    Pair,
}

fn is_cue(s: Strength) -> bool {
    matches!(s, Strength::Label | Strength::Cue)
}

/// `set` holds the latin-1 string of `bytes`.
pub fn has(set: &crate::cues::Words, bytes: &[u8]) -> bool {
    match std::str::from_utf8(bytes) {
        Ok(s) if bytes.is_ascii() => set.contains(s),
        _ => set.contains(&crate::cues::latin1(bytes)),
    }
}

/// `names._parts`: a key and each part of a hyphenated key.
fn parts(key: &str) -> impl Iterator<Item = &str> {
    let split = key.contains('-');
    std::iter::once(key).chain(key.split('-').filter(move |_| split))
}

pub fn is_first(d: &Data, w: &Word) -> bool {
    parts(&w.nkey).any(|p| d.first.contains_key(p))
}

pub fn is_surname(d: &Data, w: &Word) -> bool {
    parts(&w.nkey).any(|p| d.surnames.contains(p))
}

/// `names.name_pair` of two or three token words.
fn name_pair(d: &Data, words: &[&Tok]) -> bool {
    if words.len() < 2 || words.len() > 3 {
        return false;
    }
    let first = &words[0].w.nkey;
    let last = &words[words.len() - 1].w;
    let Some(&freq) = d.first.get(first) else { return false };
    if d.needs_context.contains(first) || d.never.contains(first) || !is_surname(d, last) || d.stop.contains(first) {
        return false;
    }
    if words.len() == 3 && !(is_first(d, &words[1].w) || is_surname(d, &words[1].w)) {
        return false;
    }
    let both_words = d.common.contains(first) && parts(&last.nkey).all(|p| d.common.contains(p));
    !both_words || freq >= d.frequent_first_name
}

fn english_only(t: &Text, tok: &Tok) -> bool {
    t.english(tok) && !(is_first(t.d, &tok.w) || is_surname(t.d, &tok.w))
}

fn negative(t: &Text, tok: &Tok, strength: Strength, alone: bool) -> bool {
    let d = t.d;
    let key = &tok.w.key;
    if d.stop.contains(key) || d.credentials.contains(key) {
        return true;
    }
    if strength == Strength::Title {
        return false;
    }
    if d.negatives.contains(key) || (d.eponyms.contains(key) && (alone || tok.possessive)) {
        return true;
    }
    if tok.w.caps && !(is_first(d, &tok.w) || is_surname(d, &tok.w)) {
        return strength != Strength::Label || tok.w.nchars < 4 || t.english(tok);
    }
    tok.initial() || english_only(t, tok)
}

fn blocked(d: &Data, tok: &Tok) -> bool {
    let key = &tok.w.key;
    d.stop.contains(key) || d.credentials.contains(key) || d.negatives.contains(key)
}

fn caps_run(t: &Text, i: usize) -> bool {
    if i + 1 >= t.toks.len() {
        return false;
    }
    let (a, b) = (&t.toks[i], &t.toks[i + 1]);
    if !(a.w.caps && b.w.caps) || joined(t, a, b) != (true, false) || a.w.nchars.max(b.w.nchars) < 4 {
        return false;
    }
    ![a, b].iter().any(|x| t.english(x) || blocked(t.d, x))
}

fn state_like(tok: &Tok) -> bool {
    tok.w.caps && tok.w.nchars == 2
}

pub fn particle(d: &Data, tok: &Tok) -> bool {
    tok.w.nchars > 1 && d.particles.contains(&tok.w.word.to_lowercase())
}

fn more(t: &Text, tok: &Tok) -> bool {
    if particle(t.d, tok) {
        return true;
    }
    if blocked(t.d, tok) {
        return false;
    }
    tok.initial() || !english_only(t, tok)
}

/// `names._joined`: whether `b` continues the name ending at `a`, and whether a comma joins them.
fn joined(t: &Text, a: &Tok, b: &Tok) -> (bool, bool) {
    if a.possessive {
        return (false, false);
    }
    let mut gap = &t.text[a.end..b.start];
    if gap.first() == Some(&b'.') && a.initial() {
        gap = &gap[1..];
    }
    let stripped = strip(gap, b" \t");
    if !gap.is_empty() && stripped.is_empty() && gap.len() <= 3 {
        return (true, false);
    }
    if stripped == b"," && gap.len() <= 3 {
        return (true, true);
    }
    if gap.len() <= 16 && !gap.iter().any(|c| b",.;:\n".contains(c)) {
        // nicknames in quotes or parentheses, and lower-case particles
        let marked: Vec<u8> = gap.iter().map(|&c| if b"\"'()".contains(&c) { b' ' } else { c }).collect();
        if split_ws(&marked).iter().all(|w| has(&t.d.particles, w)) {
            return (true, false);
        }
    }
    (false, false)
}

fn surname_given(t: &Text, i: usize) -> bool {
    let d = t.d;
    if i + 1 >= t.toks.len() {
        return false;
    }
    let (a, b) = (&t.toks[i], &t.toks[i + 1]);
    if a.initial() || b.initial() || b.w.caps || state_like(b) || joined(t, a, b) != (true, true) {
        return false;
    }
    if blocked(d, a) || blocked(d, b) || (a.w.caps && d.abbreviations.contains(&a.w.key)) || d.eponyms.contains(&b.w.key) {
        return false;
    }
    if particle(d, b) && !a.w.caps {
        return false;
    }
    if d.needs_context.contains(&b.w.key) && word_follows(t, b) {
        return false;
    }
    is_first(d, &b.w) || !english_only(t, b)
}

/// `names._word_follows`: a lower-case word follows `tok`.
fn word_follows(t: &Text, tok: &Tok) -> bool {
    let follows = lstrip(t.after(tok.end, 2), b" \t");
    follows.first().is_some_and(|&c| crate::cues::is_alpha(c) && (c as char).is_lowercase())
}

/// `names._extent`: the token range of the name starting at token `i`, or None.
fn extent(t: &Text, i: usize, strength: Strength) -> Option<(usize, usize)> {
    let d = t.d;
    let toks = &t.toks;
    let first = &toks[i];
    let lead = particle(d, first) && strength != Strength::Pair;
    let caps = is_cue(strength) && caps_run(t, i);
    let inverted = strength != Strength::Pair && surname_given(t, i);
    let paired = strength == Strength::Pair || inverted;
    if !(paired || lead || first.initial() || caps) && negative(t, first, strength, false) {
        return None;
    }
    let mut j = i + 1;
    let mut comma = false;
    while j < toks.len() && j - i < d.max_words {
        let (ok, with_comma) = joined(t, &toks[j - 1], &toks[j]);
        if !ok || (with_comma && comma) {
            break;
        }
        let nxt = &toks[j];
        let checked = paired && j == i + 1;
        if with_comma && state_like(nxt) {
            break;
        }
        let surname_caps = toks[j - 1].w.caps && !nxt.w.caps;
        if !checked && with_comma && !(is_first(d, &nxt.w) || ((!paired || surname_caps) && !english_only(t, nxt))) {
            break;
        }
        if !checked && !more(t, nxt) {
            break;
        }
        comma = comma || with_comma;
        j += 1;
    }
    let keep = if inverted { 2 } else { 1 };
    while j - i > keep && (toks[j - 1].initial() || particle(d, &toks[j - 1])) {
        j -= 1;
    }
    if (i..j).all(|k| particle(d, &toks[k])) {
        return None;
    }
    if first.initial() && j - i == 1 {
        return None;
    }
    if j - i == 1 && strength != Strength::Title && d.eponyms.contains(&first.w.key) {
        return None;
    }
    if j - i == 1 && is_cue(strength) && d.needs_context.contains(&first.w.key) && word_follows(t, first) {
        return None;
    }
    if t.suffix_after(toks[j - 1].end) {
        return None;
    }
    Some((i, j))
}

fn wordlike(t: &Text, tok: &Tok) -> bool {
    t.english(tok) || t.d.common.contains(&tok.w.key)
}

/// `names._pair`: tokens `i` and `i+1` (or `i+2`) are a name without any cue word.
fn pair(t: &Text, i: usize) -> bool {
    let d = t.d;
    let toks = &t.toks;
    if i + 1 >= toks.len() {
        return false;
    }
    let (a, b) = (&toks[i], &toks[i + 1]);
    let (ok, comma) = joined(t, a, b);
    if !ok || (a.w.caps != b.w.caps && !comma) || a.initial() || (comma && state_like(b)) {
        return false;
    }
    if blocked(d, a) || blocked(d, b) {
        return false;
    }
    if comma {
        if b.initial() || d.eponyms.contains(&a.w.key) || english_only(t, a) {
            return false;
        }
        if a.w.caps && !b.w.caps && a.w.nchars >= 4 && !wordlike(t, b) && !wordlike(t, a) {
            return true;
        }
        if !b.w.caps
            && ((a.w.caps && a.w.nchars >= 4) || a.w.word.contains('-'))
            && !wordlike(t, a)
            && !d.abbreviations.contains(&a.w.key)
            && d.first.contains_key(&b.w.key)
            && !d.never.contains(&b.w.key)
            && !word_follows(t, b)
        {
            return true; // "OKONKWO, Hope", "Vasquez-Trinh, Grant"
        }
        return d.first.contains_key(&b.w.key) && !d.needs_context.contains(&b.w.key);
    }
    if let Some(third) = toks.get(i + 2) {
        if joined(t, b, third) == (true, false) && third.w.caps == a.w.caps && name_pair(d, &[a, b, third]) {
            return true;
        }
    }
    if name_pair(d, &[a, b]) {
        return true;
    }
    if b.initial() || d.eponyms.contains(&a.w.key) || d.eponyms.contains(&b.w.key) {
        return false;
    }
    let first_known =
        d.first.contains_key(&a.w.key) && !d.needs_context.contains(&a.w.key) && !d.common.contains(&a.w.key);
    let last_known = d.surnames.contains(&b.w.key);
    if first_known && !wordlike(t, b) && b.w.nchars > 2 {
        return true;
    }
    last_known && !wordlike(t, a) && !is_first(d, &a.w) && a.w.nchars > 2
}

/// `names._leading_particles`: how many words at the end of a gap are particles that begin a surname.
fn leading_particles(d: &Data, gap: &[u8], words: &[&[u8]]) -> usize {
    let mut k = words.len();
    while k > 0 && has(&d.particles, words[k - 1]) {
        k -= 1;
    }
    if k < words.len() && rstrip(gap, b" \t").ends_with(words[words.len() - 1]) {
        words.len() - k
    } else {
        0
    }
}

struct Spans<'t, 'a> {
    t: &'t Text<'a>,
    out: Vec<(usize, usize, u8, u8)>,
    claimed: Option<usize>,
}

impl Spans<'_, '_> {
    fn add(&mut self, i: usize, strength: Strength, start: Option<usize>) {
        let t = self.t;
        let toks = &t.toks;
        let Some((mut a, b)) = extent(t, i, strength) else { return };
        while strength == Strength::Pair && a > 0 && joined(t, &toks[a - 1], &toks[a]) == (true, false) {
            let before = &toks[a - 1];
            let nickname = t.text[before.end..toks[a].start].iter().any(|c| b"\"'(".contains(c));
            if !(particle(t.d, before) || (nickname && more(t, before) && !wordlike(t, before))) {
                break;
            }
            a -= 1;
        }
        let end = toks[b - 1].end;
        self.out.push((start.unwrap_or(toks[a].start), end, 0, u8::from(strength == Strength::Pair)));
        if !is_cue(strength) {
            self.claimed = Some(self.claimed.map_or(end, |c| c.max(end)));
        }
    }
}

/// `names.name_spans`: NAME spans `(start, end, 0, rank)`, cues and titles rank 0, pairs 1.
pub fn name_spans(t: &Text, padded: &[u8]) -> Vec<(usize, usize, u8, u8)> {
    let d = t.d;
    let toks = &t.toks;
    let mut sp = Spans { t, out: Vec::new(), claimed: None };
    let mut cue_words = vec![false; toks.len()];
    for (s, e, i, gap) in t.cue_hits(&d.name_cues, padded) {
        for w in cue_words.iter_mut().take(i).skip(t.token_at(s).unwrap_or(0)) {
            *w = true;
        }
        let Some(words) = gap_words(d, gap) else { continue };
        if d.titles.contains(&toks[i].w.word) {
            continue;
        }
        let np = leading_particles(d, gap, &words);
        let particles = &words[words.len() - np..];
        let rest: Vec<&[u8]> = words[..words.len() - np].iter().copied().filter(|w| !d.titles.contains(&capitalize(w))).collect();
        if rest.len() > d.window || rest.iter().any(|w| !d.fillers.contains(&lower(w))) {
            continue;
        }
        let start = particles.first().map(|p| e + find_sub(gap, p).unwrap_or(0));
        sp.add(i, if gap.contains(&b':') { Strength::Label } else { Strength::Cue }, start);
    }
    for (i, tok) in toks.iter().enumerate() {
        if d.titles.contains(&tok.w.word) && i + 1 < toks.len() && !tok.possessive {
            let gap = &t.text[tok.end..toks[i + 1].start];
            let rest = gap.strip_prefix(b".").unwrap_or(gap);
            let words = split_ws(rest);
            let blank = matches!(rest.first(), Some(b' ' | b'\t')) && gap.len() <= 16 && !gap.contains(&b'\n');
            if blank && leading_particles(d, rest, &words) == words.len() {
                let start = words.first().map(|w| tok.end + find_sub(gap, w).unwrap_or(0));
                sp.add(i + 1, Strength::Title, start);
                continue;
            }
        }
        if !matches!(sp.claimed, Some(c) if tok.start < c) && !cue_words[i] && pair(t, i) {
            sp.add(i, Strength::Pair, None);
        }
    }
    sp.out
}
