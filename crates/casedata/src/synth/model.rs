//! The generating model of `som synth`: target-group segments, the services each segment uses
//! (with the code written to `services`, the catalogue item its price comes from and the
//! monthly process that switches it on and off), and the true intervention effects.
//!
//! Every number here is an illustrative assumption chosen to look like the case data of a
//! Danish municipality; prices come from the bundled price catalogue
//! (`models/catalogues/prices-dk.toml`) so that amounts sit near the reference unit prices.

use serde::Serialize;
use som_core::catalogue::Catalogues;
use som_core::error::{Error, Result};
use som_core::source::{FieldPath, Source};

/// Target-group segments, in the order used everywhere in the generator.
pub const SEGMENTS: [&str; 4] = ["family", "adult", "pupil", "debt"];

/// What each segment stands for (written to truth.json).
pub const SEGMENT_DESCRIPTIONS: [&str; 4] = [
    "families with complex problems (models/families-one-plan.toml); the person is the family's index adult and the family's services, the children's included, are booked on that person",
    "adults with combined social and health needs (models/adults-cross-team.toml)",
    "pupils in grades 7–9 with high absence (models/pupils-absence.toml); 13–15 years old at the start date",
    "citizens at risk of eviction or with debt problems (models/dropin-debt-counselling.toml)",
];

/// Share of each segment among generated persons.
pub const SEGMENT_SHARES: [f64; 4] = [0.30, 0.25, 0.25, 0.20];

/// Share of women in each segment (the family's index adult is most often the mother).
pub const FEMALE_SHARE: [f64; 4] = [0.70, 0.40, 0.45, 0.45];

/// Age at the start date, inclusive range, per segment.
pub const AGE_AT_START: [(i32, i32); 4] = [(22, 45), (25, 64), (13, 15), (20, 64)];

/// Monthly states a person can be in, as written to `states`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Job,
    Education,
    Benefits,
    Placement,
    Shelter,
    Home,
}

impl State {
    pub const ALL: [State; 6] = [
        State::Job,
        State::Education,
        State::Benefits,
        State::Placement,
        State::Shelter,
        State::Home,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            State::Job => "job",
            State::Education => "education",
            State::Benefits => "benefits",
            State::Placement => "placement",
            State::Shelter => "shelter",
            State::Home => "home",
        }
    }
}

/// How a service switches on and off from month to month. Probabilities are monthly and scale
/// with the person's latent severity `s` (standard normal): entry `p_in·e^(b_in·s)`, exit
/// `p_out·e^(−b_out·s)`.
#[derive(Debug, Clone, Copy)]
pub enum Process {
    /// A spell (placement, benefit spell, support): a two-state Markov chain, started from its
    /// stationary distribution.
    Spell {
        p_in: f64,
        p_out: f64,
        b_in: f64,
        b_out: f64,
    },
    /// Independent monthly events (admissions, evictions) with probability `p·e^(b·s)`.
    Event { p: f64, b: f64 },
    /// Active in a month where service `parent` is active, with probability `p` (employment
    /// measures during a benefit spell); shares the parent's effect draw.
    Follows { parent: usize, p: f64 },
}

/// Units booked in an active month.
#[derive(Debug, Clone, Copy)]
pub enum Units {
    /// Days in the calendar month (placements, residential offers).
    DaysInMonth,
    /// One unit (a benefit month, a month of a measure).
    One,
    /// `base + Poisson(mean)` units (hours, visits, bed-days); capped at the days in the month
    /// when `days` is true.
    Count { base: u32, mean: f64, days: bool },
}

/// How the unit price is derived from the catalogue item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Per {
    /// The item is priced per year; one unit is a day (price ÷ 365).
    Day,
    /// The item is priced per year; one unit is a month (price ÷ 12).
    Month,
    /// The item's own unit (day, hour, visit, admission, …).
    Native,
}

