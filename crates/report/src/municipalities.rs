//! The files of a municipality comparison: `municipalities.csv` (one row per municipality,
//! ranked), `regions.csv`, `municipalities.json` (everything, with the spread), `municipalities.md`,
//! `municipalities.html` (self-contained, charts inline) and the charts.

use crate::format::{Lang, Num, base64, esc, interval_name, interval_of, md_cell};
use som_core::municipalities::Comparison;
use std::fmt::Write;

fn f(v: Option<f64>) -> String {
    v.map(|x| format!("{x}")).unwrap_or_default()
}

fn q(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// A row's payback in words: the calendar year, or why there is none.
fn payback(lang: Lang, r: &som_core::municipalities::Row) -> String {
    use som_core::metrics::PaybackStatus::*;
    match (r.payback_status, r.payback_calendar_year) {
        (Some(PaysBack), Some(y)) => y.to_string(),
        (Some(NoNetInvestment), _) => lang.t("no net investment", "ingen nettoinvestering").into(),
        (Some(_), _) => lang
            .t("not within the horizon", "ikke inden for perioden")
            .into(),
        (None, _) => "–".into(),
    }
}

/// Rows with figures first, by rank; then the others by code.
fn ordered(cmp: &Comparison) -> Vec<&som_core::municipalities::Row> {
    let mut rows: Vec<&som_core::municipalities::Row> = cmp.rows.iter().collect();
    rows.sort_by_key(|r| (r.rank.is_none(), r.rank, r.code));
    rows
}

/// `municipalities.csv`.
pub fn csv(cmp: &Comparison) -> String {
    let mut o = String::from(
        "rank,code,name,region,status,persons,participants,size_from,effects_from,\
         price_factor,npv_per_participant,npv_per_participant_low,npv_per_participant_high,\
         npv,npv_low,npv_high,bcr,bcr_low,bcr_high,payback_status,payback_calendar_year,\
         p_npv_positive,p_payback_within\n",
    );
    for r in ordered(cmp) {
        let _ = writeln!(
            o,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            r.rank.map(|x| x.to_string()).unwrap_or_default(),
            r.code,
            q(&r.name),
            q(&r.region),
            r.status,
            r.persons.map(|x| x.to_string()).unwrap_or_default(),
            f(r.participants),
            r.size_from,
            r.effects_from,
            r.price_factor,
            f(r.npv_per_participant),
            f(r.npv_per_participant_low),
            f(r.npv_per_participant_high),
            f(r.npv),
            f(r.npv_low),
            f(r.npv_high),
            f(r.bcr),
            f(r.bcr_low),
            f(r.bcr_high),
            r.payback_status
                .and_then(|s| serde_json::to_value(s).ok())
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default(),
            r.payback_calendar_year
                .map(|x| x.to_string())
                .unwrap_or_default(),
            f(r.p_npv_positive),
            f(r.p_payback_within),
        );
    }
    o
}

/// `regions.csv`.
pub fn regions_csv(cmp: &Comparison) -> String {
    let mut o = String::from(
        "region,municipalities,left_out,persons,participants,npv,npv_low,npv_high,\
         npv_per_participant,p_npv_positive\n",
    );
    for r in &cmp.regions {
        let _ = writeln!(
            o,
            "{},{},{},{},{},{},{},{},{},{}",
            q(&r.region),
            r.municipalities,
            r.left_out,
            r.persons.map(|x| x.to_string()).unwrap_or_default(),
            r.participants,
            r.npv,
            f(r.npv_low),
            f(r.npv_high),
            f(r.npv_per_participant),
            f(r.p_npv_positive),
        );
    }
    o
}

/// `municipalities.md`: the ranked table, the regions and the spread.
pub fn markdown(cmp: &Comparison, lang: Lang) -> String {
    let num = Num { lang };
    let t = |en: &'static str, da: &'static str| lang.t(en, da);
    let iv = interval_name(lang, cmp.interval);
    let drawn = cmp.draws > 0;
    let mut o = String::new();
    let _ = writeln!(
        o,
        "## {}: {}\n",
        t("Municipalities compared", "Kommuner sammenlignet"),
        md_cell(&cmp.scenario)
    );
    let _ = write!(
        o,
        "| # | {} | {} | {} | {} |",
        t("Municipality", "Kommune"),
        t("Region", "Region"),
        t("Persons", "Personer"),
        t("NPV per participant", "NNV pr. deltager"),
    );
    if drawn {
        let _ = write!(o, " {iv} | P(NPV > 0) |");
    }
    let _ = writeln!(
        o,
        " {} | {} | {} |",
        t("Benefit-cost ratio", "Gevinst pr. krone"),
        t("Payback", "Tilbagebetaling"),
        t("Effects from", "Effekter fra")
    );
    o.push_str("|---:|---|---|---:|---:|");
    if drawn {
        o.push_str("---:|---:|");
    }
    o.push_str("---:|---|---|\n");
    for r in ordered(cmp) {
        let rank = r.rank.map(|x| x.to_string()).unwrap_or_else(|| "–".into());
        let persons = r
            .persons
            .map(|x| num.int(x as f64))
            .unwrap_or_else(|| "–".into());
        if r.status != "ok" {
            let why = match r.status {
                "suppressed" => t("suppressed", "diskretioneret"),
                _ => t("too little case data", "for få sagsdata"),
            };
            let _ = write!(
                o,
                "| {rank} | {} ({}) | {} | – | *{why}* |",
                md_cell(&r.name),
                r.code,
                md_cell(&r.region)
            );
            if drawn {
                o.push_str(" – | – |");
            }
            o.push_str(" – | – | – |\n");
            continue;
        }
        let _ = write!(
            o,
            "| {rank} | {} ({}) | {} | {persons} | {} |",
            md_cell(&r.name),
            r.code,
            md_cell(&r.region),
            r.npv_per_participant
                .map(|v| num.money(v, &cmp.currency))
                .unwrap_or_else(|| "–".into()),
        );
        if drawn {
            let _ = write!(
                o,
                " {} | {} |",
                interval_of(num, r.npv_per_participant_low, r.npv_per_participant_high)
                    .unwrap_or_else(|| "–".into()),
                r.p_npv_positive
                    .map(|p| num.pct(p))
                    .unwrap_or_else(|| "–".into())
            );
        }
        let _ = writeln!(
            o,
            " {} | {} | {} |",
            num.ratio(r.bcr),
            payback(lang, r),
            match r.effects_from {
                "case data" => t("own case data", "egne sagsdata"),
                _ => t("scenario", "scenariet"),
            }
        );
    }
    let _ = write!(
        o,
        "\n### {}\n\n| {} | {} | {} | {} |",
        t("By region", "Pr. region"),
        t("Region", "Region"),
        t("Municipalities", "Kommuner"),
        t("NPV", "NNV"),
        t("NPV per participant", "NNV pr. deltager"),
    );
    if drawn {
        let _ = write!(o, " {iv} | P(NPV > 0) |");
    }
    o.push_str("\n|---|---:|---:|---:|");
    if drawn {
        o.push_str("---:|---:|");
    }
    o.push('\n');
    for r in &cmp.regions {
        let _ = write!(
            o,
            "| {} | {}{} | {} | {} |",
            md_cell(&r.region),
            r.municipalities,
            if r.left_out > 0 {
                format!(" (+{} {})", r.left_out, t("left out", "udeladt"))
            } else {
                String::new()
            },
            num.money(r.npv, &cmp.currency),
            r.npv_per_participant
                .map(|v| num.money(v, &cmp.currency))
                .unwrap_or_else(|| "–".into()),
        );
        if drawn {
            let _ = write!(
                o,
                " {} | {} |",
                interval_of(num, r.npv_low, r.npv_high).unwrap_or_else(|| "–".into()),
                r.p_npv_positive
                    .map(|p| num.pct(p))
                    .unwrap_or_else(|| "–".into())
            );
        }
        o.push('\n');
    }
    let _ = writeln!(
        o,
        "\n### {}\n\n| {} | {} | {} | {} | {} |\n|---|---:|---:|---:|---:|",
        t(
            "Where the differences come from (share of the variance between municipalities)",
            "Hvor forskellene kommer fra (andel af variansen mellem kommunerne)"
        ),
        t("Measure", "Mål"),
        t("Prices", "Priser"),
        t("Cohort size", "Antal deltagere"),
        t("Local effects", "Lokale effekter"),
        t("Together", "Samspil"),
    );
    for s in &cmp.spread {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} |",
            match s.measure {
                "npv" => t("Total NPV", "Samlet NNV"),
                _ => t("NPV per participant", "NNV pr. deltager"),
            },
            num.pct(s.prices.1),
            num.pct(s.size.1),
            num.pct(s.effects.1),
            num.pct(s.interaction),
        );
    }
    let notes = match lang {
        Lang::Da => &cmp.notes_da,
        Lang::En => &cmp.notes,
    };
    if !notes.is_empty() {
        o.push('\n');
        for n in notes {
            let _ = writeln!(o, "- {}", md_cell(n));
        }
    }
    let _ = writeln!(
        o,
        "\n*som {} · {} · seed {} · {} {}*",
        cmp.som_version,
        if drawn {
            format!("{} {}", num.int(cmp.draws as f64), t("draws", "træk"))
        } else {
            t("deterministic", "deterministisk").to_string()
        },
        cmp.seed,
        t("disclosure threshold", "diskretionsgrænse"),
        cmp.disclosure_threshold
    );
    o
}

