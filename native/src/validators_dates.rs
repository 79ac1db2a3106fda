//! The registry's date validators and the date digest normalizer, byte for byte the rules of
//! `engine/phi/validators.py` and `engine/phi/dates.py` (numeric dates, written dates, ISO form).
//!
//! Split from `validators.rs`, which dispatches by name; the same differential tests cover both.

use crate::validators::{digits, number, strip};

const MIN_YEAR: u64 = 1870;
const MAX_YEAR: u64 = 2150;
const LEAP: u64 = 2000;

/// Year, month and day of a calendar date.
pub type Ymd = (u64, u64, u64);

fn days_in(year: u64, month: u64) -> u64 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

/// `datetime.date(y, m, d)` exists (years 1-9999).
fn real_date(y: u64, m: u64, d: u64) -> bool {
    (1..=9999).contains(&y) && (1..=12).contains(&m) && d >= 1 && d <= days_in(y, m)
}

fn valid(y: u64, m: u64, d: u64) -> Option<Ymd> {
    ((MIN_YEAR..=MAX_YEAR).contains(&y) && real_date(y, m, d)).then_some((y, m, d))
}

/// The parts of `[0-9]{1,4}[/.-][0-9]{1,2}[/.-][0-9]{1,4}` matching all of `v`.
/// The parts of a numeric date: (first number, separator, second, separator, third).
type DateParts<'a> = (&'a [u8], u8, &'a [u8], u8, &'a [u8]);

pub(crate) fn numeric_date(v: &[u8]) -> Option<DateParts<'_>> {
    let run = |from: usize| from + v[from..].iter().take_while(|b| b.is_ascii_digit()).count();
    let sep = |b: u8| matches!(b, b'/' | b'.' | b'-');
    let a_end = run(0);
    if !(1..=4).contains(&a_end) || a_end >= v.len() || !sep(v[a_end]) {
        return None;
    }
    let b_end = run(a_end + 1);
    if !(1..=2).contains(&(b_end - a_end - 1)) || b_end >= v.len() || !sep(v[b_end]) {
        return None;
    }
    let c_end = run(b_end + 1);
    if !(1..=4).contains(&(c_end - b_end - 1)) || c_end != v.len() {
        return None;
    }
    Some((&v[..a_end], v[a_end], &v[a_end + 1..b_end], v[b_end], &v[b_end + 1..]))
}

/// The calendar date of a value in any registry form (`validators.parse_date`).
pub fn parse_date(value: &[u8]) -> Option<Ymd> {
    let v = strip(value);
    if let Some((a, s1, b, s2, c)) = numeric_date(v) {
        if a.len() == 4 {
            return if c.len() <= 2 { valid(number(a), number(b), number(c)) } else { None };
        }
        if a.len() > 2 || s1 != s2 || !(c.len() == 2 || c.len() == 4) || (s1 == b'.' && c.len() != 4) {
            return None;
        }
        let year = if c.len() == 4 {
            number(c)
        } else if number(c) < 69 {
            2000 + number(c)
        } else {
            1900 + number(c)
        };
        // month first (US); a first number over 12 is a day: day first (23.07.1971, 14/02/1945)
        return valid(year, number(a), number(b)).or_else(|| valid(year, number(b), number(a)));
    }
    if v.len() == 8 && v.iter().all(u8::is_ascii_digit) {
        return valid(number(&v[..4]), number(&v[4..6]), number(&v[6..]));
    }
    match parse_written(v) {
        Some((Some(y), m, d)) => valid(y, m, d),
        _ => None,
    }
}

fn month(word: &[u8]) -> Option<u64> {
    Some(match word {
        b"jan" | b"january" => 1,
        b"feb" | b"february" => 2,
        b"mar" | b"march" => 3,
        b"apr" | b"april" => 4,
        b"may" => 5,
        b"jun" | b"june" => 6,
        b"jul" | b"july" => 7,
        b"aug" | b"august" => 8,
        b"sep" | b"sept" | b"september" => 9,
        b"oct" | b"october" => 10,
        b"nov" | b"november" => 11,
        b"dec" | b"december" => 12,
        _ => return None,
    })
}

const UNITS: [&[u8]; 9] = [b"first", b"second", b"third", b"fourth", b"fifth", b"sixth", b"seventh", b"eighth", b"ninth"];

fn ordinal(words: &[&[u8]]) -> Option<u64> {
    match words {
        [w] => {
            if let Some(i) = UNITS.iter().position(|u| u == w) {
                return Some(i as u64 + 1);
            }
            let teens: [&[u8]; 11] = [
                b"tenth",
                b"eleventh",
                b"twelfth",
                b"thirteenth",
                b"fourteenth",
                b"fifteenth",
                b"sixteenth",
                b"seventeenth",
                b"eighteenth",
                b"nineteenth",
                b"twentieth",
            ];
            if let Some(i) = teens.iter().position(|u| u == w) {
                return Some(i as u64 + 10);
            }
            (*w == b"thirtieth").then_some(30)
        }
        [a, b] if *a == b"thirty" && *b == b"first" => Some(31),
        [a, b] if *a == b"twenty" => UNITS.iter().position(|u| u == b).map(|i| 21 + i as u64),
        _ => None,
    }
}

/// The day at the start of `tokens` (digits or ordinal words) and how many tokens it took.
fn day(tokens: &[Vec<u8>]) -> Option<(u64, usize)> {
    let first = tokens.first()?;
    if first.iter().all(u8::is_ascii_digit) {
        return Some((number(first), 1));
    }
    for size in [2, 1] {
        let words: Vec<&[u8]> = tokens.iter().take(size).map(Vec::as_slice).collect();
        // " ".join(tokens[:2]) of a single token is that token: the one-word lookup
        if let Some(d) = ordinal(&words) {
            return Some((d, words.len()));
        }
    }
    None
}