/// One service of a segment.
#[derive(Debug, Clone, Copy)]
pub struct Stream {
    /// Short name (truth.json).
    pub name: &'static str,
    /// Code written to `services.code`: a chart-of-accounts function or a catalogue item id.
    pub code: &'static str,
    /// Catalogue item the price comes from; empty when `fallback_price` is used.
    pub item: &'static str,
    pub per: Per,
    /// (price per unit, price year, source) for a code that has no catalogue item.
    pub fallback_price: Option<(f64, i32, &'static str)>,
    pub process: Process,
    pub units: Units,
    /// Standard deviation of the log tariff: providers and cases differ in price.
    pub tariff_sd: f64,
    /// Ages (inclusive) at which the service can be used.
    pub ages: (i32, i32),
    /// The state a month of this service puts the person in.
    pub state: Option<State>,
    /// SEL § 176 reimbursement of expensive single cases is booked as refund rows.
    pub refund_176: bool,
    /// Entry into this spell is at least `p` in the month after service `.0` was active, and
    /// such a spell shares that service's effect draw (shelter after an eviction).
    pub trigger: Option<(usize, f64)>,
    /// Not used in a month where any of these services is active.
    pub excluded_by: &'static [usize],
}

const ALL_AGES: (i32, i32) = (0, 120);

const fn spell(p_in: f64, p_out: f64, b_in: f64, b_out: f64) -> Process {
    Process::Spell {
        p_in,
        p_out,
        b_in,
        b_out,
    }
}

const fn base(name: &'static str, code: &'static str, item: &'static str) -> Stream {
    Stream {
        name,
        code,
        item,
        per: Per::Native,
        fallback_price: None,
        process: Process::Event { p: 0.0, b: 0.0 },
        units: Units::One,
        tariff_sd: 0.0,
        ages: ALL_AGES,
        state: None,
        refund_176: false,
        trigger: None,
        excluded_by: &[],
    }
}

const fn foster(ages: (i32, i32), p_in: f64, state: Option<State>) -> Stream {
    Stream {
        per: Per::Day,
        process: spell(p_in, 0.025, 0.8, 0.3),
        units: Units::DaysInMonth,
        tariff_sd: 0.15,
        ages,
        state,
        ..base("foster family placement", "5.28.22", "plejefamilie")
    }
}

const fn institution(ages: (i32, i32), p_in: f64, state: Option<State>) -> Stream {
    Stream {
        per: Per::Day,
        process: spell(p_in, 0.04, 1.0, 0.3),
        units: Units::DaysInMonth,
        tariff_sd: 0.20,
        ages,
        state,
        refund_176: true,
        ..base(
            "residential institution placement",
            "5.28.23",
            "institution",
        )
    }
}

const fn preventive(ages: (i32, i32), p_in: f64) -> Stream {
    Stream {
        per: Per::Month,
        process: spell(p_in, 0.06, 0.5, 0.2),
        tariff_sd: 0.30,
        ages,
        ..base(
            "preventive measure",
            "5.28.21",
            "forebyggende_foranstaltning",
        )
    }
}

const fn benefits(item: &'static str, ages: (i32, i32), p_in: f64, p_out: f64) -> Stream {
    Stream {
        per: Per::Month,
        process: spell(p_in, p_out, 0.5, 0.4),
        ages,
        state: Some(State::Benefits),
        ..base("cash benefit", "5.57.73", item)
    }
}

const fn jobcenter(parent: usize, p: f64) -> Stream {
    Stream {
        per: Per::Month,
        process: Process::Follows { parent, p },
        tariff_sd: 0.30,
        ..base("employment measures", "5.68.90", "jobcenter_indsats")
    }
}

const fn psychiatry(p: f64, mean_days: f64) -> Stream {
    Stream {
        process: Process::Event { p, b: 0.8 },
        units: Units::Count {
            base: 1,
            mean: mean_days,
            days: true,
        },
        tariff_sd: 0.05,
        ..base(
            "psychiatric bed-days",
            "psykiatri_sengedag",
            "psykiatri_sengedag",
        )
    }
}

const fn acute(p: f64) -> Stream {
    Stream {
        process: Process::Event { p, b: 0.6 },
        tariff_sd: 0.40,
        ..base(
            "acute somatic admission",
            "akut_indlaeggelse",
            "akut_indlaeggelse",
        )
    }
}

const fn special_school(ages: (i32, i32), p_in: f64) -> Stream {
    Stream {
        per: Per::Month,
        process: spell(p_in, 0.02, 0.8, 0.3),
        tariff_sd: 0.15,
        ages,
        ..base("special school", "3.22.08", "specialskole")
    }
}

const fn support_85(p_in: f64, p_out: f64, hours: f64, excluded_by: &'static [usize]) -> Stream {
    Stream {
        process: spell(p_in, p_out, 0.6, 0.3),
        units: Units::Count {
            base: 4,
            mean: hours,
            days: false,
        },
        excluded_by,
        ..base("§ 85 support at home (hours)", "bostotte_85", "bostotte_85")
    }
}

/// The services of each segment, in the order they are simulated. Indices inside a list are
/// referred to by `Follows`, `trigger` and `excluded_by`.
pub fn streams(segment: usize) -> Vec<Stream> {
    match segment {
        // family: index adult 22–45; children's services booked on the family case
        0 => vec![
            foster(ALL_AGES, 0.004, None),
            institution(ALL_AGES, 0.0015, None),
            preventive(ALL_AGES, 0.02),
            special_school(ALL_AGES, 0.003),
            benefits("kontanthjaelp_med_born", (18, 67), 0.02, 0.03),
            jobcenter(4, 0.6),
            support_85(0.005, 0.05, 8.0, &[]),
            psychiatry(0.004, 7.0),
        ],
        // adult: combined social and health needs
        1 => vec![
            Stream {
                per: Per::Day,
                process: spell(0.004, 0.06, 0.8, 0.2),
                units: Units::DaysInMonth,
                tariff_sd: 0.20,
                state: Some(State::Placement),
                ..base(
                    "temporary residential offer (§ 107)",
                    "5.38.52",
                    "botilbud_107",
                )
            },
            Stream {
                per: Per::Day,
                process: spell(0.0015, 0.008, 1.0, 0.3),
                units: Units::DaysInMonth,
                tariff_sd: 0.15,
                state: Some(State::Placement),
                ..base(
                    "long-term residential offer (§ 108)",
                    "5.38.50",
                    "botilbud_108",
                )
            },
            support_85(0.02, 0.03, 20.0, &[0, 1]),
            benefits("kontanthjaelp_uden_born", (18, 67), 0.015, 0.02),
            jobcenter(3, 0.5),
            psychiatry(0.01, 9.0),
            acute(0.02),
            Stream {
                fallback_price: Some((
                    650.0,
                    2025,
                    "illustrative assumption: a session of municipal rehabilitation or maintenance training (function 4.62.82) with a therapist, about an hour including travel and documentation",
                )),
                process: spell(0.02, 0.15, 0.5, 0.2),
                units: Units::Count {
                    base: 2,
                    mean: 4.0,
                    days: false,
                },
                tariff_sd: 0.10,
                ..base("rehabilitation sessions", "4.62.82", "")
            },
        ],
        // pupil: 13–15 at the start date
        2 => vec![
            special_school((6, 16), 0.006),
            preventive((0, 17), 0.015),
            foster((0, 17), 0.002, Some(State::Placement)),
            institution((0, 17), 0.001, Some(State::Placement)),
            psychiatry(0.004, 10.0),
            benefits("uddannelseshjaelp", (18, 29), 0.02, 0.04),
            jobcenter(5, 0.5),
        ],
        // debt: at risk of eviction
        _ => vec![
            benefits("kontanthjaelp_uden_born", (18, 67), 0.02, 0.03),
            jobcenter(0, 0.5),
            Stream {
                process: Process::Event { p: 0.002, b: 0.7 },
                tariff_sd: 0.25,
                ..base("eviction", "udsaettelse", "udsaettelse")
            },
            Stream {
                process: spell(0.002, 0.15, 0.6, 0.2),
                units: Units::Count {
                    base: 5,
                    mean: 15.0,
                    days: true,
                },
                tariff_sd: 0.10,
                state: Some(State::Shelter),
                trigger: Some((2, 0.4)),
                ..base(
                    "shelter days (§ 110)",
                    "forsorgshjem_dogn",
                    "forsorgshjem_dogn",
                )
            },
            Stream {
                process: spell(0.02, 0.05, 0.4, 0.2),
                units: Units::Count {
                    base: 2,
                    mean: 6.0,
                    days: false,
                },
                ..base(
                    "drop-in centre visits (§ 104)",
                    "5.38.59",
                    "vaerested_besoeg",
                )
            },
            acute(0.015),
            psychiatry(0.004, 7.0),
            foster(ALL_AGES, 0.0008, None),
        ],
    }
}

/// Phase-in and fade-out of the effect by year since start (year 0 = the 12 months from the
/// start month); years beyond the list keep its last value.
pub const EFFECT_PROFILE: [[f64; 8]; 4] = [
    [0.4, 0.8, 1.0, 0.9, 0.75, 0.6, 0.45, 0.3],
    [0.6, 1.0, 0.85, 0.7, 0.6, 0.5, 0.4, 0.3],
    [0.5, 1.0, 1.0, 0.9, 0.8, 0.7, 0.6, 0.5],
    [1.0, 0.6, 0.35, 0.2, 0.1, 0.05, 0.0, 0.0],
];

/// Peak relative reduction of a participant's use of a department's services, per segment:
/// (department, peak). Departments not listed are unaffected.
pub const EFFECT_PEAK: [&[(&str, f64)]; 4] = [
    &[
        ("born_familie", 0.25),
        ("skole", 0.15),
        ("beskaeftigelse", 0.10),
        ("voksen_social", 0.10),
        ("region", 0.15),
    ],
    &[
        ("voksen_social", 0.20),
        ("beskaeftigelse", 0.05),
        ("sundhed", 0.10),
        ("region", 0.25),
    ],
    &[
        ("skole", 0.30),
        ("born_familie", 0.20),
        ("beskaeftigelse", 0.20),
        ("region", 0.15),
    ],
    &[
        ("voksen_social", 0.35),
        ("born_familie", 0.20),
        ("beskaeftigelse", 0.05),
        ("region", 0.15),
    ],
];

/// Selection into participation: logit P(participant) = intercept\[segment\] plus
/// slope × (ln(1 + baseline cost) − centre) / scale plus level effects, where the baseline cost
/// is the person's total in the first [`BASELINE_MONTHS`] months of the period, before any
/// start date. Participation thus depends only on variables observed for everyone before the
/// start dates (segment, coordination level, baseline cost), so that matching on them can
/// recover the effect; start dates are drawn independently of everything.
pub const SELECTION_INTERCEPT: [f64; 4] = [-1.9, -2.0, -1.8, -1.8];
pub const SELECTION_COST_SLOPE: f64 = 0.8;
pub const SELECTION_COST_CENTRE: f64 = 12.0;
pub const SELECTION_COST_SCALE: f64 = 1.5;
pub const SELECTION_LEVEL: [f64; 3] = [0.0, 0.3, 0.8];
pub const SELECTION_LEVEL_MISSING: f64 = -0.3;
/// Months at the beginning of the period whose costs drive selection (fewer when the period
/// leaves less room before the first start date).
pub const BASELINE_MONTHS: usize = 24;

/// Share of persons whose coordination level is not recorded.
pub const LEVEL_MISSING: f64 = 0.15;
/// Share of service rows followed by a correction (refund row, negative amount).
pub const CORRECTION_RATE: f64 = 0.002;
/// SEL § 176 (2020 level): the state reimburses 25 % of the yearly cost of a single case above
/// 830,000 kr. (the higher bands are not reached by the generated tariffs).
pub const REFUND_176_THRESHOLD: f64 = 830_000.0;
pub const REFUND_176_YEAR: i32 = 2020;
pub const REFUND_176_RATE: f64 = 0.25;
/// Yearly price growth where the price-index catalogue has no rate (assumption).
pub const FALLBACK_PRICE_GROWTH: f64 = 0.02;

/// A stream resolved against the catalogues: its department and unit price.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub stream: Stream,
    /// Index into [`Model::departments`].
    pub department: usize,
    /// Price per unit at `price_year`, kr. (sum over the public actors).
    pub unit_price: f64,
    pub price_year: i32,
    pub price_source: String,
}

