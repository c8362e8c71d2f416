//! The person × department × year panel and the group summaries built from it.
//!
//! The panel holds, for every person, department and calendar year, the summed amount, the
//! summed units and whether any service row fell there. It is dense (persons × departments per
//! year, a slab per year seen), so that accumulating a row is two array updates. It is
//! person-level data: it lives in memory only, and only [`GroupRow`] summaries — with small
//! groups suppressed — ever leave the engine.

use crate::contract::Persons;
use serde::Serialize;

/// Sums of one person, department and year. Kept together so that adding a row touches one
/// cache line.
#[derive(Debug, Clone, Copy, Default)]
pub struct PanelCell {
    pub amount: f64,
    pub units: f32,
    /// Service rows that fell in the cell.
    pub rows: u32,
}

/// One calendar year and department of the panel: a cell per person. Allocated when the first
/// row for that year and department arrives, so departments a data set never uses cost nothing.
#[derive(Debug, Clone)]
pub struct Slab {
    pub year: i32,
    pub department: u16,
    pub cells: Vec<PanelCell>,
}

/// Person × department × year sums of the services table.
#[derive(Debug, Clone)]
pub struct Panel {
    pub persons: usize,
    pub departments: Vec<String>,
    pub slabs: Vec<Slab>,
    /// Slab of (year, department): `slot[(year − FIRST_YEAR) × D + department]` = index + 1.
    slot: Vec<u32>,
    /// The (year, department) and slab of the last row added.
    last: (i32, u16, usize),
}

const FIRST_YEAR: i32 = 1900;
const YEARS: usize = 201;

impl Panel {
    pub fn new(persons: usize, departments: Vec<String>) -> Panel {
        let d = departments.len();
        Panel {
            persons,
            departments,
            slabs: Vec::new(),
            slot: vec![0; YEARS * d.max(1)],
            last: (i32::MIN, 0, 0),
        }
    }

    fn key(&self, year: i32, department: u16) -> usize {
        (year - FIRST_YEAR).clamp(0, YEARS as i32 - 1) as usize * self.departments.len()
            + department as usize
    }

    fn slab_index(&mut self, year: i32, department: u16) -> usize {
        if self.last.0 == year && self.last.1 == department {
            return self.last.2;
        }
        let k = self.key(year, department);
        if self.slot[k] == 0 {
            self.slabs.push(Slab {
                year,
                department,
                cells: vec![PanelCell::default(); self.persons],
            });
            self.slot[k] = self.slabs.len() as u32;
        }
        let i = self.slot[k] as usize - 1;
        self.last = (year, department, i);
        i
    }

    /// Add one service row.
    #[inline]
    pub fn add(&mut self, person: u32, department: u16, year: i32, amount: f64, units: f64) {
        let i = self.slab_index(year, department);
        let cell = &mut self.slabs[i].cells[person as usize];
        cell.amount += amount;
        cell.units += units as f32;
        cell.rows = cell.rows.saturating_add(1);
    }

    /// The cells of a year and department, if any row fell there.
    pub fn slab(&self, year: i32, department: u16) -> Option<&[PanelCell]> {
        match self.slot[self.key(year, department)] {
            0 => None,
            i => Some(&self.slabs[i as usize - 1].cells),
        }
    }

    /// Calendar years with any row, ascending.
    pub fn years(&self) -> Vec<i32> {
        let mut y: Vec<i32> = self.slabs.iter().map(|s| s.year).collect();
        y.sort_unstable();
        y.dedup();
        y
    }
}

/// A summary row: one group × department × year. Figures are blank (`None`) and `suppressed`
/// is true where fewer persons than the disclosure threshold stand behind them.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GroupRow {
    /// `participants` or `non_participants`.
    pub group: &'static str,
    pub department: String,
    /// Calendar year, or year relative to the index year.
    pub year: i32,
    /// Persons in the group observed that year.
    pub persons: Option<u64>,
    /// Persons with at least one service row in the department that year.
    pub users: Option<u64>,
    pub amount: Option<f64>,
    pub units: Option<f64>,
    /// Amount per person in the group (zeros included).
    pub mean_amount: Option<f64>,
    /// Amount per user (as a hand-written group-by computes it).
    pub mean_amount_per_user: Option<f64>,
    pub suppressed: bool,
}

/// Round kr. to øre (two decimals), as amounts are published.
pub(crate) fn ore(x: f64) -> f64 {
    (x * 100.0).round() / 100.0 + 0.0
}

#[derive(Default, Clone, Copy)]
struct Acc {
    persons: u64,
    users: u64,
    amount: f64,
    units: f64,
}

fn rows_of(acc: &[Acc], departments: &[String], years: &[i32], threshold: usize) -> Vec<GroupRow> {
    let nd = departments.len();
    let ny = years.len();
    let mut out = Vec::new();
    for g in 0..2 {
        for (d, dept) in departments.iter().enumerate() {
            for (y, &year) in years.iter().enumerate() {
                let a = acc[(g * nd + d) * ny + y];
                if a.persons == 0 {
                    continue;
                }
                let t = threshold as u64;
                let small = a.persons < t || (a.users > 0 && a.users < t);
                let group = if g == 0 {
                    "participants"
                } else {
                    "non_participants"
                };
                out.push(if small {
                    GroupRow {
                        group,
                        department: dept.clone(),
                        year,
                        persons: None,
                        users: None,
                        amount: None,
                        units: None,
                        mean_amount: None,
                        mean_amount_per_user: None,
                        suppressed: true,
                    }
                } else {
                    GroupRow {
                        group,
                        department: dept.clone(),
                        year,
                        persons: Some(a.persons),
                        users: Some(a.users),
                        amount: Some(ore(a.amount)),
                        units: Some(ore(a.units)),
                        mean_amount: Some(ore(a.amount / a.persons as f64)),
                        mean_amount_per_user: (a.users > 0).then(|| ore(a.amount / a.users as f64)),
                        suppressed: false,
                    }
                });
            }
        }
    }
    out
}

