//! Yearly transitions between states (job, education, benefits, placement, …) for the matched
//! participants and their comparison group: the raw material of state-transition models.
//!
//! Year `k`'s transition goes from the state in the first month of window `k` (the index month
//! plus 12k) to the state twelve months later. Comparison persons count with weight 1/m, m being
//! the participant's number of matches, so that the comparison group stands for the participants.

use super::At;
use crate::services::States;
use serde::Serialize;
use std::collections::BTreeMap;

/// One group × year × from-state × to-state.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TransitionRow {
    /// `participants` or `comparison`.
    pub group: &'static str,
    /// The transition from year k to year k + 1 since start.
    pub year_since_start: i32,
    pub from: String,
    pub to: String,
    /// Persons making the transition (comparison: weighted by 1/m).
    pub count: Option<f64>,
    /// Of the persons in `from` at year k, the share in `to` at year k + 1.
    pub probability: Option<f64>,
    pub suppressed: bool,
}

/// States by person: `(month, state)` sorted by month, person by person.
struct ByPerson {
    offsets: Vec<u32>,
    rows: Vec<(u16, u16)>,
}

impl ByPerson {
    fn new(states: &States, persons: usize) -> ByPerson {
        let mut offsets = vec![0u32; persons + 1];
        for r in &states.rows {
            offsets[r.person as usize + 1] += 1;
        }
        for i in 0..persons {
            offsets[i + 1] += offsets[i];
        }
        let mut fill = offsets.clone();
        let mut rows = vec![(0u16, 0u16); states.rows.len()];
        for r in &states.rows {
            let at = &mut fill[r.person as usize];
            rows[*at as usize] = (r.month, r.state);
            *at += 1;
        }
        for i in 0..persons {
            rows[offsets[i] as usize..offsets[i + 1] as usize].sort_unstable();
        }
        ByPerson { offsets, rows }
    }

    fn state(&self, person: u32, month: i32) -> Option<u16> {
        let r = &self.rows
            [self.offsets[person as usize] as usize..self.offsets[person as usize + 1] as usize];
        let m = u16::try_from(month).ok()?;
        r.binary_search_by_key(&m, |x| x.0).ok().map(|i| r[i].1)
    }
}

/// A cell of the transition tables: (group, year since start, from-state, to-state).
type Cell = (u8, i32, u16, u16);

/// Count yearly transitions of the matched units (participant at index month, comparisons).
pub(super) fn count(
    states: &States,
    persons: usize,
    units: &[(At, Vec<u32>)],
    ks: &[i32],
    threshold: usize,
) -> Vec<TransitionRow> {
    let by = ByPerson::new(states, persons);
    // (group, k, from, to) → (weighted count, the persons behind it)
    let mut cells: BTreeMap<Cell, (f64, Vec<u32>)> = BTreeMap::new();
    for (at, m) in units {
        let wc = 1.0 / m.len() as f64;
        for &k in &ks[..ks.len().saturating_sub(1)] {
            let (a, b) = (at.month + 12 * k, at.month + 12 * (k + 1));
            if let (Some(f), Some(t)) = (by.state(at.person, a), by.state(at.person, b)) {
                let e = cells.entry((0, k, f, t)).or_default();
                e.0 += 1.0;
                e.1.push(at.person);
            }
            for &c in m {
                if let (Some(f), Some(t)) = (by.state(c, a), by.state(c, b)) {
                    let e = cells.entry((1, k, f, t)).or_default();
                    e.0 += wc;
                    e.1.push(c);
                }
            }
        }
    }
    // A comparison person matched to several participants counts once.
    for (_, ids) in cells.values_mut() {
        ids.sort_unstable();
        ids.dedup();
    }
    let keys: Vec<Cell> = cells.keys().copied().collect();
    let ids: Vec<&[u32]> = cells.values().map(|x| x.1.as_slice()).collect();
    // Weighted totals per (group, k, from), for the probabilities.
    let mut from_tot: BTreeMap<(u8, i32, u16), f64> = BTreeMap::new();
    for (&(g, k, f, _), (c, _)) in &cells {
        *from_tot.entry((g, k, f)).or_default() += c;
    }
    // Suppression, table by table (group × year).
    let mut hidden = vec![false; keys.len()];
    let mut i = 0;
    while i < keys.len() {
        let j = i + keys[i..]
            .iter()
            .take_while(|x| (x.0, x.1) == (keys[i].0, keys[i].1))
            .count();
        let cells: Vec<(u16, u16)> = keys[i..j].iter().map(|x| (x.2, x.3)).collect();
        let hide = suppress(&cells, &ids[i..j], threshold);
        hidden[i..j].copy_from_slice(&hide);
        i = j;
    }
    cells
        .into_iter()
        .zip(hidden)
        .map(|(((g, k, f, t), (c, _)), hide)| TransitionRow {
            group: if g == 0 { "participants" } else { "comparison" },
            year_since_start: k,
            from: states.names[f as usize].clone(),
            to: states.names[t as usize].clone(),
            count: (!hide).then_some(c),
            probability: (!hide).then(|| c / from_tot[&(g, k, f)]),
            suppressed: hide,
        })
        .collect()
}

