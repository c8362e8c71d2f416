//! The person × department × month amounts that estimation needs, and their 12-month window
//! sums.
//!
//! Estimation compares persons over years *since an index date*, and every person has their
//! own index month, so calendar-year sums do not do: the unit is the 12-month window that
//! starts in any month. [`MonthlyPanel`] accumulates the amount of every person, department
//! and month while the services are read (one `f32` per cell, a slab per department and month
//! seen); [`MonthlyPanel::into_windows`] then turns it, department by department, into [`Windows`]: for every
//! month `m` the sum over months `m … m + 11`, so that any window of any person is one read.
//!
//! Precision: a cell holds a month's amount in `f32` (7 significant digits: øre on amounts up
//! to 100,000 kr., about 0.1 kr. on a 12-month sum of 2 million), summed in `f64`.
//!
//! Person-level data: lives in memory only, like [`crate::panel::Panel`].

use rayon::prelude::*;

/// Months are counted from January 1900: `(year − 1900) × 12 + month − 1`, as in
/// [`crate::services::StateRow`].
pub fn month_index(year: i32, month: u32) -> i32 {
    (year - 1900) * 12 + month as i32 - 1
}

/// (year, month) of a month index.
pub fn year_month(m: i32) -> (i32, u32) {
    (1900 + m.div_euclid(12), m.rem_euclid(12) as u32 + 1)
}

/// First month, months, and per department the person-major amounts.
type Dense = (i32, usize, Vec<Option<Vec<f32>>>);

/// Person × department × month amounts, accumulated row by row.
#[derive(Debug, Clone)]
pub struct MonthlyPanel {
    pub persons: usize,
    pub departments: usize,
    /// Per department, per month since `first`: a slab of one amount per person.
    slabs: Vec<Vec<Option<Vec<f32>>>>,
    /// Month index of `slabs[d][0]`.
    first: i32,
    /// With a declared period (first month, months): per department, person-major
    /// `[person × months + month]`, so that one person's rows (which arrive together) land in
    /// one stretch of memory.
    dense: Option<Dense>,
}

/// The most memory the monthly amounts of one data set may take (person × department × month,
/// 4 bytes each): 16 GiB.
pub const MAX_BYTES: u64 = 16 << 30;

/// Check that the monthly amounts of `persons` persons in `departments` departments over
/// `months` months fit in [`MAX_BYTES`]; else what they would need, for the message.
pub fn check_size(persons: usize, departments: usize, months: i64) -> Result<(), String> {
    let bytes = (persons as u64)
        .saturating_mul(departments as u64)
        .saturating_mul(months.max(0) as u64)
        .saturating_mul(4);
    if bytes <= MAX_BYTES {
        return Ok(());
    }
    Err(format!(
        "the monthly amounts of {persons} persons in {departments} departments over {months} \
         months would need {:.1} GiB, more than the {} GiB som allows; declare the period to \
         estimate from (--from and --to, or `period` in dataset.toml)",
        bytes as f64 / (1u64 << 30) as f64,
        MAX_BYTES >> 30
    ))
}

impl MonthlyPanel {
    pub fn new(persons: usize, departments: usize) -> MonthlyPanel {
        MonthlyPanel {
            persons,
            departments,
            slabs: vec![Vec::new(); departments],
            first: i32::MAX,
            dense: None,
        }
    }

    /// A panel for rows known to lie in the months `from ..= to` (a declared period, which
    /// rows are checked against before they are added).
    pub fn with_period(persons: usize, departments: usize, from: i32, to: i32) -> MonthlyPanel {
        let n = (to - from + 1).max(1) as usize;
        MonthlyPanel {
            dense: Some((from, n, vec![None; departments])),
            ..MonthlyPanel::new(persons, departments)
        }
    }

    /// Add an amount to a person's month in a department.
    #[inline]
    pub fn add(&mut self, person: u32, department: u16, month: i32, amount: f64) {
        if let Some((from, n, depts)) = &mut self.dense {
            // Rows outside the declared period are refused before they get here.
            let k = month - *from;
            if k >= 0 && (k as usize) < *n {
                let persons = self.persons;
                let v = depts[department as usize].get_or_insert_with(|| vec![0.0; persons * *n]);
                v[person as usize * *n + k as usize] += amount as f32;
            }
            return;
        }
        if month < self.first {
            self.rebase(month);
        }
        let k = (month - self.first) as usize;
        let months = &mut self.slabs[department as usize];
        if months.len() <= k {
            months.resize(k + 1, None);
        }
        let slab = months[k].get_or_insert_with(|| vec![0.0; self.persons]);
        slab[person as usize] += amount as f32;
    }

