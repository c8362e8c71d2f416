//! `som synth`: a seeded generator of realistic synthetic case data with known true effects.
//!
//! The generator writes the three tables of the case-data contract (`docs/case-data.md`) for
//! one municipality or many: `persons` in four target-group segments (the target groups of the
//! bundled models), monthly `services` across departments priced from the bundled price
//! catalogue, and monthly `states`. A participating group differs from the non-participants in
//! observed ways (higher costs before the start date, more coordination level 3); because
//! participation depends only on what is observed for everyone before the first start date
//! (segment, coordination level, costs in the baseline months), matching on those variables
//! can recover the effect. The effect itself is known: participants' use of each
//! department's services after the start date is reduced with a known probability per segment,
//! department and year since start, and, because each participant's counterfactual path is
//! simulated too, the realised average effect on the participants (ATT) is written to
//! `truth.json` beside the data.
//!
//! Reproducibility: persons are generated in chunks of [`CHUNK_PERSONS`]; each chunk draws from
//! its own ChaCha12 stream (key from the seed, stream number from municipality and chunk), so a
//! chunk's rows depend on nothing but the seed, the municipality, the chunk's place and the
//! period. Chunks may be generated in parallel and are written in index order: the same
//! command gives byte-identical files whatever the number of threads.
//!
//! This module is pure: no file is read or written here (the writer is
//! [`crate::synth_out::write_synth`]).

pub mod frame;
pub mod model;
mod person;

use frame::{PersonCols, ServiceCols, StateCols};
use model::{Model, SEGMENTS};
use rand::SeedableRng;
use rand_chacha::ChaCha12Rng;
use rayon::prelude::*;
use serde::Serialize;
use som_core::catalogue::Catalogues;
use som_core::error::{Diagnostic, Error, Result};
use som_core::source::{FieldPath, Source};

/// Persons per chunk (and per random stream). Part of the reproducibility contract: changing
/// it changes the data.
pub const CHUNK_PERSONS: u32 = 1000;
/// Most persons one run generates.
pub const MAX_PERSONS: u64 = 10_000_000;
/// Municipality used when none is named.
pub const DEFAULT_MUNICIPALITY: u32 = 751;

/// The 98 municipalities (code, name, region), `datasets/reference/municipalities.csv`.
const MUNICIPALITIES_CSV: &str = include_str!("../../../../datasets/reference/municipalities.csv");

/// A municipality of `datasets/reference/municipalities.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct Municipality {
    pub code: u32,
    pub name: String,
    pub region: String,
}

/// The 98 Danish municipalities, in the order of the reference file.
pub fn municipalities() -> Vec<Municipality> {
    MUNICIPALITIES_CSV
        .lines()
        .skip(1)
        .filter_map(|l| {
            let mut f = l.trim().splitn(3, ',');
            let code = f.next()?.trim().parse().ok()?;
            Some(Municipality {
                code,
                name: f.next()?.trim().to_string(),
                region: f.next()?.trim().to_string(),
            })
        })
        .collect()
}