/// Which cells of one transition table (one group and year: cells `(from, to)` with the
/// persons behind each) to suppress.
///
/// Primary: a cell with fewer persons than `threshold`. Secondary: a published cell's count and
/// probability give its row's total, and a row's total is the next year's count of persons in
/// its state, which the cells into that state (a column) add up to for persons seen in both
/// years. So rows and columns are both treated as lines with a known total: in a line of fewer
/// than `threshold` persons every cell is suppressed; in a line with a suppressed cell, further
/// cells are suppressed, smallest first, until at least two are and they hold at least
/// `threshold` persons together (or the whole line is). Rows and columns are passed over until
/// nothing changes, so that no suppressed cell is the remainder of a line.
pub(super) fn suppress(cells: &[(u16, u16)], ids: &[&[u32]], threshold: usize) -> Vec<bool> {
    let persons: Vec<usize> = ids.iter().map(|x| x.len()).collect();
    let mut hide: Vec<bool> = persons.iter().map(|&n| n < threshold).collect();
    let mut lines: BTreeMap<(bool, u16), Vec<usize>> = BTreeMap::new();
    for (c, &(f, t)) in cells.iter().enumerate() {
        lines.entry((false, f)).or_default().push(c);
        lines.entry((true, t)).or_default().push(c);
    }
    // The persons of a line, each once.
    let totals: Vec<(Vec<usize>, usize)> = lines
        .into_values()
        .map(|line| {
            let mut all: Vec<u32> = line.iter().flat_map(|&c| ids[c].iter().copied()).collect();
            all.sort_unstable();
            all.dedup();
            (line, all.len())
        })
        .collect();
    loop {
        let mut changed = false;
        for (line, total) in &totals {
            changed |= protect(line, &persons, *total, threshold, &mut hide);
        }
        if !changed {
            return hide;
        }
    }
}

