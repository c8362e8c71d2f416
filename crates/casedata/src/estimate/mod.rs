//! `som estimate`: what did the intervention change, in which department, year by year, and how
//! sure are we — estimated from the municipality's own case data.
//!
//! The method (documented for users in `docs/estimation.md`):
//!
//! 1. **Eligible participants** pass the study's target filter, started inside its start range,
//!    and have the whole pre-period and year 0 inside the observed period.
//! 2. **Propensity score**: a logistic regression of participation on pre-period costs by
//!    department and year (ln(1 + kr.)), age, sex, segment, municipality and coordination level,
//!    fitted on the participants at their index month and the pool at pseudo-index months drawn
//!    from the participants' start months in their stratum.
//! 3. **Matching**: each participant gets the `neighbours` nearest comparison persons on the
//!    logit of the score, from the pool in the same exact-matching stratum, with their features
//!    computed *at the participant's index month* (the comparison person's pseudo-index date),
//!    within a caliper; with replacement. Balance (standardised mean differences) is reported
//!    before and after.
//! 4. **Effects**: per department and year since start, difference-in-differences: the
//!    participant's change from their pre-period mean minus the mean change of their matched
//!    comparisons, averaged over the participants observed that year.
//! 5. **Bootstrap**: participants are resampled with their matched comparisons, B times, each
//!    replicate on its own random stream; percentile intervals. The replicates are kept, jointly
//!    over departments and years.
//!
//! Everything that leaves this module is an aggregate; cells with fewer persons than the
//! disclosure threshold are suppressed.

pub mod handoff;
pub mod logit;
pub mod output;
pub mod study;
pub mod transitions;

use crate::contract::Persons;
use crate::monthly::{Windows, month_index, year_month};
use crate::services::States;
use ndarray::Array2;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha12Rng;
use rayon::prelude::*;
use serde::Serialize;
use som_core::error::{Diagnostic, Error, Result};
use som_core::source::{FieldPath, Source};
use std::collections::{BTreeMap, HashMap};
pub use study::Study;

pub use som_core::estimates::{FORMAT, TOTAL};
/// Replicates of the bootstrap evaluated together (fixed: results do not depend on threads).
const BOOT_BATCH: usize = 32;

/// What estimation reads.
pub struct Input<'a> {
    pub persons: &'a Persons,
    pub windows: &'a Windows,
    pub states: Option<&'a States>,
    /// Department ids in the order of the case data's panel.
    pub departments: &'a [String],
}

/// How many persons went where. A count between 1 and the disclosure threshold − 1 is shown
/// as null (suppressed).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Sample {
    pub persons: Option<usize>,
    pub participants_in_data: Option<usize>,
    /// Participants passing the target filter.
    pub participants_in_target: Option<usize>,
    pub excluded_start_outside_range: Option<usize>,
    /// Started too early for the whole pre-period to be observed.
    pub excluded_pre_period_not_observed: Option<usize>,
    /// Started too late for year 0 to be observed.
    pub excluded_year0_not_observed: Option<usize>,
    pub participants_eligible: Option<usize>,
    /// Eligible participants without a comparison person within the caliper.
    pub participants_unmatched: Option<usize>,
    pub participants_matched: Option<usize>,
    /// Non-participants in the target group and comparison filter.
    pub pool: Option<usize>,
    /// Distinct comparison persons used.
    pub comparison_persons: Option<usize>,
}

/// How many persons went where (internal; [`Sample`] is what is shown).
#[derive(Debug, Clone, Default)]
struct Counts {
    pub persons: usize,
    pub participants_in_data: usize,
    /// Participants passing the target filter.
    pub participants_in_target: usize,
    pub excluded_start_outside_range: usize,
    /// Started too early for the whole pre-period to be observed.
    pub excluded_pre_period_not_observed: usize,
    /// Started too late for year 0 to be observed.
    pub excluded_year0_not_observed: usize,
    pub participants_eligible: usize,
    /// Eligible participants without a comparison person within the caliper.
    pub participants_unmatched: usize,
    pub participants_matched: usize,
    /// Non-participants in the target group and comparison filter.
    pub pool: usize,
    /// Distinct comparison persons used.
    pub comparison_persons: usize,
}

impl Counts {
    fn shown(&self, t: usize) -> Sample {
        let f = |n: usize| (n == 0 || n >= t).then_some(n);
        Sample {
            persons: f(self.persons),
            participants_in_data: f(self.participants_in_data),
            participants_in_target: f(self.participants_in_target),
            excluded_start_outside_range: f(self.excluded_start_outside_range),
            excluded_pre_period_not_observed: f(self.excluded_pre_period_not_observed),
            excluded_year0_not_observed: f(self.excluded_year0_not_observed),
            participants_eligible: f(self.participants_eligible),
            participants_unmatched: f(self.participants_unmatched),
            participants_matched: f(self.participants_matched),
            pool: f(self.pool),
            comparison_persons: f(self.comparison_persons),
        }
    }
}

/// Balance of one covariate.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BalanceRow {
    pub covariate: String,
    pub participants_mean: f64,
    /// Pool at pseudo-index dates, before matching.
    pub pool_mean: f64,
    pub matched_mean: f64,
    pub smd_before: f64,
    pub smd_after: f64,
    /// |SMD after| above the study's balance threshold.
    pub poor: bool,
}

/// One department × year since start.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EffectRow {
    pub department: String,
    pub year_since_start: i32,
    /// Matched participants observed that year (blank when suppressed).
    pub participants: Option<usize>,
    /// Difference-in-differences per participant, kr. (negative: less spent).
    pub estimate: Option<f64>,
    pub se: Option<f64>,
    pub low: Option<f64>,
    pub high: Option<f64>,
    /// Participants' mean minus the whole pool's mean at pseudo-index dates, without matching
    /// or differencing: what a naive comparison would report.
    pub naive: Option<f64>,
    pub suppressed: bool,
}

