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
    if let Some(rest) = path.strip_prefix("states.")
        && let Some(label) = state_label(sc, rest, lang)
    {
        return label;
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

/// A readable name of an input of `[states]` (`rest` is the path after `states.`): a
/// transition by its arm and states, a cost or outcome by its name.
fn state_label(sc: &Scenario, rest: &str, lang: Lang) -> Option<String> {
    let st = sc.states.as_ref()?;
    let t = |en: &'static str, da: &'static str| lang.t(en, da);
    let named = |list: &str, name: &dyn Fn(usize) -> Option<String>| -> Option<String> {
        let (i, more) = index(rest.strip_prefix(list)?)?;
        let name = name(i)?;
        Some(if more.is_empty() {
            name
        } else {
            format!("{name}: {}", words(more, lang))
        })
    };
    // `arm.A.matrix[i].rows.S[j]` or `….rows.S.T`: the transition S → the j-th state (or T),
    // in arm A; `….estimated.S[j]` the same taken from case data.
    if let Some(r) = rest.strip_prefix("arm.") {
        let (arm, r) = r.split_once('.')?;
        let (m, r) = index(r.strip_prefix("matrix")?)?;
        let (r, estimated) = match r.strip_prefix("rows.") {
            Some(r) => (r, ""),
            None => (
                r.strip_prefix("estimated.")?,
                t(", estimated", ", estimeret"),
            ),
        };
        let (from, to) = match r.split_once('[') {
            Some((from, j)) => {
                let j: usize = j.strip_suffix(']')?.parse().ok()?;
                (from, st.names.get(j)?.as_str())
            }
            None => r.split_once('.')?,
        };
        let matrix = if m > 0 {
            format!(" ({} {}{estimated})", t("matrix", "matrix"), m + 1)
        } else if !estimated.is_empty() {
            format!(" ({})", &estimated[2..])
        } else {
            String::new()
        };
        return Some(format!("{arm}: {from} → {to}{matrix}"));
    }
    if let Some(state) = rest.strip_prefix("initial.") {
        return Some(format!(
            "{} {state}",
            t("Initial share in", "Andel ved start i")
        ));
    }
    if let Some(l) = named("transition_cost", &|i| {
        st.transition_costs.get(i).map(|c| c.name.clone())
    }) {
        return Some(l);
    }
    if let Some(l) = named("cost", &|i| st.costs.get(i).map(|c| c.name.clone())) {
        return Some(l);
    }
    if let Some(l) = named("outcome", &|i| st.outcomes.get(i).map(|c| c.name.clone())) {
        return Some(l.replace(": values ", ": "));
    }
    named("effect", &|i| {
        st.effects.get(i).map(|e| {
            format!(
                "{} {}",
                t("Effect on", "Effekt på"),
                e.transitions.join(", ")
            )
        })
    })
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

    #[test]
    fn state_transition_inputs_are_named_by_arm_and_states() {
        let text = r#"
name = "x"
price_year = 2025
first_year = 2025
horizon = 5
[[cohort]]
start = 2025
participants = 10
[states]
names = ["home", "foster", "institution"]
initial = { home = 1 }
[states.arm.baseline]
[[states.arm.baseline.matrix]]
rows.home = [0.8, 0.15, 0.05]
rows.foster = [0.1, 0.85, 0.05]
rows.institution = [0.0, 0.1, 0.9]
[states.arm.intervention]
[[states.effect]]
transitions = ["home -> foster"]
rr = 0.7
[[states.cost]]
name = "Foster care"
state = "foster"
amount = 470000
[[states.outcome]]
name = "Years at home"
values = { home = 1 }
"#;
        let sc: Scenario = toml::from_str(text).unwrap();
        let l = |p: &str| input_label(&sc, p);
        assert_eq!(
            l("states.arm.baseline.matrix[0].rows.home[1]"),
            "baseline: home → foster"
        );
        assert_eq!(
            l("states.arm.intervention.matrix[1].rows.foster[2]"),
            "intervention: foster → institution (matrix 2)"
        );
        assert_eq!(
            l("states.arm.baseline.matrix[0].rows.foster.institution"),
            "baseline: foster → institution"
        );
        assert_eq!(
            l("states.arm.baseline.matrix[0].estimated.home[2]"),
            "baseline: home → institution (estimated)"
        );
        assert_eq!(
            input_label_in(
                &sc,
                "states.arm.baseline.matrix[1].estimated.home[1]",
                Lang::Da
            ),
            "baseline: home → foster (matrix 2, estimeret)"
        );
        assert_eq!(l("states.cost[0].amount"), "Foster care: amount");
        assert_eq!(l("states.outcome[0].values.home"), "Years at home: home");
        assert_eq!(l("states.effect[0].rr"), "Effect on home -> foster: rr");
        assert_eq!(l("states.initial.home"), "Initial share in home");
        assert_eq!(
            input_label_in(&sc, "states.initial.home", Lang::Da),
            "Andel ved start i home"
        );
        // Out of range: the field path itself.
        assert_eq!(
            l("states.arm.baseline.matrix[0].rows.home[7]"),
            "states.arm.baseline.matrix[0].rows.home[7]"
        );
    }
}
