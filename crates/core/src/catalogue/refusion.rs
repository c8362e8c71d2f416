//! The refusion catalogue (`models/catalogues/refusion-dk.toml`): the state's reimbursement
//! rules with their sources — cash-benefit shares by week of a spell, § 176 marginal threshold
//! bands. Rates and thresholds are data here, never constants in code.

use super::{Label, Status, check_unique};
use crate::error::{Error, Result, finish};
use crate::source::{FieldPath, Source};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The refusion catalogue: state reimbursement rules with their sources.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RefusionCatalogue {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(rename = "rule")]
    pub rules: Vec<RefusionRule>,
}

/// How a rule sets the state's share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    /// A share by week of the citizen's spell (cash benefits).
    Spell,
    /// Marginal shares of one case's annual cost above thresholds (expensive single cases).
    Thresholds,
}

/// One state reimbursement rule.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RefusionRule {
    pub id: String,
    #[serde(default)]
    pub name: Label,
    pub kind: RuleKind,
    pub source: String,
    #[serde(default)]
    pub status: Status,
    #[serde(default)]
    pub note: Option<String>,
    /// `spell`: the state's share by week of the spell.
    #[serde(default, rename = "step")]
    pub steps: Vec<WeekStep>,
    /// `thresholds`: price level (year) of the thresholds.
    #[serde(default)]
    pub year: Option<i32>,
    /// `thresholds`: price index (in the price-index catalogue) that moves the thresholds to
    /// the scenario's price year. Default `general_pl`.
    #[serde(default)]
    pub index: Option<String>,
    /// `thresholds`: marginal bands.
    #[serde(default, rename = "band")]
    pub bands: Vec<Band>,
}

/// The state's share in weeks `from_week..=to_week` of a spell.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WeekStep {
    pub from_week: u32,
    /// Last week of the step; open-ended when omitted (only the last step).
    #[serde(default)]
    pub to_week: Option<u32>,
    pub rate: f64,
}

/// The state pays `rate` of the part of a case's annual cost above `above` (up to the next
/// band's threshold).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Band {
    pub above: f64,
    pub rate: f64,
}

/// Longest spell position a scenario may give, in weeks (100 years).
pub const MAX_WEEK: u32 = 5200;

impl RefusionRule {
    /// State share of a benefit paid in weeks `from..=to` of a spell: the mean of the weekly
    /// shares (every week weighs the same).
    pub fn spell_share(&self, from: u32, to: u32) -> f64 {
        if to < from {
            return 0.0;
        }
        let mut sum = 0.0;
        for s in &self.steps {
            let a = s.from_week.max(from);
            let b = s.to_week.unwrap_or(u32::MAX).min(to);
            if b >= a {
                sum += s.rate * f64::from(b - a + 1);
            }
        }
        sum / f64::from(to - from + 1)
    }

    /// The state's refusion of one case whose annual cost is `cost`, with every threshold
    /// multiplied by `factor` (to move it to the cost's price level): marginal bands, each rate
    /// on the part of the cost between its threshold and the next.
    pub fn case_refusion(&self, cost: f64, factor: f64) -> f64 {
        let mut r = 0.0;
        for (i, b) in self.bands.iter().enumerate() {
            let lo = b.above * factor;
            let hi = self
                .bands
                .get(i + 1)
                .map_or(f64::INFINITY, |n| n.above * factor);
            if cost > lo {
                r += b.rate * (cost.min(hi) - lo);
            }
        }
        r
    }
}