/// Mean cost per person by department and year since start.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BaselineRow {
    /// `participants` (observed, with the intervention) or `comparison` (the matched
    /// comparison group: the path without it).
    pub group: &'static str,
    pub department: String,
    pub year_since_start: i32,
    pub persons: Option<usize>,
    pub mean: Option<f64>,
    pub suppressed: bool,
}

/// The propensity model, for the record.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Propensity {
    pub features: Vec<String>,
    /// On standardised features; intercept first.
    pub coefficients: Vec<f64>,
    pub iterations: usize,
    pub converged: bool,
    /// Standard deviation of the logit in the pre-matching sample, and the caliper in logit
    /// units.
    pub logit_sd: f64,
    pub caliper: f64,
}

/// Everything `estimates.json` holds.
#[derive(Debug, Clone, Serialize)]
pub struct Estimates {
    pub format: &'static str,
    pub study: String,
    pub method: &'static str,
    pub conventions: Conventions,
    pub sample: Sample,
    pub departments: Vec<String>,
    pub years_since_start: Vec<i32>,
    pub bootstrap: BootInfo,
    pub propensity: Propensity,
    pub balance: Vec<BalanceRow>,
    pub effects: Vec<EffectRow>,
    pub baseline: Vec<BaselineRow>,
    pub transitions: Vec<transitions::TransitionRow>,
    pub warnings: Vec<String>,
    pub disclosure_threshold: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Conventions {
    pub year_since_start: &'static str,
    pub amounts: &'static str,
    pub effect: &'static str,
    pub observed_period: (String, String),
}

#[derive(Debug, Clone, Serialize)]
pub struct BootInfo {
    pub replicates: usize,
    pub seed: u64,
    pub level: f64,
    pub unit: &'static str,
    pub interval: &'static str,
}

/// The bootstrap replicates of every unsuppressed effect: `values[b × cells + c]`.
#[derive(Debug, Clone)]
pub struct BootDraws {
    pub cells: Vec<(String, i32)>,
    pub replicates: usize,
    pub values: Vec<f64>,
}

/// A participant or comparison person at an index month.
#[derive(Debug, Clone, Copy)]
struct At {
    person: u32,
    month: i32,
}

/// Participants of a group with their matched comparison persons.
type Matched = Vec<(At, Vec<u32>)>;

/// The propensity-score features.
struct Features<'a> {
    input: &'a Input<'a>,
    names: Vec<String>,
    /// Departments with any row (pre-period costs are taken over all of them).
    cost_depts: Vec<usize>,
    pre: i32,
    /// Calendar baseline: first month and whole years.
    baseline: Option<(i32, i32)>,
    age: bool,
    sex: bool,
    /// Segment index → dummy column (None for the reference level).
    segment: Option<Vec<Option<usize>>>,
    municipality: Option<HashMap<u16, usize>>,
    level: bool,
}

impl Features<'_> {
    fn len(&self) -> usize {
        self.names.len()
    }

    /// Raw (unstandardised) features of a person at an index month.
    fn fill(&self, at: At, out: &mut [f64]) {
        let w = self.input.windows;
        let p = self.input.persons;
        let i = at.person as usize;
        out.fill(0.0);
        let mut c = 0;
        if !self.cost_depts.is_empty() {
            let mut total = 0.0;
            for &d in &self.cost_depts {
                for k in 1..=self.pre {
                    let y = w.get(d, at.month - 12 * k, at.person).max(0.0);
                    total += y;
                    out[c] = y.ln_1p();
                    c += 1;
                }
            }
            out[c] = total.ln_1p();
            c += 1;
            if let Some((from, years)) = self.baseline {
                let mut total = 0.0;
                for &d in &self.cost_depts {
                    let y: f64 = (0..years)
                        .map(|k| w.get(d, from + 12 * k, at.person).max(0.0))
                        .sum();
                    total += y;
                    out[c] = y.ln_1p();
                    c += 1;
                }
                out[c] = total.ln_1p();
                c += 1;
            }
        }
        if self.age {
            out[c] = f64::from(year_month(at.month).0 - p.birth_year[i]);
            c += 1;
        }
        if self.sex {
            out[c] = f64::from(u8::from(p.sex[i] == b'F'));
            c += 1;
        }
        let base = c;
        if let Some(seg) = &self.segment {
            if let Some(j) = seg[p.segment[i] as usize] {
                out[base + j] = 1.0;
            }
            c += seg.iter().flatten().count();
        }
        if let Some(m) = &self.municipality {
            if let Some(&j) = m.get(&p.municipality[i]) {
                out[c + j] = 1.0;
            }
            c += m.len();
        }
        if self.level {
            match p.coordination_level[i] {
                2 => out[c] = 1.0,
                3 => out[c + 1] = 1.0,
                0 => out[c + 2] = 1.0,
                _ => {}
            }
        }
    }
}

fn invalid(src: &Source, path: FieldPath, msg: String) -> Error {
    Error::Invalid(vec![src.diag(&path, msg)])
}

/// Whether a person's age at the index year is inside the filter's range (always, without one).
fn age_passes(f: &study::Filter, p: &Persons, i: usize, index_year: i32) -> bool {
    f.age.as_ref().is_none_or(|a| {
        let age = index_year - p.birth_year[i];
        !(a.min.is_some_and(|m| age < m) || a.max.is_some_and(|m| age > m))
    })
}