/// Participants and non-participants × department × calendar year.
pub fn by_calendar_year(panel: &Panel, persons: &Persons, threshold: usize) -> Vec<GroupRow> {
    let years = panel.years();
    let nd = panel.departments.len();
    let ny = years.len();
    let group_size = [
        persons.participant.iter().filter(|&&p| p).count() as u64,
        persons.participant.iter().filter(|&&p| !p).count() as u64,
    ];
    let mut acc = vec![Acc::default(); 2 * nd * ny];
    for g in 0..2 {
        for a in &mut acc[g * nd * ny..(g + 1) * nd * ny] {
            a.persons = group_size[g];
        }
    }
    for (y, &year) in years.iter().enumerate() {
        for d in 0..nd {
            let Some(cells) = panel.slab(year, d as u16) else {
                continue;
            };
            for (p, c) in cells.iter().enumerate() {
                if c.rows > 0 {
                    let g = usize::from(!persons.participant[p]);
                    let a = &mut acc[(g * nd + d) * ny + y];
                    a.users += 1;
                    a.amount += c.amount;
                    a.units += c.units as f64;
                }
            }
        }
    }
    rows_of(&acc, &panel.departments, &years, threshold)
}

/// Participants and non-participants × department × year relative to the index year: a
/// participant's start year, and `reference_year` for non-participants.
pub fn by_relative_year(
    panel: &Panel,
    persons: &Persons,
    reference_year: i32,
    threshold: usize,
) -> Vec<GroupRow> {
    let years = panel.years();
    let (Some(&lo), Some(&hi)) = (years.first(), years.last()) else {
        return Vec::new();
    };
    let index_year: Vec<i32> = (0..persons.len())
        .map(|p| match (persons.participant[p], persons.start[p]) {
            (true, Some((y, _, _))) => y,
            _ => reference_year,
        })
        .collect();
    let (Some(&imin), Some(&imax)) = (index_year.iter().min(), index_year.iter().max()) else {
        return Vec::new();
    };
    let (rmin, rmax) = (lo - imax, hi - imin);
    let rel: Vec<i32> = (rmin..=rmax).collect();
    let nd = panel.departments.len();
    let nr = rel.len();
    let mut acc = vec![Acc::default(); 2 * nd * nr];
    // Persons observed in each group and relative year (every year of the data counts).
    let mut observed = vec![0u64; 2 * nr];
    for (p, &iy) in index_year.iter().enumerate() {
        let g = usize::from(!persons.participant[p]);
        for year in lo..=hi {
            observed[g * nr + (year - iy - rmin) as usize] += 1;
        }
    }
    for g in 0..2 {
        for d in 0..nd {
            for r in 0..nr {
                acc[(g * nd + d) * nr + r].persons = observed[g * nr + r];
            }
        }
    }
    for year in lo..=hi {
        for d in 0..nd {
            let Some(cells) = panel.slab(year, d as u16) else {
                continue;
            };
            for (p, c) in cells.iter().enumerate() {
                if c.rows > 0 {
                    let g = usize::from(!persons.participant[p]);
                    let r = (year - index_year[p] - rmin) as usize;
                    let a = &mut acc[(g * nd + d) * nr + r];
                    a.users += 1;
                    a.amount += c.amount;
                    a.units += c.units as f64;
                }
            }
        }
    }
    rows_of(&acc, &panel.departments, &rel, threshold)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn persons(participant: &[bool], start: &[Option<i32>]) -> Persons {
        Persons {
            ids: (0..participant.len()).map(|i| format!("p{i}")).collect(),
            participant: participant.to_vec(),
            start: start.iter().map(|s| s.map(|y| (y, 1, 1))).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn sums_means_and_suppression() {
        // Six participants, one non-participant; department 0 only.
        let p = persons(
            &[true, true, true, true, true, true, false],
            &[Some(2020); 7],
        );
        let mut panel = Panel::new(7, vec!["a".into(), "b".into()]);
        for i in 0..6 {
            panel.add(i, 0, 2021, 100.0 * (i + 1) as f64, 1.0);
        }
        panel.add(6, 0, 2021, 50.0, 1.0);
        let rows = by_calendar_year(&panel, &p, 5);
        let part_a = rows
            .iter()
            .find(|r| r.group == "participants" && r.department == "a")
            .unwrap();
        assert_eq!(part_a.persons, Some(6));
        assert_eq!(part_a.users, Some(6));
        assert_eq!(part_a.amount, Some(2100.0));
        assert_eq!(part_a.mean_amount, Some(350.0));
        // Department b: six persons, no users — not disclosive, shown as zero.
        let part_b = rows
            .iter()
            .find(|r| r.group == "participants" && r.department == "b")
            .unwrap();
        assert_eq!((part_b.users, part_b.amount), (Some(0), Some(0.0)));
        // One non-participant: suppressed everywhere.
        assert!(
            rows.iter()
                .filter(|r| r.group == "non_participants")
                .all(|r| r.suppressed && r.amount.is_none())
        );
        // Relative to 2020: the 2021 rows are year +1.
        let rel = by_relative_year(&panel, &p, 2020, 5);
        assert!(rel.iter().all(|r| r.year == 1));
    }
}
