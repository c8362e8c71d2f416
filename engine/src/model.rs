//! The compiled model: a parameter vector θ and dense terms such that the flows of one draw are
//! a cheap function of θ, evaluated for a whole chunk of draws at once.
//!
//! A *cell* is one ledger line: arm × component × actor × department × item. A *term* adds
//! `constant · Π op(θ[f])` times a time *shape* (a window of intervention years, or an effect
//! profile by year since onset) into one cell from a given projection year on. Evaluation loops
//! over terms on the outside and draws on the inside, with no allocation per draw.

use ndarray::{Array1, Array2, Array3, ArrayView2, Axis};
use serde::Serialize;

/// Arm of the comparison. Incremental flows are `Intervention − Baseline`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Arm {
    /// With the intervention.
    Intervention,
    /// Without it: the services it replaces and the successes that happen anyway.
    Baseline,
}

impl Arm {
    pub fn as_str(self) -> &'static str {
        match self {
            Arm::Intervention => "intervention",
            Arm::Baseline => "baseline",
        }
    }
    /// Sign of this arm in the incremental (intervention − baseline) flow.
    pub fn sign(self) -> f64 {
        match self {
            Arm::Intervention => 1.0,
            Arm::Baseline => -1.0,
        }
    }
}

/// What a flow is. The first three are the investment, the last the consequences.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Component {
    InterventionCost,
    Startup,
    ReplacedService,
    Consequence,
}

impl Component {
    pub fn as_str(self) -> &'static str {
        match self {
            Component::InterventionCost => "intervention_cost",
            Component::Startup => "startup",
            Component::ReplacedService => "replaced_service",
            Component::Consequence => "consequence",
        }
    }
    pub fn kind(self) -> Kind {
        match self {
            Component::Consequence => Kind::Consequence,
            _ => Kind::Investment,
        }
    }
}

/// Investment (what the intervention costs, net of what it replaces) or consequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Investment,
    Consequence,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Investment => "investment",
            Kind::Consequence => "consequence",
        }
    }
}

/// An actor or department as the model knows it.
#[derive(Debug, Clone, Serialize)]
pub struct Entity {
    pub id: String,
    pub name: String,
    /// The Danish name, where the department map gives one (reports in Danish use it).
    #[serde(skip)]
    pub name_da: Option<String>,
    /// For a department, the index of its actor.
    #[serde(skip)]
    pub actor: usize,
    /// For an actor: whether it is part of the public sector (the total covers public actors).
    #[serde(skip)]
    pub public: bool,
}

/// A ledger item: one cost, replaced-service, start-up or consequence line of the scenario.
#[derive(Debug, Clone, Serialize)]
pub struct Item {
    pub name: String,
    /// The unit-price catalogue item it is priced from, if any.
    pub catalogue_id: Option<String>,
    /// Where the line's figure comes from, as the scenario states it.
    pub source: Option<String>,
}

/// One ledger line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cell {
    pub arm: Arm,
    pub component: Component,
    pub actor: usize,
    pub department: usize,
    pub item: usize,
}

/// A named slot of θ: one numeric input of the scenario.
#[derive(Debug, Clone, Serialize)]
pub struct ParamSlot {
    /// Field path in the scenario, e.g. `cohort[0].participants`.
    pub name: String,
    pub value: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The distribution the value is drawn from in a probabilistic run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dist: Option<crate::dist::Dist>,
    /// The values the input may take.
    #[serde(skip)]
    pub domain: Domain,
}

/// The values a numeric input may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Domain {
    #[default]
    Any,
    /// 0 or more.
    NonNegative,
    /// Above 0.
    Positive,
    /// Between 0 and 1.
    Share,
    /// Above −1 (a rate or an uplift).
    AboveMinusOne,
}

impl Domain {
    /// The closed hull of the domain, (lowest, highest); infinite where unbounded.
    pub fn bounds(self) -> (f64, f64) {
        match self {
            Domain::Any => (f64::NEG_INFINITY, f64::INFINITY),
            Domain::NonNegative | Domain::Positive => (0.0, f64::INFINITY),
            Domain::Share => (0.0, 1.0),
            Domain::AboveMinusOne => (-1.0, f64::INFINITY),
        }
    }

    /// Whether the lower bound itself is excluded.
    pub fn open_below(self) -> bool {
        matches!(self, Domain::Positive | Domain::AboveMinusOne)
    }
}

/// How a factor enters a product.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// θ
    Id,
    /// 1 + θ (cost uplift)
    OnePlus,
    /// 1 − θ (benefit reduction, deadweight complement)
    OneMinus,
}

#[derive(Debug, Clone, Copy)]
pub struct Factor {
    pub param: usize,
    pub op: Op,
}