fn passes(f: &study::Filter, p: &Persons, i: usize, index_year: Option<i32>) -> bool {
    if let Some(s) = &f.segments
        && !s.iter().any(|s| *s == p.segments[p.segment[i] as usize])
    {
        return false;
    }
    if let Some(m) = &f.municipalities
        && !m.contains(&p.municipality[i])
    {
        return false;
    }
    if let Some(l) = &f.coordination_levels
        && !l.contains(&p.coordination_level[i])
    {
        return false;
    }
    if let Some(s) = &f.sex
        && !s.iter().any(|s| s.as_bytes().first() == Some(&p.sex[i]))
    {
        return false;
    }
    index_year.is_none_or(|y| age_passes(f, p, i, y))
}

/// Mean and variance of weighted values.
fn moments(values: &[(f64, f64)]) -> (f64, f64) {
    let w: f64 = values.iter().map(|v| v.1).sum();
    if w <= 0.0 {
        return (f64::NAN, f64::NAN);
    }
    let m = values.iter().map(|(x, w)| x * w).sum::<f64>() / w;
    let v = values
        .iter()
        .map(|(x, w)| w * (x - m) * (x - m))
        .sum::<f64>()
        / w;
    (m, v)
}

/// Run a study on a case-data set.
pub fn estimate(input: &Input<'_>, study: &Study, src: &Source) -> Result<(Estimates, BootDraws)> {
    estimate_counted(input, study, src, &som_core::progress::Progress::new())
}

