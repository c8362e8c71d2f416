//! Evaluation of a state-transition model for a chunk of draws, as arrays with draws innermost.

use super::{Compiled, EffectKind, Form};
use ndarray::Array2;

/// What the state-transition evaluation of a chunk keeps besides the ledger flows, and its
/// working memory (reused from chunk to chunk).
#[derive(Debug, Clone, Default)]
pub struct MarkovFlows {
    /// Discounted outcome totals, `[arm][outcome][draw]`.
    pub outcomes: Vec<f64>,
    /// Undiscounted outcome totals, `[arm][outcome][draw]`.
    pub outcomes_nominal: Vec<f64>,
    /// The unit trace (a cohort of one), `[arm][point][state][draw]`, points 0..=K.
    pub trace: Vec<f64>,
    /// Transition probabilities of every regime, `[regime][non-zero][draw]`.
    probs: Vec<f64>,
    /// Values by year since entry, `[y][draw]`.
    acc: Vec<f64>,
    /// Restated values by cohort and year since entry, `[cohort][y][draw]`.
    accp: Vec<f64>,
    /// The current year's values by position in the year, `[p][draw]`.
    pos: Vec<f64>,
    tmp: Vec<f64>,
    /// Ratios of discount points' factors to their years' at each draw's rate, `[p][draw]`.
    ratio: Vec<f64>,
    /// The scenario's year factors at each draw's rate, `[year][draw]`.
    year_df: Vec<f64>,
    /// Discount factors of one year, `[draw]`.
    fac: Vec<f64>,
}

/// Folds one year's values kept by position in the year into the nominal sums and, at each
/// position's ratio of its discount point's factor to its year's, into every cohort's restated
/// sums.
struct Fold<'a> {
    /// Whether flows are restated: without, elements go straight into `acc` by year.
    restate: bool,
    n: usize,
    h: usize,
    /// Years since entry that elements can fall in.
    ny: usize,
    per_year: usize,
    cohorts: &'a [(usize, usize)],
    /// Whether the ratios are per draw (`ratio`, `[p][draw]`) or per year (`ratio_year`,
    /// `[t][p]`).
    drawn: bool,
    ratio: &'a [f64],
    ratio_year: &'a [f64],
}

impl Fold<'_> {
    /// Where an element of year `y` since entry and cycle `cycle` accumulates: `acc`'s year, or,
    /// where flows are restated, its position in `pos` once the elements of the year before
    /// (`cur`) are folded. `own` as for [`Fold::fold`].
    #[allow(clippy::too_many_arguments)]
    fn slot<'s>(
        &self,
        acc: &'s mut [f64],
        accp: &mut [f64],
        pos: &'s mut [f64],
        cur: &mut Option<usize>,
        own: Option<&[f64]>,
        y: usize,
        cycle: usize,
    ) -> &'s mut [f64] {
        let n = self.n;
        if !self.restate {
            return &mut acc[y * n..][..n];
        }
        if *cur != Some(y) {
            self.finish(pos, *cur, acc, accp, own);
            *cur = Some(y);
        }
        &mut pos[(cycle % self.per_year) * n..][..n]
    }

    /// Fold the year `cur` last accumulated, if any (see [`Fold::slot`]).
    fn finish(
        &self,
        pos: &mut [f64],
        cur: Option<usize>,
        acc: &mut [f64],
        accp: &mut [f64],
        own: Option<&[f64]>,
    ) {
        if let (true, Some(y)) = (self.restate, cur) {
            self.fold(pos, y, acc, accp, own);
        }
    }

    /// Fold `pos` (`[p][draw]`, zeroed after) of year `y` since entry into `acc` and `accp`;
    /// `own` the ratios `[p]` of an outcome with its own constant rate.
    fn fold(
        &self,
        pos: &mut [f64],
        y: usize,
        acc: &mut [f64],
        accp: &mut [f64],
        own: Option<&[f64]>,
    ) {
        let (n, ny) = (self.n, self.ny);
        for p in 0..self.per_year {
            let src = &pos[p * n..][..n];
            for (x, &v) in acc[y * n..][..n].iter_mut().zip(src) {
                *x += v;
            }
            for (c, &(start, _)) in self.cohorts.iter().enumerate() {
                let t = start + y;
                if t >= self.h {
                    continue;
                }
                let dst = &mut accp[(c * ny + y) * n..][..n];
                match (own, self.drawn) {
                    (Some(o), _) => {
                        let r = o[p];
                        dst.iter_mut().zip(src).for_each(|(x, &v)| *x += v * r);
                    }
                    (None, true) => {
                        let rr = &self.ratio[p * n..][..n];
                        for ((x, &v), &r) in dst.iter_mut().zip(src).zip(rr) {
                            *x += v * r;
                        }
                    }
                    (None, false) => {
                        let r = self.ratio_year[t * self.per_year + p];
                        dst.iter_mut().zip(src).for_each(|(x, &v)| *x += v * r);
                    }
                }
            }
        }
        pos.fill(0.0);
    }
}