/// `dates.parse_written`: (year or None, month, day) of a written date, or None.
pub fn parse_written(value: &[u8]) -> Option<(Option<u64>, u64, u64)> {
    const FILLER: [&[u8]; 6] = [b"the", b"of", b"st", b"nd", b"rd", b"th"];
    let mut tokens: Vec<Vec<u8>> = Vec::new();
    let mut i = 0;
    while i < value.len() {
        let b = value[i];
        let kind = |x: u8| if x.is_ascii_alphabetic() { 1 } else if x.is_ascii_digit() { 2 } else { 0 };
        let k = kind(b);
        if k == 0 {
            i += 1;
            continue;
        }
        let start = i;
        while i < value.len() && kind(value[i]) == k {
            i += 1;
        }
        let token = value[start..i].to_ascii_lowercase();
        if !FILLER.contains(&token.as_slice()) {
            tokens.push(token);
        }
    }
    if tokens.is_empty() {
        return None;
    }
    let mut year = None;
    if tokens.len() >= 3 {
        let last = &tokens[tokens.len() - 1];
        if last.len() == 4 && last.iter().all(u8::is_ascii_digit) {
            let y = number(last);
            if !(MIN_YEAR..=MAX_YEAR).contains(&y) {
                return None;
            }
            year = Some(y);
            tokens.pop();
        }
    }
    let (m, d) = if let Some(m) = month(&tokens[0]) {
        let (d, used) = day(&tokens[1..])?;
        if 1 + used != tokens.len() {
            return None;
        }
        (m, d)
    } else {
        let (d, used) = day(&tokens)?;
        if tokens.len() != used + 1 {
            return None;
        }
        (month(&tokens[used])?, d)
    };
    real_date(year.unwrap_or(LEAP), m, d).then_some((year, m, d))
}

pub(crate) fn date_ymd_text(value: &[u8]) -> bool {
    // ([0-9]{4})[ /-]([A-Za-z]{3,9})\.?[ /-]([0-9]{1,2}) over the stripped value
    let v = strip(value);
    let sep = |b: u8| matches!(b, b' ' | b'/' | b'-');
    if v.len() < 4 + 1 + 3 + 1 + 1 || !v[..4].iter().all(u8::is_ascii_digit) || !sep(v[4]) {
        return false;
    }
    let letters = v[5..].iter().take_while(|b| b.is_ascii_alphabetic()).count();
    if !(3..=9).contains(&letters) {
        return false;
    }
    let mut at = 5 + letters;
    if v.get(at) == Some(&b'.') {
        at += 1;
    }
    if !v.get(at).is_some_and(|&b| sep(b)) {
        return false;
    }
    let day_digits = &v[at + 1..];
    if !(1..=2).contains(&day_digits.len()) || !day_digits.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let mut text = day_digits.to_vec();
    text.push(b' ');
    text.extend_from_slice(&v[5..5 + letters]);
    text.push(b' ');
    text.extend_from_slice(&v[..4]);
    parse_written(&text).is_some()
}

pub(crate) fn not_date(value: &[u8]) -> bool {
    numeric_date(strip(value)).is_none() || parse_date(value).is_none()
}

/// ISO form of a date for the digest (`validators._norm_date`), None: Python normalizes it.
pub fn iso_date(value: &[u8]) -> Option<Vec<u8>> {
    if !value.is_ascii() {
        return None;
    }
    if let Some((y, m, d)) = parse_date(value) {
        return Some(format!("{y:04}-{m:02}-{d:02}").into_bytes());
    }
    Some(match parse_written(value) {
        Some((Some(y), m, d)) => format!("{y:04}-{m:02}-{d:02}").into_bytes(),
        Some((None, m, d)) => format!("--{m:02}-{d:02}").into_bytes(),
        None => digits(value),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validators::validate;

    fn ok(name: &str, value: &str) -> bool {
        validate(name, value.as_bytes()).expect("decided")
    }

    #[test]
    fn dates() {
        assert!(ok("date_ymd", "2021-02-28") && !ok("date_ymd", "2021-02-29") && !ok("date_ymd", "02/03/2021"));
        assert!(ok("date_mdy", "2/29/2000") && !ok("date_mdy", "2/29/2001") && !ok("date_mdy", "2.3.21"));
        // day first when the first number cannot be a month
        assert!(ok("phone_digits", "020 7946 0958") && ok("phone_digits", "06 12 34 56 78"));
        assert!(!ok("phone_digits", "0 12") && !ok("phone_digits", "012 3456 7890 12"));
        assert!(ok("date_mdy", "23.07.1971") && ok("date_mdy", "14/02/1945") && !ok("date_mdy", "13/13/2000"));
        assert_eq!(parse_date(b"23.07.1971"), Some((1971, 7, 23)));
        assert!(ok("date_text", "the fourth of March") && ok("date_text", "Sept. 4th, 2021"));
        assert!(ok("date_text", "twenty first of June") && !ok("date_text", "March 32nd"));
        assert!(ok("date_text", "Feb 29") && !ok("date_text", "Feb 30, 2021"));
        assert!(ok("date_ymd_text", "1932-Feb-06") && !ok("date_ymd_text", "1932-Feb-30"));
        assert!(ok("date_compact", "19320206") && !ok("date_compact", "19321306"));
        assert_eq!(iso_date(b"4 March"), Some(b"--03-04".to_vec()));
        assert_eq!(iso_date(b"03/04/21"), Some(b"2021-03-04".to_vec()));
    }
}
