//! The state-transition section of the reports (`summary.md` and `report.html`): costs and
//! outcomes per arm, the cost per additional outcome unit with dominance stated plainly, the
//! acceptability at the cost per unit, and (in HTML) the trace and acceptability charts.

use crate::format::{Lang, Num, base64, esc, md_cell};
use som_core::markov::results::{Comparison, MarkovReport};
use som_core::summary::Run;
use std::fmt::Write;

/// The comparison of one outcome in one plain sentence, in the report's language.
fn sentence(lang: Lang, num: Num, cur: &str, c: &Comparison) -> String {
    let money = |v: f64| num.money(v.abs(), cur);
    let name = match (lang, c.better) {
        (Lang::Da, "lower") => format!("{} undgået", c.outcome),
        (Lang::En, "lower") => format!("{} avoided", c.outcome),
        _ => c.outcome.clone(),
    };
    let gain = num.dec(c.gain.abs(), 3);
    let per = c.cost_per_additional_unit.map(money).unwrap_or_default();
    match (lang, c.dominance) {
        (Lang::Da, "dominates") => format!(
            "Indsatsen dominerer: den er billigere (med {}) og bedre (+{gain} {name}).",
            money(c.incremental_cost)
        ),
        (Lang::En, "dominates") => format!(
            "The intervention dominates: it is cheaper (by {}) and better (+{gain} {name}).",
            money(c.incremental_cost)
        ),
        (Lang::Da, "dominated") => format!(
            "Indsatsen er domineret: den koster {} mere og giver {gain} {name} mindre.",
            money(c.incremental_cost)
        ),
        (Lang::En, "dominated") => format!(
            "The intervention is dominated: it costs {} more and gives {gain} {name} less.",
            money(c.incremental_cost)
        ),
        (Lang::Da, "more_costly_more_effective") => format!(
            "Indsatsen koster {} mere og giver +{gain} {name}: {per} pr. ekstra enhed.",
            money(c.incremental_cost)
        ),
        (Lang::En, "more_costly_more_effective") => format!(
            "The intervention costs {} more and gives +{gain} {name}: {per} per additional unit.",
            money(c.incremental_cost)
        ),
        (Lang::Da, "cheaper_less_effective") => format!(
            "Indsatsen sparer {} og giver {gain} {name} mindre: {per} sparet pr. enhed.",
            money(c.incremental_cost)
        ),
        (Lang::En, "cheaper_less_effective") => format!(
            "The intervention saves {} and gives {gain} {name} less: {per} saved per unit.",
            money(c.incremental_cost)
        ),
        (Lang::Da, _) => format!(
            "Indsatsen ændrer ikke {name}; meromkostningen er {}.",
            money(c.incremental_cost)
        ),
        (Lang::En, _) => format!(
            "The intervention does not change {name}; its incremental cost is {}.",
            money(c.incremental_cost)
        ),
    }
}

fn arm_name(lang: Lang, arm: &str) -> &'static str {
    match (lang, arm) {
        (Lang::Da, "intervention") => "Med indsatsen",
        (Lang::Da, _) => "Uden indsatsen",
        (Lang::En, "intervention") => "Intervention",
        (Lang::En, _) => "Baseline",
    }
}

/// Rows of the per-arm table: (arm, cost PV, outcomes).
fn rows(m: &MarkovReport, lang: Lang, num: Num, cur: &str) -> Vec<Vec<String>> {
    m.arms
        .iter()
        .map(|a| {
            let mut r = vec![arm_name(lang, a.arm).to_string(), num.money(a.cost_pv, cur)];
            r.extend(a.outcomes.iter().map(|o| num.dec(o.discounted, 3)));
            r
        })
        .collect()
}

fn header(m: &MarkovReport, lang: Lang) -> Vec<String> {
    let mut h = vec![
        lang.t("Arm", "Arm").to_string(),
        lang.t("Cost, present value", "Omkostning, nutidsværdi")
            .to_string(),
    ];
    h.extend(m.arms[0].outcomes.iter().map(|o| o.name.clone()));
    h
}

/// The acceptability at the cost per unit (the curve's middle point), where drawn, with the
/// inputs most worth knowing first at that value (EVPPI).
fn acceptability(run: &Run, m: &MarkovReport, lang: Lang, num: Num, cur: &str) -> Vec<String> {
    m.uncertainty
        .iter()
        .filter_map(|u| {
            let mid = u.acceptability.len() / 2;
            let p = u.acceptability.get(mid)?;
            let worth: Vec<String> = u
                .evppi
                .iter()
                .filter(|e| e.values.get(mid).is_some_and(|v| *v >= 0.5))
                .take(3)
                .map(|e| {
                    format!(
                        "{} {}",
                        run.label(lang, &e.input),
                        num.money(e.values[mid], cur)
                    )
                })
                .collect();
            let evppi = if worth.is_empty() {
                String::new()
            } else {
                format!(
                    " {}: {}.",
                    lang.t(
                        "Most worth knowing first at that value (EVPPI)",
                        "Mest værd at kende først ved den værdi (EVPPI)"
                    ),
                    worth.join("; ")
                )
            };
            Some(
                format!(
                    "{} {} {} {}: {}; {}: {}.",
                    lang.t(
                        "Probability that the intervention is worth it at",
                        "Sandsynlighed for at indsatsen er pengene værd ved"
                    ),
                    num.money(p.value, cur),
                    lang.t("per unit of", "pr. enhed"),
                    u.outcome,
                    num.pct(p.probability),
                    lang.t(
                        "probability that it dominates",
                        "sandsynlighed for at den dominerer"
                    ),
                    num.pct(u.p_dominates),
                ) + &evppi,
            )
        })
        .collect()
}