/// [`estimate`], counting the bootstrap replicates done in `progress` as their batches finish.
/// A stop asked for through `progress` skips the batches not yet started and returns an error
/// (nothing else changes: the numbers are the same with or without a counter).
pub fn estimate_counted(
    input: &Input<'_>,
    study: &Study,
    src: &Source,
    progress: &som_core::progress::Progress,
) -> Result<(Estimates, BootDraws)> {
    let p = input.persons;
    let w = input.windows;
    let root = FieldPath::root();
    let clock = std::time::Instant::now();
    let pre = study.period.pre_years as i32;
    let post = study.period.post_years as i32;
    let threshold = study.disclosure_threshold;
    let (first, last) = (w.first, w.last);
    let show = |m: i32| {
        let (y, mo) = year_month(m);
        format!("{y:04}-{mo:02}")
    };

    // Outcome departments.
    let outcome: Vec<usize> = match &study.outcomes.departments {
        Some(names) => {
            let mut out = Vec::new();
            for (k, name) in names.iter().enumerate() {
                match input.departments.iter().position(|d| d == name) {
                    Some(i) => out.push(i),
                    None => {
                        let known: Vec<&str> =
                            input.departments.iter().map(String::as_str).collect();
                        return Err(invalid(
                            src,
                            root.key("outcomes").key("departments").index(k),
                            format!(
                                "unknown department {name:?}{}; the department map has {}",
                                som_core::error::suggest(name, &known),
                                som_core::error::list(known.iter().copied())
                            ),
                        ));
                    }
                }
            }
            out
        }
        None => (0..input.departments.len()).filter(|&d| w.has(d)).collect(),
    };
    if outcome.is_empty() {
        return Err(invalid(
            src,
            root.key("outcomes"),
            "no department has any service row; there is nothing to estimate".into(),
        ));
    }

    // The pre-period and year 0 must fit in the observed period.
    if first + 12 * pre > w.last_start() {
        return Err(invalid(
            src,
            root.key("period").key("pre_years"),
            format!(
                "a pre-period of {pre} years and year 0 need {} months of data; the case data \
                 cover {} to {} ({} months)",
                12 * (pre + 1),
                show(first),
                show(last),
                last - first + 1
            ),
        ));
    }
    let start_range = match &study.participants.start {
        Some(s) => {
            let ((fy, fm), (ty, tm)) = s
                .parse()
                .map_err(|m| invalid(src, root.key("participants").key("start"), m))?;
            Some((month_index(fy, fm), month_index(ty, tm)))
        }
        None => None,
    };

    // Participants and pool.
    let mut sample = Counts {
        persons: p.len(),
        participants_in_data: p.participant.iter().filter(|&&b| b).count(),
        participants_in_target: 0,
        excluded_start_outside_range: 0,
        excluded_pre_period_not_observed: 0,
        excluded_year0_not_observed: 0,
        participants_eligible: 0,
        participants_unmatched: 0,
        participants_matched: 0,
        pool: 0,
        comparison_persons: 0,
    };
    let mut treated: Vec<At> = Vec::new();
    let mut pool: Vec<u32> = Vec::new();
    for i in 0..p.len() {
        if p.participant[i] {
            let Some((y, m, _)) = p.start[i] else {
                continue;
            };
            if !passes(&study.target, p, i, Some(y)) {
                continue;
            }
            sample.participants_in_target += 1;
            let s = month_index(y, m);
            if start_range.is_some_and(|(lo, hi)| s < lo || s > hi) {
                sample.excluded_start_outside_range += 1;
            } else if s - 12 * pre < first {
                sample.excluded_pre_period_not_observed += 1;
            } else if s > w.last_start() {
                sample.excluded_year0_not_observed += 1;
            } else {
                treated.push(At {
                    person: i as u32,
                    month: s,
                });
            }
        } else if passes(&study.target, p, i, None) && passes(&study.comparison.filter, p, i, None)
        {
            pool.push(i as u32);
        }
    }
    sample.participants_eligible = treated.len();
    sample.pool = pool.len();
    if sample.participants_in_target == 0 {
        return Err(invalid(
            src,
            root.key("target"),
            format!(
                "no participant matches the target filter ({} participants in the data)",
                sample.participants_in_data
            ),
        ));
    }
    if treated.len() < study.min_participants {
        return Err(too_few(
            src,
            &sample,
            study,
            "eligible participants",
            treated.len(),
        ));
    }
    if pool.is_empty() {
        return Err(invalid(
            src,
            root.key("comparison"),
            "no non-participant passes the target and comparison filters: there is no one to \
             compare with"
                .into(),
        ));
    }

    // Exact-matching strata.
    let exact = &study.matching.exact;
    let stratum = |i: usize| -> u64 {
        let mut k = 0u64;
        for c in exact {
            k = match c.as_str() {
                "segment" => (k << 16) | u64::from(p.segment[i]),
                "municipality" => (k << 16) | u64::from(p.municipality[i]),
                "sex" => (k << 8) | u64::from(p.sex[i]),
                "coordination_level" => (k << 8) | u64::from(p.coordination_level[i]),
                // Age depends on the index date: matched inside each group instead.
                _ => k,
            };
        }
        k
    };

    // Features.
    let cov = |name: &str| study.matching.covariates.iter().any(|c| c == name);
    let cost_depts: Vec<usize> = if cov("pre_costs") {
        (0..input.departments.len()).filter(|&d| w.has(d)).collect()
    } else {
        Vec::new()
    };
    let mut names = Vec::new();
    for &d in &cost_depts {
        for k in 1..=pre {
            names.push(format!("ln(1 + cost) {} year -{k}", input.departments[d]));
        }
    }
    if !cost_depts.is_empty() {
        names.push("ln(1 + cost) all departments, pre-period".into());
    }
    let baseline = match &study.matching.baseline {
        Some(b) => {
            let (y, mo) = crate::parse::period(&b.from).unwrap_or((0, 1));
            let from = month_index(y, mo);
            let years = b.years as i32;
            if from < first || from + 12 * years - 1 > last {
                return Err(invalid(
                    src,
                    root.key("matching").key("baseline"),
                    format!(
                        "the baseline {} to {} is not inside the observed period {} to {}",
                        show(from),
                        show(from + 12 * years - 1),
                        show(first),
                        show(last)
                    ),
                ));
            }
            if cost_depts.is_empty() {
                return Err(invalid(
                    src,
                    root.key("matching").key("baseline"),
                    "a baseline needs `pre_costs` among the covariates".into(),
                ));
            }
            for &d in &cost_depts {
                names.push(format!(
                    "ln(1 + cost) {} baseline {}+{}y",
                    input.departments[d], b.from, b.years
                ));
            }
            names.push(format!(
                "ln(1 + cost) all departments, baseline {}+{}y",
                b.from, b.years
            ));
            Some((from, years))
        }
        None => None,
    };
    if cov("age") {
        names.push("age at index".into());
    }
    if cov("sex") {
        names.push("female".into());
    }
    let segment = cov("segment").then(|| {
        let mut next = 0;
        (0..p.segments.len())
            .map(|s| {
                if s == 0 {
                    None
                } else {
                    next += 1;
                    Some(next - 1)
                }
            })
            .collect::<Vec<_>>()
    });
    if let Some(seg) = &segment {
        for (s, j) in seg.iter().enumerate() {
            if j.is_some() {
                names.push(format!("segment {}", p.segments[s]));
            }
        }
    }
    let municipality = cov("municipality").then(|| {
        let mut codes: Vec<u16> = pool
            .iter()
            .map(|&i| p.municipality[i as usize])
            .chain(treated.iter().map(|t| p.municipality[t.person as usize]))
            .collect();
        codes.sort_unstable();
        codes.dedup();
        codes
            .iter()
            .skip(1)
            .enumerate()
            .map(|(j, &c)| (c, j))
            .collect::<HashMap<u16, usize>>()
    });
    if let Some(m) = &municipality {
        let mut v: Vec<(&u16, &usize)> = m.iter().collect();
        v.sort_by_key(|x| *x.1);
        for (c, _) in v {
            names.push(format!("municipality {c}"));
        }
    }
    if cov("coordination_level") {
        names.push("coordination level 2".into());
        names.push("coordination level 3".into());
        names.push("coordination level not recorded".into());
    }
    let feats = Features {
        input,
        names,
        cost_depts,
        pre,
        baseline,
        age: cov("age"),
        sex: cov("sex"),
        segment,
        municipality,
        level: cov("coordination_level"),
    };
    let q = feats.len();

    // Pool at pseudo-index months drawn from the participants' start months in their stratum.
    let mut months_by_stratum: BTreeMap<u64, Vec<i32>> = BTreeMap::new();
    for t in &treated {
        months_by_stratum
            .entry(stratum(t.person as usize))
            .or_default()
            .push(t.month);
    }
    // The pool by stratum (and birth year, when age is matched exactly: age at the index
    // date = index year − birth year).
    let exact_age = exact.iter().any(|c| c == "age");
    let mut pool_by_stratum: BTreeMap<(u64, i32), Vec<u32>> = BTreeMap::new();
    for &i in &pool {
        let k = stratum(i as usize);
        if months_by_stratum.contains_key(&k) {
            let born = if exact_age {
                p.birth_year[i as usize]
            } else {
                0
            };
            pool_by_stratum.entry((k, born)).or_default().push(i);
        }
    }
    let pseudo: Vec<At> = pool
        .par_iter()
        .filter_map(|&i| {
            let months = months_by_stratum.get(&stratum(i as usize))?;
            let mut rng = ChaCha12Rng::seed_from_u64(study.matching.seed);
            rng.set_stream(u64::from(i));
            let month = months[rng.random_range(0..months.len())];
            // The pool passed the rest of the target filter; only the age depends on the month.
            age_passes(&study.target, p, i as usize, year_month(month).0)
                .then_some(At { person: i, month })
        })
        .collect();
    if pseudo.is_empty() {
        return Err(invalid(
            src,
            root.key("matching").key("exact"),
            "no non-participant shares an exact-matching stratum with a participant".into(),
        ));
    }

    // Standardise on the pre-matching sample and fit the propensity score.
    let rows: Vec<At> = treated.iter().chain(&pseudo).copied().collect();
    let mut x = vec![0.0; rows.len() * q];
    x.par_chunks_mut(q.max(1))
        .zip(rows.par_iter())
        .for_each(|(out, &at)| feats.fill(at, out));
    let y: Vec<bool> = (0..rows.len()).map(|r| r < treated.len()).collect();
    let mut centre = vec![0.0; q];
    let mut scale = vec![1.0; q];
    for j in 0..q {
        let col: Vec<(f64, f64)> = (0..rows.len()).map(|r| (x[r * q + j], 1.0)).collect();
        let (m, v) = moments(&col);
        centre[j] = m;
        scale[j] = if v > 1e-12 { v.sqrt() } else { 1.0 };
    }
    let raw = x.clone();
    x.par_chunks_mut(q.max(1)).for_each(|r| {
        for j in 0..q {
            r[j] = (r[j] - centre[j]) / scale[j];
        }
    });
    tracing::debug!(
        seconds = clock.elapsed().as_secs_f64(),
        rows = rows.len(),
        "features"
    );
    let fit = logit::fit(&x, &y, q, 1e-3);
    tracing::debug!(
        seconds = clock.elapsed().as_secs_f64(),
        iterations = fit.iterations,
        "propensity fitted"
    );
    let logits: Vec<f64> = x.chunks(q.max(1)).map(|r| fit.logit(r)).collect();
    let (_, lv) = moments(&logits.iter().map(|&l| (l, 1.0)).collect::<Vec<_>>());
    let logit_sd = lv.sqrt();
    let caliper = study.matching.caliper * logit_sd.max(1e-9);
    let propensity = Propensity {
        features: feats.names.clone(),
        coefficients: fit.beta.clone(),
        iterations: fit.iterations,
        converged: fit.converged,
        logit_sd,
        caliper,
    };
    let score = |at: At, buf: &mut [f64]| -> f64 {
        feats.fill(at, buf);
        for j in 0..q {
            buf[j] = (buf[j] - centre[j]) / scale[j];
        }
        fit.logit(buf)
    };

    // Match, group by group (stratum × index month, and age at the index date when it is
    // matched exactly).
    let age_at = |i: u32, month: i32| year_month(month).0 - p.birth_year[i as usize];
    let mut groups: BTreeMap<(u64, i32, i32), Vec<u32>> = BTreeMap::new();
    for t in &treated {
        let age = if exact_age {
            age_at(t.person, t.month)
        } else {
            0
        };
        groups
            .entry((stratum(t.person as usize), t.month, age))
            .or_default()
            .push(t.person);
    }
    let groups: Vec<((u64, i32, i32), Vec<u32>)> = groups.into_iter().collect();
    let k_nn = study.matching.neighbours;
    // Groups sharing a block of candidates (stratum, and birth year with exact age), scored
    // candidate by candidate over the block's index months, so one person's windows are read
    // together.
    let mut blocks: BTreeMap<(u64, i32), Vec<usize>> = BTreeMap::new();
    for (g, ((st, month, age), _)) in groups.iter().enumerate() {
        let born = if exact_age {
            year_month(*month).0 - *age
        } else {
            0
        };
        blocks.entry((*st, born)).or_default().push(g);
    }
    let blocks: Vec<((u64, i32), Vec<usize>)> = blocks.into_iter().collect();
    let matched_blocks: Vec<Vec<(usize, Matched)>> = blocks
        .par_iter()
        .map(|(key, gs)| {
            let mut buf = vec![0.0; q];
            let empty = Vec::new();
            let cands = pool_by_stratum.get(key).unwrap_or(&empty);
            let ng = gs.len();
            // logits[c × ng + j]: candidate c at group j's index month (NaN: filtered out).
            let mut logits = vec![f64::NAN; cands.len() * ng];
            for (ci, &c) in cands.iter().enumerate() {
                for (j, &g) in gs.iter().enumerate() {
                    let month = groups[g].0.1;
                    if age_passes(&study.target, p, c as usize, year_month(month).0) {
                        logits[ci * ng + j] = score(At { person: c, month }, &mut buf);
                    }
                }
            }
            gs.iter()
                .enumerate()
                .map(|(j, &g)| {
                    let ((_, month, _), members) = &groups[g];
                    let mut sorted: Vec<(f64, u32)> = cands
                        .iter()
                        .enumerate()
                        .map(|(ci, &c)| (logits[ci * ng + j], c))
                        .filter(|x| !x.0.is_nan())
                        .collect();
                    sorted.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                    let out = members
                        .iter()
                        .map(|&t| {
                            let at = At {
                                person: t,
                                month: *month,
                            };
                            let l = score(at, &mut buf);
                            (at, nearest(&sorted, l, k_nn, caliper))
                        })
                        .collect();
                    (g, out)
                })
                .collect()
        })
        .collect();
    let mut matched_groups: Vec<(usize, Matched)> = matched_blocks.into_iter().flatten().collect();
    matched_groups.sort_by_key(|m| m.0);
    let matched_groups: Vec<Vec<(At, Vec<u32>)>> =
        matched_groups.into_iter().map(|m| m.1).collect();
    tracing::debug!(
        seconds = clock.elapsed().as_secs_f64(),
        groups = groups.len(),
        "matched"
    );
    let mut units: Vec<(At, Vec<u32>)> = Vec::new();
    for g in matched_groups {
        for (at, m) in g {
            if m.is_empty() {
                sample.participants_unmatched += 1;
            } else {
                units.push((at, m));
            }
        }
    }
    sample.participants_matched = units.len();
    let mut used: Vec<u32> = units.iter().flat_map(|u| u.1.iter().copied()).collect();
    used.sort_unstable();
    used.dedup();
    sample.comparison_persons = used.len();
    if units.len() < study.min_participants {
        return Err(too_few(
            src,
            &sample,
            study,
            "matched participants",
            units.len(),
        ));
    }

    let mut warnings = Vec::new();
    if !fit.converged {
        warnings.push(format!(
            "the propensity model did not converge in {} iterations; check the covariates",
            fit.iterations
        ));
    }
    let unmatched_share = sample.participants_unmatched as f64 / treated.len() as f64;
    if unmatched_share > 0.05 {
        warnings.push(format!(
            "{:.1} % of the eligible participants found no comparison person within the caliper; \
             the effects describe the matched participants only",
            100.0 * unmatched_share
        ));
    }

    // Balance before and after matching.
    let mut balance = Vec::new();
    {
        let n_t = treated.len();
        let matched_rows: Vec<(At, f64)> = units
            .iter()
            .flat_map(|(at, m)| {
                let wgt = 1.0 / m.len() as f64;
                m.iter().map(move |&c| {
                    (
                        At {
                            person: c,
                            month: at.month,
                        },
                        wgt,
                    )
                })
            })
            .collect();
        let mut mx = vec![0.0; matched_rows.len() * q];
        mx.par_chunks_mut(q.max(1))
            .zip(matched_rows.par_iter())
            .for_each(|(out, (at, _))| feats.fill(*at, out));
        let matched_t: std::collections::HashSet<u32> = units.iter().map(|u| u.0.person).collect();
        for j in 0..q {
            let t: Vec<(f64, f64)> = (0..n_t)
                .filter(|&r| matched_t.contains(&treated[r].person))
                .map(|r| (raw[r * q + j], 1.0))
                .collect();
            let t_all: Vec<(f64, f64)> = (0..n_t).map(|r| (raw[r * q + j], 1.0)).collect();
            let c: Vec<(f64, f64)> = (n_t..rows.len()).map(|r| (raw[r * q + j], 1.0)).collect();
            let m: Vec<(f64, f64)> = matched_rows
                .iter()
                .enumerate()
                .map(|(r, (_, wgt))| (mx[r * q + j], *wgt))
                .collect();
            let (mt_all, vt) = moments(&t_all);
            let (mt, _) = moments(&t);
            let (mc, vc) = moments(&c);
            let (mm, _) = moments(&m);
            let sd = ((vt + vc) / 2.0).sqrt();
            let smd = |a: f64, b: f64| if sd > 1e-12 { (a - b) / sd } else { 0.0 };
            let after = smd(mt, mm);
            balance.push(BalanceRow {
                covariate: feats.names[j].clone(),
                participants_mean: mt_all,
                pool_mean: mc,
                matched_mean: mm,
                smd_before: smd(mt_all, mc),
                smd_after: after,
                poor: after.abs() > study.matching.balance_threshold,
            });
        }
        let poor: Vec<&str> = balance
            .iter()
            .filter(|b| b.poor)
            .map(|b| b.covariate.as_str())
            .collect();
        if !poor.is_empty() {
            warnings.push(format!(
                "poor balance after matching (|SMD| > {}) on {}; consider exact matching, a \
                 narrower caliper or more covariates",
                study.matching.balance_threshold,
                som_core::error::list(poor.iter().copied())
            ));
        }
    }

    // Outcomes per unit: difference-in-differences contributions.
    let ks: Vec<i32> = (-pre..post).collect();
    let kn = ks.len();
    let mut dept_names: Vec<String> = outcome
        .iter()
        .map(|&d| input.departments[d].clone())
        .collect();
    let with_total = study.outcomes.total && outcome.len() > 1;
    if with_total {
        dept_names.push(TOTAL.into());
    }
    let dn = dept_names.len();
    let cells = dn * kn;
    // Per person at a month: cost per outcome department (and total) and year.
    let path = |at: At, out: &mut [f64]| {
        for (ki, &k) in ks.iter().enumerate() {
            let m = at.month + 12 * k;
            let mut total = 0.0;
            for (di, &d) in outcome.iter().enumerate() {
                let v = if w.inside(m) {
                    w.get(d, m, at.person)
                } else {
                    0.0
                };
                out[di * kn + ki] = v;
                total += v;
            }
            if with_total {
                out[(dn - 1) * kn + ki] = total;
            }
        }
    };
    let did = |y: &mut [f64]| {
        for d in 0..dn {
            let pre_mean = y[d * kn..d * kn + pre as usize].iter().sum::<f64>() / pre as f64;
            for v in &mut y[d * kn..(d + 1) * kn] {
                *v -= pre_mean;
            }
        }
    };
    let n = units.len();
    // Columns: observed × contribution per cell, then observed per year.
    let width = cells + kn;
    let mut xbuf = vec![0.0; n * width];
    xbuf.par_chunks_mut(width)
        .zip(units.par_iter())
        .for_each(|(row, (at, m))| {
            let mut yt = vec![0.0; cells];
            let mut yc = vec![0.0; cells];
            let mut tmp = vec![0.0; cells];
            path(*at, &mut yt);
            for &c in m {
                path(
                    At {
                        person: c,
                        month: at.month,
                    },
                    &mut tmp,
                );
                did(&mut tmp);
                for (a, b) in yc.iter_mut().zip(&tmp) {
                    *a += b / m.len() as f64;
                }
            }
            did(&mut yt);
            for (ki, &k) in ks.iter().enumerate() {
                let o = f64::from(u8::from(w.inside(at.month + 12 * k)));
                for d in 0..dn {
                    row[d * kn + ki] = o * (yt[d * kn + ki] - yc[d * kn + ki]);
                }
                row[cells + ki] = o;
            }
        });
    let xmat = Array2::from_shape_vec((n, width), xbuf).expect("n × width values");
    // Mean paths (levels, not differenced), summed in a fixed order: weighted persons at
    // index months, into per-cell sums and per-year weights of those observed.
    let levels = |persons: &mut dyn Iterator<Item = (At, f64)>| {
        let mut sums = vec![0.0; cells];
        let mut weights = vec![0.0f64; kn];
        let mut tmp = vec![0.0; cells];
        for (at, wgt) in persons {
            path(at, &mut tmp);
            for (ki, &k) in ks.iter().enumerate() {
                if w.inside(at.month + 12 * k) {
                    weights[ki] += wgt;
                    for d in 0..dn {
                        sums[d * kn + ki] += wgt * tmp[d * kn + ki];
                    }
                }
            }
        }
        (sums, weights)
    };
    // Baseline: the matched participants, and their comparisons weighted 1/m.
    let (lev_t, observed) = levels(&mut units.iter().map(|(at, _)| (*at, 1.0)));
    let observed: Vec<usize> = observed.iter().map(|&o| o as usize).collect();
    let (lev_c, persons_c) = levels(&mut units.iter().flat_map(|(at, m)| {
        m.iter().map(move |&c| {
            (
                At {
                    person: c,
                    month: at.month,
                },
                1.0 / m.len() as f64,
            )
        })
    }));
    // Naive: all eligible participants against the whole pool at pseudo-index dates.
    let (naive_t, naive_nt) = levels(&mut treated.iter().map(|at| (*at, 1.0)));
    let (naive_c, naive_nc) = levels(&mut pseudo.iter().map(|at| (*at, 1.0)));
    let naive_nt: Vec<usize> = naive_nt.iter().map(|&o| o as usize).collect();
    let naive_nc: Vec<usize> = naive_nc.iter().map(|&o| o as usize).collect();

    tracing::debug!(
        seconds = clock.elapsed().as_secs_f64(),
        "contributions, baseline, naive"
    );
    // Point estimates.
    let col_sums = xmat.sum_axis(ndarray::Axis(0));
    let point: Vec<f64> = (0..cells)
        .map(|c| {
            let ki = c % kn;
            col_sums[c] / col_sums[cells + ki].max(1.0)
        })
        .collect();

    // Bootstrap.
    let b_total = study.bootstrap.replicates;
    let batches: Vec<(usize, usize)> = (0..b_total)
        .step_by(BOOT_BATCH)
        .map(|s| (s, BOOT_BATCH.min(b_total - s)))
        .collect();
    let boot: Vec<Vec<f64>> = batches
        .par_iter()
        .map(|&(start, nb)| {
            if progress.stopped() {
                return Vec::new();
            }
            let mut weights = Array2::<f64>::zeros((nb, n));
            for r in 0..nb {
                let mut rng = ChaCha12Rng::seed_from_u64(study.bootstrap.seed);
                rng.set_stream((start + r) as u64);
                let mut row = weights.row_mut(r);
                for _ in 0..n {
                    row[rng.random_range(0..n)] += 1.0;
                }
            }
            let sums = weights.dot(&xmat);
            let mut out = vec![0.0; nb * cells];
            for r in 0..nb {
                for c in 0..cells {
                    let den = sums[[r, cells + c % kn]];
                    out[r * cells + c] = if den > 0.0 {
                        sums[[r, c]] / den
                    } else {
                        f64::NAN
                    };
                }
            }
            progress.add(nb);
            out
        })
        .collect();
    progress.check()?;
    let boot: Vec<f64> = boot.into_iter().flatten().collect();
    tracing::debug!(
        seconds = clock.elapsed().as_secs_f64(),
        replicates = b_total,
        "bootstrap"
    );

    // Effects, suppressing small cells.
    let alpha = (1.0 - study.bootstrap.level) / 2.0;
    let mut effects = Vec::new();
    let mut keep_cells = Vec::new();
    for (di, name) in dept_names.iter().enumerate() {
        for (ki, &k) in ks.iter().enumerate() {
            let c = di * kn + ki;
            let obs = observed[ki];
            let suppressed = obs < threshold;
            if suppressed {
                effects.push(EffectRow {
                    department: name.clone(),
                    year_since_start: k,
                    participants: None,
                    estimate: None,
                    se: None,
                    low: None,
                    high: None,
                    naive: None,
                    suppressed: true,
                });
                continue;
            }
            let mut v: Vec<f64> = (0..b_total)
                .map(|b| boot[b * cells + c])
                .filter(|x| !x.is_nan())
                .collect();
            let mean = v.iter().sum::<f64>() / v.len().max(1) as f64;
            let se = (v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>()
                / (v.len().max(2) - 1) as f64)
                .sqrt();
            v.sort_by(f64::total_cmp);
            let naive = (naive_nt[ki] >= threshold && naive_nc[ki] >= threshold)
                .then(|| naive_t[c] / naive_nt[ki] as f64 - naive_c[c] / naive_nc[ki] as f64);
            effects.push(EffectRow {
                department: name.clone(),
                year_since_start: k,
                participants: Some(obs),
                estimate: Some(point[c]),
                se: Some(se),
                low: som_core::stats::quantile(&v, alpha),
                high: som_core::stats::quantile(&v, 1.0 - alpha),
                naive,
                suppressed: false,
            });
            keep_cells.push(c);
        }
    }
    let draws = BootDraws {
        cells: keep_cells
            .iter()
            .map(|&c| (dept_names[c / kn].clone(), ks[c % kn]))
            .collect(),
        replicates: b_total,
        values: (0..b_total)
            .flat_map(|b| keep_cells.iter().map(move |&c| (b, c)))
            .map(|(b, c)| boot[b * cells + c])
            .collect(),
    };

    let mut baseline = Vec::new();
    for (group, sums, counts) in [
        (
            "participants",
            &lev_t,
            observed.iter().map(|&o| o as f64).collect::<Vec<_>>(),
        ),
        ("comparison", &lev_c, persons_c.clone()),
    ] {
        for (di, name) in dept_names.iter().enumerate() {
            for (ki, &k) in ks.iter().enumerate() {
                // The comparison group's size is that of the participants it stands for.
                let persons = observed[ki];
                let ok = persons >= threshold;
                baseline.push(BaselineRow {
                    group,
                    department: name.clone(),
                    year_since_start: k,
                    persons: ok.then_some(persons),
                    mean: ok.then(|| sums[di * kn + ki] / counts[ki].max(1e-12)),
                    suppressed: !ok,
                });
            }
        }
    }

    let transitions = match input.states {
        Some(states) => transitions::count(states, p.len(), &units, &ks, threshold),
        None => Vec::new(),
    };

    let estimates = Estimates {
        format: FORMAT,
        study: study.name.clone(),
        method: "propensity-score nearest-neighbour matching (with replacement, caliper on the \
                 logit, exact strata), difference-in-differences per department and year since \
                 start, person bootstrap with percentile intervals",
        conventions: Conventions {
            year_since_start: "12-month windows from the start month: year 0 is the start month \
                               and the 11 months after it, year −1 the 12 months before the start \
                               month. A participant counts in a year only when the whole window \
                               lies inside the observed period; matched comparisons are observed \
                               over the same windows.",
            amounts: "kr. as booked in the services table (refunds included), summed per 12-month \
                      window",
            effect: "per participant and year: (participant's cost − their pre-period mean) − \
                     (matched comparisons' cost − their pre-period mean), averaged over the \
                     participants observed that year; negative = less spent",
            observed_period: (show(first), show(last)),
        },
        sample: sample.shown(threshold),
        departments: dept_names,
        years_since_start: ks,
        bootstrap: BootInfo {
            replicates: b_total,
            seed: study.bootstrap.seed,
            level: study.bootstrap.level,
            unit: "participant with their matched comparison persons",
            interval: "percentile",
        },
        propensity,
        balance,
        effects,
        baseline,
        transitions,
        warnings,
        disclosure_threshold: threshold,
    };
    Ok((estimates, draws))
}

