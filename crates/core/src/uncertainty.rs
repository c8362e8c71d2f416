//! The uncertainty block of a summary: the per-draw metrics of a Monte Carlo run
//! ([`crate::metrics::Draws`]) summarised by group and by projection year, with P(NPV > 0),
//! P(payback within the budget period) and EVPI.

use crate::metrics::{Draws, GroupDraws};
use crate::model::Model;
use crate::montecarlo::McOptions;
use crate::stats::{Stat, stat};
use serde::Serialize;

/// Uncertainty of one group.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GroupUncertainty {
    pub id: String,
    pub npv: Stat,
    pub cost_pv: Stat,
    pub benefit_pv: Stat,
    pub bcr: Stat,
    /// Payback year over the draws that pay back.
    pub payback_year: Stat,
    /// Share of draws with NPV > 0.
    pub p_npv_positive: f64,
    /// Share of draws that pay back within `payback_within` years.
    pub p_payback_within: f64,
}

fn group(g: &GroupDraws, opts: &McOptions) -> GroupUncertainty {
    let n = g.npv.len().max(1) as f64;
    GroupUncertainty {
        id: g.id.clone(),
        npv: stat(&g.npv, opts.interval),
        cost_pv: stat(&g.cost_pv, opts.interval),
        benefit_pv: stat(&g.benefit_pv, opts.interval),
        bcr: stat(&g.bcr, opts.interval),
        payback_year: stat(&g.payback_year, opts.interval),
        p_npv_positive: g.npv.iter().filter(|&&x| x > 0.0).count() as f64 / n,
        p_payback_within: g
            .payback_year
            .iter()
            .filter(|&&y| !y.is_nan() && y < opts.payback_within as f64)
            .count() as f64
            / n,
    }
}

/// Summary statistics of one metric in one projection year.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct YearStat {
    pub year: u32,
    pub calendar_year: i32,
    #[serde(flatten)]
    pub stat: Stat,
}

/// The uncertainty block of a summary.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Uncertainty {
    pub draws: usize,
    pub seed: u64,
    pub interval: (f64, f64),
    pub payback_within_years: u32,
    /// Inputs drawn from a distribution, by field path.
    pub uncertain_inputs: Vec<String>,
    /// Correlations between inputs (Gaussian copula), as the scenario gives them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub correlations: Vec<crate::scenario::Correlation>,
    pub total: GroupUncertainty,
    /// The total's cumulative net present value at the end of each projection year over the
    /// draws (the band around the payback curve); the last year's is the NPV's.
    pub total_cumulative_net_pv: Vec<YearStat>,
    /// Expected value of perfect information for invest / not invest:
    /// E[max(NPV, 0)] − max(E[NPV], 0).
    pub evpi: f64,
    pub net_outcomes: Stat,
    pub net_per_participant: Stat,
    pub by_actor: Vec<GroupUncertainty>,
    pub by_department: Vec<GroupUncertainty>,
    /// The budget view over the draws, when the scenario has a `[budget]` section.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget: Option<crate::budget::BudgetUncertainty>,
    /// What knowing each uncertain input before deciding is worth (EVPPI), for a run of one
    /// scenario ([`value_of_information`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_of_information: Option<ValueOfInformation>,
}

/// The expected value of partial perfect information of one input, in the currency.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Evppi {
    /// The input, by field path.
    pub input: String,
    pub value: f64,
    /// Monte Carlo standard error of the estimate (the regression's own error not counted).
    pub se: f64,
}

/// The joint EVPPI of a named group of inputs.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GroupEvppi {
    pub name: String,
    /// Its inputs, by field path.
    pub inputs: Vec<String>,
    pub value: f64,
    pub se: f64,
}

/// The value of information for the decision to invest (total NPV > 0) or not.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ValueOfInformation {
    pub decision: &'static str,
    pub method: &'static str,
    /// EVPI: what knowing every input would be worth.
    pub evpi: f64,
    /// EVPPI of each uncertain input, the largest first; never above the EVPI.
    pub inputs: Vec<Evppi>,
    /// EVPPI of the scenario's named groups (`[[sensitivity.group]]`), in their order; never
    /// below a member's, never above the EVPI.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<GroupEvppi>,
    /// Why `inputs` is empty, when it is (too few draws for the regression).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The same over the population the decision covers (`[sensitivity.population]`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub population: Option<PopulationValue>,
}

/// The value of information over the population a decision covers: per participant (the
/// run's value ÷ its participants) × `per_year` × Σ of the discount factors of the first `years`
/// projection years.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PopulationValue {
    pub per_year: f64,
    pub years: u32,
    /// The factor the run's values are multiplied by.
    pub scale: f64,
    pub evpi: f64,
    /// Each input's EVPPI over the population, in the order of `inputs` above.
    pub inputs: Vec<Evppi>,
}

