//! The CITY cue rules of `engine/phi/places.py`: before a state, after a place cue, before "County".

use crate::cues::{gap_words, is_alpha, lower, rstrip, strip, Data, Text, Tok};

type Range = Option<(usize, usize)>;

fn not_place(d: &Data, tok: &Tok) -> bool {
    let key = &tok.w.key;
    d.stop.contains(key)
        || d.negatives.contains(key)
        || d.credentials.contains(key)
        || d.titles.contains(&tok.w.word)
        || tok.initial()
}

/// `places.english`: a common English word, Census names that are words included.
fn english(t: &Text, tok: &Tok) -> bool {
    t.english(tok) || t.d.common.contains(&tok.w.up)
}

/// `places._run_before`: up to `limit` tokens ending at token `end`, joined by single blanks.
fn run_before(t: &Text, end: usize, limit: usize) -> Vec<usize> {
    let mut run = vec![end];
    let mut i = end;
    while i > 0 && run.len() < limit {
        let gap = &t.text[t.toks[i - 1].end..t.toks[i].start];
        if !strip(rstrip(gap, b"."), b" \t").is_empty() || gap.len() > 2 || t.toks[i - 1].possessive {
            break;
        }
        i -= 1;
        run.insert(0, i);
    }
    run
}

/// `_name_of(...).upper()`.
fn name_up(t: &Text, idx: &[usize]) -> String {
    idx.iter().map(|&i| t.toks[i].w.up.as_str()).collect::<Vec<_>>().join(" ")
}

fn ends_in_place_word(t: &Text, idx: &[usize]) -> bool {
    idx.last().is_some_and(|&i| t.d.place_words.contains(&t.toks[i].w.word))
}

fn before_state(t: &Text, last: usize, state: &str, zip_follows: bool) -> Range {
    let d = t.d;
    let run = run_before(t, last, 3);
    let mut known = None;
    for k in 0..run.len() {
        let idx = &run[k..];
        let name = name_up(t, idx);
        let city = d.cities.get(state).is_some_and(|s| s.contains(&name));
        if city || d.counties.get(state).is_some_and(|s| s.contains(&name)) {
            known = Some((idx[0], idx[idx.len() - 1] + 1));
            break;
        }
    }
    if d.ambiguous_states.contains(state) && !zip_follows {
        return known;
    }
    let guess = guess_before_state(t, &run);
    match (known, guess) {
        (None, g) => g,
        (Some(k), Some(g)) if g.0 < k.0 => Some(g),
        (k, _) => k,
    }
}

fn guess_before_state(t: &Text, run: &[usize]) -> Range {
    let d = t.d;
    let mut keep = run;
    while keep.len() > 1 && (not_place(d, &t.toks[keep[0]]) || t.english(&t.toks[keep[0]])) {
        keep = &keep[1..];
    }
    let (&first, &last) = (keep.first()?, keep.last()?);
    if not_place(d, &t.toks[first]) || t.toks[last].possessive {
        return None;
    }
    Some((first, last + 1))
}

/// `[.,]?[ \t]{1,3}[0-9]{5}` at the start of `after`.
fn zip_follows(after: &[u8]) -> bool {
    let rest = match after.first() {
        Some(b'.' | b',') => &after[1..],
        _ => after,
    };
    let blanks = rest.iter().take_while(|&&b| b == b' ' || b == b'\t').count();
    (1..=3).contains(&blanks) && rest.len() >= blanks + 5 && rest[blanks..blanks + 5].iter().all(u8::is_ascii_digit)
}

fn state_spans(t: &Text) -> Vec<(usize, usize, u8, u8)> {
    let d = t.d;
    let text = t.text;
    let mut out = Vec::new();
    for i in 0..t.toks.len().saturating_sub(1) {
        let (tok, nxt) = (&t.toks[i], &t.toks[i + 1]);
        let gap = &text[tok.end..nxt.start];
        if strip(gap, b" \t") != b"," || gap.len() > 3 || tok.possessive {
            continue;
        }
        let mut after = t.after(nxt.end, 12);
        let state: &str;
        if nxt.w.nchars == 2 && d.state_codes.contains(&nxt.w.word) {
            if after.first().is_some_and(|&c| is_alpha(c)) {
                continue;
            }
            state = &nxt.w.word;
        } else {
            let found = d.states.iter().find(|(_, name)| {
                text[nxt.start..].starts_with(name.as_bytes()) && !t.is_word_char((nxt.start + name.len()) as isize)
            });
            let Some((code, name)) = found else { continue };
            after = t.after(nxt.start + name.len(), 12);
            state = code;
        }
        if let Some((a, b)) = before_state(t, i, state, zip_follows(after)) {
            out.push((t.toks[a].start, t.toks[b - 1].end, 1, 0));
        }
    }
    out
}