impl Factor {
    pub fn id(param: usize) -> Self {
        Factor { param, op: Op::Id }
    }
    #[inline]
    fn apply(self, v: f64) -> f64 {
        match self.op {
            Op::Id => v,
            Op::OnePlus => 1.0 + v,
            Op::OneMinus => 1.0 - v,
        }
    }
}

/// `constant · Π factors`.
#[derive(Debug, Clone)]
pub struct Product {
    pub constant: f64,
    pub factors: Vec<Factor>,
}

/// A time shape, indexed by k = 0, 1, … from the term's first year.
#[derive(Debug, Clone)]
pub enum Shape {
    /// 1 for k < len, else 0.
    Window(u32),
    /// Phase-in × persistence of an effect; parameters are θ slots.
    Effect {
        persistence: Persist,
        years: Option<u32>,
        phase_in: Vec<usize>,
    },
}

/// Persistence of an effect by year since onset.
#[derive(Debug, Clone)]
pub enum Persist {
    /// Full persistence.
    Full,
    /// Given share for year 1, 2, …; zero after.
    Profile(Vec<usize>),
    /// Year k keeps (1 − d)^(k−1).
    Decay(usize),
    /// Year k keeps 0.5^((k−1)/h).
    HalfLife(usize),
}

/// θ slots drawn together from a table of replicates.
#[derive(Debug, Clone)]
pub struct Joint {
    pub slots: Vec<usize>,
    pub replicates: usize,
    /// `values[replicate × slots.len() + j]`.
    pub values: Vec<f64>,
}

/// One term of the flows.
#[derive(Debug, Clone)]
pub struct Term {
    pub cell: usize,
    pub product: Product,
    pub shape: usize,
    /// Projection year of shape index 0 (may be before year 0 or past the horizon).
    pub first: i64,
}

/// Conventions that change numbers, recorded with every result.
#[derive(Debug, Clone, Serialize)]
pub struct Conventions {
    pub price_year: i32,
    pub discount_schedule: String,
    pub discount_source: String,
    pub timing: crate::scenario::Timing,
    pub year0_discounted: bool,
    pub payback_rule: &'static str,
    pub sign_rule: &'static str,
}

/// A scenario compiled against its catalogues.
#[derive(Debug, Clone)]
pub struct Model {
    pub name: String,
    pub municipality: Option<String>,
    pub currency: String,
    pub first_year: i32,
    /// Calendar year of each projection year.
    pub years: Vec<i32>,
    /// Discount factor of each projection year.
    pub discount: Vec<f64>,
    pub conventions: Conventions,
    pub actors: Vec<Entity>,
    pub departments: Vec<Entity>,
    pub items: Vec<Item>,
    pub cells: Vec<Cell>,
    pub params: Vec<ParamSlot>,
    pub shapes: Vec<Shape>,
    pub terms: Vec<Term>,
    /// Participants, as products of θ (one per cohort).
    pub participants: Vec<Product>,
    /// Successful outcomes per arm (intervention, baseline).
    pub outcomes: Vec<(Arm, Product)>,
    /// The θ slot of a constant discount rate (`discounting.rate`), when the scenario gives
    /// one: draws that move it are discounted at their own rate.
    pub discount_rate: Option<usize>,
    /// The θ slot of the success rate with the intervention (`success.net`, `success.with` or
    /// `success.rate`), whose switching value every run reports.
    pub success_rate: Option<usize>,
    /// Correlated uncertain inputs, if the scenario gives correlations.
    pub correlation: Option<crate::correlation::Copula>,
    /// Inputs drawn jointly from the replicates of an estimates file: each draw takes one
    /// replicate for all of them, so their correlation across departments and years is kept.
    pub joint: Vec<Joint>,
    /// Tornado ranges given in the scenario: (θ slot, low, high).
    pub ranges: Vec<(usize, f64, f64)>,
    /// θ slots whose switching value the scenario asks for, besides the success rate.
    pub switching: Vec<usize>,
    /// The checked `[budget]` section, when the scenario has one.
    pub budget: Option<crate::budget::Plan>,
    /// The state-transition (Markov) form, when the scenario gives `[states]`: its flows are
    /// added to the terms' (`crate::markov`).
    pub markov: Option<Box<crate::markov::Compiled>>,
}

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
    pub fn horizon(&self) -> usize {
        self.years.len()
    }

    /// Discount factors of the projection years at a constant rate, under the model's timing
    /// (for a draw whose `discounting.rate` differs from the base value).
    pub fn discount_at(&self, rate: f64) -> Vec<f64> {
        crate::discount::factors(&|_| rate, self.horizon() as u32, self.conventions.timing)
    }

    /// θ at base values: one row.
    pub fn base_theta(&self) -> Array2<f64> {
        Array2::from_shape_fn((1, self.params.len()), |(_, p)| self.params[p].value)
    }

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