/// `municipalities.html`: the Markdown's tables as a cmp-contained page with the charts.
pub fn html(cmp: &Comparison, lang: Lang, charts: &[(String, Vec<u8>)]) -> String {
    let num = Num { lang };
    let t = |en: &'static str, da: &'static str| lang.t(en, da);
    let iv = interval_name(lang, cmp.interval);
    let drawn = cmp.draws > 0;
    let title = format!(
        "{}: {}",
        t("Municipalities compared", "Kommuner sammenlignet"),
        cmp.scenario
    );
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         img-src data:; style-src 'unsafe-inline'\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>\n{}</style>\n</head>\n<body>\n<main>\n<h1>{}</h1>\n\
         <p class=\"sub\">som {} · {}-{} · seed {}</p>\n",
        lang.code(),
        esc(&title),
        crate::format::STYLE,
        esc(&title),
        cmp.som_version,
        cmp.price_year,
        t("prices", "priser"),
        cmp.seed
    );
    for (file, cap) in [
        (
            "charts/municipalities_forest.png",
            t(
                "NPV per participant by municipality, ranked.",
                "NNV pr. deltager pr. kommune, rangordnet.",
            ),
        ),
        (
            "charts/municipalities_spread.png",
            t(
                "Where the differences between municipalities come from.",
                "Hvor forskellene mellem kommunerne kommer fra.",
            ),
        ),
    ] {
        if let Some((_, b)) = charts.iter().find(|(n, _)| n == file) {
            let _ = writeln!(
                h,
                "<figure><img alt=\"{c}\" src=\"data:image/png;base64,{}\"><figcaption>{c}</figcaption></figure>",
                base64(b),
                c = esc(cap)
            );
        }
    }
    let _ = write!(
        h,
        "<h2>{}</h2>\n<div class=\"scroll\"><table>\n<thead><tr><th class=\"n\">#</th><th>{}</th>\
         <th>{}</th><th class=\"n\">{}</th><th class=\"n\">{}</th>",
        t("Ranked", "Rangordnet"),
        t("Municipality", "Kommune"),
        t("Region", "Region"),
        t("Persons", "Personer"),
        t("NPV per participant", "NNV pr. deltager"),
    );
    if drawn {
        let _ = write!(
            h,
            "<th class=\"n\">{iv}</th><th class=\"n\">P(NPV&nbsp;&gt;&nbsp;0)</th>"
        );
    }
    let _ = writeln!(
        h,
        "<th class=\"n\">{}</th><th class=\"n\">{}</th></tr></thead>\n<tbody>",
        t("Benefit-cost ratio", "Gevinst pr. krone"),
        t("Payback", "Tilbagebetaling"),
    );
    for r in ordered(cmp) {
        let _ = write!(
            h,
            "<tr><td class=\"n\">{}</td><td>{} ({})</td><td>{}</td>",
            r.rank.map(|x| x.to_string()).unwrap_or_else(|| "–".into()),
            esc(&r.name),
            r.code,
            esc(&r.region)
        );
        if r.status != "ok" {
            let why = match r.status {
                "suppressed" => t("suppressed", "diskretioneret"),
                _ => t("too little case data", "for få sagsdata"),
            };
            let span = if drawn { 6 } else { 4 };
            let _ = writeln!(h, "<td colspan=\"{span}\" class=\"note\">{why}</td></tr>");
            continue;
        }
        let _ = write!(
            h,
            "<td class=\"n\">{}</td><td class=\"n\">{}</td>",
            r.persons
                .map(|x| num.int(x as f64))
                .unwrap_or_else(|| "–".into()),
            r.npv_per_participant
                .map(|v| esc(&num.money(v, &cmp.currency)))
                .unwrap_or_else(|| "–".into()),
        );
        if drawn {
            let _ = write!(
                h,
                "<td class=\"n\">{}</td><td class=\"n\">{}</td>",
                interval_of(num, r.npv_per_participant_low, r.npv_per_participant_high)
                    .unwrap_or_else(|| "–".into()),
                r.p_npv_positive
                    .map(|p| num.pct(p))
                    .unwrap_or_else(|| "–".into())
            );
        }
        let _ = writeln!(
            h,
            "<td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            num.ratio(r.bcr),
            esc(&payback(lang, r))
        );
    }
    h.push_str("</tbody></table></div>\n");
    let notes = match lang {
        Lang::Da => &cmp.notes_da,
        Lang::En => &cmp.notes,
    };
    for n in notes {
        let _ = writeln!(h, "<p class=\"note\">{}</p>", esc(n));
    }
    h.push_str("</main>\n</body>\n</html>\n");
    h
}
