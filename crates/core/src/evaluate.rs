//! Evaluating a compiled [`Model`] for a chunk of draws: θ `[draw, param]` in, [`Flows`]
//! `[cell, year, draw]` out. Terms on the outside, draws on the inside, no allocation per draw;
//! the state-transition form's cohorts are advanced by `crate::markov::sim`.

use crate::model::{Model, Persist, Product, Shape};
use ndarray::{Array1, Array2, Array3, ArrayView2, Axis};

/// Flows of a chunk of draws.
#[derive(Debug, Clone, Default)]
pub struct Flows {
    /// `[cell, year, draw]`, kr. in price-year prices; expenditure +, saving −. Draws are
    /// innermost so that every term updates contiguous memory.
    pub values: Array3<f64>,
    /// `values` restated for discounting: the amounts that, times their year's discount factor,
    /// give their exact present value. Empty, and then the same as `values`, unless a
    /// state-transition model discounts cycles at points other than their year's (cycles
    /// shorter than a year, `crate::markov::CycleDiscount`); see [`Flows::pv`].
    pub values_pv: Array3<f64>,
    /// Participants per draw.
    pub participants: Array1<f64>,
    /// Net additional successful outcomes (intervention − baseline) per draw.
    pub outcomes: Array1<f64>,
    /// The time shapes of every draw, `[shape, k, draw]` (kept so that a reused `Flows`
    /// reuses their memory too).
    pub shapes: Array3<f64>,
    /// Outcomes and trace of the state-transition form (empty without `[states]`).
    pub markov: crate::markov::sim::MarkovFlows,
}

/// A zeroed array of shape `dim`, reusing `a`'s memory when it already has that shape.
fn zeroed(a: &mut Array3<f64>, dim: (usize, usize, usize)) {
    if a.dim() == dim {
        a.fill(0.0);
    } else {
        *a = Array3::zeros(dim);
    }
}

impl Flows {
    /// The flows of draw `d`, `[cell, year]`.
    pub fn draw(&self, d: usize) -> ArrayView2<'_, f64> {
        self.values.index_axis(Axis(2), d)
    }

    /// The flows as they are discounted (`values_pv` where they are restated, else `values`).
    pub fn pv(&self) -> &Array3<f64> {
        if self.values_pv.is_empty() {
            &self.values
        } else {
            &self.values_pv
        }
    }

    /// The restated flows of draw `d`, when the flows are restated.
    pub fn draw_pv(&self, d: usize) -> Option<ArrayView2<'_, f64>> {
        (!self.values_pv.is_empty()).then(|| self.values_pv.index_axis(Axis(2), d))
    }
}

impl Model {
    /// Evaluate the flows for a chunk of draws, `theta` being `[draw, param]`.
    pub fn evaluate(&self, theta: ArrayView2<f64>) -> Flows {
        let mut out = Flows::default();
        self.evaluate_into(theta, &mut out);
        out
    }