/// The synthetic relative size of a municipality's target group: a deterministic draw from a
/// log-normal distribution keyed by the municipality code. **Not a population figure**: som
/// bundles no official population per municipality, so `--all` splits persons by this weight.
pub fn synthetic_size(code: u32) -> f64 {
    let mut x = 0x9E37_79B9_7F4A_7C15u64 ^ u64::from(code);
    let mut next = || {
        // splitmix64
        x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let u1 = ((next() >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
    let u2 = ((next() >> 11) as f64) / (1u64 << 53) as f64;
    let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
    let w = (0.9 * z).exp();
    (w * 1000.0).round() / 1000.0
}

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthConfig {
    pub seed: u64,
    /// Municipality codes; empty means [`DEFAULT_MUNICIPALITY`] unless `all`.
    pub municipalities: Vec<u32>,
    /// All 98 municipalities.
    pub all: bool,
    /// Total number of persons.
    pub persons: u64,
    /// First and last calendar year of the period (whole years).
    pub from_year: i32,
    pub to_year: i32,
}

impl Default for SynthConfig {
    fn default() -> Self {
        SynthConfig {
            seed: 7,
            municipalities: Vec::new(),
            all: false,
            persons: 3000,
            from_year: 2016,
            to_year: 2025,
        }
    }
}

impl SynthConfig {
    /// The municipality codes selected, sorted and without duplicates.
    pub fn codes(&self) -> Vec<u32> {
        let mut c = if self.all {
            municipalities().iter().map(|m| m.code).collect()
        } else if self.municipalities.is_empty() {
            vec![DEFAULT_MUNICIPALITY]
        } else {
            self.municipalities.clone()
        };
        c.sort_unstable();
        c.dedup();
        c
    }

    /// The canonical command that generates this data (recorded in dataset.toml and
    /// truth.json; the output folder is left out because it does not change the data).
    pub fn command(&self) -> String {
        let place = if self.all {
            " --all".to_string()
        } else {
            let codes: Vec<String> = self.codes().iter().map(|c| c.to_string()).collect();
            format!(" --municipality {}", codes.join(" "))
        };
        format!(
            "som synth{place} --persons {} --from {} --to {} --seed {}",
            self.persons, self.from_year, self.to_year, self.seed
        )
    }
}

fn arg_error(field: &str, message: String) -> Diagnostic {
    Source::new("command line", "").diag(&FieldPath::root().key(field), message)
}

/// The calendar of the period: months, their years, lengths and `YYYY-MM` labels, and the
/// window of start dates.
#[derive(Debug, Clone)]
pub struct TimeFrame {
    pub from_year: i32,
    pub to_year: i32,
    pub years: usize,
    pub months: usize,
    /// Whole years before the first possible start date (and after the last).
    pub pre_years: usize,
    /// First and last month index a start date can fall in.
    pub start_lo: usize,
    /// Months at the beginning whose costs drive selection (before `start_lo`).
    pub baseline_months: usize,
    pub start_hi: usize,
    pub year: Vec<i32>,
    pub days: Vec<u8>,
    pub periods: Vec<String>,
}

fn days_in_month(y: i32, m: u32) -> u8 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl TimeFrame {
    fn new(from_year: i32, to_year: i32) -> TimeFrame {
        let years = (to_year - from_year + 1) as usize;
        let months = years * 12;
        let pre_years = (years / 3).max(1);
        let mut year = Vec::with_capacity(months);
        let mut days = Vec::with_capacity(months);
        let mut periods = Vec::with_capacity(months);
        for m in 0..months {
            let y = from_year + (m / 12) as i32;
            let mo = (m % 12) as u32 + 1;
            year.push(y);
            days.push(days_in_month(y, mo));
            periods.push(format!("{y:04}-{mo:02}"));
        }
        TimeFrame {
            from_year,
            to_year,
            years,
            months,
            pre_years,
            start_lo: 12 * pre_years,
            baseline_months: model::BASELINE_MONTHS.min(12 * pre_years),
            start_hi: 12 * (years - pre_years) - 1,
            year,
            days,
            periods,
        }
    }
}

/// One municipality's share of the run.
#[derive(Debug, Clone, Serialize)]
pub struct MunicipalityPlan {
    pub code: u32,
    pub name: String,
    /// Synthetic relative size ([`synthetic_size`]).
    pub size_weight: f64,
    pub persons: u64,
    /// Global index of its first person.
    #[serde(skip)]
    pub first: u64,
}

/// A chunk of persons generated from one random stream.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Job {
    pub municipality: u32,
    /// Chunk number within the municipality (the random stream).
    pub chunk: u32,
    /// Global index of the chunk's first person.
    pub first: u64,
    pub persons: u32,
}

/// A validated run: configuration, resolved model, calendar, municipalities and chunks.
#[derive(Debug, Clone)]
pub struct Plan {
    pub config: SynthConfig,
    pub model: Model,
    pub time: TimeFrame,
    pub municipalities: Vec<MunicipalityPlan>,
    pub jobs: Vec<Job>,
    /// Unit price per segment, stream and calendar year of the period.
    prices: Vec<Vec<Vec<f64>>>,
}

impl Plan {
    /// Check the configuration and lay out the run. Every problem is reported at once.
    pub fn new(config: &SynthConfig) -> Result<Plan> {
        let mut diags = Vec::new();
        let known = municipalities();
        let codes = config.codes();
        for c in &codes {
            if !known.iter().any(|m| m.code == *c) {
                diags.push(arg_error(
                    "--municipality",
                    format!(
                        "unknown municipality code {c}: not one of the {} codes in \
                         datasets/reference/municipalities.csv (e.g. 101 København, 751 Aarhus)",
                        known.len()
                    ),
                ));
            }
        }
        if config.persons == 0 || config.persons > MAX_PERSONS {
            diags.push(arg_error(
                "--persons",
                format!(
                    "{} persons: expected between 1 and {MAX_PERSONS}",
                    config.persons
                ),
            ));
        }
        if !(1900..=2100).contains(&config.from_year) || !(1900..=2100).contains(&config.to_year) {
            diags.push(arg_error(
                "--from/--to",
                format!(
                    "years {}–{}: expected years between 1900 and 2100",
                    config.from_year, config.to_year
                ),
            ));
        } else if config.to_year - config.from_year + 1 < 3 {
            diags.push(arg_error(
                "--from/--to",
                format!(
                    "the period {}–{} is shorter than 3 years: histories need years before and \
                     after the start dates",
                    config.from_year, config.to_year
                ),
            ));
        } else if config.to_year - config.from_year + 1 > 50 {
            diags.push(arg_error(
                "--from/--to",
                format!(
                    "the period {}–{} is longer than 50 years",
                    config.from_year, config.to_year
                ),
            ));
        }
        if !diags.is_empty() {
            return Err(Error::Invalid(diags));
        }
        let model = Model::new(&Catalogues::builtin()?)?;
        let time = TimeFrame::new(config.from_year, config.to_year);

        // Persons per municipality: the largest-remainder split of the total by size.
        let weights: Vec<f64> = codes
            .iter()
            .map(|&c| {
                if codes.len() == 1 {
                    1.0
                } else {
                    synthetic_size(c)
                }
            })
            .collect();
        let total_w: f64 = weights.iter().sum();
        let quotas: Vec<f64> = weights
            .iter()
            .map(|w| config.persons as f64 * w / total_w)
            .collect();
        let mut counts: Vec<u64> = quotas.iter().map(|q| q.floor() as u64).collect();
        let mut left = config.persons - counts.iter().sum::<u64>();
        let mut order: Vec<usize> = (0..codes.len()).collect();
        order.sort_by(|&a, &b| {
            let fa = quotas[a] - quotas[a].floor();
            let fb = quotas[b] - quotas[b].floor();
            fb.total_cmp(&fa).then(a.cmp(&b))
        });
        for &i in order.iter().cycle() {
            if left == 0 {
                break;
            }
            counts[i] += 1;
            left -= 1;
        }
        let mut first = 0u64;
        let mut plans = Vec::new();
        let mut jobs = Vec::new();
        for (i, &code) in codes.iter().enumerate() {
            let name = known
                .iter()
                .find(|m| m.code == code)
                .map(|m| m.name.clone())
                .unwrap_or_default();
            let n = counts[i];
            let mut done = 0u64;
            let mut chunk = 0u32;
            while done < n {
                let k = (n - done).min(u64::from(CHUNK_PERSONS)) as u32;
                jobs.push(Job {
                    municipality: code,
                    chunk,
                    first: first + done,
                    persons: k,
                });
                done += u64::from(k);
                chunk += 1;
            }
            plans.push(MunicipalityPlan {
                code,
                name,
                size_weight: weights[i],
                persons: n,
                first,
            });
            first += n;
        }
        let prices = model
            .segments
            .iter()
            .map(|list| {
                list.iter()
                    .map(|r| {
                        (config.from_year..=config.to_year)
                            .map(|y| r.unit_price * model.price_factor(r.price_year, y))
                            .collect()
                    })
                    .collect()
            })
            .collect();
        Ok(Plan {
            config: config.clone(),
            model,
            time,
            municipalities: plans,
            jobs,
            prices,
        })
    }

    /// Unit price of stream `j` of `segment` in calendar year `y` of the period.
    fn unit_price(&self, segment: usize, j: usize, y: i32) -> f64 {
        self.prices[segment][j][(y - self.time.from_year) as usize]
    }

    /// An empty tally shaped for this plan.
    pub fn tally(&self) -> Tally {
        Tally::new(self.model.departments.len(), self.time.years)
    }
}

/// Sums over persons that the truth is made of. Tallies of chunks are merged in chunk order,
/// so the floating-point sums do not depend on the number of threads.
#[derive(Debug, Clone, PartialEq)]
pub struct Tally {
    depts: usize,
    ks: usize,
    /// Participants observed for a whole year since start: [segment][k].
    n: Vec<u64>,
    /// Observed and counterfactual amounts of participants: [segment][dept][k].
    obs: Vec<f64>,
    cf: Vec<f64>,
    /// Per segment and participation (0 = no, 1 = yes).
    pub persons: [[u64; 2]; 4],
    pre_cost: [[f64; 2]; 4],
    level3: [[u64; 2]; 4],
    level_missing: [[u64; 2]; 4],
    pub services_rows: u64,
    pub states_rows: u64,
}

impl Tally {
    fn new(depts: usize, ks: usize) -> Tally {
        Tally {
            depts,
            ks,
            n: vec![0; 4 * ks],
            obs: vec![0.0; 4 * depts * ks],
            cf: vec![0.0; 4 * depts * ks],
            persons: [[0; 2]; 4],
            pre_cost: [[0.0; 2]; 4],
            level3: [[0; 2]; 4],
            level_missing: [[0; 2]; 4],
            services_rows: 0,
            states_rows: 0,
        }
    }

    fn count(&mut self, seg: usize, k: usize) {
        self.n[seg * self.ks + k] += 1;
    }

    fn add(&mut self, seg: usize, dept: usize, k: usize, observed: f64, counterfactual: f64) {
        let i = (seg * self.depts + dept) * self.ks + k;
        self.obs[i] += observed;
        self.cf[i] += counterfactual;
    }

    fn person(&mut self, seg: usize, participant: bool, pre_cost: f64, level: Option<u8>) {
        let p = usize::from(participant);
        self.persons[seg][p] += 1;
        self.pre_cost[seg][p] += pre_cost;
        self.level3[seg][p] += u64::from(level == Some(3));
        self.level_missing[seg][p] += u64::from(level.is_none());
    }

    /// Add another tally (call in chunk order).
    pub fn merge(&mut self, o: &Tally) {
        for (a, b) in self.n.iter_mut().zip(&o.n) {
            *a += b;
        }
        for (a, b) in self.obs.iter_mut().zip(&o.obs) {
            *a += b;
        }
        for (a, b) in self.cf.iter_mut().zip(&o.cf) {
            *a += b;
        }
        for s in 0..4 {
            for p in 0..2 {
                self.persons[s][p] += o.persons[s][p];
                self.pre_cost[s][p] += o.pre_cost[s][p];
                self.level3[s][p] += o.level3[s][p];
                self.level_missing[s][p] += o.level_missing[s][p];
            }
        }
        self.services_rows += o.services_rows;
        self.states_rows += o.states_rows;
    }

    /// Number of persons.
    pub fn total_persons(&self) -> u64 {
        self.persons.iter().map(|p| p[0] + p[1]).sum()
    }

    /// Number of participants.
    pub fn participants(&self) -> u64 {
        self.persons.iter().map(|p| p[1]).sum()
    }
}

/// The rows of one chunk, ready to be written, and its tally.
#[derive(Debug, Clone)]
pub struct Chunk {
    pub job: Job,
    pub persons: PersonCols,
    pub services: ServiceCols,
    pub states: StateCols,
    pub tally: Tally,
}

/// The random stream of a chunk: ChaCha12 keyed by the seed, stream number
/// `municipality << 32 | chunk`.
pub fn chunk_rng(seed: u64, municipality: u32, chunk: u32) -> ChaCha12Rng {
    let mut rng = ChaCha12Rng::seed_from_u64(seed);
    rng.set_stream((u64::from(municipality) << 32) | u64::from(chunk));
    rng
}

/// Generate one chunk.
pub fn generate_chunk(plan: &Plan, job: &Job) -> Chunk {
    let mut rng = chunk_rng(plan.config.seed, job.municipality, job.chunk);
    let mut scratch = person::Scratch::default();
    let mut persons = PersonCols::default();
    let mut services = ServiceCols::default();
    let mut states = StateCols::default();
    let mut tally = plan.tally();
    for i in 0..u64::from(job.persons) {
        person::simulate(
            plan,
            &mut rng,
            &mut scratch,
            job.municipality as i32,
            job.first + i,
            &mut persons,
            &mut services,
            &mut states,
            &mut tally,
        );
    }
    services.globalise(job.first);
    states.globalise(job.first);
    tally.services_rows = services.len() as u64;
    tally.states_rows = states.len() as u64;
    Chunk {
        job: *job,
        persons,
        services,
        states,
        tally,
    }
}

/// Generate several chunks in parallel; the result is in the order of `jobs`.
pub fn generate_chunks(plan: &Plan, jobs: &[Job]) -> Vec<Chunk> {
    jobs.par_iter().map(|j| generate_chunk(plan, j)).collect()
}

// ------------------------------------------------------------------------------------ truth

/// `truth.json`: how the data were generated and the true effects, so that estimates made from
/// the data can be checked against them.
#[derive(Debug, Clone, Serialize)]
pub struct Truth {
    pub format: &'static str,
    pub generator: String,
    pub command: String,
    pub seed: u64,
    pub period: Period,
    pub random_streams: String,
    pub chunk_persons: u32,
    pub persons: u64,
    pub participants: u64,
    pub services_rows: u64,
    pub states_rows: u64,
    pub conventions: Conventions,
    pub municipalities: Vec<MunicipalityTruth>,
    pub segments: Vec<SegmentTruth>,
    pub effects: Vec<EffectParam>,
    pub selection: Selection,
    pub att: Vec<AttRow>,
    /// The services each segment uses: code, department, unit and unit price.
    pub service_types: Vec<model::StreamInfo>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Period {
    pub from: String,
    pub to: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Conventions {
    pub year_since_start: &'static str,
    pub effect: &'static str,
    pub att: &'static str,
    pub amounts: &'static str,
    pub municipality_size: &'static str,
    pub intervention_costs: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct MunicipalityTruth {
    pub code: u32,
    pub name: String,
    pub size_weight: f64,
    pub persons: u64,
    pub participants: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct SegmentTruth {
    pub segment: &'static str,
    pub description: &'static str,
    pub share: f64,
    pub persons: u64,
    pub participants: u64,
    /// Multiplier of the peak effect by year since start (0, 1, …; later years keep the last).
    pub effect_profile: Vec<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EffectParam {
    pub segment: &'static str,
    pub department: String,
    pub year_since_start: u32,
    /// Probability that a participant's service of this department in this year is removed:
    /// the expected relative reduction of the department's costs.
    pub relative_reduction: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Selection {
    pub model: String,
    /// The months whose costs enter the selection model.
    pub baseline: Period,
    pub groups: Vec<SelectionGroup>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SelectionGroup {
    pub segment: &'static str,
    pub participant: bool,
    pub persons: u64,
    /// Mean cost in the baseline months (`selection.baseline`), kr.
    pub mean_baseline_cost: f64,
    pub share_level_3: f64,
    pub share_level_missing: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct AttRow {
    /// A segment, or `all`.
    pub segment: String,
    /// A department id, or `total`.
    pub department: String,
    /// 12-month windows from the start month: 0 is the first year, −1 the year before.
    pub year_since_start: i64,
    /// Participants observed for the whole year.
    pub participants: u64,
    /// Mean observed cost per participant in that year, kr.
    pub observed: f64,
    /// Mean counterfactual cost (no intervention), kr.
    pub counterfactual: f64,
    /// observed − counterfactual: the effect on the treated (negative = saving), kr.
    pub effect: f64,
}

fn r2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn r4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

impl Plan {
    /// Build the truth from the merged tally and the participants per municipality.
    pub fn truth(&self, tally: &Tally, participants_by_municipality: &[u64]) -> Truth {
        let model = &self.model;
        let tf = &self.time;
        let depts = model.departments.len();
        let mut att = Vec::new();
        let p = tf.pre_years as i64;
        // Segment rows, then `all`; departments, then `total`.
        let groups: Vec<(String, Vec<usize>)> = SEGMENTS
            .iter()
            .enumerate()
            .map(|(s, name)| (name.to_string(), vec![s]))
            .chain([("all".to_string(), (0..SEGMENTS.len()).collect())])
            .collect();
        for (seg_name, segs) in &groups {
            for d in 0..=depts {
                let ds: Vec<usize> = if d < depts {
                    vec![d]
                } else {
                    (0..depts).collect()
                };
                for k in 0..tf.years {
                    let n: u64 = segs.iter().map(|&s| tally.n[s * tally.ks + k]).sum();
                    if n == 0 {
                        continue;
                    }
                    let (mut o, mut c) = (0.0, 0.0);
                    for &s in segs {
                        for &dd in &ds {
                            let i = (s * tally.depts + dd) * tally.ks + k;
                            o += tally.obs[i];
                            c += tally.cf[i];
                        }
                    }
                    let nf = n as f64;
                    att.push(AttRow {
                        segment: seg_name.clone(),
                        department: if d < depts {
                            model.departments[d].clone()
                        } else {
                            "total".into()
                        },
                        year_since_start: k as i64 - p,
                        participants: n,
                        observed: r2(o / nf),
                        counterfactual: r2(c / nf),
                        effect: r2((o - c) / nf),
                    });
                }
            }
        }
        let mut effects = Vec::new();
        for (seg, name) in SEGMENTS.iter().enumerate() {
            for (d, dept) in model.departments.iter().enumerate() {
                if model.effect(seg, d, 0) == 0.0 && model.effect(seg, d, 1) == 0.0 {
                    continue;
                }
                for k in 0..(tf.years - tf.pre_years) {
                    effects.push(EffectParam {
                        segment: name,
                        department: dept.clone(),
                        year_since_start: k as u32,
                        relative_reduction: r4(model.effect(seg, d, k)),
                    });
                }
            }
        }
        let segments = SEGMENTS
            .iter()
            .enumerate()
            .map(|(s, name)| SegmentTruth {
                segment: name,
                description: model::SEGMENT_DESCRIPTIONS[s],
                share: model::SEGMENT_SHARES[s],
                persons: tally.persons[s][0] + tally.persons[s][1],
                participants: tally.persons[s][1],
                effect_profile: model::EFFECT_PROFILE[s].to_vec(),
            })
            .collect();
        let mut groups = Vec::new();
        for (s, name) in SEGMENTS.iter().enumerate() {
            for part in [true, false] {
                let i = usize::from(part);
                let n = tally.persons[s][i];
                let nf = (n as f64).max(1.0);
                groups.push(SelectionGroup {
                    segment: name,
                    participant: part,
                    persons: n,
                    mean_baseline_cost: r2(tally.pre_cost[s][i] / nf),
                    share_level_3: r4(tally.level3[s][i] as f64 / nf),
                    share_level_missing: r4(tally.level_missing[s][i] as f64 / nf),
                });
            }
        }
        let selection = Selection {
            model: format!(
                "logit P(participant) = a[segment] + {} × (ln(1 + total cost in the baseline \
                 months) − {}) / {} + b[coordination level]; a = {:?} for {:?}; b = {:?} for \
                 levels 1–3 and {} when not recorded. Only segment, coordination level and the \
                 baseline cost enter, all observed for everyone before the first start date, \
                 and start dates are drawn independently: given these variables, participation \
                 is independent of the outcomes with and without the intervention.",
                model::SELECTION_COST_SLOPE,
                model::SELECTION_COST_CENTRE,
                model::SELECTION_COST_SCALE,
                model::SELECTION_INTERCEPT,
                SEGMENTS,
                model::SELECTION_LEVEL,
                model::SELECTION_LEVEL_MISSING,
            ),
            baseline: Period {
                from: tf.periods[0].clone(),
                to: tf.periods[tf.baseline_months - 1].clone(),
            },
            groups,
        };
        Truth {
            format: "som-synth-truth/1",
            generator: format!("som synth (som-engine {})", env!("CARGO_PKG_VERSION")),
            command: self.config.command(),
            seed: self.config.seed,
            period: Period {
                from: tf.periods[0].clone(),
                to: tf.periods[tf.months - 1].clone(),
            },
            random_streams: format!(
                "ChaCha12 (rand_chacha) seeded from the seed with SeedableRng::seed_from_u64, \
                 one stream per chunk of {CHUNK_PERSONS} persons: stream number = municipality \
                 code << 32 | chunk number within the municipality"
            ),
            chunk_persons: CHUNK_PERSONS,
            persons: tally.total_persons(),
            participants: tally.participants(),
            services_rows: tally.services_rows,
            states_rows: tally.states_rows,
            conventions: Conventions {
                year_since_start: "12-month windows from the start month: year 0 is the start \
                    month and the 11 months after it, year −1 the 12 months before the start \
                    month. A participant counts in a year only when the whole window lies inside \
                    the period.",
                effect: "After the start date, each of a participant's services in a department \
                    is removed with probability `relative_reduction` (segment × department × \
                    year since start): a spell (placement, benefit spell, support) is removed as \
                    a whole for the months of that year, an event month alone. Refunds and \
                    corrections go with their row. Non-participants and the months before the \
                    start date are untouched.",
                att: "Average effect on the treated per participant and year since start, \
                    observed − counterfactual, in kr. (negative = saving), from each \
                    participant's simulated counterfactual path; refunds included. `total` sums \
                    the departments; `all` pools the segments.",
                amounts: "kr. with øre, at the price level of the month's calendar year: the \
                    catalogue price (sum of the public actors: kommune, region, stat) moved with \
                    the general P/L index of price-index-dk.toml, 2 % a year where it has no \
                    rate; times a tariff that varies by case. Gross of the state's refusion of \
                    cash benefits; § 176 refusion of expensive placements is booked as refund \
                    rows.",
                municipality_size: "persons per municipality follow a synthetic relative size \
                    (`size_weight`, a deterministic log-normal draw per municipality code), \
                    not official population figures.",
                intervention_costs: "the intervention's own costs are not in `services`; they \
                    belong in the scenario.",
            },
            municipalities: self
                .municipalities
                .iter()
                .zip(participants_by_municipality)
                .map(|(m, &p)| MunicipalityTruth {
                    code: m.code,
                    name: m.name.clone(),
                    size_weight: m.size_weight,
                    persons: m.persons,
                    participants: p,
                })
                .collect(),
            segments,
            effects,
            selection,
            att,
            service_types: model.stream_info(),
        }
    }

    /// `dataset.toml` for the generated folder (the contract's description of a dataset).
    pub fn dataset_toml(&self) -> String {
        let tf = &self.time;
        let mut s = String::new();
        if let [m] = self.municipalities.as_slice() {
            s.push_str(&format!(
                "name = \"Synthetic municipality {} {} (som synth)\"\n",
                m.code, m.name
            ));
            s.push_str(&format!("municipality = {}\n", m.code));
        } else {
            s.push_str(&format!(
                "name = \"Synthetic case data, {} municipalities (som synth)\"\n",
                self.municipalities.len()
            ));
        }
        s.push_str(&format!(
            "period = {{ from = \"{}\", to = \"{}\" }}\n",
            tf.periods[0],
            tf.periods[tf.months - 1]
        ));
        s.push_str("persons = \"persons.parquet\"\n");
        s.push_str("services = \"services.parquet\"\n");
        s.push_str("states = \"states.parquet\"\n");
        s.push_str(&format!("source = \"{}\"\n", self.config.command()));
        s
    }
}

#[cfg(test)]
mod tests;
