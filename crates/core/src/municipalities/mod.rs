//! One scenario over many municipalities (`som municipalities`): each with its own price level,
//! department map, cohort size and — where case data exist — its own estimated effects; run in
//! parallel, with Monte Carlo per municipality, compared in one ranked table, by region, and in
//! a decomposition of the spread between municipalities.
//!
//! **Seeds.** Every municipality is drawn from the same seed: draw `d` of every municipality takes
//! the same draw of the inputs from national evidence (common random numbers), so differences
//! between municipalities are their local differences, not simulation noise, and a region's total
//! is the sum of its municipalities draw by draw. Effects estimated from a municipality's own case
//! data are its own bootstrap replicates, independent of other municipalities'.
//!
//! **Privacy.** A municipality whose figures rest on fewer persons of its case data than the
//! disclosure threshold is shown as suppressed, with no figure, and is left out of its region's
//! sums (so that no suppressed value can be recovered by subtraction).

pub mod list;

use crate::catalogue::DepartmentMap;
use crate::error::{Error, Result};
use crate::estimates::Estimated;
use crate::loaded::Loaded;
use crate::metrics::compute;
use crate::montecarlo::{McOptions, simulate};
use crate::source::Source;
use crate::stats::Stat;
use crate::uncertainty::summarise;
use list::Entry;
use rayon::prelude::*;
use serde::Serialize;

/// Version tag of `municipalities.json`.
pub const FORMAT: &str = "som-municipalities/1";

/// Options of a comparison.
#[derive(Debug, Clone)]
pub struct Options {
    pub mc: McOptions,
    /// Figures resting on fewer persons than this are suppressed (at least 5).
    pub threshold: usize,
    /// The population the scenario's cohorts are sized for, when the list gives populations.
    pub reference_population: Option<f64>,
}

/// What is local about one municipality, ready to run.
#[derive(Debug, Clone)]
pub struct Local {
    pub entry: Entry,
    /// Its own department map, with the file it came from.
    pub departments: Option<(DepartmentMap, Source)>,
    /// Effects estimated from its own case data.
    pub estimates: Option<Estimated>,
    /// Persons of its case data behind its figures (participants), when from case data.
    pub persons: Option<usize>,
    /// Participants of its case data in the study (the size of its cohorts relative to the
    /// reference municipality's), when from case data.
    pub data_participants: Option<f64>,
    /// Why it cannot be run (too little case data), if so: shown, never fatal.
    pub skip: Option<String>,
}

impl Local {
    /// A municipality with no case data: what its list entry says.
    pub fn from_entry(entry: Entry) -> Local {
        Local {
            entry,
            departments: None,
            estimates: None,
            persons: None,
            data_participants: None,
            skip: None,
        }
    }
}

/// Which local differences a run takes in (all of them for the comparison; one at a time for
/// the decomposition of the spread).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Factors {
    pub prices: bool,
    pub size: bool,
    pub effects: bool,
}

impl Factors {
    pub const ALL: Factors = Factors {
        prices: true,
        size: true,
        effects: true,
    };
    pub const NONE: Factors = Factors {
        prices: false,
        size: false,
        effects: false,
    };
}

/// How the cohorts of a municipality are sized.
fn scale(l: &Local, reference: Option<f64>, ref_participants: Option<f64>) -> (f64, &'static str) {
    if let Some(p) = l.entry.participants {
        return (p, "participants");
    }
    if let (Some(pop), Some(r)) = (l.entry.population, reference) {
        return (pop / r, "population");
    }
    if let (Some(p), Some(r)) = (l.data_participants, ref_participants)
        && r > 0.0
    {
        return (p / r, "case data");
    }
    (1.0, "scenario")
}

