//! deidentify's row loop on the core (twin of `_transform` in
//! `stages/stage_06_deidentify/transform.py`, which stays the reference).
//!
//! One part's text is fed in blocks. For each block the core reads the records (split as in
//! `bytecopy.rs`), looks each kept cell up in its column's memo of output cells, and asks Python,
//! in one batch a block, only for what it has not seen: the output of a new cell (`misses`), the
//! keyed pseudonym of a new name (`name_misses`), and whole rows it does not decide itself
//! (`python rows`: a row with a byte outside ASCII, or a cell whose output depends on the row in a
//! way only Python computes). Then it writes the copy: memoized cells, the row's own identifier
//! values replaced in free text (whole words, any case, longest first), the byte copy of the
//! record with only the changed cells encoded anew.
//!
//! What the core does not read exactly as the row reader does (a quote left open at the end, a
//! NUL, a field over the length limit, a blank line before a skipped header) makes the block
//! `BAIL`: the caller then redoes the part on the Python path, which decides.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::bytecopy::{parse, rewrite, value as field_value, Rec, Step};
use crate::deid_text::{apply_idents, idents_of, strip, IdentCol, Idents};
use crate::deid_values::{ValueState, Values};

pub const OK: u8 = 0;
pub const BAIL: u8 = 1;

/// Memo entry kinds (the answers Python gives for a miss).
const PENDING: u8 = 0;
/// The output cell, whatever the row.
const FIXED: u8 = 1;
/// The output cell is the row's identifier values replaced in it.
const IDENTS: u8 = 2;
/// Only Python computes the row holding this cell.
const ROW: u8 = 3;

/// Or-ed into an answer's kind: the output is the same whatever the subject (a memo keyed by
/// cell and subject then keeps it by the cell alone).
const ANY_SUBJECT: u8 = 8;

pub const PASS: u32 = u32::MAX;

static NO_IDENTS: Idents = Vec::new();

/// One kept column: its input index, how its memo is keyed, whether its output's form is checked.
#[derive(Clone)]
pub struct Spec {
    pub src: usize,
    /// 0: kept as is; 1: memo by cell; 2: memo by cell and subject (dates shifted by the subject);
    /// 3: as 2, for text most of whose cells no subject changes.
    pub mode: u8,
    pub checked: bool,
}


struct Entry {
    kind: u8,
    out: String,
    counts: Vec<u16>,
    bad: bool,
    /// The same output whatever the subject.
    any: bool,
}

/// A record read in this block: its fields, the values of its quoted fields, its cells.
struct Row {
    rec: Rec,
    owned: Vec<(usize, String)>,
    cells: Vec<u32>,
    python: bool,
    no: usize,
    /// Kept columns whose cell took another subject's pending answer (see `cells_of`).
    deferred: Vec<usize>,
    /// The row's identifier values, once computed.
    idents: Option<Idents>,
}

pub struct Rows {
    delim: u8,
    specs: Vec<Spec>,
    kept: Vec<usize>,
    idents: Vec<IdentCol>,
    subject: Option<usize>,
    max_chars: usize,
    buf: String,
    pos: usize,
    eof: bool,
    skip_first: bool,
    row_no: usize,
    memo: Vec<HashMap<String, u32>>,
    entries: Vec<Entry>,
    memo_bytes: usize,
    names: HashMap<String, Option<String>>,
    count_names: Vec<String>,
    count_ids: HashMap<String, u16>,
    counts: Vec<u64>,
    block: Vec<Row>,
    misses: Vec<(u32, usize, String, String)>,
    /// Subject-keyed columns with answers memoized by the cell alone (see `resolve`).
    by_cell: Vec<bool>,
    /// This block's pending misses of each subject-keyed text column, by text.
    pending: Vec<HashMap<String, u32>>,
    name_misses: Vec<String>,
    out: String,
    values: Option<ValueState>,
}

fn value<'a>(buf: &'a str, row: &'a Row, i: usize) -> &'a str {
    match row.rec.fields.get(i) {
        None => "",
        Some(f) if f.close.is_none() => &buf[f.start..f.end],
        Some(_) => row.owned.iter().find(|(k, _)| *k == i).map_or("", |(_, v)| v.as_str()),
    }
}

