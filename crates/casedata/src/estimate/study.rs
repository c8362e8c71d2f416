//! The study file (`som-study/1`, TOML): who the target group is, who took part and when, the
//! comparison pool, the pre- and post-period, the departments to estimate, and the matching and
//! bootstrap settings. Documented in `docs/estimation.md`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use som_core::error::{Diagnostic, Result};
use som_core::source::{FieldPath, Source};

/// A study: what to estimate from a case-data set.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Study {
    /// `som-study/1`.
    #[serde(default = "default_format")]
    pub format: String,
    pub name: String,
    /// The case data: a folder or a file, relative to the study file. The command line can
    /// give it instead.
    #[serde(default)]
    pub cases: Option<String>,
    /// Who belongs to the target group (participants and comparison pool alike).
    #[serde(default)]
    pub target: Filter,
    #[serde(default)]
    pub participants: Participants,
    #[serde(default)]
    pub comparison: Comparison,
    pub period: StudyPeriod,
    #[serde(default)]
    pub outcomes: Outcomes,
    #[serde(default)]
    pub matching: Matching,
    #[serde(default)]
    pub bootstrap: Bootstrap,
    /// Groups smaller than this are suppressed in every output (at least 5).
    #[serde(default = "default_threshold")]
    pub disclosure_threshold: usize,
    /// Fewest matched participants an estimate is made from; below it the study stops with an
    /// error rather than report noise.
    #[serde(default = "default_min_participants")]
    pub min_participants: usize,
}

fn default_format() -> String {
    FORMAT.to_string()
}
fn default_threshold() -> usize {
    crate::contract::MIN_DISCLOSURE_THRESHOLD
}
fn default_min_participants() -> usize {
    30
}

/// The format tag of study files.
pub const FORMAT: &str = "som-study/1";

/// A filter on the persons table. Every list given must contain the person's value; an empty
/// filter lets everyone through.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    #[serde(default)]
    pub segments: Option<Vec<String>>,
    #[serde(default)]
    pub municipalities: Option<Vec<u16>>,
    /// Coordination levels 1–3; 0 selects persons whose level is not recorded.
    #[serde(default)]
    pub coordination_levels: Option<Vec<u8>>,
    #[serde(default)]
    pub sex: Option<Vec<String>>,
    /// Age at the index date, in whole years (index year − birth year), inclusive.
    #[serde(default)]
    pub age: Option<AgeRange>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AgeRange {
    #[serde(default)]
    pub min: Option<i32>,
    #[serde(default)]
    pub max: Option<i32>,
}

/// Which participants enter the study.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Participants {
    /// Start (index) dates considered, `YYYY-MM` to `YYYY-MM` inclusive; default all.
    #[serde(default)]
    pub start: Option<crate::read::PeriodSpec>,
}

/// Where comparison persons come from: the target group's non-participants, optionally
/// narrowed further.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Comparison {
    /// Further conditions on the pool (e.g. other municipalities).
    #[serde(default)]
    pub filter: Filter,
}

/// The years before and after the index date, in 12-month windows from the start month.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StudyPeriod {
    /// Years before the index date (the pre-period, at least 1).
    pub pre_years: u32,
    /// Years from the index date on (year 0 is the start month and the 11 after it).
    pub post_years: u32,
}

/// What to estimate.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Outcomes {
    /// Departments of the department map; default every department with service rows.
    #[serde(default)]
    pub departments: Option<Vec<String>>,
    /// Also estimate the sum over the departments.
    #[serde(default = "yes")]
    pub total: bool,
}

impl Default for Outcomes {
    fn default() -> Self {
        Outcomes {
            departments: None,
            total: true,
        }
    }
}

fn yes() -> bool {
    true
}

