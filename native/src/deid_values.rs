//! deidentify's per-value answers on ASCII text, in the core: keyed pseudonyms, a subject's date
//! shift, and ISO dates shifted or reduced to their year (twins of `schemes.pseudonym`,
//! `schemes.shift_days` and the ISO branch of `_Transformer.date` in
//! `stages/stage_06_deidentify/transform.py`, which stay the reference).
//!
//! Every function here answers only what it computes exactly as Python does and says `None`
//! otherwise: the row loop then asks Python, which decides (a date in a dictionary's format, an
//! impossible day, a shift past year 1 or 9999, text outside ASCII).

use std::collections::HashMap;

use crate::digest::PrimedHmac;

/// Python's `\s` under `re.ASCII`.
fn is_re_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// The characters of `schemes.WHITESPACE` that are ASCII (`str.split()`'s separators).
fn is_split_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c | 0x1c..=0x1f)
}

/// `[0-9:.+-Z]` of `_ISO_DATETIME`: the range `+` to `Z` (`+,-./`, digits, `:;<=>?@`, `A-Z`).
fn is_tail(b: u8) -> bool {
    (b'+'..=b'Z').contains(&b)
}

/// An ISO date as `_ISO_DATETIME` reads it: `(year, month, day, the tail's byte range)`; the
/// tail (`[T ][0-9:.+-Z]*`) is copied as it is, the spaces around the match dropped.
pub fn iso_date(text: &str) -> Option<(i64, u32, u32, (usize, usize))> {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() && is_re_space(b[i]) {
        i += 1;
    }
    let num = |from: usize, n: usize| -> Option<u32> {
        let s = b.get(from..from + n)?;
        s.iter().all(u8::is_ascii_digit).then(|| s.iter().fold(0u32, |v, d| v * 10 + u32::from(d - b'0')))
    };
    let year = num(i, 4)?;
    if b.get(i + 4) != Some(&b'-') {
        return None;
    }
    let month = num(i + 5, 2)?;
    if b.get(i + 7) != Some(&b'-') {
        return None;
    }
    let day = num(i + 8, 2)?;
    let mut j = i + 10;
    let tail_start = j;
    if j < b.len() && (b[j] == b'T' || b[j] == b' ') {
        let mut k = j + 1;
        while k < b.len() && is_tail(b[k]) {
            k += 1;
        }
        if b[k..].iter().all(|&c| is_re_space(c)) {
            return Some((i64::from(year), month, day, (tail_start, k)));
        }
    }
    while j < b.len() && is_re_space(b[j]) {
        j += 1;
    }
    (j == b.len()).then_some((i64::from(year), month, day, (tail_start, tail_start)))
}

