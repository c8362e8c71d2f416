//! Several scenarios side by side (`som compare A.toml B.toml …`): one row per scenario with
//! its headline metrics, the NPV of every department, and notes where the scenarios are not
//! directly comparable (price year, currency, discounting, horizon).

use crate::format::{Lang, Num, esc, interval_name, md_cell, payback_text, total_name};
use serde::Serialize;
use som_core::metrics::Metrics;
use som_core::summary::Run;
use std::fmt::Write;

/// Version tag of `comparison.json`.
pub const FORMAT: &str = "som-comparison/1";

/// A department that appears in any of the scenarios compared.
#[derive(Debug, Clone, Serialize)]
pub struct Department {
    pub id: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_da: Option<String>,
    pub public: bool,
}

/// One scenario of a comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// The scenario file, as given.
    pub file: String,
    pub name: String,
    pub currency: String,
    pub price_year: i32,
    pub first_year: i32,
    pub last_year: i32,
    pub horizon: usize,
    pub discount_schedule: String,
    pub year0_discounted: bool,
    pub participants: f64,
    #[serde(flatten)]
    pub metrics: Metrics,
    pub net_per_participant: Option<f64>,
    pub cost_per_outcome: Option<f64>,
    /// The NPV's interval over the draws (quantiles `Comparison::interval`), when drawn.
    pub npv_low: Option<f64>,
    pub npv_high: Option<f64>,
    /// Share of draws with NPV > 0, when drawn.
    pub p_npv_positive: Option<f64>,
    pub draws: usize,
    pub seed: Option<u64>,
    /// NPV of each department of [`Comparison::departments`], in that order; null where the
    /// scenario's department map has no such department.
    pub department_npv: Vec<Option<f64>>,
}

/// The comparison of several runs.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub format: &'static str,
    pub som_version: &'static str,
    /// Quantiles of the intervals, when any scenario was drawn.
    pub interval: Option<(f64, f64)>,
    pub departments: Vec<Department>,
    pub scenarios: Vec<Entry>,
    /// Why figures in different rows may not be directly comparable.
    pub notes: Vec<String>,
    #[serde(skip)]
    notes_da: Vec<String>,
}

impl Comparison {
    /// The comparison of `runs`, each with the scenario file it came from, in the order given.
    pub fn new(runs: &[(String, &Run)]) -> Comparison {
        let mut departments: Vec<Department> = Vec::new();
        for (_, run) in runs {
            for d in &run.model.departments {
                if !departments.iter().any(|x| x.id == d.id) {
                    let public = run.model.actors.get(d.actor).is_none_or(|a| a.public);
                    departments.push(Department {
                        id: d.id.clone(),
                        name: d.name.clone(),
                        name_da: d.name_da.clone(),
                        public,
                    });
                }
            }
        }
        let mut interval = None;
        let scenarios: Vec<Entry> = runs
            .iter()
            .map(|(file, run)| {
                let s = &run.summary;
                let u = s.uncertainty.as_ref();
                if let Some(u) = u {
                    interval.get_or_insert(u.interval);
                }
                Entry {
                    file: file.clone(),
                    name: s.scenario.name.clone(),
                    currency: s.scenario.currency.clone(),
                    price_year: s.scenario.price_year,
                    first_year: s.scenario.first_year,
                    last_year: s.scenario.last_year,
                    horizon: s.scenario.horizon,
                    discount_schedule: s.conventions.discount_schedule.clone(),
                    year0_discounted: s.conventions.year0_discounted,
                    participants: s.results.participants,
                    metrics: s.results.total.metrics.clone(),
                    net_per_participant: s.results.net_per_participant,
                    cost_per_outcome: s.results.cost_per_outcome,
                    npv_low: u.and_then(|u| u.total.npv.low),
                    npv_high: u.and_then(|u| u.total.npv.high),
                    p_npv_positive: u.map(|u| u.total.p_npv_positive),
                    draws: s.provenance.draws,
                    seed: s.provenance.seed,
                    department_npv: departments
                        .iter()
                        .map(|d| {
                            s.results
                                .by_department
                                .iter()
                                .find(|g| g.id == d.id)
                                .map(|g| g.metrics.npv)
                        })
                        .collect(),
                }
            })
            .collect();
        let mut notes = Vec::new();
        let mut notes_da = Vec::new();
        let differ = |f: &dyn Fn(&Entry) -> String| -> Option<String> {
            let mut seen: Vec<String> = Vec::new();
            for e in &scenarios {
                let v = f(e);
                if !seen.contains(&v) {
                    seen.push(v);
                }
            }
            (seen.len() > 1).then(|| seen.join(", "))
        };
        if let Some(v) = differ(&|e| e.currency.clone()) {
            notes.push(format!(
                "The scenarios are in different currencies ({v}): their amounts cannot be compared."
            ));
            notes_da.push(format!(
                "Scenarierne er i forskellige valutaer ({v}): deres beløb kan ikke sammenlignes."
            ));
        }
        if let Some(v) = differ(&|e| e.price_year.to_string()) {
            notes.push(format!("The scenarios are in different price years ({v})."));
            notes_da.push(format!("Scenarierne er i forskellige prisår ({v})."));
        }
        if let Some(v) = differ(&|e| e.horizon.to_string()) {
            notes.push(format!(
                "The scenarios have different horizons ({v} years): a longer horizon counts more \
                 years of gains."
            ));
            notes_da.push(format!(
                "Scenarierne har forskellige tidshorisonter ({v} år): en længere horisont \
                 tæller flere års gevinster med."
            ));
        }
        if let Some(v) = differ(&|e| {
            format!(
                "{}{}",
                e.discount_schedule,
                if e.year0_discounted {
                    " (year 0 discounted)"
                } else {
                    ""
                }
            )
        }) {
            notes.push(format!("The scenarios are discounted differently: {v}."));
            notes_da.push(format!("Scenarierne diskonteres forskelligt: {v}."));
        }
        if scenarios.iter().any(|e| e.draws > 0) && scenarios.iter().any(|e| e.draws == 0) {
            notes.push(
                "Some scenarios have uncertain inputs and were drawn; the others have fixed inputs \
                 and no interval."
                    .into(),
            );
            notes_da.push(
                "Nogle scenarier har usikre input og er simuleret; de øvrige har faste input og \
                 intet interval."
                    .into(),
            );
        }
        Comparison {
            format: FORMAT,
            som_version: som_core::summary::VERSION,
            interval,
            departments,
            scenarios,
            notes,
            notes_da,
        }
    }