/// Propensity-score matching settings.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Matching {
    /// Comparison persons per participant (nearest neighbours, with replacement).
    #[serde(default = "one")]
    pub neighbours: usize,
    /// Largest distance of a match, in standard deviations of the logit of the propensity
    /// score (Austin's 0.2 by default).
    #[serde(default = "default_caliper")]
    pub caliper: f64,
    /// Columns that must agree exactly: `segment`, `municipality`, `sex`,
    /// `coordination_level`, `age` (whole years at the index date).
    #[serde(default = "default_exact")]
    pub exact: Vec<String>,
    /// What the propensity score is estimated on: `pre_costs` (each department's cost in each
    /// pre-period year, as ln(1 + kr.)), `age`, `sex`, `segment`, `municipality`,
    /// `coordination_level`.
    #[serde(default = "default_covariates")]
    pub covariates: Vec<String>,
    /// Costs in a fixed calendar period before the intervention began (whole years from a
    /// month), by department, as further covariates: what selection into the intervention
    /// was often decided on.
    #[serde(default)]
    pub baseline: Option<Baseline>,
    /// A standardised mean difference above this after matching is reported as poor balance.
    #[serde(default = "default_smd")]
    pub balance_threshold: f64,
    /// Seed of the pseudo-index dates drawn for the pool before matching.
    #[serde(default = "one_u64")]
    pub seed: u64,
}

impl Default for Matching {
    fn default() -> Self {
        Matching {
            neighbours: 1,
            caliper: default_caliper(),
            exact: default_exact(),
            covariates: default_covariates(),
            baseline: None,
            balance_threshold: default_smd(),
            seed: 1,
        }
    }
}

fn one() -> usize {
    1
}
fn one_u64() -> u64 {
    1
}
fn default_caliper() -> f64 {
    0.2
}
fn default_smd() -> f64 {
    0.1
}
fn default_exact() -> Vec<String> {
    vec!["segment".into()]
}
fn default_covariates() -> Vec<String> {
    ["pre_costs", "age", "sex", "coordination_level", "segment"]
        .map(String::from)
        .to_vec()
}

/// A calendar baseline period: `years` whole years from the month `from` (`YYYY-MM`).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub from: String,
    pub years: u32,
}

/// Columns exact matching accepts.
pub const EXACT_COLUMNS: &[&str] = &[
    "segment",
    "municipality",
    "sex",
    "coordination_level",
    "age",
];
/// Covariates the propensity score accepts.
pub const COVARIATES: &[&str] = &[
    "pre_costs",
    "age",
    "sex",
    "segment",
    "municipality",
    "coordination_level",
];

/// Bootstrap settings.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Bootstrap {
    /// Replicates (persons resampled with their matched comparisons).
    #[serde(default = "default_replicates")]
    pub replicates: usize,
    #[serde(default = "one_u64")]
    pub seed: u64,
    /// Confidence level of the percentile intervals.
    #[serde(default = "default_level")]
    pub level: f64,
}

impl Default for Bootstrap {
    fn default() -> Self {
        Bootstrap {
            replicates: default_replicates(),
            seed: 1,
            level: default_level(),
        }
    }
}

fn default_replicates() -> usize {
    1000
}
fn default_level() -> f64 {
    0.95
}

