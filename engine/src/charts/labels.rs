//! Readable names of a scenario's numeric inputs, for charts: the line's own name in place of
//! its position in the file (`consequence[2].units` → "Fewer years on cash benefits: units").

use crate::model::ParamSlot;
use crate::scenario::Scenario;

/// A readable name for every θ slot, in slot order.
pub fn input_labels(sc: &Scenario, params: &[ParamSlot]) -> Vec<String> {
    params.iter().map(|p| input_label(sc, &p.name)).collect()
}

/// `[i]` at the start of `s`: the index and what follows the `]` (without a leading dot).
fn index(s: &str) -> Option<(usize, &str)> {
    let s = s.strip_prefix('[')?;
    let (i, rest) = s.split_once(']')?;
    Some((i.parse().ok()?, rest.strip_prefix('.').unwrap_or(rest)))
}

/// The rest of a field path, in words.
fn words(rest: &str) -> String {
    if let Some(k) = rest
        .strip_prefix("estimated[")
        .and_then(|k| k.strip_suffix(']'))
    {
        return format!("effect in year {k} since start");
    }
    match rest {
        "half_life" => "half-life".into(),
        "persistence.half_life" => "persistence half-life".into(),
        "persistence.decay" => "persistence decay".into(),
        _ => rest.replace(['_', '.'], " "),
    }
}

/// The name of a scenario line by its index in one list of lines.
type LineName<'a> = &'a dyn Fn(usize) -> Option<String>;

/// A readable name of the input at field path `path`; the path itself where none is known.
pub fn input_label(sc: &Scenario, path: &str) -> String {
    let lines: [(&str, LineName); 5] = [
        ("intervention.cost", &|i| {
            sc.intervention.costs.get(i).map(|c| c.name.clone())
        }),
        ("intervention.replaces", &|i| {
            sc.intervention
                .replaces
                .get(i)
                .map(|c| format!("{} (replaced)", c.name))
        }),
        ("intervention.startup", &|i| {
            sc.intervention
                .startup
                .get(i)
                .map(|c| format!("{} (start-up)", c.name))
        }),
        ("consequence", &|i| {
            sc.consequences.get(i).map(|c| c.name.clone())
        }),
        ("cohort", &|i| {
            sc.cohorts.get(i).map(|c| format!("Cohort {}", c.start))
        }),
    ];
    for (prefix, name) in lines {
        if let Some((i, rest)) = path.strip_prefix(prefix).and_then(index)
            && let Some(name) = name(i)
        {
            return if rest.is_empty() {
                name
            } else {
                format!("{name}: {}", words(rest))
            };
        }
    }
    match path {
        "success.with" => "Success rate with the intervention".into(),
        "success.without" => "Success rate without the intervention".into(),
        "success.net" => "Net success rate".into(),
        "success.rate" => "Success rate".into(),
        "success.deadweight" => "Deadweight".into(),
        "persistence.half_life" => "Persistence: half-life".into(),
        "persistence.decay" => "Persistence: decay".into(),
        "discounting.rate" => "Discount rate".into(),
        "adjustments.cost_uplift" => "Optimism bias: cost uplift".into(),
        "adjustments.benefit_reduction" => "Optimism bias: benefit reduction".into(),
        _ => {
            if let Some(rest) = path.strip_prefix("persistence.") {
                format!("Persistence: {}", words(rest))
            } else {
                path.to_string()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_are_named_by_their_lines() {
        let text = r#"
name = "x"
price_year = 2025
first_year = 2026
horizon = 3
[[cohort]]
start = 2026
participants = 10
[intervention]
duration = 1
department = "born_familie"
[[intervention.cost]]
name = "Coordinator"
amount = 100
[success]
with = 0.3
without = 0.1
[[consequence]]
name = "Placement avoided"
item = "plejefamilie"
units = -0.5
"#;
        let sc: Scenario = toml::from_str(text).unwrap();
        assert_eq!(
            input_label(&sc, "consequence[0].units"),
            "Placement avoided: units"
        );
        assert_eq!(
            input_label(&sc, "consequence[0].estimated[3]"),
            "Placement avoided: effect in year 3 since start"
        );
        assert_eq!(
            input_label(&sc, "intervention.cost[0].amount"),
            "Coordinator: amount"
        );
        assert_eq!(
            input_label(&sc, "cohort[0].participants"),
            "Cohort 2026: participants"
        );
        assert_eq!(
            input_label(&sc, "success.with"),
            "Success rate with the intervention"
        );
        // Unknown or out of range: the field path itself.
        assert_eq!(
            input_label(&sc, "consequence[5].units"),
            "consequence[5].units"
        );
    }
}