    /// The notes in `lang`.
    pub fn notes_in(&self, lang: Lang) -> &[String] {
        match lang {
            Lang::Da => &self.notes_da,
            Lang::En => &self.notes,
        }
    }

    fn department_name(&self, lang: Lang, i: usize) -> String {
        let d = &self.departments[i];
        match lang {
            Lang::Da => d.name_da.clone().unwrap_or_else(|| d.name.clone()),
            Lang::En => d.name.clone(),
        }
    }

    /// Departments with a non-zero NPV in some scenario (the columns worth showing).
    fn shown_departments(&self) -> Vec<usize> {
        (0..self.departments.len())
            .filter(|&i| {
                self.departments[i].public
                    && self
                        .scenarios
                        .iter()
                        .any(|e| e.department_npv[i].is_some_and(|v| v.abs() >= 0.5))
            })
            .collect()
    }

    /// The comparison as CSV: one row per scenario, then one NPV column per department.
    pub fn csv(&self) -> String {
        let mut o = String::from(
            "file,name,currency,price_year,first_year,last_year,horizon,discount_schedule,\
             year0_discounted,participants,cost_pv,benefit_pv,npv,npv_low,npv_high,\
             p_npv_positive,bcr,roi,payback_status,payback_calendar_year,net_per_participant,\
             cost_per_outcome,draws,seed",
        );
        for d in &self.departments {
            let _ = write!(o, ",npv_department_{}", d.id);
        }
        o.push('\n');
        let q = |s: &str| {
            if s.contains([',', '"', '\n']) {
                format!("\"{}\"", s.replace('"', "\"\""))
            } else {
                s.to_string()
            }
        };
        let f = |v: Option<f64>| v.map(|x| format!("{x}")).unwrap_or_default();
        for e in &self.scenarios {
            let m = &e.metrics;
            let status = serde_json::to_value(m.payback_status)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default();
            let _ = write!(
                o,
                "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
                q(&e.file),
                q(&e.name),
                q(&e.currency),
                e.price_year,
                e.first_year,
                e.last_year,
                e.horizon,
                q(&e.discount_schedule),
                e.year0_discounted,
                e.participants,
                m.cost_pv,
                m.benefit_pv,
                m.npv,
                f(e.npv_low),
                f(e.npv_high),
                f(e.p_npv_positive),
                f(m.bcr),
                f(m.roi),
                status,
                m.payback_calendar_year
                    .map(|y| y.to_string())
                    .unwrap_or_default(),
                f(e.net_per_participant),
                f(e.cost_per_outcome),
                e.draws,
                e.seed.map(|s| s.to_string()).unwrap_or_default(),
            );
            for v in &e.department_npv {
                let _ = write!(o, ",{}", f(*v));
            }
            o.push('\n');
        }
        o
    }