impl Rows {
    pub fn new(delim: u8, specs: Vec<Spec>, idents: Vec<IdentCol>, subject: Option<usize>, skip_first: bool,
               max_chars: usize, count_names: Vec<String>) -> Self {
        let kept = specs.iter().map(|s| s.src).collect();
        let n = specs.len();
        let mut rows = Rows {
            delim, specs, kept, idents, subject, max_chars, buf: String::new(), pos: 0, eof: false, skip_first,
            row_no: 0, memo: (0..n).map(|_| HashMap::new()).collect(), pending: (0..n).map(|_| HashMap::new()).collect(), by_cell: vec![false; n], entries: Vec::new(), memo_bytes: 0,
            names: HashMap::new(), count_names: Vec::new(), count_ids: HashMap::new(), counts: Vec::new(),
            block: Vec::new(), misses: Vec::new(), name_misses: Vec::new(), out: String::new(), values: None,
        };
        for name in count_names {
            rows.count_id(&name);
        }
        rows
    }

    fn count_id(&mut self, name: &str) -> u16 {
        if let Some(&id) = self.count_ids.get(name) {
            return id;
        }
        let id = self.count_names.len() as u16;
        self.count_names.push(name.to_string());
        self.count_ids.insert(name.to_string(), id);
        self.counts.push(0);
        id
    }

    /// The keyed values the core answers itself from now on (Err: rules that do not fit the columns).
    pub fn set_values(&mut self, values: Values) -> Result<(), String> {
        if values.rules.len() != self.specs.len() {
            return Err("one value rule a kept column".into());
        }
        let count_ids = [0, 1, 2, 3].map(|k| self.count_id(&values.counts[k]));
        self.values = Some(ValueState::new(values, count_ids));
        Ok(())
    }

    /// The core's own answer to a new cell of kept column `n`: `(output, what it counts, out of form)`.
    fn answer(&mut self, n: usize, text: &str, subject: &str) -> Option<(String, u16, bool)> {
        self.values.as_mut()?.answer(n, text, subject)
    }

    /// The keyed pseudonym of a row's name, where the core computes it.
    fn name_pseudonym(&self, value: &str) -> Option<String> {
        Some(self.values.as_ref()?.name_pseudonym(value))
    }

    pub fn feed(&mut self, text: &str) {
        if text.is_empty() {
            self.eof = true;
        } else {
            self.buf.push_str(text);
        }
    }

    /// Where the block's reading stands, for messages (a byte offset into the part's text).
    pub fn position(&self) -> usize {
        self.pos
    }