fn zeroed(v: &mut Vec<f64>, len: usize) {
    v.clear();
    v.resize(len, 0.0);
}

impl Compiled {
    /// Offsets of each regime's block in the probability buffer (in non-zeros).
    fn regime_offsets(&self) -> (Vec<usize>, usize) {
        let mut off = Vec::with_capacity(self.regimes.len());
        let mut total = 0;
        for r in &self.regimes {
            off.push(total);
            total += r.nonzeros.len();
        }
        (off, total)
    }

    /// Years since entry that elements can fall in.
    fn years_since_entry(&self) -> usize {
        self.cycles / self.cycle.per_year() as usize + 2
    }

    /// Evaluate a chunk of draws: `tt` is θ as `[param, draw]`; flows are added into `values`
    /// (`[cell, year, draw]`, horizon `h`) and, restated for discounting at each cycle's own
    /// point, into `values_pv`, which must be given exactly when `self.discount.restates`.
    // Several slices of one length are indexed in step.
    #[allow(clippy::needless_range_loop)]
    pub fn evaluate(
        &self,
        tt: &Array2<f64>,
        h: usize,
        values: &mut [f64],
        mut values_pv: Option<&mut [f64]>,
        out: &mut MarkovFlows,
    ) {
        let n = tt.ncols();
        let s = self.n_states();
        let k = self.cycles;
        let (offsets, _) = self.regime_offsets();
        let row = |j: usize| tt.row(j).to_slice().expect("standard layout");
        // 1. Transition probabilities of every regime, for every draw.
        self.probabilities(tt, &mut out.probs, &mut out.tmp, None);
        let probs = &out.probs;
        let tmp = &mut out.tmp;

        // 2. The unit trace of each arm.
        let pts = k + 1;
        zeroed(&mut out.trace, 2 * pts * s * n);
        for (a, arm) in self.arms.iter().enumerate() {
            let tr = &mut out.trace[a * pts * s * n..][..pts * s * n];
            tmp.fill(0.0);
            for &(_, slot) in &arm.initial {
                for (t, &v) in tmp.iter_mut().zip(row(slot)) {
                    *t += v;
                }
            }
            for &(st, slot) in &arm.initial {
                let dst = &mut tr[st * n..][..n];
                for ((x, &v), &t) in dst.iter_mut().zip(row(slot)).zip(tmp.iter()) {
                    *x += if t > 0.0 { v / t } else { 0.0 };
                }
            }
            for c in 0..k {
                let r = arm.regime_of_cycle[c];
                let base = offsets[r];
                let (cur, next) = tr.split_at_mut((c + 1) * s * n);
                let cur = &cur[c * s * n..];
                let next = &mut next[..s * n];
                for (q, &(i, j)) in self.regimes[r].nonzeros.iter().enumerate() {
                    let p = &probs[(base + q) * n..][..n];
                    let from = &cur[i * n..][..n];
                    let to = &mut next[j * n..][..n];
                    for ((t, &f), &pp) in to.iter_mut().zip(from).zip(p) {
                        *t += f * pp;
                    }
                }
            }
        }

        // 3. Values accumulated by year since entry (`acc`, `[y][draw]`), then booked into the
        //    cells by cohort. Where flows are restated, a year's elements are first kept by
        //    their position in the year (`pos`, `[p][draw]`) and then folded into `acc` and, at
        //    their ratios, into each cohort's discount-equivalent sums (`accp`,
        //    `[cohort][y][draw]`), so that the working set stays one year wide.
        let ny = self.years_since_entry();
        let per_year = self.cycle.per_year() as usize;
        let cd = &self.discount;
        let restate = values_pv.is_some();
        let nc = self.cohorts.len();
        let MarkovFlows {
            ref mut outcomes,
            ref mut outcomes_nominal,
            ref trace,
            ref mut acc,
            ref mut pos,
            ref mut accp,
            ref mut ratio,
            ref mut year_df,
            ref mut fac,
            ..
        } = *out;
        // The scenario's rate in each draw, when it is an input that moves in this chunk.
        let drawn = cd
            .rate_slot
            .map(|(j, base)| (row(j), base))
            .filter(|(r, base)| r.iter().any(|x| x != base))
            .map(|(r, _)| r);
        // Ratios of a discount point's factor to its year's: `[t][p]` at the schedule's rates,
        // or `[p][draw]` at each draw's own rate.
        let ratio_year: Vec<f64> = if restate {
            (0..h)
                .flat_map(|t| (0..per_year).map(move |p| cd.ratio(p, cd.rates[t])))
                .collect()
        } else {
            Vec::new()
        };
        zeroed(
            ratio,
            if restate && drawn.is_some() {
                per_year * n
            } else {
                0
            },
        );
        if let (true, Some(r)) = (restate, drawn) {
            for p in 0..per_year {
                for (x, &rr) in ratio[p * n..][..n].iter_mut().zip(r) {
                    *x = cd.ratio(p, rr);
                }
            }
        }
        let fold = Fold {
            restate,
            n,
            h,
            ny,
            per_year,
            cohorts: &self.cohorts,
            drawn: drawn.is_some(),
            ratio,
            ratio_year: &ratio_year,
        };
        zeroed(pos, if restate { per_year * n } else { 0 });
        let at =
            |a: usize, point: usize, st: usize| &trace[((a * pts + point) * s + st) * n..][..n];
        let book = |acc: &[f64],
                    accp: &[f64],
                    cell: usize,
                    constant: f64,
                    slot: usize,
                    values: &mut [f64],
                    mut values_pv: Option<&mut [f64]>| {
            let q = row(slot);
            for (c, &(start, size)) in self.cohorts.iter().enumerate() {
                let m = row(size);
                for y in 0..ny.min(h.saturating_sub(start)) {
                    let t = start + y;
                    let src = &acc[y * n..][..n];
                    let dst = &mut values[(cell * h + t) * n..][..n];
                    for (((x, &mm), &qq), &a) in dst.iter_mut().zip(m).zip(q).zip(src) {
                        *x += mm * (constant * qq * a);
                    }
                    if let Some(vp) = values_pv.as_deref_mut() {
                        let src = &accp[(c * ny + y) * n..][..n];
                        let dst = &mut vp[(cell * h + t) * n..][..n];
                        for (((x, &mm), &qq), &a) in dst.iter_mut().zip(m).zip(q).zip(src) {
                            *x += mm * (constant * qq * a);
                        }
                    }
                }
            }
        };
        let sizes = |acc: &mut Vec<f64>, accp: &mut Vec<f64>| {
            zeroed(acc, ny * n);
            zeroed(accp, if restate { nc * ny * n } else { 0 });
        };
        // Cost lines are sorted by (arm, state, window): lines that share them share `acc`.
        let mut last = None;
        for c in &self.costs {
            let key = (c.arm, c.state, c.from, c.to);
            if last != Some(key) {
                last = Some(key);
                sizes(acc, accp);
                let mut cur = None;
                for e in &self.cost_elements {
                    if e.cycle < c.from || e.cycle >= c.to {
                        continue;
                    }
                    let dst = fold.slot(acc, accp, pos, &mut cur, None, e.year, e.cycle);
                    for &(point, w) in &e.terms {
                        if w == 0.0 {
                            continue;
                        }
                        for (x, &v) in dst.iter_mut().zip(at(c.arm, point, c.state)) {
                            *x += w * v;
                        }
                    }
                }
                fold.finish(pos, cur, acc, accp, None);
            }
            let pv = values_pv.as_deref_mut();
            book(acc, accp, c.cell, c.constant, c.slot, values, pv);
        }
        for t in &self.transition_costs {
            sizes(acc, accp);
            let mut cur = None;
            for c in 0..k {
                let r = self.arms[t.arm].regime_of_cycle[c];
                let Some(q) = self.regimes[r]
                    .nonzeros
                    .iter()
                    .position(|&(a, b)| a == t.from && b == t.to)
                else {
                    continue;
                };
                let p = &probs[(offsets[r] + q) * n..][..n];
                let dst = fold.slot(acc, accp, pos, &mut cur, None, c / per_year, c);
                for ((x, &v), &pp) in dst.iter_mut().zip(at(t.arm, c, t.from)).zip(p) {
                    *x += v * pp;
                }
            }
            fold.finish(pos, cur, acc, accp, None);
            let pv = values_pv.as_deref_mut();
            book(acc, accp, t.cell, t.constant, t.slot, values, pv);
        }
        let no = self.outcomes.len();
        zeroed(outcomes, 2 * no * n);
        zeroed(outcomes_nominal, 2 * no * n);
        // The scenario's year factors in each draw, when its rate moves in this chunk.
        let follows = self.outcomes.iter().any(|o| o.rate.is_none());
        zeroed(year_df, if follows && drawn.is_some() { h * n } else { 0 });
        if let (true, Some(r)) = (follows, drawn) {
            for (d, &rr) in r.iter().enumerate() {
                let f = crate::discount::factors(&|_| rr, h as u32, cd.timing);
                for (t, x) in f.into_iter().enumerate() {
                    year_df[t * n + d] = x;
                }
            }
        }
        zeroed(fac, n);
        for (o, oc) in self.outcomes.iter().enumerate() {
            // Its own ratios when it has its own rate.
            let own: Option<Vec<f64>> = oc
                .rate
                .filter(|_| restate)
                .map(|r| (0..per_year).map(|p| cd.ratio(p, r)).collect());
            let by_draw = oc.rate.is_none() && drawn.is_some();
            for a in 0..2 {
                sizes(acc, accp);
                let mut cur = None;
                for e in &self.outcome_elements {
                    let own = own.as_deref();
                    let dst = fold.slot(acc, accp, pos, &mut cur, own, e.year, e.cycle);
                    for &(point, w) in &e.terms {
                        if w == 0.0 {
                            continue;
                        }
                        let wdt = w * self.dt;
                        for (st, v) in oc.values[a].iter().enumerate() {
                            let Some(slot) = v else { continue };
                            let val = row(*slot);
                            let src = at(a, point, st);
                            for ((x, &vv), &m) in dst.iter_mut().zip(val).zip(src) {
                                *x += wdt * vv * m;
                            }
                        }
                    }
                }
                fold.finish(pos, cur, acc, accp, own.as_deref());
                let tot = &mut outcomes[(a * no + o) * n..][..n];
                let nom = &mut outcomes_nominal[(a * no + o) * n..][..n];
                for (c, &(start, size)) in self.cohorts.iter().enumerate() {
                    let m = row(size);
                    for y in 0..ny.min(h.saturating_sub(start)) {
                        let t = start + y;
                        let src = &acc[y * n..][..n];
                        // Restated sums already carry each point's ratio to its year's factor.
                        let disc = if restate {
                            &accp[(c * ny + y) * n..][..n]
                        } else {
                            src
                        };
                        if by_draw {
                            fac.copy_from_slice(&year_df[t * n..][..n]);
                        } else {
                            fac.fill(oc.discount[t]);
                        }
                        let both = nom.iter_mut().zip(tot.iter_mut());
                        let vals = m.iter().zip(src).zip(disc).zip(fac.iter());
                        for ((no, to), (((&mm, &a), &b), &f)) in both.zip(vals) {
                            *no += mm * a;
                            *to += mm * b * f;
                        }
                    }
                }
            }
        }
    }