    /// The comparison as a Markdown table, with the notes below it.
    pub fn markdown(&self, lang: Lang) -> String {
        let num = Num { lang };
        let t = |en: &'static str, da: &'static str| lang.t(en, da);
        let mut o = String::new();
        let _ = writeln!(
            o,
            "## {}\n",
            t("Scenarios compared", "Scenarier sammenlignet")
        );
        let iv = self.interval.map(|q| interval_name(lang, q));
        let _ = write!(
            o,
            "| {} | {} | {} | {} | {} |",
            t("Scenario", "Scenarie"),
            t("Participants", "Deltagere"),
            t("Investment (PV)", "Investering (NV)"),
            t("Gains (PV)", "Gevinster (NV)"),
            t("NPV", "NNV"),
        );
        if let Some(iv) = &iv {
            let _ = write!(o, " {} {iv} | P(NPV > 0) |", t("NPV,", "NNV,"));
        }
        let _ = writeln!(
            o,
            " {} | {} | {} |",
            t("Benefit-cost ratio", "Gevinst pr. krone"),
            t("Per participant", "Pr. deltager"),
            t("Payback", "Tilbagebetaling")
        );
        o.push_str("|---|---:|---:|---:|---:|");
        if iv.is_some() {
            o.push_str("---:|---:|");
        }
        o.push_str("---:|---:|---|\n");
        for e in &self.scenarios {
            let m = &e.metrics;
            let _ = write!(
                o,
                "| {} | {} | {} | {} | {} |",
                md_cell(&e.name),
                num.value(e.participants),
                num.money(m.cost_pv, &e.currency),
                num.money(m.benefit_pv, &e.currency),
                num.money(m.npv, &e.currency),
            );
            if iv.is_some() {
                match (e.npv_low, e.npv_high, e.p_npv_positive) {
                    (Some(lo), Some(hi), Some(p)) => {
                        let _ = write!(o, " [{}; {}] | {} |", num.int(lo), num.int(hi), num.pct(p));
                    }
                    _ => o.push_str(" – | – |"),
                }
            }
            let _ = writeln!(
                o,
                " {} | {} | {} |",
                num.ratio(m.bcr),
                e.net_per_participant
                    .map_or_else(|| "–".into(), |v| num.money(v, &e.currency)),
                md_cell(&payback_text(lang, m)),
            );
        }
        let shown = self.shown_departments();
        if !shown.is_empty() {
            let _ = write!(
                o,
                "\n### {}\n\n| {} |",
                t("NPV by department", "NNV pr. forvaltning"),
                t("Scenario", "Scenarie")
            );
            for &i in &shown {
                let _ = write!(o, " {} |", md_cell(&self.department_name(lang, i)));
            }
            let _ = write!(o, " {} |\n|---|", total_name(lang));
            for _ in 0..=shown.len() {
                o.push_str("---:|");
            }
            o.push('\n');
            for e in &self.scenarios {
                let _ = write!(o, "| {} |", md_cell(&e.name));
                for &i in &shown {
                    let _ = write!(
                        o,
                        " {} |",
                        e.department_npv[i].map_or_else(|| "–".into(), |v| num.int(v))
                    );
                }
                let _ = writeln!(o, " {} |", num.int(e.metrics.npv));
            }
        }
        if !self.notes.is_empty() {
            o.push('\n');
            for n in self.notes_in(lang) {
                let _ = writeln!(o, "- {}", md_cell(n));
            }
        }
        o
    }

