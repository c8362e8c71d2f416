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
    acc: Vec<f64>,
    tmp: Vec<f64>,
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
    /// (`[cell, year, draw]`, horizon `h`).
    // Several slices of one length are indexed in step.
    #[allow(clippy::needless_range_loop)]
    pub fn evaluate(&self, tt: &Array2<f64>, h: usize, values: &mut [f64], out: &mut MarkovFlows) {
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

        // 3. Values booked by year since entry, then into the cells by cohort.
        let ny = self.years_since_entry();
        let trace = &out.trace;
        let acc = &mut out.acc;
        let at =
            |a: usize, point: usize, st: usize| &trace[((a * pts + point) * s + st) * n..][..n];
        let book = |acc: &[f64], cell: usize, constant: f64, slot: usize, values: &mut [f64]| {
            let q = row(slot);
            for &(start, size) in &self.cohorts {
                let m = row(size);
                for y in 0..ny.min(h.saturating_sub(start)) {
                    let src = &acc[y * n..][..n];
                    let dst = &mut values[(cell * h + start + y) * n..][..n];
                    for (((x, &mm), &qq), &a) in dst.iter_mut().zip(m).zip(q).zip(src) {
                        *x += mm * (constant * qq * a);
                    }
                }
            }
        };
        // Cost lines are sorted by (arm, state, window): lines that share them share `acc`.
        let mut last = None;
        for c in &self.costs {
            let key = (c.arm, c.state, c.from, c.to);
            if last == Some(key) {
                book(acc, c.cell, c.constant, c.slot, values);
                continue;
            }
            last = Some(key);
            zeroed(acc, ny * n);
            for e in &self.cost_elements {
                if e.cycle < c.from || e.cycle >= c.to {
                    continue;
                }
                for &(point, w) in &e.terms {
                    if w == 0.0 {
                        continue;
                    }
                    let src = at(c.arm, point, c.state);
                    for (x, &v) in acc[e.year * n..][..n].iter_mut().zip(src) {
                        *x += w * v;
                    }
                }
            }
            book(acc, c.cell, c.constant, c.slot, values);
        }
        let per_year = self.cycle.per_year() as usize;
        for t in &self.transition_costs {
            zeroed(acc, ny * n);
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
                let src = at(t.arm, c, t.from);
                let y = c / per_year;
                for ((x, &v), &pp) in acc[y * n..][..n].iter_mut().zip(src).zip(p) {
                    *x += v * pp;
                }
            }
            book(acc, t.cell, t.constant, t.slot, values);
        }
        let no = self.outcomes.len();
        zeroed(&mut out.outcomes, 2 * no * n);
        zeroed(&mut out.outcomes_nominal, 2 * no * n);
        for (o, oc) in self.outcomes.iter().enumerate() {
            for a in 0..2 {
                zeroed(acc, ny * n);
                for e in &self.outcome_elements {
                    for &(point, w) in &e.terms {
                        if w == 0.0 {
                            continue;
                        }
                        let wdt = w * self.dt;
                        for (st, v) in oc.values[a].iter().enumerate() {
                            let Some(slot) = v else { continue };
                            let val = row(*slot);
                            let src = at(a, point, st);
                            let dst = &mut acc[e.year * n..][..n];
                            for ((x, &vv), &m) in dst.iter_mut().zip(val).zip(src) {
                                *x += wdt * vv * m;
                            }
                        }
                    }
                }
                let tot = &mut out.outcomes[(a * no + o) * n..][..n];
                let nom = &mut out.outcomes_nominal[(a * no + o) * n..][..n];
                for &(start, size) in &self.cohorts {
                    let m = row(size);
                    for y in 0..ny.min(h.saturating_sub(start)) {
                        let src = &acc[y * n..][..n];
                        let f = oc.discount[start + y];
                        let both = nom.iter_mut().zip(tot.iter_mut());
                        for ((no, to), (&mm, &a)) in both.zip(m.iter().zip(src)) {
                            *no += mm * a;
                            *to += mm * a * f;
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