/// The scenario as it applies in a municipality: its prices, its department map, its cohort
/// size (`scale`: a factor, or the participants when `by` is "participants"), its effects.
fn localise(base: &Loaded, l: &Local, scale: (f64, &str), f: Factors) -> Result<Loaded> {
    let mut loaded = base.clone();
    if let Some(map) = &l.departments {
        loaded.catalogues.departments = map.clone();
    }
    if f.prices && l.entry.price_factor != 1.0 {
        for item in &mut loaded.catalogues.prices.0.items {
            for v in item.price.values_mut() {
                *v *= l.entry.price_factor;
            }
        }
    }
    if f.size {
        let factor = match scale {
            (p, "participants") => {
                let total: f64 = loaded
                    .scenario
                    .cohorts
                    .iter()
                    .map(|c| c.participants.value)
                    .sum();
                if total > 0.0 { p / total } else { 1.0 }
            }
            (s, _) => s,
        };
        if factor != 1.0 {
            let why = format!("cohort size of municipality {}", l.entry.code);
            for (i, c) in loaded.scenario.cohorts.iter_mut().enumerate() {
                c.participants =
                    c.participants.scaled(factor, &why).ok_or_else(|| {
                        Error::Invalid(vec![base.source.diag(
                        &crate::source::FieldPath::root()
                            .key("cohort")
                            .index(i)
                            .key("participants"),
                        "a beta distribution cannot be scaled to a municipality's cohort size; \
                         give the participants as a count (normal, gamma, uniform, …)",
                    )])
                    })?;
            }
        }
    }
    if f.effects && l.estimates.is_some() {
        loaded.estimates = l.estimates.clone();
    }
    Ok(loaded)
}

/// One municipality's result in the comparison table.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub code: u16,
    pub name: String,
    pub region: String,
    /// `ok`, `suppressed` (fewer persons than the threshold) or `insufficient_data`.
    pub status: &'static str,
    /// Why the row has no figures, when it has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Rank by NPV per participant (1 = highest), among the rows with figures.
    pub rank: Option<usize>,
    /// Persons of the case data behind the figures; null without case data (or suppressed).
    pub persons: Option<usize>,
    /// Participants the scenario projects (its cohorts, sized for the municipality).
    pub participants: Option<f64>,
    /// How the cohorts were sized: `scenario`, `participants`, `population` or `case data`.
    pub size_from: &'static str,
    /// Where the effects come from: `case data` (its own estimates) or `scenario`.
    pub effects_from: &'static str,
    pub price_factor: f64,
    pub npv: Option<f64>,
    pub npv_low: Option<f64>,
    pub npv_high: Option<f64>,
    pub npv_per_participant: Option<f64>,
    pub npv_per_participant_low: Option<f64>,
    pub npv_per_participant_high: Option<f64>,
    pub bcr: Option<f64>,
    pub bcr_low: Option<f64>,
    pub bcr_high: Option<f64>,
    pub payback_status: Option<crate::metrics::PaybackStatus>,
    pub payback_calendar_year: Option<i32>,
    pub p_npv_positive: Option<f64>,
    pub p_payback_within: Option<f64>,
}

/// A region: the sums of its municipalities with figures.
#[derive(Debug, Clone, Serialize)]
pub struct RegionRow {
    pub region: String,
    /// Municipalities with figures, and those suppressed or without data (left out of the sums).
    pub municipalities: usize,
    pub left_out: usize,
    pub persons: Option<usize>,
    pub participants: f64,
    pub npv: f64,
    pub npv_low: Option<f64>,
    pub npv_high: Option<f64>,
    pub npv_per_participant: Option<f64>,
    /// Share of draws in which the region's summed NPV is above zero.
    pub p_npv_positive: Option<f64>,
}

/// How much of the spread between municipalities each local difference explains.
#[derive(Debug, Clone, Serialize)]
pub struct Spread {
    /// `npv_per_participant` or `npv`.
    pub measure: &'static str,
    /// Variance across municipalities with every local difference taken in.
    pub variance: f64,
    /// Variance with one difference at a time (the others at the scenario's values), and its
    /// share of `variance`.
    pub prices: (f64, f64),
    pub size: (f64, f64),
    pub effects: (f64, f64),
    /// 1 − the three shares: what the differences do together (may be negative).
    pub interaction: f64,
}

/// The comparison of one scenario over many municipalities.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub format: &'static str,
    pub som_version: &'static str,
    pub scenario: String,
    pub currency: String,
    pub price_year: i32,
    pub seed: u64,
    pub draws: usize,
    pub interval: (f64, f64),
    pub payback_within_years: u32,
    pub disclosure_threshold: usize,
    pub rows: Vec<Row>,
    pub regions: Vec<RegionRow>,
    pub spread: Vec<Spread>,
    pub notes: Vec<String>,
    /// The notes in Danish.
    #[serde(skip)]
    pub notes_da: Vec<String>,
    /// Every municipality's total NPV draw by draw (those with figures only), for regional sums
    /// made elsewhere: `draws.parquet` with `--keep-draws`.
    #[serde(skip)]
    pub npv_draws: Vec<(u16, Vec<f64>)>,
}