    /// The comparison as one self-contained HTML page with the comparison chart inline.
    pub fn html(&self, lang: Lang, chart_png: Option<&[u8]>) -> String {
        let num = Num { lang };
        let t = |en: &'static str, da: &'static str| lang.t(en, da);
        let mut h = String::new();
        let title = t("Scenarios compared", "Scenarier sammenlignet");
        let _ = write!(
            h,
            "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
             img-src data:; style-src 'unsafe-inline'\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <title>{title}</title>\n<style>\n{}</style>\n</head>\n<body>\n<main>\n<h1>{title}</h1>\n\
             <p class=\"sub\">som {}</p>\n",
            lang.code(),
            crate::format::STYLE,
            self.som_version
        );
        let iv = self.interval.map(|q| interval_name(lang, q));
        let _ = write!(
            h,
            "<div class=\"scroll\"><table>\n<thead><tr><th>{}</th><th class=\"n\">{}</th>\
             <th class=\"n\">{}</th><th class=\"n\">{}</th><th class=\"n\">{}</th>",
            t("Scenario", "Scenarie"),
            t("Participants", "Deltagere"),
            t("Investment (PV)", "Investering (NV)"),
            t("Gains (PV)", "Gevinster (NV)"),
            t("NPV", "NNV"),
        );
        if let Some(iv) = &iv {
            let _ = write!(
                h,
                "<th class=\"n\">{} {iv}</th><th class=\"n\">P(NPV&nbsp;&gt;&nbsp;0)</th>",
                t("NPV,", "NNV,")
            );
        }
        let _ = writeln!(
            h,
            "<th class=\"n\">{}</th><th class=\"n\">{}</th><th>{}</th></tr></thead>\n<tbody>",
            t("Benefit-cost ratio", "Gevinst pr. krone"),
            t("Per participant", "Pr. deltager"),
            t("Payback", "Tilbagebetaling")
        );
        for e in &self.scenarios {
            let m = &e.metrics;
            let _ = write!(
                h,
                "<tr><td>{}<br><code>{}</code></td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
                 <td class=\"n\">{}</td><td class=\"n\">{}</td>",
                esc(&e.name),
                esc(&e.file),
                num.value(e.participants),
                esc(&num.money(m.cost_pv, &e.currency)),
                esc(&num.money(m.benefit_pv, &e.currency)),
                esc(&num.money(m.npv, &e.currency)),
            );
            if iv.is_some() {
                match (e.npv_low, e.npv_high, e.p_npv_positive) {
                    (Some(lo), Some(hi), Some(p)) => {
                        let _ = write!(
                            h,
                            "<td class=\"n\">[{}; {}]</td><td class=\"n\">{}</td>",
                            num.int(lo),
                            num.int(hi),
                            num.pct(p)
                        );
                    }
                    _ => h.push_str("<td class=\"n\">–</td><td class=\"n\">–</td>"),
                }
            }
            let _ = writeln!(
                h,
                "<td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
                num.ratio(m.bcr),
                esc(&e
                    .net_per_participant
                    .map_or_else(|| "–".into(), |v| num.money(v, &e.currency))),
                esc(&payback_text(lang, m)),
            );
        }
        h.push_str("</tbody></table></div>\n");
        if let Some(png) = chart_png {
            let _ = writeln!(
                h,
                "<figure><img alt=\"{alt}\" src=\"data:image/png;base64,{}\"><figcaption>{alt}</figcaption></figure>",
                crate::format::base64(png),
                alt = esc(t(
                    "Net present value by department for each scenario, with the total.",
                    "Nettonutidsværdi pr. forvaltning for hvert scenarie, med totalen."
                ))
            );
        }
        let shown = self.shown_departments();
        if !shown.is_empty() {
            let _ = write!(
                h,
                "<h2>{}</h2>\n<div class=\"scroll\"><table>\n<thead><tr><th>{}</th>",
                t("NPV by department", "NNV pr. forvaltning"),
                t("Scenario", "Scenarie")
            );
            for &i in &shown {
                let _ = write!(
                    h,
                    "<th class=\"n\">{}</th>",
                    esc(&self.department_name(lang, i))
                );
            }
            let _ = writeln!(
                h,
                "<th class=\"n\">{}</th></tr></thead>\n<tbody>",
                total_name(lang)
            );
            for e in &self.scenarios {
                let _ = write!(h, "<tr><td>{}</td>", esc(&e.name));
                for &i in &shown {
                    let _ = write!(
                        h,
                        "<td class=\"n\">{}</td>",
                        e.department_npv[i].map_or_else(|| "–".into(), |v| num.int(v))
                    );
                }
                let _ = writeln!(h, "<td class=\"n\">{}</td></tr>", num.int(e.metrics.npv));
            }
            h.push_str("</tbody></table></div>\n");
        }
        for n in self.notes_in(lang) {
            let _ = writeln!(h, "<p class=\"note\">{}</p>", esc(n));
        }
        h.push_str("</main>\n</body>\n</html>\n");
        h
    }
}