fn is_leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Whether `datetime.date(y, m, d)` accepts it.
pub fn valid_date(y: i64, m: u32, d: u32) -> bool {
    (1..=9999).contains(&y) && (1..=12).contains(&m) && d >= 1 && d <= days_in_month(y, m)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// `date + timedelta(days)`, or None where Python raises OverflowError (past year 1 or 9999).
pub fn add_days(y: i64, m: u32, d: u32, days: i64) -> Option<(i64, u32, u32)> {
    let moved = civil_from_days(days_from_civil(y, m, d).checked_add(days)?);
    (1..=9999).contains(&moved.0).then_some(moved)
}

/// What a date column's cell becomes on the core: `Some(output)` or None (Python decides).
pub enum DateAnswer {
    Shifted(String),
    Year(i64),
}

/// An ISO date shifted by `shift` days with its tail kept (`shift` None: its year), or None:
/// not an ISO date, an impossible day, or a shift past year 1 or 9999.
pub fn iso_answer(text: &str, shift: Option<i64>) -> Option<DateAnswer> {
    let (y, m, d, (a, b)) = iso_date(text)?;
    if !valid_date(y, m, d) {
        return None;
    }
    let Some(days) = shift else {
        return Some(DateAnswer::Year(y));
    };
    let (y, m, d) = add_days(y, m, d, days)?;
    Some(DateAnswer::Shifted(format!("{y:04}-{m:02}-{d:02}{}", &text[a..b])))
}

/// `schemes.normalize` of ASCII text: whitespace runs to one space, ends stripped, lower case;
/// for the digit kinds only the digits when there are any.
pub fn normalize_ascii(value: &str, digits_only: bool) -> String {
    let mut out = String::with_capacity(value.len());
    let mut space = false;
    for &c in value.as_bytes() {
        if is_split_space(c) {
            space = true;
            continue;
        }
        if space && !out.is_empty() {
            out.push(' ');
        }
        space = false;
        out.push(c.to_ascii_lowercase() as char);
    }
    if digits_only {
        let digits: String = out.chars().filter(char::is_ascii_digit).collect();
        if !digits.is_empty() {
            return digits;
        }
    }
    out
}

/// `schemes.letters`: 12 lowercase letters from the MAC's first 8 bytes, least significant first.
fn letters(mac: &[u8; 32]) -> [u8; 12] {
    let mut v = u64::from_be_bytes(mac[..8].try_into().unwrap_or([0; 8]));
    let mut out = [0u8; 12];
    for o in &mut out {
        *o = b'a' + (v % 26) as u8;
        v /= 26;
    }
    out
}

/// The keyed schemes of one deidentify task (version 2, see `engine/phi/schemes.py`).
pub struct Keyed {
    pseudonym: PrimedHmac,
    shift: PrimedHmac,
    max_shift_days: i64,
}

impl Keyed {
    pub fn new(pseudonym_subkey: &[u8], shift_subkey: &[u8], max_shift_days: i64) -> Self {
        Keyed { pseudonym: PrimedHmac::new(pseudonym_subkey), shift: PrimedHmac::new(shift_subkey), max_shift_days }
    }

    /// `schemes.pseudonym(subkey, kind, value)` of ASCII `value` (`prefix`: `schemes.prefix(kind)`).
    pub fn pseudonym(&self, kind: &str, prefix: &str, digits_only: bool, value: &str) -> String {
        let mut msg = String::with_capacity(kind.len() + 1);
        msg.push_str(kind);
        msg.push('\u{1f}');
        let mac = self.pseudonym.digest(msg.as_bytes(), normalize_ascii(value, digits_only).as_bytes());
        let mut out = String::with_capacity(prefix.len() + 13);
        out.push_str(prefix);
        out.push('_');
        out.extend(letters(&mac).iter().map(|&c| c as char));
        out
    }

    /// `schemes.shift_days(subkey, subject, max_days)` of an ASCII subject; None if `max_days`
    /// is negative (Python's modulo of a negative divisor is left to Python).
    pub fn shift_days(&self, subject: &str) -> Option<i64> {
        let max = self.max_shift_days;
        if max < 0 {
            return None;
        }
        let mac = self.shift.digest(b"SUBJECT_ID\x1f", normalize_ascii(subject, false).as_bytes());
        let v = i64::from(u32::from_be_bytes(mac[..4].try_into().unwrap_or([0; 4])));
        let days = v % (2 * max + 1) - max;
        Some(if days == 0 { 1 } else { days })
    }
}

/// What the core itself answers for a new ASCII cell of a kept column (see `deid_values.rs`);
/// anything else, and any value these do not decide, is a miss Python answers.
#[derive(Clone)]
pub enum Rule {
    Ask,
    /// A keyed pseudonym: `(kind, prefix, digits only, the output out of form)`.
    Pseudonym(String, String, bool, bool),
    /// An ISO date moved by the subject's shift (or the dataset's), its tail kept.
    Shift,
    /// An ISO date's year.
    Year,
    /// A birth date's year, or the aggregate (`.0`, out of form: `.2`) below the cutoff year (`.1`).
    Dob(String, i64, bool),
}

/// The keyed values the core computes: the schemes, the rules by kept column, the names' rule,
/// the dataset's shift (rows with no subject), and the numbers of what they count
/// (pseudonyms, dates shifted, dates generalised, birth years suppressed).
pub struct Values {
    pub keyed: Keyed,
    pub rules: Vec<Rule>,
    pub name: (String, String, bool),
    pub dataset_shift: i64,
    pub counts: [String; 4],
}

pub struct ValueState {
    values: Values,
    count_ids: [u16; 4],
    shifts: HashMap<String, Option<i64>>,
}

impl ValueState {
    pub fn new(values: Values, count_ids: [u16; 4]) -> Self {
        ValueState { values, count_ids, shifts: HashMap::new() }
    }

    /// A new ASCII cell of kept column `n` answered here: `(output, what it counts, out of form)`,
    /// or None: Python answers it.
    pub fn answer(&mut self, n: usize, text: &str, subject: &str) -> Option<(String, u16, bool)> {
        let ids = self.count_ids;
        match self.values.rules.get(n)? {
            Rule::Ask => None,
            Rule::Pseudonym(kind, prefix, digits, bad) => {
                Some((self.values.keyed.pseudonym(kind, prefix, *digits, text), ids[0], *bad))
            }
            Rule::Shift => {
                let days = if subject.is_empty() {
                    self.values.dataset_shift
                } else if let Some(&days) = self.shifts.get(subject) {
                    days?
                } else {
                    let days = self.values.keyed.shift_days(subject);
                    if self.shifts.len() >= 1 << 16 {
                        self.shifts.clear();
                    }
                    self.shifts.insert(subject.to_string(), days);
                    days?
                };
                match iso_answer(text, Some(days))? {
                    DateAnswer::Shifted(out) => Some((out, ids[1], false)),
                    DateAnswer::Year(_) => None,
                }
            }
            // A year below 1000 is written in fewer than four digits: Python decides its form.
            Rule::Year => match iso_answer(text, None)? {
                DateAnswer::Year(y) if y >= 1000 => Some((y.to_string(), ids[2], false)),
                _ => None,
            },
            Rule::Dob(aggregate, cutoff, bad) => match iso_answer(text, None)? {
                DateAnswer::Year(y) if y < *cutoff => Some((aggregate.clone(), ids[3], *bad)),
                DateAnswer::Year(y) if y >= 1000 => Some((y.to_string(), ids[2], false)),
                _ => None,
            },
        }
    }

    /// The keyed pseudonym of a row's name (an ASCII identifier value).
    pub fn name_pseudonym(&self, value: &str) -> String {
        let (kind, prefix, digits) = &self.values.name;
        self.values.keyed.pseudonym(kind, prefix, *digits, value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shifted(text: &str, days: i64) -> Option<String> {
        match iso_answer(text, Some(days)) {
            Some(DateAnswer::Shifted(s)) => Some(s),
            _ => None,
        }
    }

    #[test]
    fn iso_dates_read_as_the_regex_does() {
        assert_eq!(shifted("2023-04-05", 1).as_deref(), Some("2023-04-06"));
        assert_eq!(shifted(" 2023-04-05 ", 1).as_deref(), Some("2023-04-06 "));
        assert_eq!(shifted("2023-04-05\t", 1).as_deref(), Some("2023-04-06"));
        assert_eq!(shifted("2023-04-05T10:11+01:00  ", -5).as_deref(), Some("2023-03-31T10:11+01:00"));
        assert_eq!(shifted("2023-04-05 AB", 0).as_deref(), Some("2023-04-05 AB"));
        assert_eq!(shifted("2023-04-05 ab", 0), None);
        assert_eq!(shifted("2023-04-05x", 0), None);
        assert_eq!(shifted("2023-02-29", 1), None);
        assert_eq!(shifted("2024-02-28", 1).as_deref(), Some("2024-02-29"));
        assert_eq!(shifted("0001-01-03", -2).as_deref(), Some("0001-01-01"));
        assert_eq!(shifted("0001-01-03", -3), None);
        assert_eq!(shifted("9999-12-30", 2), None);
        assert_eq!(shifted("2023-4-5", 0), None);
        assert!(matches!(iso_answer("0999-01-01", None), Some(DateAnswer::Year(999))));
    }

    #[test]
    fn days_round_trip() {
        for z in (-719_162..2_932_896).step_by(997) {
            let (y, m, d) = civil_from_days(z);
            assert!(valid_date(y, m, d));
            assert_eq!(days_from_civil(y, m, d), z);
        }
    }

    #[test]
    fn normalize_like_python() {
        assert_eq!(normalize_ascii("  Ann \t\x1f LEE ", false), "ann lee");
        assert_eq!(normalize_ascii("430-72-2852", true), "430722852");
        assert_eq!(normalize_ascii("n/a", true), "n/a");
    }
}