impl RefusionCatalogue {
    /// Check the rules: unique ids; a spell's steps contiguous from week 1 with the last one
    /// open-ended; a threshold rule's bands rising, with a price year; every rate a share.
    pub fn validate(&self, src: &Source) -> Result<()> {
        let mut diags = Vec::new();
        let root = FieldPath::root().key("rule");
        check_unique(
            src,
            &root,
            self.rules.iter().map(|r| r.id.as_str()),
            &mut diags,
        );
        for (i, r) in self.rules.iter().enumerate() {
            let p = root.index(i);
            let share = |v: f64| v.is_finite() && (0.0..=1.0).contains(&v);
            match r.kind {
                RuleKind::Spell => {
                    if r.steps.is_empty() {
                        diags.push(src.diag(&p, "a `spell` rule needs its weekly `step`s"));
                    }
                    if !r.bands.is_empty() || r.year.is_some() || r.index.is_some() {
                        diags.push(src.diag(
                            &p.key("kind"),
                            "`band`, `year` and `index` go with a `thresholds` rule",
                        ));
                    }
                    let mut expect = 1u32;
                    for (j, s) in r.steps.iter().enumerate() {
                        let sp = p.key("step").index(j);
                        if s.from_week != expect {
                            diags.push(src.diag(
                                &sp.key("from_week"),
                                format!(
                                    "steps must run from week 1 without gaps: expected {expect}, got {}",
                                    s.from_week
                                ),
                            ));
                        }
                        if !share(s.rate) {
                            diags.push(src.diag(
                                &sp.key("rate"),
                                format!("must be a share between 0 and 1, got {}", s.rate),
                            ));
                        }
                        match s.to_week {
                            Some(to) if to < s.from_week => diags.push(src.diag(
                                &sp.key("to_week"),
                                format!("`to_week` ({to}) is before `from_week` ({})", s.from_week),
                            )),
                            Some(to) => expect = to.saturating_add(1),
                            None if j + 1 < r.steps.len() => {
                                diags.push(src.diag(
                                    &sp.key("to_week"),
                                    "only the last step may be open-ended",
                                ))
                            }
                            None => {}
                        }
                        if j + 1 == r.steps.len() && s.to_week.is_some() {
                            diags.push(src.diag(
                                &sp.key("to_week"),
                                "the last step must be open-ended (no `to_week`): a spell can \
                                 last longer than any week given",
                            ));
                        }
                    }
                }
                RuleKind::Thresholds => {
                    if r.bands.is_empty() {
                        diags.push(src.diag(&p, "a `thresholds` rule needs its `band`s"));
                    }
                    if r.year.is_none() {
                        diags.push(src.diag(
                            &p,
                            "a `thresholds` rule needs `year`, the price level of its thresholds",
                        ));
                    }
                    if !r.steps.is_empty() {
                        diags.push(src.diag(&p.key("step"), "`step` goes with a `spell` rule"));
                    }
                    let mut last = f64::NEG_INFINITY;
                    for (j, b) in r.bands.iter().enumerate() {
                        let bp = p.key("band").index(j);
                        if !(b.above.is_finite() && b.above >= 0.0 && b.above > last) {
                            diags.push(src.diag(
                                &bp.key("above"),
                                format!(
                                    "thresholds must be 0 or more and rise from band to band, got {}",
                                    b.above
                                ),
                            ));
                        }
                        last = b.above;
                        if !share(b.rate) {
                            diags.push(src.diag(
                                &bp.key("rate"),
                                format!("must be a share between 0 and 1, got {}", b.rate),
                            ));
                        }
                    }
                }
            }
        }
        finish(diags)
    }