/// EVPI and the EVPPI of every uncertain input for the decision to invest or not, from the
/// draws of a run (the drawn inputs and the total NPV): [`crate::voi`].
pub fn value_of_information(model: &Model, draws: &Draws) -> ValueOfInformation {
    use rayon::prelude::*;
    let npv = draws.total.npv.as_slice();
    let evpi = crate::voi::evpi(&[npv]);
    let need = crate::voi::draws_needed(1);
    let (mut inputs, note) = if npv.len() < need {
        (
            Vec::new(),
            Some(format!(
                "EVPPI needs at least {need} draws for its regression; this run has {}",
                npv.len()
            )),
        )
    } else {
        let v: Vec<Evppi> = draws
            .inputs
            .par_iter()
            .filter_map(|(slot, x)| {
                let e = crate::voi::evppi(&[x.as_slice()], &[npv]).ok()?;
                Some(Evppi {
                    input: model.params.get(*slot)?.name.clone(),
                    value: e.value.min(evpi),
                    se: e.se,
                })
            })
            .collect();
        (v, None)
    };
    inputs.sort_by(|a, b| {
        b.value
            .total_cmp(&a.value)
            .then_with(|| a.input.cmp(&b.input))
    });
    // Named groups: their regression, kept between the members' values and the EVPI (where the
    // true values lie), so that noise does not rank a group below one of its members.
    let of = |slot: usize| draws.inputs.iter().find(|(s, _)| *s == slot);
    let groups = model
        .evppi_groups
        .par_iter()
        .filter_map(|(name, slots)| {
            let xs: Vec<&[f64]> = slots
                .iter()
                .map(|&s| of(s).map(|(_, x)| x.as_slice()))
                .collect::<Option<_>>()?;
            let e = crate::voi::evppi(&xs, &[npv]).ok()?;
            let names: Vec<String> = slots
                .iter()
                .map(|&s| model.params[s].name.clone())
                .collect();
            let floor = inputs
                .iter()
                .filter(|i| names.contains(&i.input))
                .map(|i| i.value)
                .fold(0.0, f64::max);
            Some(GroupEvppi {
                name: name.clone(),
                inputs: names,
                value: e.value.max(floor).min(evpi),
                se: e.se,
            })
        })
        .collect();
    let participants =
        draws.participants.iter().sum::<f64>() / draws.participants.len().max(1) as f64;
    let population = model
        .decision_population
        .filter(|_| participants > 0.0)
        .map(|(per_year, years)| {
            let annuity: f64 = model.discount.iter().take(years as usize).sum();
            let scale = per_year / participants * annuity;
            PopulationValue {
                per_year,
                years,
                scale,
                evpi: evpi * scale,
                inputs: inputs
                    .iter()
                    .map(|e| Evppi {
                        input: e.input.clone(),
                        value: e.value * scale,
                        se: e.se * scale,
                    })
                    .collect(),
            }
        });
    ValueOfInformation {
        decision: "invest (total NPV > 0) or not",
        method: crate::voi::METHOD,
        evpi,
        inputs,
        groups,
        note,
        population,
    }
}

/// Statistics per projection year of a `[draw × horizon]` table.
fn by_year(model: &Model, table: &[f64], interval: (f64, f64)) -> Vec<YearStat> {
    let h = model.horizon();
    if h == 0 {
        return Vec::new();
    }
    let mut column = Vec::with_capacity(table.len() / h);
    (0..h)
        .map(|t| {
            column.clear();
            column.extend(table.iter().skip(t).step_by(h));
            YearStat {
                year: t as u32,
                calendar_year: model.years[t],
                stat: stat(&column, interval),
            }
        })
        .collect()
}

/// Summarise the draws. The budget view over the draws is its own reducer's
/// (`crate::budget::uncertainty`), filled in by the run.
pub fn summarise(model: &Model, draws: &Draws, opts: &McOptions) -> Uncertainty {
    let n = draws.total.npv.len().max(1) as f64;
    let mean_npv = draws.total.npv.iter().sum::<f64>() / n;
    let mean_max = draws.total.npv.iter().map(|x| x.max(0.0)).sum::<f64>() / n;
    let per_participant: Vec<f64> = draws
        .total
        .npv
        .iter()
        .zip(&draws.participants)
        .map(|(v, p)| if *p > 0.0 { v / p } else { f64::NAN })
        .collect();
    Uncertainty {
        draws: draws.total.npv.len(),
        seed: opts.seed,
        interval: opts.interval,
        payback_within_years: opts.payback_within,
        uncertain_inputs: model
            .params
            .iter()
            .filter(|p| p.dist.is_some())
            .map(|p| p.name.clone())
            .collect(),
        correlations: Vec::new(),
        total: group(&draws.total, opts),
        total_cumulative_net_pv: by_year(model, &draws.total_cumulative_net_pv, opts.interval),
        evpi: mean_max - mean_npv.max(0.0),
        net_outcomes: stat(&draws.net_outcomes, opts.interval),
        net_per_participant: stat(&per_participant, opts.interval),
        by_actor: draws.by_actor.iter().map(|g| group(g, opts)).collect(),
        by_department: draws.by_department.iter().map(|g| group(g, opts)).collect(),
        budget: None,
        value_of_information: None,
    }
}