    /// Transition probabilities of every regime for every draw, `[regime][non-zero][draw]`.
    /// Rows whose entries off the diagonal sum to more than 1 (+ tolerance) are scaled to 1;
    /// with `over`, each (regime, row, largest sum) where that happened is recorded.
    // Several slices of one length are indexed in step.
    #[allow(clippy::needless_range_loop)]
    pub fn probabilities(
        &self,
        tt: &Array2<f64>,
        probs: &mut Vec<f64>,
        tmp: &mut Vec<f64>,
        mut over: Option<&mut Vec<(usize, usize, f64)>>,
    ) {
        let n = tt.ncols();
        let s = self.n_states();
        let (offsets, total_nz) = self.regime_offsets();
        let row = |j: usize| tt.row(j).to_slice().expect("standard layout");
        zeroed(probs, total_nz * n);
        zeroed(tmp, n);
        for (r, reg) in self.regimes.iter().enumerate() {
            let base = offsets[r];
            let mat = &self.matrices[reg.matrix];
            let pos = |i: usize, j: usize| {
                reg.nonzeros
                    .iter()
                    .position(|&(a, b)| a == i && b == j)
                    .map(|p| base + p)
            };
            for &(i, j, slot) in &mat.entries {
                if let Some(p) = pos(i, j) {
                    probs[p * n..][..n].copy_from_slice(row(slot));
                }
            }
            for i in 0..s {
                let idx: Vec<usize> = (0..reg.nonzeros.len())
                    .filter(|&q| reg.nonzeros[q].0 == i)
                    .map(|q| base + q)
                    .collect();
                match mat.form {
                    Form::Counts => {
                        let given: Vec<usize> = mat
                            .entries
                            .iter()
                            .filter(|e| e.0 == i)
                            .filter_map(|e| pos(e.0, e.1))
                            .collect();
                        if given.is_empty() {
                            continue;
                        }
                        tmp.fill(0.0);
                        for &p in &given {
                            for (t, &v) in tmp.iter_mut().zip(&probs[p * n..][..n]) {
                                *t += v;
                            }
                        }
                        for &p in &given {
                            for (v, &t) in probs[p * n..][..n].iter_mut().zip(tmp.iter()) {
                                *v = if t > 0.0 { *v / t } else { 0.0 };
                            }
                        }
                    }
                    Form::Rates => {
                        for &p in &idx {
                            let (a, b) = reg.nonzeros[p - base];
                            if a != b {
                                for v in probs[p * n..][..n].iter_mut() {
                                    *v = -(-*v * self.dt).exp_m1();
                                }
                            }
                        }
                    }
                    Form::Probabilities => {}
                }
            }
            // Effects on named transitions.
            for &e in &reg.effects {
                let eff = &self.effects[e];
                let theta = row(eff.slot);
                for &(i, j) in &eff.targets {
                    let Some(p) = pos(i, j) else { continue };
                    let v = &mut probs[p * n..][..n];
                    match eff.kind {
                        EffectKind::RelativeRisk => {
                            for (x, &m) in v.iter_mut().zip(theta) {
                                *x *= m;
                            }
                        }
                        EffectKind::HazardRatio => {
                            for (x, &m) in v.iter_mut().zip(theta) {
                                // hr = 1 leaves p exactly as it is.
                                if m != 1.0 {
                                    *x = -((m * (-*x).ln_1p()).exp_m1());
                                }
                            }
                        }
                    }
                }
            }
            // Transitions conditional on not moving to `conditional_on` first.
            if let Some(dead) = mat.conditional_on {
                for i in 0..s {
                    if i == dead {
                        continue;
                    }
                    let Some(pd) = pos(i, dead) else { continue };
                    tmp.copy_from_slice(&probs[pd * n..][..n]);
                    for q in 0..reg.nonzeros.len() {
                        let (a, b) = reg.nonzeros[q];
                        if a == i && b != i && b != dead {
                            let v = &mut probs[(base + q) * n..][..n];
                            for (x, &d) in v.iter_mut().zip(tmp.iter()) {
                                *x *= 1.0 - d;
                            }
                        }
                    }
                }
            }
            // The diagonal is the complement; a row over 1 is scaled to 1.
            for i in 0..s {
                let Some(diag) = pos(i, i) else { continue };
                tmp.fill(0.0);
                for q in 0..reg.nonzeros.len() {
                    let (a, b) = reg.nonzeros[q];
                    if a == i && b != i {
                        for (t, &v) in tmp.iter_mut().zip(&probs[(base + q) * n..][..n]) {
                            *t += v;
                        }
                    }
                }
                let worst = tmp.iter().copied().fold(0.0, f64::max);
                if let Some(o) = over.as_deref_mut()
                    && worst > 1.0 + super::ROW_TOLERANCE
                {
                    o.push((r, i, worst));
                }
                if worst > 1.0 {
                    for q in 0..reg.nonzeros.len() {
                        let (a, b) = reg.nonzeros[q];
                        if a == i && b != i {
                            let v = &mut probs[(base + q) * n..][..n];
                            for (x, &t) in v.iter_mut().zip(tmp.iter()) {
                                if t > 1.0 {
                                    *x /= t;
                                }
                            }
                        }
                    }
                }
                for (x, &t) in probs[diag * n..][..n].iter_mut().zip(tmp.iter()) {
                    *x = (1.0 - t).max(0.0);
                }
            }
        }
    }

    /// Participants of each draw (the cohorts' sizes summed).
    pub fn participants(&self, tt: &Array2<f64>, out: &mut [f64]) {
        out.fill(0.0);
        for &(_, size) in &self.cohorts {
            for (o, &v) in out.iter_mut().zip(tt.row(size)) {
                *o += v;
            }
        }
    }
}
