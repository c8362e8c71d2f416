//! Yearly transitions between states (job, education, benefits, placement, …) for the matched
//! participants and their comparison group: the raw material of state-transition models.
//!
//! Year `k`'s transition goes from the state in the first month of window `k` (the index month
//! plus 12k) to the state twelve months later. Comparison persons count with weight 1/m, m being
//! the participant's number of matches, so that the comparison group stands for the participants.

use super::At;
use crate::casedata::services::States;
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

/// Count yearly transitions of the matched units (participant at index month, comparisons).
pub(super) fn count(
    states: &States,
    persons: usize,
    units: &[(At, Vec<u32>)],
    ks: &[i32],
    threshold: usize,
) -> Vec<TransitionRow> {
    let by = ByPerson::new(states, persons);
    // (group, k, from, to) → (weighted count, persons)
    let mut cells: BTreeMap<(u8, i32, u16, u16), (f64, usize)> = BTreeMap::new();
    for (at, m) in units {
        let wc = 1.0 / m.len() as f64;
        for &k in &ks[..ks.len().saturating_sub(1)] {
            let (a, b) = (at.month + 12 * k, at.month + 12 * (k + 1));
            if let (Some(f), Some(t)) = (by.state(at.person, a), by.state(at.person, b)) {
                let e = cells.entry((0, k, f, t)).or_default();
                e.0 += 1.0;
                e.1 += 1;
            }
            for &c in m {
                if let (Some(f), Some(t)) = (by.state(c, a), by.state(c, b)) {
                    let e = cells.entry((1, k, f, t)).or_default();
                    e.0 += wc;
                    e.1 += 1;
                }
            }
        }
    }
    // Totals per (group, k, from).
    let mut from_tot: BTreeMap<(u8, i32, u16), (f64, usize)> = BTreeMap::new();
    for (&(g, k, f, _), &(c, n)) in &cells {
        let e = from_tot.entry((g, k, f)).or_default();
        e.0 += c;
        e.1 += n;
    }
    // Suppression, row by row (group × year × from-state).
    let mut hidden: Vec<bool> = Vec::with_capacity(cells.len());
    let keys: Vec<(u8, i32, u16)> = cells.keys().map(|&(g, k, f, _)| (g, k, f)).collect();
    let persons: Vec<usize> = cells.values().map(|x| x.1).collect();
    let mut i = 0;
    while i < keys.len() {
        let j = i + keys[i..].iter().take_while(|&&x| x == keys[i]).count();
        hidden.extend(suppress(&persons[i..j], from_tot[&keys[i]].1, threshold));
        i = j;
    }
    cells
        .into_iter()
        .zip(hidden)
        .map(|(((g, k, f, t), (c, _)), hide)| {
            let tot = from_tot[&(g, k, f)];
            let ok = !hide;
            TransitionRow {
                group: if g == 0 { "participants" } else { "comparison" },
                year_since_start: k,
                from: states.names[f as usize].clone(),
                to: states.names[t as usize].clone(),
                count: ok.then_some(c),
                probability: ok.then(|| c / tot.0),
                suppressed: !ok,
            }
        })
        .collect()
}

/// Which cells of one origin row to suppress, from the persons in each cell and in the row.
///
/// Primary: a cell with fewer persons than `threshold`, or every cell of a row with fewer.
/// Secondary: a published cell's count and probability give the row's total, so a row's
/// suppressed cells together are its remainder; when any cell is suppressed, further cells are
/// suppressed, smallest first, until at least two are and they hold at least `threshold`
/// persons together (or the whole row is suppressed).
pub(super) fn suppress(persons: &[usize], row_persons: usize, threshold: usize) -> Vec<bool> {
    if row_persons < threshold {
        return vec![true; persons.len()];
    }
    let mut hide: Vec<bool> = persons.iter().map(|&n| n < threshold).collect();
    if !hide.iter().any(|&h| h) {
        return hide;
    }
    let mut order: Vec<usize> = (0..persons.len()).filter(|&c| !hide[c]).collect();
    order.sort_by_key(|&c| (persons[c], c));
    let mut next = order.into_iter();
    loop {
        let count = hide.iter().filter(|&&h| h).count();
        let held: usize = (0..persons.len())
            .filter(|&c| hide[c])
            .map(|c| persons[c])
            .sum();
        if count >= 2 && held >= threshold {
            break;
        }
        match next.next() {
            Some(c) => hide[c] = true,
            None => break,
        }
    }
    hide
}

#[cfg(test)]
mod tests {
    use super::suppress;

    #[test]
    fn a_lone_small_cell_takes_the_next_smallest_with_it() {
        // 3 is primary; alone it would be the row's remainder, so 50 goes too.
        assert_eq!(suppress(&[100, 3, 50], 153, 5), [false, true, true]);
        // Two small cells that hold 7 ≥ 5 persons together are enough.
        assert_eq!(
            suppress(&[100, 3, 4, 50], 157, 5),
            [false, true, true, false]
        );
        // Two small cells with 4 < 5 persons together take the next smallest.
        assert_eq!(
            suppress(&[100, 2, 2, 50], 154, 5),
            [false, true, true, true]
        );
        // Nothing small, nothing suppressed; a small row is suppressed whole.
        assert_eq!(suppress(&[100, 5, 50], 155, 5), [false, false, false]);
        assert_eq!(suppress(&[2, 1], 3, 5), [true, true]);
        // A row of one small and one large cell is suppressed whole.
        assert_eq!(suppress(&[1, 40], 41, 5), [true, true]);
        // Ties break by position, so the result does not depend on anything else.
        assert_eq!(suppress(&[9, 1, 9], 19, 5), [true, true, false]);
    }
}
