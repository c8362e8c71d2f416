//! The Markdown summary of a run, for pasting into case papers (sagsfremstillinger): the
//! question, the headline, the result by department, who pays who gains, what the result
//! depends on, and where it came from — short, in Danish or English.

use crate::format::{
    Lang, Num, department_name, interval, interval_name, md_cell, payback_text, total_name,
};
use som_core::summary::Run;
use std::fmt::Write;

/// The Markdown summary of `run`.
pub fn render(run: &Run, lang: Lang) -> String {
    let num = Num { lang };
    let t = |en: &'static str, da: &'static str| lang.t(en, da);
    let s = &run.summary;
    let sc = &s.scenario;
    let res = &s.results;
    let m = &res.total.metrics;
    let cur = sc.currency.as_str();
    let money = |v: f64| num.money(v, cur);
    let unc = s.uncertainty.as_ref();
    let mut o = String::with_capacity(8 * 1024);

    let _ = writeln!(o, "## {}\n", md_cell(&sc.name));
    let whom = sc
        .municipality
        .as_ref()
        .map(|m| format!(", {}", md_cell(m)))
        .unwrap_or_default();
    let _ = match lang {
        Lang::Da => writeln!(
            o,
            "{n} deltagere{whom}, {first}–{last}, {py}-priser. Diskontering: {d}{y0}.\n",
            n = num.value(res.participants),
            first = sc.first_year,
            last = sc.last_year,
            py = sc.price_year,
            d = md_cell(&s.conventions.discount_schedule),
            y0 = if s.conventions.year0_discounted {
                ", år 0 diskonteres"
            } else {
                ", år 0 diskonteres ikke"
            },
        ),
        Lang::En => writeln!(
            o,
            "{n} participants{whom}, {first}–{last}, {py} prices. Discounting: {d}{y0}.\n",
            n = num.value(res.participants),
            first = sc.first_year,
            last = sc.last_year,
            py = sc.price_year,
            d = md_cell(&s.conventions.discount_schedule),
            y0 = if s.conventions.year0_discounted {
                ", year 0 discounted"
            } else {
                ", year 0 not discounted"
            },
        ),
    };
    for w in &s.warnings {
        let _ = writeln!(o, "> **{}:** {}\n", t("Warning", "Advarsel"), md_cell(w));
    }

    // Headline.
    let iv = |st: &som_core::stats::Stat| -> String {
        match (unc, interval(num, st)) {
            (Some(u), Some(i)) => format!(" ({} {i})", interval_name(lang, u.interval)),
            _ => String::new(),
        }
    };
    let _ = writeln!(o, "| {} | |\n|---|---:|", t("Result", "Resultat"));
    let _ = writeln!(
        o,
        "| {} | {}{} |",
        t(
            "Net present value, public sector",
            "Nettonutidsværdi, offentlig sektor"
        ),
        money(m.npv),
        unc.map(|u| iv(&u.total.npv)).unwrap_or_default()
    );
    let _ = writeln!(
        o,
        "| {} | {} |",
        t("Investment (present value)", "Investering (nutidsværdi)"),
        money(m.cost_pv)
    );
    let _ = writeln!(
        o,
        "| {} | {} |",
        t("Gains (present value)", "Gevinster (nutidsværdi)"),
        money(m.benefit_pv)
    );
    if sc.form == som_core::model::Form::SuccessRate {
        let _ = writeln!(
            o,
            "| {} | {} |",
            t("Benefit-cost ratio", "Gevinst pr. investeret krone"),
            num.ratio(m.bcr)
        );
    }
    let _ = writeln!(
        o,
        "| {} | {} |",
        t("Payback", "Tilbagebetaling"),
        md_cell(&payback_text(lang, m))
    );
    if let Some(v) = res.net_per_participant {
        let _ = writeln!(
            o,
            "| {} | {}{} |",
            t("Per participant", "Pr. deltager"),
            money(v),
            unc.map(|u| iv(&u.net_per_participant)).unwrap_or_default()
        );
    }
    if let Some(u) = unc {
        let _ = writeln!(
            o,
            "| {} | {} |",
            t("Probability that NPV > 0", "Sandsynlighed for NNV > 0"),
            num.pct(u.total.p_npv_positive)
        );
        let _ = writeln!(
            o,
            "| {} {} {} | {} |",
            t(
                "Probability of payback within",
                "Sandsynlighed for tilbagebetaling inden for"
            ),
            u.payback_within_years,
            t("years", "år"),
            num.pct(u.total.p_payback_within)
        );
    }

    // By department.
    let _ = writeln!(
        o,
        "\n### {}\n\n| {} | {} | {} | {} | {} |\n|---|---:|---:|---:|---|",
        t(
            "By department (present values)",
            "Pr. forvaltning (nutidsværdier)"
        ),
        t("Department", "Forvaltning"),
        t("Investment", "Investering"),
        t("Gains", "Gevinster"),
        t("NPV", "NNV"),
        t("Payback", "Tilbagebetaling"),
    );
    for g in res.by_department.iter().filter(|g| g.public) {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} |",
            md_cell(&department_name(run, lang, &g.id, &g.name)),
            num.int(g.metrics.cost_pv),
            num.int(g.metrics.benefit_pv),
            num.int(g.metrics.npv),
            md_cell(&payback_text(lang, &g.metrics)),
        );
    }
    let _ = writeln!(
        o,
        "| **{}** | **{}** | **{}** | **{}** | {} |",
        total_name(lang),
        num.int(m.cost_pv),
        num.int(m.benefit_pv),
        num.int(m.npv),
        md_cell(&payback_text(lang, m)),
    );
    let _ = writeln!(
        o,
        "\n{} {cur}{}",
        t("Amounts in", "Beløb i"),
        if cur.ends_with('.') { "" } else { "." }
    );

    // The budget view: net by department and budget year (after the keys where there are any).
    if let Some(b) = &s.budget {
        let keys = !b.keys.is_empty();
        let _ = write!(
            o,
            "\n### {} ({})\n\n| {} |",
            t("Budget view, municipality", "Budgetvisning, kommunen"),
            md_cell(&crate::html::budget_prices(lang, b)),
            t("Department", "Forvaltning")
        );
        for y in &b.years {
            let _ = write!(o, " {y} |");
        }
        o.push_str("\n|---|");
        for _ in &b.years {
            o.push_str("---:|");
        }
        o.push('\n');
        let pick = |a: &som_core::budget::Amounts| if keys { a.net_after_keys } else { a.net };
        for row in b.departments.iter().chain(std::iter::once(&b.total)) {
            let name = if row.id == b.total.id {
                format!("**{}**", t("Municipality, total", "Kommunen i alt"))
            } else {
                md_cell(&department_name(run, lang, &row.id, &row.name))
            };
            let _ = write!(o, "| {name} |");
            for y in &row.years {
                let _ = write!(o, " {} |", num.int(pick(&y.amounts)));
            }
            o.push('\n');
        }
        let draws = crate::html::budget_draws(run);
        if let Some((u, bu)) = draws {
            let _ = write!(o, "| *{}* |", interval_name(lang, u.interval));
            for st in &bu.total.years {
                let _ = write!(o, " {} |", interval(num, st).unwrap_or_else(|| "–".into()));
            }
            o.push('\n');
        }
        if let Some((u, bu)) = draws {
            let _ = write!(
                o,
                "\n{} {}–{}: {} ({} {}).\n",
                t(
                    "Probability that the municipality's net is a saving over",
                    "Sandsynlighed for, at kommunens netto er en besparelse over"
                ),
                bu.years.first().copied().unwrap_or_default(),
                bu.years.last().copied().unwrap_or_default(),
                num.pct(bu.p_net_saving),
                num.int(u.draws as f64),
                t("draws", "træk")
            );
        }
        let _ = writeln!(
            o,
            "\n{}",
            if keys {
                t(
                    "Net after state refusion and distribution keys; expenditure +, saving −.",
                    "Netto efter statsrefusion og fordelingsnøgler; udgift +, besparelse −.",
                )
            } else {
                t(
                    "Net after state refusion; expenditure +, saving −.",
                    "Netto efter statsrefusion; udgift +, besparelse −.",
                )
            }
        );
    }

    // Who pays, who gains, in a sentence per investing department.
    let w = &res.who_pays_who_gains;
    if !w.investing.is_empty() && !w.gaining.is_empty() {
        let _ = writeln!(
            o,
            "\n### {}\n",
            t("Who pays, who gains", "Hvem betaler, hvem får gevinsten")
        );
        for (i, inv) in w.investing.iter().enumerate() {
            // The three largest gains this department's share funds, then the rest in one sum.
            let mut cells: Vec<(&String, f64)> =
                w.gaining.iter().zip(w.matrix[i].iter().copied()).collect();
            cells.sort_by(|a, b| b.1.total_cmp(&a.1));
            let top: Vec<String> = cells
                .iter()
                .take(3)
                .filter(|(_, v)| *v >= 0.5)
                .map(|(g, v)| {
                    format!(
                        "{} {}",
                        md_cell(&department_name(run, lang, g, g)),
                        num.int(*v)
                    )
                })
                .collect();
            let rest: f64 = cells.iter().skip(3).map(|(_, v)| v).sum();
            let total: f64 = w.matrix[i].iter().sum();
            let mut line = format!(
                "- {} {} {} {}; {} {}",
                md_cell(&department_name(run, lang, inv, inv)),
                t("pays", "betaler"),
                num.pct(w.investing_share[i]),
                t("of the investment", "af investeringen"),
                t("its share of the gains", "dens andel af gevinsterne"),
                num.int(total),
            );
            if !top.is_empty() {
                let _ = write!(line, ", {} {}", t("most at", "mest hos"), top.join(", "));
                if cells.len() > 3 && rest.abs() >= 0.5 {
                    let _ = write!(
                        line,
                        " {} {}",
                        t("and elsewhere", "og andre steder"),
                        num.int(rest)
                    );
                }
            }
            let _ = writeln!(o, "{line}.");
        }
    }

    // What the result depends on.
    if let Some(sens) = &s.sensitivity
        && !sens.tornado.is_empty()
    {
        let label = |path: &str| run.label(lang, path);
        let _ = writeln!(
            o,
            "\n### {}\n",
            t(
                "What the result depends on most",
                "Hvad resultatet afhænger mest af"
            )
        );
        for b in sens.tornado.iter().take(3) {
            let _ = writeln!(
                o,
                "- {}: {} {} {} {} ({} {} – {})",
                md_cell(&label(&b.input)),
                t("NPV", "NNV"),
                num.int(b.npv_low.min(b.npv_high)),
                t("to", "til"),
                num.int(b.npv_low.max(b.npv_high)),
                t("input from", "input fra"),
                num.value(crate::format::round_sig(b.low)),
                num.value(crate::format::round_sig(b.high)),
            );
        }
    }

    // What knowing an input first is worth.
    if let Some(v) = unc.and_then(|u| u.value_of_information.as_ref())
        && (!v.inputs.is_empty() || v.note.is_some())
    {
        let _ = writeln!(
            o,
            "\n### {}\n",
            t(
                "What it is worth to know an input before deciding",
                "Hvad det er værd at kende et input, før der besluttes"
            )
        );
        let _ = writeln!(
            o,
            "{} {}\n",
            t(
                "Expected value of perfect information (EVPI) for investing or not:",
                "Forventet værdi af fuld information (EVPI) for at investere eller ej:"
            ),
            money(v.evpi)
        );
        if let Some(note) = &v.note {
            let _ = writeln!(o, "{}\n", md_cell(note));
        }
        for e in v.inputs.iter().filter(|e| e.value >= 0.5).take(5) {
            let _ = writeln!(
                o,
                "- {}: EVPPI {} (± {})",
                md_cell(&run.label(lang, &e.input)),
                money(e.value),
                num.int(e.se)
            );
        }
        for g in &v.groups {
            let names: Vec<String> = g.inputs.iter().map(|i| run.label(lang, i)).collect();
            let _ = writeln!(
                o,
                "- {} {} ({}): EVPPI {} (± {})",
                t("Group", "Gruppe"),
                md_cell(&g.name),
                md_cell(&names.join("; ")),
                money(g.value),
                num.int(g.se)
            );
        }
    }

    o.push_str(&crate::markov::markdown(run, lang));

    let p = &s.provenance;
    let _ = writeln!(
        o,
        "\n*som {} · {}{}*",
        p.som_version,
        match p.seed {
            Some(seed) => format!(
                "{} {}, seed {seed}",
                num.int(p.draws as f64),
                t("draws", "træk")
            ),
            None => t("deterministic run", "deterministisk kørsel").to_string(),
        },
        p.inputs
            .first()
            .map(|i| {
                let file = std::path::Path::new(&i.path)
                    .file_name()
                    .map_or_else(|| i.path.clone(), |f| f.to_string_lossy().into_owned());
                format!(
                    " · {} sha256 {}",
                    md_cell(&file),
                    &i.sha256[..12.min(i.sha256.len())]
                )
            })
            .unwrap_or_default()
    );
    o
}