/// Everything the generator needs that comes from the catalogues, computed once.
#[derive(Debug, Clone)]
pub struct Model {
    /// Departments that any stream books on, in the department map's order.
    pub departments: Vec<String>,
    /// Per segment: its streams.
    pub segments: Vec<Vec<Resolved>>,
    /// Per segment, department and year since start (0..8): relative reduction of use.
    pub effects: Vec<Vec<[f64; 8]>>,
    /// General P/L rates by year from the price-index catalogue.
    pl_rates: Vec<(i32, f64)>,
}

fn model_error(message: String) -> Error {
    Error::Invalid(vec![
        Source::new("builtin:models/catalogues", "").diag(&FieldPath::root(), message),
    ])
}

impl Model {
    /// Resolve the streams against the catalogues: prices, departments, price index.
    pub fn new(cat: &Catalogues) -> Result<Model> {
        let prices = &cat.prices.0;
        let map = &cat.departments.0;
        let public: Vec<&str> = map
            .actors
            .iter()
            .filter(|a| a.public)
            .map(|a| a.id.as_str())
            .collect();
        let dept_of_code = |code: &str| -> Option<String> {
            if let Some(item) = prices.items.iter().find(|i| i.id == code) {
                item.department.clone().or_else(|| {
                    item.function
                        .as_deref()
                        .and_then(|f| map.department_of_function(f))
                        .map(str::to_string)
                })
            } else {
                map.department_of_function(code).map(str::to_string)
            }
        };
        // Per segment: (stream, department id, unit price, price year, price source).
        type Raw = (Stream, String, f64, i32, String);
        let mut raw: Vec<Vec<Raw>> = Vec::new();
        for seg in 0..SEGMENTS.len() {
            let mut list = Vec::new();
            for s in streams(seg) {
                let dept = dept_of_code(s.code).ok_or_else(|| {
                    model_error(format!(
                        "synth: code `{}` is neither a catalogue item nor a function in the department map",
                        s.code
                    ))
                })?;
                let (price, year, source) = if s.item.is_empty() {
                    let (p, y, src) = s
                        .fallback_price
                        .ok_or_else(|| model_error(format!("synth: `{}` has no price", s.name)))?;
                    (p, y, src.to_string())
                } else {
                    let item = prices
                        .items
                        .iter()
                        .find(|i| i.id == s.item)
                        .ok_or_else(|| {
                            model_error(format!(
                                "synth: price item `{}` is not in the price catalogue",
                                s.item
                            ))
                        })?;
                    let total: f64 = item
                        .price
                        .iter()
                        .filter(|(actor, _)| public.contains(&actor.as_str()))
                        .map(|(_, p)| *p)
                        .sum();
                    let per_unit = match s.per {
                        Per::Day => total / 365.0,
                        Per::Month => total / 12.0,
                        Per::Native => total,
                    };
                    (
                        per_unit,
                        item.year,
                        format!("prices-dk.toml item `{}` ({})", item.id, item.source),
                    )
                };
                list.push((s, dept, price, year, source));
            }
            raw.push(list);
        }
        let mut departments: Vec<String> = map
            .departments
            .iter()
            .map(|d| d.id.clone())
            .filter(|d| raw.iter().flatten().any(|r| &r.1 == d))
            .collect();
        // Any department found only through an item (not in the map's list) goes last.
        for r in raw.iter().flatten() {
            if !departments.contains(&r.1) {
                departments.push(r.1.clone());
            }
        }
        let segments = raw
            .into_iter()
            .map(|list| {
                list.into_iter()
                    .map(
                        |(stream, dept, unit_price, price_year, price_source)| Resolved {
                            stream,
                            department: departments.iter().position(|d| *d == dept).unwrap_or(0),
                            unit_price,
                            price_year,
                            price_source,
                        },
                    )
                    .collect()
            })
            .collect();
        let effects = (0..SEGMENTS.len())
            .map(|seg| {
                departments
                    .iter()
                    .map(|d| {
                        let peak = EFFECT_PEAK[seg]
                            .iter()
                            .find(|(dd, _)| dd == d)
                            .map(|(_, p)| *p)
                            .unwrap_or(0.0);
                        let mut e = [0.0; 8];
                        for (k, v) in e.iter_mut().enumerate() {
                            *v = peak * EFFECT_PROFILE[seg][k];
                        }
                        e
                    })
                    .collect()
            })
            .collect();
        let pl_rates = cat
            .price_index
            .0
            .indices
            .iter()
            .find(|i| i.id == "general_pl")
            .map(|i| i.rates.iter().map(|r| (r.year, r.rate)).collect())
            .unwrap_or_default();
        Ok(Model {
            departments,
            segments,
            effects,
            pl_rates,
        })
    }