/// What one municipality's run gives: aggregates only (its row, its draws of the total NPV,
/// its base values), all a merge needs. [`Outcome::encode`] turns it into bytes that
/// [`Outcome::decode`] reads back exactly (every number by its bits), for runs on other
/// machines.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub row: Row,
    /// Total NPV per draw (for the regions' sums).
    pub npv_draws: Vec<f64>,
    /// Base-value NPV per participant and NPV with each factor alone (prices, size, effects),
    /// with none, and with all.
    pub base: [(f64, f64); 5],
}

/// Tag of an encoded [`Outcome`].
pub const OUTCOME_FORMAT: &str = "som-municipality-outcome/1";

fn bits(x: f64) -> serde_json::Value {
    serde_json::Value::from(x.to_bits())
}
fn obits(x: Option<f64>) -> serde_json::Value {
    x.map_or(serde_json::Value::Null, bits)
}
fn intern(s: &str, known: &[&'static str]) -> Option<&'static str> {
    known.iter().find(|k| **k == s).copied()
}

impl Outcome {
    /// The outcome as JSON bytes, every number by its bits.
    pub fn encode(&self) -> Vec<u8> {
        let r = &self.row;
        let v = serde_json::json!({
            "format": OUTCOME_FORMAT,
            "code": r.code, "name": r.name, "region": r.region, "status": r.status,
            "reason": r.reason, "rank": r.rank, "persons": r.persons,
            "participants": obits(r.participants), "size_from": r.size_from,
            "effects_from": r.effects_from, "price_factor": bits(r.price_factor),
            "npv": obits(r.npv), "npv_low": obits(r.npv_low), "npv_high": obits(r.npv_high),
            "npv_per_participant": obits(r.npv_per_participant),
            "npv_per_participant_low": obits(r.npv_per_participant_low),
            "npv_per_participant_high": obits(r.npv_per_participant_high),
            "bcr": obits(r.bcr), "bcr_low": obits(r.bcr_low), "bcr_high": obits(r.bcr_high),
            "payback_status": r.payback_status,
            "payback_calendar_year": r.payback_calendar_year,
            "p_npv_positive": obits(r.p_npv_positive),
            "p_payback_within": obits(r.p_payback_within),
            "npv_draws": self.npv_draws.iter().map(|x| x.to_bits()).collect::<Vec<u64>>(),
            "base": self.base.iter().map(|(a, b)| [a.to_bits(), b.to_bits()]).collect::<Vec<_>>(),
        });
        serde_json::to_vec(&v).unwrap_or_default()
    }

    /// An outcome from [`Outcome::encode`]'s bytes.
    pub fn decode(bytes: &[u8]) -> Result<Outcome> {
        use crate::metrics::PaybackStatus;
        let bad = |m: &str| Error::Write {
            path: "outcome".into(),
            message: format!("not a municipality outcome of this version of som: {m}"),
        };
        let v: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| bad(&e.to_string()))?;
        if v["format"] != OUTCOME_FORMAT {
            return Err(bad("format"));
        }
        let of = |k: &str| v[k].as_u64().map(f64::from_bits);
        let s = |k: &str| v[k].as_str().map(str::to_string);
        let st = |k: &str, known: &[&'static str]| {
            v[k].as_str()
                .and_then(|x| intern(x, known))
                .ok_or_else(|| bad(k))
        };
        let row = Row {
            code: v["code"].as_u64().ok_or_else(|| bad("code"))? as u16,
            name: s("name").unwrap_or_default(),
            region: s("region").unwrap_or_default(),
            status: st("status", &["ok", "suppressed", "insufficient_data"])?,
            reason: s("reason"),
            rank: v["rank"].as_u64().map(|x| x as usize),
            persons: v["persons"].as_u64().map(|x| x as usize),
            participants: of("participants"),
            size_from: st(
                "size_from",
                &["scenario", "participants", "population", "case data"],
            )?,
            effects_from: st("effects_from", &["case data", "scenario"])?,
            price_factor: of("price_factor").ok_or_else(|| bad("price_factor"))?,
            npv: of("npv"),
            npv_low: of("npv_low"),
            npv_high: of("npv_high"),
            npv_per_participant: of("npv_per_participant"),
            npv_per_participant_low: of("npv_per_participant_low"),
            npv_per_participant_high: of("npv_per_participant_high"),
            bcr: of("bcr"),
            bcr_low: of("bcr_low"),
            bcr_high: of("bcr_high"),
            payback_status: match v["payback_status"].as_str() {
                None => None,
                Some("pays_back") => Some(PaybackStatus::PaysBack),
                Some("no_net_investment") => Some(PaybackStatus::NoNetInvestment),
                Some("not_within_horizon") => Some(PaybackStatus::NotWithinHorizon),
                Some(_) => return Err(bad("payback_status")),
            },
            payback_calendar_year: v["payback_calendar_year"].as_i64().map(|x| x as i32),
            p_npv_positive: of("p_npv_positive"),
            p_payback_within: of("p_payback_within"),
        };
        let npv_draws = v["npv_draws"]
            .as_array()
            .ok_or_else(|| bad("npv_draws"))?
            .iter()
            .map(|x| {
                x.as_u64()
                    .map(f64::from_bits)
                    .ok_or_else(|| bad("npv_draws"))
            })
            .collect::<Result<Vec<f64>>>()?;
        let mut base = [(f64::NAN, f64::NAN); 5];
        let b = v["base"].as_array().ok_or_else(|| bad("base"))?;
        for (k, slot) in base.iter_mut().enumerate() {
            let pair = b
                .get(k)
                .and_then(|p| p.as_array())
                .ok_or_else(|| bad("base"))?;
            let get = |i: usize| pair.get(i).and_then(|x| x.as_u64()).map(f64::from_bits);
            *slot = (
                get(0).ok_or_else(|| bad("base"))?,
                get(1).ok_or_else(|| bad("base"))?,
            );
        }
        Ok(Outcome {
            row,
            npv_draws,
            base,
        })
    }
}

fn stat_pair(s: &Stat) -> (Option<f64>, Option<f64>) {
    (s.low, s.high)
}

/// Base-value NPV and NPV per participant of a loaded scenario.
fn base_values(loaded: &Loaded) -> Result<(f64, f64)> {
    let model = loaded.compile()?;
    let f = model.evaluate(model.base_theta().view());
    let r = compute(
        &model,
        f.draw(0),
        f.draw_pv(0),
        f.participants[0],
        f.outcomes[0],
    );
    Ok((
        r.total.metrics.npv,
        r.net_per_participant.unwrap_or(f64::NAN),
    ))
}

/// Run the scenario in one municipality: what it contributes to a comparison. `ref_participants`
/// is [`reference_participants`] of the whole comparison.
pub fn run_one(
    base: &Loaded,
    l: &Local,
    o: &Options,
    ref_participants: Option<f64>,
) -> Result<Outcome> {
    let e = &l.entry;
    let size = scale(l, o.reference_population, ref_participants);
    let mut row = Row {
        code: e.code,
        name: e.name.clone(),
        region: e.region.clone(),
        status: "ok",
        reason: None,
        rank: None,
        persons: l.persons,
        participants: None,
        size_from: size.1,
        effects_from: if l.estimates.is_some() {
            "case data"
        } else {
            "scenario"
        },
        price_factor: e.price_factor,
        npv: None,
        npv_low: None,
        npv_high: None,
        npv_per_participant: None,
        npv_per_participant_low: None,
        npv_per_participant_high: None,
        bcr: None,
        bcr_low: None,
        bcr_high: None,
        payback_status: None,
        payback_calendar_year: None,
        p_npv_positive: None,
        p_payback_within: None,
    };
    let empty = Outcome {
        row: row.clone(),
        npv_draws: Vec::new(),
        base: [(f64::NAN, f64::NAN); 5],
    };
    if let Some(why) = &l.skip {
        return Ok(Outcome {
            row: Row {
                status: "insufficient_data",
                reason: Some(why.clone()),
                persons: None,
                ..row
            },
            ..empty
        });
    }
    if let Some(n) = l.persons
        && n < o.threshold
    {
        return Ok(Outcome {
            row: Row {
                status: "suppressed",
                reason: Some(format!(
                    "fewer than {} persons in the case data",
                    o.threshold
                )),
                persons: None,
                ..row
            },
            ..empty
        });
    }
    let loaded = localise(base, l, size, Factors::ALL)?;
    let model = match loaded.compile() {
        Ok(m) => m,
        // Its own estimates lack a cell the scenario needs (suppressed or not estimable):
        // shown as such, never fatal.
        Err(Error::Invalid(_)) if l.estimates.is_some() => {
            return Ok(Outcome {
                row: Row {
                    status: "insufficient_data",
                    reason: Some(
                        "its own estimates lack effects the scenario needs (cells suppressed \
                         below the disclosure threshold, or not estimable)"
                            .into(),
                    ),
                    persons: None,
                    ..row
                },
                ..empty
            });
        }
        Err(e) => return Err(e),
    };
    let f = model.evaluate(model.base_theta().view());
    let res = compute(
        &model,
        f.draw(0),
        f.draw_pv(0),
        f.participants[0],
        f.outcomes[0],
    );
    row.participants = Some(res.participants);
    // Every figure finite before anything is written (an overflow is an error, not a null).
    if let Some(path) = crate::finite::first_non_finite(&res) {
        return Err(Error::Invalid(vec![crate::Diagnostic {
            file: base.source.name.clone(),
            line: None,
            column: None,
            field: String::new(),
            row: None,
            message: format!(
                "in municipality {}, the result `{path}` is not a finite number: the \
                 scenario's inputs are too large to compute with there",
                l.entry.code
            ),
        }]));
    }
    row.npv = Some(res.total.metrics.npv);
    row.npv_per_participant = res.net_per_participant;
    row.bcr = res.total.metrics.bcr;
    row.payback_status = Some(res.total.metrics.payback_status);
    row.payback_calendar_year = res.total.metrics.payback_calendar_year;
    let mut npv_draws = Vec::new();
    if o.mc.draws > 0 {
        crate::montecarlo::check_draws(&model, o.mc.draws, &[])?;
        let d = simulate(&model, &o.mc, &[]);
        let u = summarise(&model, &d, &o.mc);
        (row.npv_low, row.npv_high) = stat_pair(&u.total.npv);
        (row.npv_per_participant_low, row.npv_per_participant_high) =
            stat_pair(&u.net_per_participant);
        (row.bcr_low, row.bcr_high) = stat_pair(&u.total.bcr);
        row.p_npv_positive = Some(u.total.p_npv_positive);
        row.p_payback_within = Some(u.total.p_payback_within);
        npv_draws = d.total.npv;
    }
    // The decomposition of the spread: base values with one local difference at a time.
    let mut base_vals = [(f64::NAN, f64::NAN); 5];
    let configs = [
        Factors {
            prices: true,
            ..Factors::NONE
        },
        Factors {
            size: true,
            ..Factors::NONE
        },
        Factors {
            effects: true,
            ..Factors::NONE
        },
        Factors::NONE,
    ];
    for (k, fac) in configs.iter().enumerate() {
        let (npv, per) = base_values(&localise(base, l, size, *fac)?)?;
        base_vals[k] = (per, npv);
    }
    base_vals[4] = (
        res.net_per_participant.unwrap_or(f64::NAN),
        res.total.metrics.npv,
    );
    Ok(Outcome {
        row,
        npv_draws,
        base: base_vals,
    })
}

/// Variance (population) of the finite values; 0 where they agree to nine significant digits
/// (the rounding of equal values, not a difference between municipalities).
fn variance(v: &[f64]) -> f64 {
    let x: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    if x.len() < 2 {
        return 0.0;
    }
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    let var = x.iter().map(|a| (a - m) * (a - m)).sum::<f64>() / n;
    let scale = x.iter().fold(0f64, |a, b| a.max(b.abs()));
    if var.sqrt() <= 1e-9 * scale { 0.0 } else { var }
}

fn quantile(sorted: &[f64], p: f64) -> Option<f64> {
    crate::stats::quantile(sorted, p)
}

/// Run the scenario in every municipality of `locals` and compare them.
///
/// `reference` is the code of the municipality whose case-data participants the scenario's
/// cohorts are sized for (the scenario's own municipality); the others' cohorts are scaled by
/// their participants relative to it.
pub fn compare(
    base: &Loaded,
    locals: &[Local],
    o: &Options,
    reference: Option<u16>,
) -> Result<Comparison> {
    compare_counted(
        base,
        locals,
        o,
        reference,
        &crate::progress::Progress::new(),
    )
}

/// [`compare`], counting the municipalities run in `progress` as they finish; a stop asked for
/// through it skips the municipalities not yet started and returns an error.
pub fn compare_counted(
    base: &Loaded,
    locals: &[Local],
    o: &Options,
    reference: Option<u16>,
    progress: &crate::progress::Progress,
) -> Result<Comparison> {
    let ref_participants = reference_participants(locals, reference);
    let outcomes: Vec<Result<Outcome>> = locals
        .par_iter()
        .map(|l| {
            progress.check()?;
            let r = run_one(base, l, o, ref_participants);
            progress.add(1);
            r
        })
        .collect();
    progress.check()?;
    merge(base, outcomes, o)
}

/// The case-data participants the scenario's cohorts are sized for: the `reference`
/// municipality's, else the median of the municipalities with case data.
pub fn reference_participants(locals: &[Local], reference: Option<u16>) -> Option<f64> {
    reference
        .and_then(|c| locals.iter().find(|l| l.entry.code == c))
        .and_then(|l| l.data_participants)
        .or_else(|| {
            // Else the median municipality with case data.
            let mut v: Vec<f64> = locals.iter().filter_map(|l| l.data_participants).collect();
            v.sort_by(f64::total_cmp);
            quantile(&v, 0.5)
        })
}

/// The comparison of the municipalities' outcomes, in the order of the list: ranks, regions
/// summed draw by draw, the spread. The outcomes may come from [`run_one`] anywhere.
pub fn merge(base: &Loaded, outcomes: Vec<Result<Outcome>>, o: &Options) -> Result<Comparison> {
    let mut problems = Vec::new();
    let mut done = Vec::with_capacity(outcomes.len());
    for r in outcomes {
        match r {
            Ok(x) => done.push(x),
            Err(Error::Invalid(d)) => problems.extend(d),
            Err(e) => return Err(e),
        }
    }
    if !problems.is_empty() {
        problems.dedup_by(|a, b| a.message == b.message && a.field == b.field && a.file == b.file);
        return Err(Error::Invalid(problems));
    }
    // Rank by NPV per participant.
    let mut order: Vec<usize> = (0..done.len())
        .filter(|&i| done[i].row.npv_per_participant.is_some_and(f64::is_finite))
        .collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (
            done[a].row.npv_per_participant.unwrap_or(0.0),
            done[b].row.npv_per_participant.unwrap_or(0.0),
        );
        y.total_cmp(&x)
            .then(done[a].row.code.cmp(&done[b].row.code))
    });
    for (r, &i) in order.iter().enumerate() {
        done[i].row.rank = Some(r + 1);
    }
    // Regions, in the order they first appear.
    let mut regions: Vec<RegionRow> = Vec::new();
    let mut region_draws: Vec<Vec<f64>> = Vec::new();
    for x in &done {
        let name = if x.row.region.is_empty() {
            "(no region)".to_string()
        } else {
            x.row.region.clone()
        };
        let k = match regions.iter().position(|r| r.region == name) {
            Some(k) => k,
            None => {
                regions.push(RegionRow {
                    region: name,
                    municipalities: 0,
                    left_out: 0,
                    persons: None,
                    participants: 0.0,
                    npv: 0.0,
                    npv_low: None,
                    npv_high: None,
                    npv_per_participant: None,
                    p_npv_positive: None,
                });
                region_draws.push(vec![0.0; o.mc.draws]);
                regions.len() - 1
            }
        };
        let r = &mut regions[k];
        if x.row.status != "ok" {
            r.left_out += 1;
            continue;
        }
        r.municipalities += 1;
        if let Some(p) = x.row.persons {
            r.persons = Some(r.persons.unwrap_or(0) + p);
        }
        r.participants += x.row.participants.unwrap_or(0.0);
        r.npv += x.row.npv.unwrap_or(0.0);
        for (s, v) in region_draws[k].iter_mut().zip(&x.npv_draws) {
            *s += v;
        }
    }
    for (r, d) in regions.iter_mut().zip(region_draws) {
        r.npv_per_participant = (r.participants > 0.0).then(|| r.npv / r.participants);
        if o.mc.draws > 0 && r.municipalities > 0 {
            let mut s = d;
            r.p_npv_positive = Some(s.iter().filter(|v| **v > 0.0).count() as f64 / s.len() as f64);
            s.sort_by(f64::total_cmp);
            r.npv_low = quantile(&s, o.mc.interval.0);
            r.npv_high = quantile(&s, o.mc.interval.1);
        }
    }
    // The spread, over municipalities with figures.
    let ok: Vec<&Outcome> = done.iter().filter(|x| x.row.status == "ok").collect();
    let spread = [("npv_per_participant", 0usize), ("npv", 1usize)]
        .into_iter()
        .map(|(measure, m)| {
            let pick = |k: usize| -> Vec<f64> {
                ok.iter()
                    .map(|x| if m == 0 { x.base[k].0 } else { x.base[k].1 })
                    .collect()
            };
            let all = variance(&pick(4));
            let share = |v: f64| if all > 0.0 { v / all } else { 0.0 };
            let (p, s, e) = (variance(&pick(0)), variance(&pick(1)), variance(&pick(2)));
            Spread {
                measure,
                variance: all,
                prices: (p, share(p)),
                size: (s, share(s)),
                effects: (e, share(e)),
                interaction: if all > 0.0 {
                    1.0 - share(p) - share(s) - share(e)
                } else {
                    0.0
                },
            }
        })
        .collect();
    let mut notes = Vec::new();
    let mut notes_da = Vec::new();
    let suppressed = done.iter().filter(|x| x.row.status == "suppressed").count();
    if suppressed > 0 {
        notes_da.push(format!(
            "{suppressed} {} færre end {} personer i sagsdata: tallene er diskretioneret og \
             udeladt af regionens sum.",
            if suppressed == 1 {
                "kommune har"
            } else {
                "kommuner har"
            },
            o.threshold
        ));
        notes.push(format!(
            "{suppressed} {} fewer than {} persons in the case data: {} suppressed and left \
             out of {} sums.",
            if suppressed == 1 {
                "municipality has"
            } else {
                "municipalities have"
            },
            o.threshold,
            if suppressed == 1 {
                "its figures are"
            } else {
                "their figures are"
            },
            if suppressed == 1 {
                "its region's"
            } else {
                "their regions'"
            },
        ));
    }
    let skipped = done
        .iter()
        .filter(|x| x.row.status == "insufficient_data")
        .count();
    if skipped > 0 {
        notes_da.push(format!(
            "{skipped} {} for få sagsdata til at estimere egne effekter og er udeladt.",
            if skipped == 1 {
                "kommune har"
            } else {
                "kommuner har"
            },
        ));
        notes.push(format!(
            "{skipped} {} too little case data to estimate {} own effects and {} left out.",
            if skipped == 1 {
                "municipality has"
            } else {
                "municipalities have"
            },
            if skipped == 1 { "its" } else { "their" },
            if skipped == 1 { "is" } else { "are" },
        ));
    }
    let npv_draws: Vec<(u16, Vec<f64>)> = done
        .iter()
        .filter(|x| x.row.status == "ok" && !x.npv_draws.is_empty())
        .map(|x| (x.row.code, x.npv_draws.clone()))
        .collect();
    Ok(Comparison {
        format: FORMAT,
        som_version: crate::summary::VERSION,
        scenario: base.scenario.name.clone(),
        currency: base.scenario.currency(),
        price_year: base.scenario.price_year,
        seed: o.mc.seed,
        draws: o.mc.draws,
        interval: o.mc.interval,
        payback_within_years: o.mc.payback_within,
        disclosure_threshold: o.threshold,
        rows: done.into_iter().map(|x| x.row).collect(),
        regions,
        spread,
        notes,
        notes_da,
        npv_draws,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_values_have_no_spread() {
        // 0.1 + 0.2 style rounding must not read as a difference.
        let v = [0.1 + 0.2, 0.3, 0.30000000000000004, 0.3];
        assert_eq!(variance(&v), 0.0);
        assert!((variance(&[1.0, 3.0]) - 1.0).abs() < 1e-12);
        assert_eq!(variance(&[5.0]), 0.0);
    }
}