    /// [`Model::evaluate`] into `out`, reusing its memory (a Monte Carlo run evaluates chunk
    /// after chunk of the same size).
    pub fn evaluate_into(&self, theta: ArrayView2<f64>, out: &mut Flows) {
        let n = theta.nrows();
        let h = self.horizon();
        // θ transposed to [param, draw] so that each parameter is a contiguous vector.
        let tt = theta.t().as_standard_layout().into_owned();
        let shape_len = 2 * h;
        self.eval_shapes(&tt, n, &mut out.shapes);
        zeroed(&mut out.values, (self.cells.len(), h, n));
        let vals = out.values.as_slice_mut().expect("standard layout");
        let sh = out.shapes.as_slice().expect("standard layout");
        let mut scalar = vec![0.0; n];
        for term in &self.terms {
            self.eval_product(&term.product, &tt, &mut scalar);
            let k0 = (-term.first).max(0) as usize;
            let y0 = term.first.max(0) as usize;
            let take = h.saturating_sub(y0).min(shape_len.saturating_sub(k0));
            let window = matches!(self.shapes[term.shape], Shape::Window(_));
            for k in 0..take {
                let src = ((term.shape * shape_len) + k0 + k) * n;
                let shape = &sh[src..src + n];
                if window && shape.first() == Some(&0.0) {
                    break;
                }
                let dst = ((term.cell * h) + y0 + k) * n;
                let row = &mut vals[dst..dst + n];
                for ((v, &s), &f) in row.iter_mut().zip(&scalar).zip(shape) {
                    *v += s * f;
                }
            }
        }
        let mut participants = Array1::zeros(n);
        for p in &self.participants {
            self.eval_product(p, &tt, &mut scalar);
            for (d, s) in scalar.iter().enumerate() {
                participants[d] += s;
            }
        }
        let mut outcomes = Array1::zeros(n);
        for (arm, p) in &self.outcomes {
            self.eval_product(p, &tt, &mut scalar);
            for (d, s) in scalar.iter().enumerate() {
                outcomes[d] += arm.sign() * s;
            }
        }
        let restates = self.markov.as_ref().is_some_and(|mk| mk.discount.restates);
        if restates {
            // The terms' flows are discounted by year; the state-transition flows are added
            // restated below.
            if out.values_pv.dim() == out.values.dim() {
                out.values_pv.assign(&out.values);
            } else {
                out.values_pv = out.values.clone();
            }
        } else if !out.values_pv.is_empty() {
            out.values_pv = Array3::zeros((0, 0, 0));
        }
        if let Some(mk) = &self.markov {
            let vals = out.values.as_slice_mut().expect("standard layout");
            let pv = restates.then(|| out.values_pv.as_slice_mut().expect("standard layout"));
            mk.evaluate(&tt, h, vals, pv, &mut out.markov);
            mk.participants(&tt, &mut scalar);
            for (p, s) in participants.iter_mut().zip(&scalar) {
                *p += s;
            }
            // The net outcome of the core is the first outcome's discounted increment.
            if !mk.outcomes.is_empty() {
                let no = mk.outcomes.len();
                let o = &out.markov.outcomes;
                for d in 0..n {
                    outcomes[d] += o[no * n + d] - o[d];
                }
            }
        }
        out.participants = participants;
        out.outcomes = outcomes;
    }

    fn eval_product(&self, p: &Product, tt: &Array2<f64>, out: &mut [f64]) {
        out.fill(p.constant);
        for f in &p.factors {
            let col = tt.row(f.param);
            for (o, &v) in out.iter_mut().zip(col.iter()) {
                *o *= f.apply(v);
            }
        }
    }

    /// Shapes for every draw: `[shape, k, draw]` with k over twice the horizon, so that a term
    /// starting before year 0 can be read from its offset. `tt` is θ as `[param, draw]`.
    fn eval_shapes(&self, tt: &Array2<f64>, n: usize, out: &mut Array3<f64>) {
        let len = 2 * self.horizon();
        zeroed(out, (self.shapes.len(), len, n));
        let mut cur = vec![0.0; n];
        let mut step = vec![0.0; n];
        for (s, shape) in self.shapes.iter().enumerate() {
            let mut block = out.index_axis_mut(Axis(0), s);
            match shape {
                Shape::Window(w) => {
                    for k in 0..(*w as usize).min(len) {
                        block.row_mut(k).fill(1.0);
                    }
                }
                Shape::Effect {
                    persistence,
                    years,
                    phase_in,
                } => {
                    let last = years.map(|y| y as usize).unwrap_or(usize::MAX).min(len);
                    // Persistence by k, advanced multiplicatively for decay and half-life.
                    cur.fill(1.0);
                    match persistence {
                        Persist::Decay(i) => {
                            for (st, &v) in step.iter_mut().zip(tt.row(*i)) {
                                *st = 1.0 - v;
                            }
                        }
                        Persist::HalfLife(i) => {
                            for (st, &v) in step.iter_mut().zip(tt.row(*i)) {
                                *st = 0.5f64.powf(1.0 / v);
                            }
                        }
                        _ => step.fill(1.0),
                    }
                    for k in 0..last {
                        let mut row = block.row_mut(k);
                        match persistence {
                            Persist::Full => row.fill(1.0),
                            Persist::Profile(v) => match v.get(k) {
                                Some(&i) => row.assign(&tt.row(i)),
                                None => break,
                            },
                            Persist::Decay(_) | Persist::HalfLife(_) => {
                                for ((r, c), st) in row.iter_mut().zip(cur.iter_mut()).zip(&step) {
                                    *r = *c;
                                    *c *= st;
                                }
                            }
                        }
                        if let Some(&i) = phase_in.get(k) {
                            row.zip_mut_with(&tt.row(i), |r, &p| *r *= p);
                        }
                    }
                }
            }
        }
    }
}