impl Study {
    /// Parse a study file and check what can be checked without the data.
    pub fn parse(src: &Source) -> Result<Study> {
        let study: Study = src
            .parse()
            .map_err(|d| som_core::error::Error::Invalid(vec![d]))?;
        let mut problems: Vec<Diagnostic> = Vec::new();
        let root = FieldPath::root();
        let mut bad = |path: FieldPath, msg: String| problems.push(src.diag(&path, msg));
        if study.format != FORMAT {
            bad(
                root.key("format"),
                format!("is {:?}; this som reads {FORMAT:?}", study.format),
            );
        }
        if study.period.pre_years == 0 {
            bad(
                root.key("period").key("pre_years"),
                "must be at least 1: difference-in-differences needs a pre-period".into(),
            );
        }
        if study.period.post_years == 0 {
            bad(
                root.key("period").key("post_years"),
                "must be at least 1".into(),
            );
        }
        if u64::from(study.period.pre_years) + u64::from(study.period.post_years) > 40 {
            bad(
                root.key("period"),
                "pre_years + post_years is over 40 years".into(),
            );
        }
        if study.disclosure_threshold < crate::contract::MIN_DISCLOSURE_THRESHOLD {
            bad(
                root.key("disclosure_threshold"),
                format!(
                    "is {}; it can be raised, never set below {}",
                    study.disclosure_threshold,
                    crate::contract::MIN_DISCLOSURE_THRESHOLD
                ),
            );
        }
        if study.min_participants < study.disclosure_threshold {
            bad(
                root.key("min_participants"),
                format!(
                    "is {}; it cannot be below the disclosure threshold ({})",
                    study.min_participants, study.disclosure_threshold
                ),
            );
        }
        let m = root.key("matching");
        if study.matching.neighbours == 0 || study.matching.neighbours > 20 {
            bad(
                m.key("neighbours"),
                format!("is {}; expected 1 to 20", study.matching.neighbours),
            );
        }
        if !(study.matching.caliper > 0.0 && study.matching.caliper.is_finite()) {
            bad(
                m.key("caliper"),
                format!(
                    "is {}; expected a positive number of standard deviations of the logit \
                     (0.2 is usual)",
                    study.matching.caliper
                ),
            );
        }
        if study.matching.balance_threshold.is_nan() || study.matching.balance_threshold <= 0.0 {
            bad(
                m.key("balance_threshold"),
                "must be positive (0.1 is usual)".into(),
            );
        }
        for (i, c) in study.matching.exact.iter().enumerate() {
            if !EXACT_COLUMNS.contains(&c.as_str()) {
                bad(
                    m.key("exact").index(i),
                    format!(
                        "unknown column {c:?}{}; expected one of {}",
                        som_core::error::suggest(c, EXACT_COLUMNS),
                        som_core::error::list(EXACT_COLUMNS.iter().copied())
                    ),
                );
            }
        }
        if study.matching.covariates.is_empty() {
            bad(
                m.key("covariates"),
                format!(
                    "is empty: the propensity score would match every participant with \
                     arbitrary non-participants; name the covariates that selection into the \
                     intervention depended on (of {}), or leave `covariates` out for the \
                     default",
                    som_core::error::list(COVARIATES.iter().copied())
                ),
            );
        }
        for (i, c) in study.matching.covariates.iter().enumerate() {
            if !COVARIATES.contains(&c.as_str()) {
                bad(
                    m.key("covariates").index(i),
                    format!(
                        "unknown covariate {c:?}{}; expected one of {}",
                        som_core::error::suggest(c, COVARIATES),
                        som_core::error::list(COVARIATES.iter().copied())
                    ),
                );
            }
        }
        let b = root.key("bootstrap");
        if study.bootstrap.replicates < 100 || study.bootstrap.replicates > 100_000 {
            bad(
                b.key("replicates"),
                format!(
                    "is {}; expected 100 to 100,000 (1,000 is usual)",
                    study.bootstrap.replicates
                ),
            );
        }
        if !(study.bootstrap.level > 0.5 && study.bootstrap.level < 1.0) {
            bad(
                b.key("level"),
                format!(
                    "is {}; expected a confidence level between 0.5 and 1 (e.g. 0.95)",
                    study.bootstrap.level
                ),
            );
        }
        for (p, f) in [
            (root.key("target"), &study.target),
            (
                root.key("comparison").key("filter"),
                &study.comparison.filter,
            ),
        ] {
            if let Some(levels) = &f.coordination_levels {
                for (i, l) in levels.iter().enumerate() {
                    if *l > 3 {
                        bad(
                            p.key("coordination_levels").index(i),
                            format!("is {l}; expected 1, 2 or 3 (0 for not recorded)"),
                        );
                    }
                }
            }
            if let Some(sex) = &f.sex {
                for (i, s) in sex.iter().enumerate() {
                    if s != "F" && s != "M" {
                        bad(
                            p.key("sex").index(i),
                            format!("is {s:?}; expected \"F\" or \"M\""),
                        );
                    }
                }
            }
            if let Some(AgeRange {
                min: Some(lo),
                max: Some(hi),
            }) = &f.age
                && lo > hi
            {
                bad(p.key("age"), format!("min ({lo}) is above max ({hi})"));
            }
        }
        if let Some(b) = &study.matching.baseline {
            if crate::parse::period(&b.from).is_none() {
                bad(
                    m.key("baseline").key("from"),
                    format!("{:?} is not a year-month (YYYY-MM)", b.from),
                );
            }
            if b.years == 0 || b.years > 20 {
                bad(
                    m.key("baseline").key("years"),
                    format!("is {}; expected 1 to 20 whole years", b.years),
                );
            }
        }
        if let Some(s) = &study.participants.start
            && let Err(msg) = s.parse()
        {
            bad(root.key("participants").key("start"), msg);
        }
        if problems.is_empty() {
            Ok(study)
        } else {
            Err(som_core::error::Error::Invalid(problems))
        }
    }
}