    /// Relative reduction of use for `segment`, department `dept`, year since start `k ≥ 0`.
    pub fn effect(&self, segment: usize, dept: usize, k: usize) -> f64 {
        self.effects[segment][dept][k.min(7)]
    }

    /// Factor moving a price from `from` prices to `to` prices: the general P/L rates of the
    /// price-index catalogue, [`FALLBACK_PRICE_GROWTH`] for years it does not cover.
    pub fn price_factor(&self, from: i32, to: i32) -> f64 {
        let rate = |y: i32| {
            self.pl_rates
                .iter()
                .find(|(yy, _)| *yy == y)
                .map(|(_, r)| *r)
                .unwrap_or(FALLBACK_PRICE_GROWTH)
        };
        let mut f = 1.0;
        if to >= from {
            for y in (from + 1)..=to {
                f *= 1.0 + rate(y);
            }
        } else {
            for y in ((to + 1)..=from).rev() {
                f /= 1.0 + rate(y);
            }
        }
        f
    }
}

/// One row of the stream table in truth.json.
#[derive(Debug, Clone, Serialize)]
pub struct StreamInfo {
    pub segment: &'static str,
    pub service: &'static str,
    pub code: &'static str,
    pub department: String,
    pub unit: &'static str,
    pub unit_price: f64,
    pub price_year: i32,
    pub price_source: String,
}

impl Model {
    /// The stream table for truth.json.
    pub fn stream_info(&self) -> Vec<StreamInfo> {
        let mut out = Vec::new();
        for (seg, list) in self.segments.iter().enumerate() {
            for r in list {
                let unit = match (r.stream.units, r.stream.per) {
                    (Units::DaysInMonth, _) => "day",
                    (Units::One, Per::Month) => "month",
                    (Units::One, _) => "event",
                    (Units::Count { days: true, .. }, _) => "day",
                    (Units::Count { .. }, _) => match r.stream.code {
                        "bostotte_85" => "hour",
                        "5.38.59" => "visit",
                        _ => "session",
                    },
                };
                out.push(StreamInfo {
                    segment: SEGMENTS[seg],
                    service: r.stream.name,
                    code: r.stream.code,
                    department: self.departments[r.department].clone(),
                    unit,
                    unit_price: (r.unit_price * 100.0).round() / 100.0,
                    price_year: r.price_year,
                    price_source: r.price_source.clone(),
                });
            }
        }
        out
    }
}