    /// The bundled catalogue.
    pub fn builtin() -> Result<(Self, Source)> {
        let (name, text) = crate::builtin::REFUSION;
        let src = Source::new(name, text);
        let cat: Self = src.parse().map_err(|d| Error::Invalid(vec![d]))?;
        cat.validate(&src)?;
        Ok((cat, src))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundled() -> RefusionCatalogue {
        RefusionCatalogue::builtin().unwrap().0
    }

    fn rule(id: &str) -> RefusionRule {
        bundled().rules.into_iter().find(|r| r.id == id).unwrap()
    }

    #[test]
    fn spell_shares_by_hand() {
        let r = rule("forsorgelsesydelser_2016");
        // Weeks 1–4 only: 80 %.
        assert!((r.spell_share(1, 4) - 0.80).abs() < 1e-12);
        // A spell's first year, weeks 1–52: (4 × 0.80 + 22 × 0.40 + 26 × 0.30) / 52
        // = (3.2 + 8.8 + 7.8) / 52 = 19.8 / 52 = 0.380769…
        assert!((r.spell_share(1, 52) - 19.8 / 52.0).abs() < 1e-12);
        assert!((r.spell_share(1, 52) - 0.380_769_230_769).abs() < 1e-9);
        // Weeks 20–30: 7 weeks at 0.40 (20–26) + 4 at 0.30 (27–30) = 2.8 + 1.2 = 4.0 over 11
        // weeks = 0.363636…
        assert!((r.spell_share(20, 30) - 4.0 / 11.0).abs() < 1e-12);
        // The second year, weeks 53–104: 20 % throughout, the catalogue's split of kontanthjælp.
        assert!((r.spell_share(53, 104) - 0.20).abs() < 1e-12);
        // Weeks 50–55: 3 × 0.30 + 3 × 0.20 = 1.5 over 6 = 0.25.
        assert!((r.spell_share(50, 55) - 0.25).abs() < 1e-12);
    }

    #[test]
    fn case_refusion_is_marginal_by_hand() {
        let r = rule("sel_176_2020");
        // In 2020 prices (factor 1). Below the first threshold: nothing.
        assert_eq!(r.case_refusion(800_000.0, 1.0), 0.0);
        // 1,000,000 kr.: 25 % × (1,000,000 − 830,000) = 42,500.
        assert!((r.case_refusion(1_000_000.0, 1.0) - 42_500.0).abs() < 1e-6);
        // 1,800,000 kr.: 25 % × (1,630,000 − 830,000) + 50 % × (1,800,000 − 1,630,000)
        // = 200,000 + 85,000 = 285,000.
        assert!((r.case_refusion(1_800_000.0, 1.0) - 285_000.0).abs() < 1e-6);
        // 2,500,000 kr.: 200,000 + 50 % × (2,050,000 − 1,630,000) + 75 % × (2,500,000 −
        // 2,050,000) = 200,000 + 210,000 + 337,500 = 747,500.
        assert!((r.case_refusion(2_500_000.0, 1.0) - 747_500.0).abs() < 1e-6);
        // Thresholds moved by a factor 1.1: 1,000,000 − 913,000 = 87,000 × 25 % = 21,750.
        assert!((r.case_refusion(1_000_000.0, 1.1) - 21_750.0).abs() < 1e-6);
    }

    #[test]
    fn bundled_catalogue_is_valid_and_bad_rules_are_located() {
        bundled();
        let text = r#"name = "t"
[[rule]]
id = "a"
kind = "spell"
source = "s"
step = [{ from_week = 1, to_week = 4, rate = 0.8 }, { from_week = 6, rate = 1.2 }]
[[rule]]
id = "b"
kind = "thresholds"
source = "s"
band = [{ above = 100, rate = 0.25 }, { above = 50, rate = 0.5 }]
"#;
        let src = Source::new("r.toml", text);
        let cat: RefusionCatalogue = src.parse().unwrap();
        let e = cat.validate(&src).unwrap_err();
        let fields: Vec<&str> = e.diagnostics().iter().map(|d| d.field.as_str()).collect();
        assert!(fields.contains(&"rule[0].step[1].from_week"), "{fields:?}");
        assert!(fields.contains(&"rule[0].step[1].rate"), "{fields:?}");
        assert!(fields.contains(&"rule[1]"), "{fields:?}"); // no year
        assert!(fields.contains(&"rule[1].band[1].above"), "{fields:?}");
        assert!(e.diagnostics().iter().all(|d| d.line.is_some()));
    }
}