/// The `k` candidates nearest to `l` within `caliper` (sorted candidates), nearest first, ties
/// by person index.
fn nearest(cands: &[(f64, u32)], l: f64, k: usize, caliper: f64) -> Vec<u32> {
    let pos = cands.partition_point(|c| c.0 < l);
    let (mut lo, mut hi) = (pos, pos);
    let mut found: Vec<(f64, u32)> = Vec::with_capacity(k + 2);
    loop {
        let left = (lo > 0).then(|| l - cands[lo - 1].0);
        let right = (hi < cands.len()).then(|| cands[hi].0 - l);
        let next = match (left, right) {
            (None, None) => break,
            (Some(a), None) => a,
            (None, Some(b)) => b,
            (Some(a), Some(b)) => a.min(b),
        };
        // Stop when the next candidate is outside the caliper, or farther than the k-th found
        // (candidates at the same distance are all taken, for the tie rule).
        if next > caliper || (found.len() >= k && next > found[k - 1].0) {
            break;
        }
        if left == Some(next) {
            lo -= 1;
            found.push((next, cands[lo].1));
        } else {
            found.push((next, cands[hi].1));
            hi += 1;
        }
        found.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    }
    found.truncate(k);
    found.into_iter().map(|f| f.1).collect()
}

fn too_few(src: &Source, sample: &Counts, study: &Study, what: &str, n: usize) -> Error {
    let d: Diagnostic = src.diag(
        &FieldPath::root().key("min_participants"),
        format!(
            "too few persons to estimate from: {n} {what} (at least {} needed); {} participants \
             in the target group, {} started outside the start range, {} too early for the \
             pre-period, {} too late for year 0, {} without a comparison within the caliper. \
             Widen the filter or the start range, shorten the pre-period, or widen the caliper",
            study.min_participants,
            sample.participants_in_target,
            sample.excluded_start_outside_range,
            sample.excluded_pre_period_not_observed,
            sample.excluded_year0_not_observed,
            sample.participants_unmatched,
        ),
    );
    Error::Invalid(vec![d])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_respects_caliper_and_ties() {
        let c: [(f64, u32); 4] = [(0.0, 5), (1.0, 3), (1.0, 1), (2.5, 2)];
        let mut c = c.to_vec();
        c.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        assert_eq!(nearest(&c, 1.1, 1, 0.5), vec![1]);
        assert_eq!(nearest(&c, 1.1, 2, 0.5), vec![1, 3]);
        assert_eq!(nearest(&c, 1.1, 3, 0.5), vec![1, 3]);
        assert_eq!(nearest(&c, 1.8, 2, 0.75), vec![2]);
        assert_eq!(nearest(&c, 1.8, 2, 1.0), vec![2, 1]);
        assert!(nearest(&c, 10.0, 1, 0.5).is_empty());
    }
}