fn after_cue(t: &Text, i: usize, weak: bool) -> Range {
    let d = t.d;
    let toks = &t.toks;
    let mut run = vec![i];
    while run.len() < 3 && run[run.len() - 1] + 1 < toks.len() {
        let last = run[run.len() - 1];
        let (a, b) = (&toks[last], &toks[last + 1]);
        let gap = &t.text[a.end..b.start];
        if !strip(rstrip(gap, b"."), b" \t").is_empty() || gap.len() > 2 || a.possessive || not_place(d, b) {
            break;
        }
        run.push(last + 1);
    }
    let mut known = None;
    for k0 in (1..=run.len()).rev() {
        let name = name_up(t, &run[..k0]);
        if d.state_names.contains(&name) || d.countries.contains(&name) {
            return None; // a state or a country is not smaller than a state
        }
        if weak && k0 == 1 && english(t, &toks[run[0]]) {
            continue;
        }
        if d.any_city.contains(&name) || d.any_county.contains(&name) {
            let mut k = k0;
            while k < run.len() && ends_in_place_word(t, &run[..k + 1]) {
                k += 1;
            }
            known = Some((run[0], run[k - 1] + 1));
            break;
        }
    }
    let guess = guess_after_cue(t, &run, weak);
    match (known, guess) {
        (None, g) => g,
        (Some(k), Some(g)) if g.1 > k.1 => Some(g),
        (k, _) => k,
    }
}

fn guess_after_cue(t: &Text, run: &[usize], weak: bool) -> Range {
    let d = t.d;
    let toks = &t.toks;
    let first = &toks[run[0]];
    if not_place(d, first) || first.w.caps {
        return None;
    }
    if weak {
        if english(t, first) || d.eponyms.contains(&first.w.key) {
            return None;
        }
        let mut k = 1;
        while k < run.len() && ends_in_place_word(t, &run[..k + 1]) {
            k += 1;
        }
        return Some((run[0], run[k - 1] + 1));
    }
    if run.iter().all(|&j| t.english(&toks[j])) && !ends_in_place_word(t, run) {
        return None;
    }
    let mut run = run.to_vec();
    while run.len() > 1 && t.english(&toks[run[run.len() - 1]]) && !ends_in_place_word(t, &run) {
        run.pop();
    }
    Some((run[0], run[run.len() - 1] + 1))
}

fn cue_spans(t: &Text, padded: &[u8]) -> Vec<(usize, usize, u8, u8)> {
    let d = t.d;
    let mut out = Vec::new();
    for (rx, weak) in [(&d.place_cues, false), (&d.weak_place_cues, true)] {
        for (_, _, i, gap) in t.cue_hits(rx, padded) {
            let Some(words) = gap_words(d, gap) else { continue };
            if words.len() > (if weak { 0 } else { d.window }) || words.iter().any(|w| lower(w) != "the") {
                continue;
            }
            if let Some((a, b)) = after_cue(t, i, weak) {
                out.push((t.toks[a].start, t.toks[b - 1].end, 1, 0));
            }
        }
    }
    out
}

fn county_spans(t: &Text) -> Vec<(usize, usize, u8, u8)> {
    let d = t.d;
    let mut out = Vec::new();
    for (i, tok) in t.toks.iter().enumerate() {
        if i == 0 || !d.county_words.contains(&tok.w.word) {
            continue;
        }
        let gap = &t.text[t.toks[i - 1].end..tok.start];
        if !strip(gap, b" \t").is_empty() || gap.len() > 2 {
            continue;
        }
        let run: Vec<usize> = run_before(t, i - 1, 3).into_iter().filter(|&j| !not_place(d, &t.toks[j])).collect();
        if run.last() != Some(&(i - 1)) {
            continue;
        }
        out.push((t.toks[run[0]].start, tok.end, 1, 0));
    }
    out
}

/// `places.place_spans`: CITY spans `(start, end, 1, 0)`.
pub fn place_spans(t: &Text, padded: &[u8]) -> Vec<(usize, usize, u8, u8)> {
    let mut spans: Vec<_> = state_spans(t).into_iter().chain(cue_spans(t, padded)).filter(|s| !t.suffix_after(s.1)).collect();
    spans.extend(county_spans(t));
    spans
}