    /// Move the first month back to `month` (rows rarely arrive out of order; this is cheap
    /// when they do not).
    fn rebase(&mut self, month: i32) {
        if self.first != i32::MAX {
            let shift = (self.first - month) as usize;
            for months in &mut self.slabs {
                if !months.is_empty() {
                    let mut v = vec![None; shift];
                    v.append(months);
                    *months = v;
                }
            }
        }
        self.first = month;
    }

    /// The 12-month window sums over the months `from ..= to` (month indices): for every
    /// department and every month `m` of the period, each person's amount over `m … m + 11`.
    /// Windows that run past `to` are partial and must not be used (see
    /// [`Windows::last_start`]). Consumes the panel; each department's months are freed once its windows are built.
    pub fn into_windows(self, from: i32, to: i32) -> Windows {
        let n = (to - from + 1).max(0) as usize;
        let persons = self.persons;
        if let Some((first, m, depts)) = self.dense
            && first == from
            && m == n
        {
            return Windows {
                persons,
                months: n,
                first: from,
                last: to,
                depts: depts
                    .into_iter()
                    .map(|d| {
                        d.map(|mut v| {
                            v.par_chunks_mut(n.max(1)).for_each(rolling_in_place);
                            v
                        })
                    })
                    .collect(),
            };
        }
        let mut depts = Vec::with_capacity(self.departments);
        for months in self.slabs {
            if months.iter().all(Option::is_none) {
                depts.push(None);
                continue;
            }
            // Months of the period, zero where no row fell (moved, not copied).
            let mut months = months;
            let m: Vec<Option<Vec<f32>>> = (0..n)
                .map(|i| {
                    let k = from + i as i32 - self.first;
                    if k >= 0 {
                        months.get_mut(k as usize).and_then(Option::take)
                    } else {
                        None
                    }
                })
                .collect();
            drop(months);
            // Person-major: a person's windows of one department are contiguous, so that the
            // many windows estimation reads of one person share cache lines. Built a block of
            // persons at a time, in parallel; each person's running sum is in f64.
            let mut pm = vec![0f32; persons * n];
            const BLOCK: usize = 4096;
            pm.par_chunks_mut(BLOCK * n.max(1))
                .enumerate()
                .for_each(|(b, out)| {
                    let p0 = b * BLOCK;
                    let np = out.len() / n.max(1);
                    let mut run = vec![0f64; np];
                    for slab in m.iter().take(12).flatten() {
                        for (r, &x) in run.iter_mut().zip(&slab[p0..p0 + np]) {
                            *r += f64::from(x);
                        }
                    }
                    for i in 0..n {
                        for (j, r) in run.iter().enumerate() {
                            out[j * n + i] = *r as f32;
                        }
                        if let Some(s) = &m[i] {
                            for (r, &x) in run.iter_mut().zip(&s[p0..p0 + np]) {
                                *r -= f64::from(x);
                            }
                        }
                        if let Some(Some(s)) = m.get(i + 12) {
                            for (r, &x) in run.iter_mut().zip(&s[p0..p0 + np]) {
                                *r += f64::from(x);
                            }
                        }
                    }
                });
            drop(m);
            depts.push(Some(pm));
        }
        Windows {
            persons,
            months: n,
            first: from,
            last: to,
            depts,
        }
    }
}

/// Replace a person's monthly amounts by the sums over each month and the eleven after it
/// (partial at the end), in place, summing in f64.
fn rolling_in_place(m: &mut [f32]) {
    let n = m.len();
    let mut run: f64 = m.iter().take(12).map(|&x| f64::from(x)).sum();
    for i in 0..n {
        let leaving = m[i];
        m[i] = run as f32;
        run -= f64::from(leaving);
        if i + 12 < n {
            run += f64::from(m[i + 12]);
        }
    }
}

/// 12-month window sums by department and starting month.
#[derive(Debug, Clone)]
pub struct Windows {
    pub persons: usize,
    /// First and last month (indices) of the observed period.
    pub first: i32,
    pub last: i32,
    /// Months in the period.
    months: usize,
    /// Per department (`None`: no row at all): `[person × months + month since first]`.
    depts: Vec<Option<Vec<f32>>>,
}

impl Windows {
    /// The last month a whole window can start in.
    pub fn last_start(&self) -> i32 {
        self.last - 11
    }