    /// The row's subject, borrowed from the text unless its field is quoted.
    fn subject_of<'a>(&self, buf: &'a str, row: &Row) -> Cow<'a, str> {
        match self.subject.and_then(|i| row.rec.fields.get(i).map(|f| (i, f))) {
            None => Cow::Borrowed(""),
            Some((_, f)) if f.close.is_none() => Cow::Borrowed(strip(&buf[f.start..f.end])),
            Some((i, _)) => Cow::Owned(strip(value(buf, row, i)).to_string()),
        }
    }

    fn row_idents(&self, buf: &str, row: &Row) -> Idents {
        idents_of(&self.idents, |i| value(buf, row, i))
    }

    /// Reads the block's records: BAIL, or OK with the misses, name misses and Python rows recorded.
    pub fn scan(&mut self) -> u8 {
        if self.entries.len() > (1 << 20) || self.memo_bytes > (64 << 20) || self.names.len() > (1 << 20) {
            self.memo.iter_mut().for_each(HashMap::clear);
            self.entries.clear();
            self.names.clear();
            self.memo_bytes = 0;
        }
        self.block.clear();
        self.misses.clear();
        self.pending.iter_mut().for_each(HashMap::clear);
        self.name_misses.clear();
        let buf = std::mem::take(&mut self.buf);
        let status = self.scan_buf(&buf);
        self.buf = buf;
        status
    }

    fn scan_buf(&mut self, buf: &str) -> u8 {
        loop {
            let rec = match parse(buf.as_bytes(), self.pos, self.eof, self.delim) {
                Step::Need | Step::Eof => return OK,
                Step::Open => return BAIL,
                Step::Blank(next) => {
                    if self.skip_first {
                        return BAIL;
                    }
                    self.pos = next;
                    continue;
                }
                Step::Rec(rec) => rec,
            };
            let next = rec.next;
            let body = &buf.as_bytes()[rec.fields[0].start..rec.body_end];
            if body.contains(&0) {
                return BAIL;
            }
            let ascii = body.is_ascii();
            let mut owned = Vec::new();
            for (i, f) in rec.fields.iter().enumerate() {
                let v = field_value(buf, f);
                if v.len() > self.max_chars && v.chars().count() > self.max_chars {
                    return BAIL;
                }
                if let Cow::Owned(v) = v {
                    owned.push((i, v));
                }
            }
            if self.skip_first {
                self.skip_first = false;
                self.pos = next;
                continue;
            }
            self.row_no += 1;
            let mut row = Row { rec, owned, cells: Vec::new(), python: !ascii, no: self.row_no, deferred: Vec::new(), idents: None };
            if !row.python {
                self.cells_of(buf, &mut row);
            }
            self.block.push(row);
            self.pos = next;
        }
    }

    fn cells_of(&mut self, buf: &str, row: &mut Row) {
        let subject = self.subject_of(buf, row);
        let mut key = String::new();
        let mut cells = Vec::with_capacity(self.specs.len());
        for n in 0..self.specs.len() {
            let (src, mode) = (self.specs[n].src, self.specs[n].mode);
            let text = value(buf, row, src);
            if mode == 0 || strip(text).is_empty() {
                cells.push(PASS);
                continue;
            }
            let subj = if mode >= 2 { subject.as_ref() } else { "" };
            let found = if mode >= 2 {
                // A cell whose output no subject changes is memoized by the cell alone (no NUL in it).
                if let Some(&id) = if self.by_cell[n] { self.memo[n].get(text) } else { None } {
                    if self.entries[id as usize].kind == ROW {
                        row.python = true;
                    }
                    cells.push(id);
                    continue;
                }
                key.clear();
                key.push_str(text);
                key.push('\0');
                key.push_str(subj);
                self.memo[n].get(key.as_str()).copied()
            } else {
                self.memo[n].get(text).copied()
            };
            if found.is_none() && mode == 3 {
                // Text whose output most often no subject changes (no date in it): the block asks
                // once per text; the rows of other subjects take that answer if it holds for any
                // subject, else only Python computes them.
                if let Some(&id) = self.pending[n].get(text) {
                    row.deferred.push(n);
                    cells.push(id);
                    continue;
                }
            }
            let id = match found {
                Some(id) => id,
                None => {
                    let id = self.entries.len() as u32;
                    let owned = if mode >= 2 { key.clone() } else { text.to_string() };
                    self.memo_bytes += owned.len() * 2 + 64;
                    if let Some((out, counted, bad)) = self.answer(n, text, subj) {
                        self.memo_bytes += out.len();
                        self.entries.push(Entry { kind: FIXED, out, counts: vec![counted], bad, any: false });
                        self.memo[n].insert(owned, id);
                        cells.push(id);
                        continue;
                    }
                    self.entries.push(Entry { kind: PENDING, out: String::new(), counts: Vec::new(), bad: false, any: false });
                    self.memo[n].insert(owned, id);
                    self.misses.push((id, n, text.to_string(), subj.to_string()));
                    if mode == 3 {
                        self.pending[n].insert(text.to_string(), id);
                    }
                    id
                }
            };
            if self.entries[id as usize].kind == ROW {
                row.python = true;
            }
            cells.push(id);
        }
        row.cells = cells;
        if self.idents.iter().any(|ic| ic.pseudonym) && !row.python {
            let idents = self.row_idents(buf, row);
            for (value, _, k) in &idents {
                if self.idents[*k].pseudonym && !self.names.contains_key(value) {
                    if let Some(pseudonym) = self.name_pseudonym(value) {
                        self.names.insert(value.clone(), Some(pseudonym));
                    } else {
                        self.names.insert(value.clone(), None);
                        self.name_misses.push(value.clone());
                    }
                }
            }
            row.idents = Some(idents);
        }
    }

    /// The block's misses: `(kept column, cell, subject)` (the subject only where it keys the memo).
    pub fn misses(&self) -> Vec<(usize, String, String)> {
        self.misses.iter().map(|(_, n, text, subj)| (*n, text.clone(), subj.clone())).collect()
    }

    pub fn name_misses(&self) -> &[String] {
        &self.name_misses
    }

    /// The block's rows only Python computes: `(index in the block, row number, fields)`.
    pub fn python_rows(&self, from_cells: bool) -> Vec<(usize, usize, Vec<String>)> {
        let buf = &self.buf;
        self.block
            .iter()
            .enumerate()
            .filter(|(_, r)| r.python && (r.cells.is_empty() != from_cells))
            .map(|(k, r)| (k, r.no, (0..r.rec.fields.len()).map(|i| value(buf, r, i).to_string()).collect()))
            .collect()
    }

    /// Python's answers to the misses (same order): `(kind, output, what to count, form bad)`;
    /// Err: an answer that does not fit.
    pub fn resolve(&mut self, answers: Vec<(u8, String, Vec<String>, bool)>, names: Vec<String>) -> Result<(), String> {
        if answers.len() != self.misses.len() || names.len() != self.name_misses.len() {
            return Err("the answers do not match the misses".into());
        }
        let misses = std::mem::take(&mut self.misses);
        for ((id, n, text, _), (kind, out, counted, bad)) in misses.iter().zip(answers) {
            let id = *id;
            let (kind, any_subject) = (kind & !ANY_SUBJECT, kind & ANY_SUBJECT != 0);
            if !(FIXED..=ROW).contains(&kind) {
                self.misses = misses;
                return Err("an answer of no known kind".into());
            }
            if any_subject && self.specs[*n].mode >= 2 {
                // The same output for every subject: later rows find it by the cell alone.
                self.memo_bytes += text.len() + 64;
                self.memo[*n].insert(text.clone(), id);
                self.by_cell[*n] = true;
            }
            let counts = counted.iter().map(|c| self.count_id(c)).collect();
            let kind = if kind == IDENTS && !out.is_ascii() { ROW } else { kind };
            self.memo_bytes += out.len();
            self.entries[id as usize] = Entry { kind, out, counts, bad, any: any_subject };
        }
        self.misses = misses;
        for (value, pseudonym) in std::mem::take(&mut self.name_misses).into_iter().zip(names) {
            if !pseudonym.is_ascii() {
                return Err("a pseudonym outside ASCII".into());
            }
            self.names.insert(value, Some(pseudonym));
        }
        let entries = &self.entries;
        for row in self.block.iter_mut() {
            let deferred_held = row.deferred.iter().all(|&n| entries[row.cells[n] as usize].any);
            if !row.python
                && (!deferred_held || row.cells.iter().any(|&id| id != PASS && entries[id as usize].kind == ROW))
            {
                row.python = true;
            }
        }
        Ok(())
    }

    /// Writes the block's copy; `outs`: the Python rows' output cells by block index. Returns the
    /// form-check residues `(row number, kept column)` of the core's rows, in row order.
    pub fn write(&mut self, outs: Vec<(usize, Vec<String>)>) -> Result<Vec<(usize, usize)>, String> {
        let mut given: HashMap<usize, Vec<String>> = outs.into_iter().collect();
        let block = std::mem::take(&mut self.block);
        let buf = std::mem::take(&mut self.buf);
        let mut out = std::mem::take(&mut self.out);
        let mut events = Vec::new();
        let mut result = Ok(());
        for (k, row) in block.iter().enumerate() {
            let width = row.rec.fields.len();
            let values: Vec<&str> = (0..width).map(|i| value(&buf, row, i)).collect();
            let cells: Vec<Cow<str>> = if row.python {
                match given.remove(&k) {
                    Some(cells) if cells.len() == self.specs.len() => cells.into_iter().map(Cow::Owned).collect(),
                    _ => {
                        result = Err("no output cells for a row only Python computes".to_string());
                        break;
                    }
                }
            } else {
                let computed;
                let idents: &Idents = match &row.idents {
                    Some(found) => found,
                    None if row.cells.iter().any(|&id| id != PASS && self.entries[id as usize].kind == IDENTS) => {
                        computed = self.row_idents(&buf, row);
                        &computed
                    }
                    None => &NO_IDENTS,
                };
                let mut cells = Vec::with_capacity(self.specs.len());
                for (n, &id) in row.cells.iter().enumerate() {
                    if id == PASS {
                        cells.push(Cow::Borrowed(values.get(self.specs[n].src).copied().unwrap_or("")));
                        continue;
                    }
                    let e = &self.entries[id as usize];
                    for &c in &e.counts {
                        self.counts[c as usize] += 1;
                    }
                    if e.bad && self.specs[n].checked {
                        events.push((row.no, n));
                    }
                    if e.kind == IDENTS && !idents.is_empty() {
                        cells.push(apply_idents(&e.out, idents, &self.idents, &self.names, &mut self.counts));
                    } else {
                        cells.push(Cow::Borrowed(e.out.as_str()));
                    }
                }
                cells
            };
            let cells: Vec<&str> = cells.iter().map(|c| c.as_ref()).collect();
            rewrite(&mut out, &buf, &row.rec, &values, &cells, &self.kept, self.delim);
        }
        // Every record read is written: the text before the next one is no longer needed.
        self.buf = buf[self.pos..].to_string();
        self.pos = 0;
        self.out = out;
        result.map(|_| events)
    }

    pub fn take(&mut self) -> String {
        std::mem::take(&mut self.out)
    }

    /// The data rows read so far.
    pub fn rows(&self) -> usize {
        self.row_no
    }

    pub fn counts(&self) -> Vec<(String, u64)> {
        self.count_names.iter().cloned().zip(self.counts.iter().copied()).filter(|(_, n)| *n > 0).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows() -> Rows {
        let specs = vec![Spec { src: 0, mode: 1, checked: true }, Spec { src: 2, mode: 1, checked: false }];
        let idents = vec![IdentCol { src: 1, is_name: true, token: "[N]".into(), count: 0, pseudonym: false }];
        Rows::new(b',', specs, idents, Some(0), true, 100, vec!["NAME".into()])
    }

    #[test]
    fn block_round_trip() {
        let mut r = rows();
        r.feed("id,name,note\nS1,Ann Lee,saw ann lee\nS1,Ann Lee,\"saw \"\"Lee\"\"\"\n\u{e9},x,y\n");
        r.feed("");
        assert_eq!(r.scan(), OK);
        let misses = r.misses();
        assert_eq!(misses.len(), 3);
        assert_eq!(r.python_rows(false).len(), 1);
        let answers = misses
            .iter()
            .map(|(n, text, _)| if *n == 0 { (FIXED, "P1".to_string(), vec!["pseudonyms".to_string()], false) }
                                else { (IDENTS, text.clone(), Vec::new(), false) })
            .collect();
        r.resolve(answers, Vec::new()).unwrap();
        let events = r.write(vec![(2, vec!["Z".into(), "y".into()])]).unwrap();
        assert!(events.is_empty());
        assert_eq!(r.take(), "P1,saw [N]\nP1,\"saw \"\"[N]\"\"\"\nZ,y\n");
        let counts = r.counts();
        assert!(counts.contains(&("NAME".to_string(), 2)) && counts.contains(&("pseudonyms".to_string(), 2)));
    }

    #[test]
    fn bails_on_what_it_does_not_read() {
        for text in ["id,name,note\n\"open", "id,name,note\na\0,b,c\n", "\nid,name,note\n"] {
            let mut r = rows();
            r.feed(text);
            r.feed("");
            assert_eq!(r.scan(), BAIL, "{text:?}");
        }
    }
}