/// Suppress further cells of one line (cell indices `line`, `total` persons) as [`suppress`]
/// says; whether any was.
fn protect(
    line: &[usize],
    persons: &[usize],
    total: usize,
    threshold: usize,
    hide: &mut [bool],
) -> bool {
    let before = line.iter().filter(|&&c| hide[c]).count();
    if total < threshold {
        line.iter().for_each(|&c| hide[c] = true);
        return line.len() > before;
    }
    if before == 0 {
        return false;
    }
    let mut open: Vec<usize> = line.iter().copied().filter(|&c| !hide[c]).collect();
    open.sort_by_key(|&c| (persons[c], c));
    let mut open = open.into_iter();
    let mut changed = false;
    loop {
        let count = line.iter().filter(|&&c| hide[c]).count();
        let held: usize = line.iter().filter(|&&c| hide[c]).map(|&c| persons[c]).sum();
        if count >= 2 && held >= threshold {
            return changed;
        }
        match open.next() {
            Some(c) => {
                hide[c] = true;
                changed = true;
            }
            None => return changed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::suppress;
    use proptest::prelude::*;

    /// A table from rows of persons per cell (0: no cell), persons numbered apart.
    fn table(rows: &[&[usize]]) -> (Vec<(u16, u16)>, Vec<Vec<u32>>) {
        let (mut cells, mut ids, mut next) = (Vec::new(), Vec::new(), 0u32);
        for (f, row) in rows.iter().enumerate() {
            for (t, &n) in row.iter().enumerate() {
                if n > 0 {
                    cells.push((f as u16, t as u16));
                    ids.push((next..next + n as u32).collect());
                    next += n as u32;
                }
            }
        }
        (cells, ids)
    }

    fn run(rows: &[&[usize]], threshold: usize) -> Vec<bool> {
        let (cells, ids) = table(rows);
        let refs: Vec<&[u32]> = ids.iter().map(|v| v.as_slice()).collect();
        suppress(&cells, &refs, threshold)
    }

    #[test]
    fn a_lone_small_cell_takes_others_with_it_in_its_row_and_column() {
        // One row: 3 is primary; alone it would be the row's remainder, so 50 goes too.
        assert_eq!(run(&[&[100, 3, 50]], 5), [false, true, true]);
        // Two small cells holding 7 ≥ 5 persons together are enough in a row, but each is
        // alone in its column there: one row is one cell per column, so each column is a line
        // of one cell whose total is its own persons (< 5: suppressed with it).
        assert_eq!(run(&[&[100, 3, 4, 50]], 5), [false, true, true, false]);
        // Nothing small, nothing suppressed; a small row is suppressed whole.
        assert_eq!(run(&[&[100, 5, 50]], 5), [false, false, false]);
        assert_eq!(run(&[&[2, 1]], 5), [true, true]);
        // Two rows: the small cell (row 0, column 1) takes row 0's next smallest (column 2,
        // 40) and column 1's other cell (row 1, 30); column 2 then has row 0's 40 hidden and
        // row 1's 60 open, so 60 goes as well, and row 1 holds 30 and 60 hidden.
        let h = run(&[&[50, 3, 40], &[70, 30, 60]], 5);
        assert_eq!(h, [false, true, true, false, true, true]);
    }

    #[test]
    fn a_person_counts_once_in_a_cell() {
        // Four cells; the comparison person 7 appears three times in one cell (matched to three
        // participants): one person, below 5.
        let cells = [(0u16, 0u16), (0, 1)];
        let a: Vec<u32> = (0..50).collect();
        let b = [7u32, 7, 7, 7, 7];
        let mut b = b.to_vec();
        b.dedup();
        let h = suppress(&cells, &[&a, &b], 5);
        assert_eq!(h, [true, true]);
    }

    proptest! {
        #[test]
        fn no_line_has_a_lone_suppressed_cell(
            rows in prop::collection::vec(prop::collection::vec(0usize..40, 4), 1..5),
            threshold in 1usize..8,
        ) {
            let refs: Vec<&[usize]> = rows.iter().map(|r| r.as_slice()).collect();
            let (cells, ids) = table(&refs);
            let idr: Vec<&[u32]> = ids.iter().map(|v| v.as_slice()).collect();
            let hide = suppress(&cells, &idr, threshold);
            for (c, ids) in ids.iter().enumerate() {
                if ids.len() < threshold {
                    prop_assert!(hide[c], "primary cell {c} published");
                }
            }
            for line in [false, true] {
                let key = |c: usize| if line { cells[c].1 } else { cells[c].0 };
                let mut groups = std::collections::BTreeMap::<u16, Vec<usize>>::new();
                for c in 0..cells.len() {
                    groups.entry(key(c)).or_default().push(c);
                }
                for cs in groups.values() {
                    let hidden: Vec<usize> = cs.iter().copied().filter(|&c| hide[c]).collect();
                    if hidden.is_empty() || hidden.len() == cs.len() {
                        continue;
                    }
                    let held: usize = hidden.iter().map(|&c| ids[c].len()).sum();
                    prop_assert!(hidden.len() >= 2 && held >= threshold,
                        "line {cs:?}: hidden {hidden:?} hold {held}");
                }
            }
        }
    }
}