    /// Whether the window starting at `month` lies wholly inside the observed period.
    pub fn inside(&self, month: i32) -> bool {
        month >= self.first && month <= self.last_start()
    }

    /// A person's amount in a department over the 12 months from `month` (which must be
    /// [`inside`](Self::inside)).
    #[inline]
    pub fn get(&self, department: usize, month: i32, person: u32) -> f64 {
        match &self.depts[department] {
            None => 0.0,
            Some(w) => f64::from(w[person as usize * self.months + (month - self.first) as usize]),
        }
    }

    /// Whether a department has any row.
    pub fn has(&self, department: usize) -> bool {
        self.depts[department].is_some()
    }

    /// The windows of some persons only (`rows`, in this order), as if the case data held only
    /// them: a department has rows when any of them has an amount in it.
    pub fn subset(&self, rows: &[u32]) -> Windows {
        let m = self.months;
        Windows {
            persons: rows.len(),
            first: self.first,
            last: self.last,
            months: m,
            depts: self
                .depts
                .iter()
                .map(|d| {
                    let d = d.as_ref()?;
                    let mut v = Vec::with_capacity(rows.len() * m);
                    for &r in rows {
                        v.extend_from_slice(&d[r as usize * m..(r as usize + 1) * m]);
                    }
                    v.iter().any(|x| *x != 0.0).then_some(v)
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_indices_round_trip() {
        assert_eq!(month_index(1900, 1), 0);
        assert_eq!(month_index(2020, 3), 120 * 12 + 2);
        assert_eq!(year_month(month_index(2019, 12)), (2019, 12));
    }

    #[test]
    fn windows_sum_twelve_months() {
        // Two persons, one department, months 2020-01 … 2021-12.
        let from = month_index(2020, 1);
        let mut p = MonthlyPanel::new(2, 2);
        for i in 0..24 {
            p.add(0, 0, from + i, (i + 1) as f64); // 1, 2, …, 24
        }
        p.add(1, 0, from + 5, 100.0);
        p.add(1, 0, from + 5, 0.5);
        let w = p.into_windows(from, from + 23);
        assert_eq!(w.last_start(), from + 12);
        // Window from month 0: 1 + … + 12 = 78; from month 12: 13 + … + 24 = 222.
        assert_eq!(w.get(0, from, 0), 78.0);
        assert_eq!(w.get(0, from + 12, 0), 222.0);
        assert_eq!(w.get(0, from + 3, 0), (4..=15).sum::<i32>() as f64);
        assert_eq!(w.get(0, from, 1), 100.5);
        assert_eq!(w.get(0, from + 6, 1), 0.0);
        assert!(!w.has(1));
        assert_eq!(w.get(1, from, 0), 0.0);
        assert!(w.inside(from + 12) && !w.inside(from + 13) && !w.inside(from - 1));
    }

    #[test]
    fn a_declared_period_gives_the_same_windows() {
        let from = month_index(2020, 1);
        let mut a = MonthlyPanel::new(3, 2);
        let mut b = MonthlyPanel::with_period(3, 2, from, from + 35);
        for i in 0..36i32 {
            for (p, d, x) in [
                (0u32, 0u16, 1.5 * i as f64),
                (2, 1, 100.0 - i as f64),
                (1, 0, 7.0),
            ] {
                if (i + p as i32) % 3 != 0 {
                    a.add(p, d, from + i, x);
                    b.add(p, d, from + i, x);
                }
            }
        }
        let (wa, wb) = (
            a.into_windows(from, from + 35),
            b.into_windows(from, from + 35),
        );
        for d in 0..2 {
            assert_eq!(wa.has(d), wb.has(d));
            for m in from..=wa.last_start() {
                for p in 0..3 {
                    assert_eq!(
                        wa.get(d, m, p),
                        wb.get(d, m, p),
                        "d {d} month {m} person {p}"
                    );
                }
            }
        }
    }

    #[test]
    fn rows_out_of_order_are_kept() {
        let from = month_index(2020, 1);
        let mut p = MonthlyPanel::new(1, 1);
        p.add(0, 0, from + 13, 5.0);
        p.add(0, 0, from, 7.0);
        p.add(0, 0, from + 11, 1.0);
        let w = p.into_windows(from, from + 23);
        assert_eq!(w.get(0, from, 0), 8.0);
        assert_eq!(w.get(0, from + 2, 0), 6.0);
    }
}