/// The Markdown section, empty without `[states]`.
pub fn markdown(run: &Run, lang: Lang) -> String {
    let Some(m) = &run.summary.markov else {
        return String::new();
    };
    let num = Num { lang };
    let cur = run.summary.scenario.currency.as_str();
    let mut o = String::new();
    let _ = writeln!(
        o,
        "\n### {}\n",
        lang.t(
            "State-transition cohorts",
            "Tilstandsmodel (Markov-kohorter)"
        )
    );
    let h = header(m, lang);
    let _ = writeln!(
        o,
        "| {} |\n|---|{}",
        h.iter().map(|x| md_cell(x)).collect::<Vec<_>>().join(" | "),
        "---:|".repeat(h.len() - 1)
    );
    for r in rows(m, lang, num, cur) {
        let _ = writeln!(
            o,
            "| {} |",
            r.iter().map(|x| md_cell(x)).collect::<Vec<_>>().join(" | ")
        );
    }
    let _ = writeln!(o);
    for c in &m.comparisons {
        let _ = writeln!(o, "- {}", md_cell(&sentence(lang, num, cur, c)));
    }
    for line in acceptability(run, m, lang, num, cur) {
        let _ = writeln!(o, "- {}", md_cell(&line));
    }
    let _ = writeln!(o, "\n{}", conventions(m, lang));
    o
}

/// The conventions that change numbers, in one sentence.
fn conventions(m: &MarkovReport, lang: Lang) -> String {
    let c = &m.conventions;
    let discount = match c.discount {
        "start" => lang.t("at the start of each cycle", "ved hver cyklus' start"),
        "mid" => lang.t("in the middle of each cycle", "midt i hver cyklus"),
        "end" => lang.t("at the end of each cycle", "ved hver cyklus' slutning"),
        _ => lang.t("by calendar year", "pr. kalenderår"),
    };
    let cycle = match c.cycle {
        "quarter" => lang.t("quarter", "kvartal"),
        "month" => lang.t("month", "måned"),
        _ => lang.t("year", "år"),
    };
    let transitions = match c.transitions {
        "start" => lang.t("start", "start"),
        _ => lang.t("end", "slutning"),
    };
    format!(
        "{}: {} × {}, {} {}, {} {}, {} {}.",
        lang.t("Conventions", "Konventioner"),
        c.cycles,
        cycle,
        lang.t("transitions at the", "overgange ved cyklens"),
        transitions,
        lang.t("within-cycle correction", "korrektion inden for cyklus"),
        c.correction,
        lang.t("discounted", "diskonteret"),
        discount
    )
}

/// The HTML section with the trace and acceptability charts, empty without `[states]`.
pub fn html(run: &Run, lang: Lang, charts: &[(String, Vec<u8>)]) -> String {
    let Some(m) = &run.summary.markov else {
        return String::new();
    };
    let num = Num { lang };
    let cur = run.summary.scenario.currency.as_str();
    let mut h = String::new();
    let _ = writeln!(
        h,
        "<h2>{}</h2>\n<div class=\"scroll\"><table>\n<thead><tr>{}</tr></thead>\n<tbody>",
        esc(lang.t(
            "State-transition cohorts",
            "Tilstandsmodel (Markov-kohorter)"
        )),
        header(m, lang)
            .iter()
            .map(|x| format!("<th>{}</th>", esc(x)))
            .collect::<String>()
    );
    for r in rows(m, lang, num, cur) {
        let _ = writeln!(
            h,
            "<tr>{}</tr>",
            r.iter()
                .map(|x| format!("<td>{}</td>", esc(x)))
                .collect::<String>()
        );
    }
    let _ = writeln!(h, "</tbody></table></div>\n<ul>");
    for c in &m.comparisons {
        let _ = writeln!(h, "<li>{}</li>", esc(&sentence(lang, num, cur, c)));
    }
    for line in acceptability(run, m, lang, num, cur) {
        let _ = writeln!(h, "<li>{}</li>", esc(&line));
    }
    let _ = writeln!(h, "</ul>\n<p>{}</p>", esc(&conventions(m, lang)));
    for (name, en, da) in [
        (
            "markov_trace",
            "State occupancy by cycle, intervention and baseline.",
            "Fordeling på tilstande pr. cyklus, med og uden indsatsen.",
        ),
        (
            "acceptability",
            "Acceptability curve over the Monte Carlo draws.",
            "Acceptabilitetskurve over Monte Carlo-trækkene.",
        ),
    ] {
        let file = format!("charts/{name}.png");
        if let Some((_, bytes)) = charts.iter().find(|(f, _)| *f == file) {
            let _ = writeln!(
                h,
                "<figure><img alt=\"{alt}\" src=\"data:image/png;base64,{data}\">\
                 <figcaption>{alt} <code>{file}</code></figcaption></figure>",
                alt = esc(lang.t(en, da)),
                data = base64(bytes),
            );
        }
    }
    h
}
