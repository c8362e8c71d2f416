//! The compiled model: a parameter vector θ and dense terms such that the flows of one draw are
//! a cheap function of θ, evaluated for a whole chunk of draws at once.
//!
//! A *cell* is one ledger line: arm × component × actor × department × item. A *term* adds
//! `constant · Π op(θ[f])` times a time *shape* (a window of intervention years, or an effect
//! profile by year since onset) into one cell from a given projection year on. The evaluation
//! (`crate::evaluate`) loops over terms on the outside and draws on the inside, with no
//! allocation per draw.

use ndarray::Array2;
use serde::Serialize;

pub mod cell;

pub use cell::{Arm, Cell, Component, Entity, Item, Kind};

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

pub use crate::domain::Domain;

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
    /// The factor applied to the value of its θ slot.
    #[inline]
    pub fn apply(self, v: f64) -> f64 {
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
    /// Named groups of uncertain inputs (θ slots) whose joint EVPPI a run with draws reports.
    pub evppi_groups: Vec<(String, Vec<usize>)>,
    /// Two-way sensitivity grids: the two θ slots and the grid points per input.
    pub two_way: Vec<(usize, usize, usize)>,
    /// The population a decision covers (`[sensitivity.population]`): participants a year and
    /// years, for the value of information over it.
    pub decision_population: Option<(f64, u32)>,
    /// The checked `[budget]` section, when the scenario has one.
    pub budget: Option<crate::budget::plan::Plan>,
    /// The state-transition (Markov) form, when the scenario gives `[states]`: its flows are
    /// added to the terms' (`crate::markov`).
    pub markov: Option<Box<crate::markov::Compiled>>,
    /// What the model leaves out without being wrong, located in the scenario (a cohort whose
    /// intervention runs past the horizon); every output says it.
    pub warnings: Vec<crate::error::Diagnostic>,
}

/// A scenario's form, which decides the metrics that belong to it. In the success-rate form
/// the investment and its consequences are separate parts of the model, so the benefit-cost
/// ratio, the return on investment and the cost per successful outcome mean what they say. A
/// `[states]` model is judged by its net result and by the cost per additional unit of each
/// outcome (with dominance), so those three are left out (null in `summary.json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Form {
    SuccessRate,
    States,
}

impl Model {
    pub fn horizon(&self) -> usize {
        self.years.len()
    }

    pub fn form(&self) -> Form {
        if self.markov.is_some() {
            Form::States
        } else {
            Form::SuccessRate
        }
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
}
