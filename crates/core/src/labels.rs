//! Readable names of a scenario's numeric inputs, for charts: the line's own name in place of
//! its position in the file (`consequence[2].units` → "Fewer years on cash benefits: units").

use crate::model::ParamSlot;
use crate::scenario::Scenario;

use crate::lang::Lang;

/// A readable name for every θ slot, in slot order, in `lang`.
pub fn input_labels(sc: &Scenario, params: &[ParamSlot], lang: Lang) -> Vec<String> {
    params
        .iter()
        .map(|p| input_label_in(sc, &p.name, lang))
        .collect()
}

/// `[i]` at the start of `s`: the index and what follows the `]` (without a leading dot).
fn index(s: &str) -> Option<(usize, &str)> {
    let s = s.strip_prefix('[')?;
    let (i, rest) = s.split_once(']')?;
    Some((i.parse().ok()?, rest.strip_prefix('.').unwrap_or(rest)))
}

/// The rest of a field path, in words.
fn words(rest: &str, lang: Lang) -> String {
    if let Some(k) = rest
        .strip_prefix("estimated[")
        .and_then(|k| k.strip_suffix(']'))
    {
        return match lang {
            Lang::En => format!("effect in year {k} since start"),
            Lang::Da => format!("effekt i år {k} efter start"),
        };
    }
    let da = |en: &str| -> Option<&'static str> {
        Some(match en {
            "units" => "enheder",
            "amount" => "beløb",
            "price" => "pris",
            "participants" => "deltagere",
            "share" => "andel",
            "duration" => "varighed",
            "years" => "år",
            "half_life" => "halveringstid",
            "persistence.half_life" => "varighed: halveringstid",
            "persistence.decay" => "varighed: aftagning",
            "decay" => "aftagning",
            "phase_in" => "indfasning",
            _ => return None,
        })
    };
    match (rest, lang) {
        (_, Lang::Da) if da(rest).is_some() => da(rest).unwrap_or_default().into(),
        ("half_life", _) => "half-life".into(),
        ("persistence.half_life", _) => "persistence half-life".into(),
        ("persistence.decay", _) => "persistence decay".into(),
        _ => rest.replace(['_', '.'], " "),
    }
}

/// The name of a scenario line by its index in one list of lines.
type LineName<'a> = &'a dyn Fn(usize) -> Option<String>;

/// A readable name of the input at field path `path`; the path itself where none is known.
pub fn input_label(sc: &Scenario, path: &str) -> String {
    input_label_in(sc, path, Lang::En)
}

/// [`input_label`] in `lang`.
pub fn input_label_in(sc: &Scenario, path: &str, lang: Lang) -> String {
    let t = |en: &'static str, da: &'static str| lang.t(en, da);
    let lines: [(&str, LineName); 5] = [
        ("intervention.cost", &|i| {
            sc.intervention.costs.get(i).map(|c| c.name.clone())
        }),
        ("intervention.replaces", &|i| {
            sc.intervention
                .replaces
                .get(i)
                .map(|c| format!("{} ({})", c.name, t("replaced", "erstattet")))
        }),
        ("intervention.startup", &|i| {
            sc.intervention
                .startup
                .get(i)
                .map(|c| format!("{} ({})", c.name, t("start-up", "opstart")))
        }),
        ("consequence", &|i| {
            sc.consequences.get(i).map(|c| c.name.clone())
        }),
        ("cohort", &|i| {
            sc.cohorts
                .get(i)
                .map(|c| format!("{} {}", t("Cohort", "Årgang"), c.start))
        }),
    ];
    for (prefix, name) in lines {
        if let Some((i, rest)) = path.strip_prefix(prefix).and_then(index)
            && let Some(name) = name(i)
        {
            return if rest.is_empty() {
                name
            } else {
                format!("{name}: {}", words(rest, lang))
            };
        }
    }
    match path {
        "success.with" => t(
            "Success rate with the intervention",
            "Succesrate med indsatsen",
        )
        .into(),
        "success.without" => t(
            "Success rate without the intervention",
            "Succesrate uden indsatsen",
        )
        .into(),
        "success.net" => t("Net success rate", "Nettosuccesrate").into(),
        "success.rate" => t("Success rate", "Succesrate").into(),
        "success.deadweight" => t("Deadweight", "Dødvægt").into(),
        "persistence.half_life" => t("Persistence: half-life", "Varighed: halveringstid").into(),
        "persistence.decay" => t("Persistence: decay", "Varighed: aftagning").into(),
        "discounting.rate" => t("Discount rate", "Diskonteringsrente").into(),
        "adjustments.cost_uplift" => t(
            "Optimism bias: cost uplift",
            "Optimismetillæg: omkostninger",
        )
        .into(),
        "adjustments.benefit_reduction" => t(
            "Optimism bias: benefit reduction",
            "Optimismefradrag: gevinster",
        )
        .into(),
        _ => {
            if let Some(rest) = path.strip_prefix("persistence.") {
                format!("{}: {}", t("Persistence", "Varighed"), words(rest, lang))
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
