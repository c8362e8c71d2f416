//! The HTML report of a run: one self-contained file (charts inline as data URIs, styles inline,
//! no script, no fonts or anything else fetched), in Danish or English.
//!
//! A Content-Security-Policy in the head forbids every request but inline styles and `data:`
//! images, so a report cannot reach the network even if a future edit slips a link in.

use crate::format::{
    Lang, Num, STYLE, actor_name, base64, department_name, dist_text, esc, interval, interval_name,
    payback_text, total_name,
};
use som_core::metrics::GroupResult;
use som_core::scenario::Timing;
use som_core::summary::Run;
use som_core::uncertainty::GroupUncertainty;
use std::fmt::Write;

/// The charts a report shows, in order, with their captions.
const CHARTS: [(&str, &str, &str); 6] = [
    (
        "costs_and_gains_by_year",
        "Costs and gains by year and department (undiscounted).",
        "Omkostninger og gevinster pr. år og forvaltning (ikke diskonteret).",
    ),
    (
        "cumulative_net_pv",
        "Cumulative net present value by department and in total, with the break-even point.",
        "Akkumuleret nettonutidsværdi pr. forvaltning og i alt, med tilbagebetalingspunktet.",
    ),
    (
        "who_pays_who_gains",
        "Who pays and who gains: each investing department's share of every department's gain.",
        "Hvem betaler, og hvem får gevinsten: hver investerende forvaltnings andel af gevinsterne.",
    ),
    (
        "tornado",
        "One-way sensitivity: the total NPV with one input at a time at its low and high value.",
        "Følsomhed: den samlede nettonutidsværdi med ét input ad gangen på lav og høj værdi.",
    ),
    (
        "npv_distribution",
        "Distribution of the total NPV over the Monte Carlo draws.",
        "Fordelingen af den samlede nettonutidsværdi over Monte Carlo-trækkene.",
    ),
    (
        "value_of_information",
        "Which uncertainty is worth resolving first: the EVPPI of the inputs, with the EVPI.",
        "Hvilken usikkerhed er mest værd at afklare: inputtenes EVPPI og EVPI.",
    ),
];

/// The HTML report of `run`. `charts` are the run's chart files (`charts/NAME.png`, …); the
/// PNG of each chart is shown inline. Without charts the report says so.
pub fn render(run: &Run, charts: &[(String, Vec<u8>)], lang: Lang) -> String {
    let r = Report {
        run,
        lang,
        num: Num { lang },
        cur: run.summary.scenario.currency.as_str(),
    };
    let mut h = String::with_capacity(64 * 1024);
    r.head(&mut h);
    r.question(&mut h);
    r.headline(&mut h);
    r.groups(&mut h);
    r.who_pays(&mut h);
    r.years(&mut h);
    r.budget(&mut h);
    h.push_str(&crate::markov::html(run, lang, charts));
    r.charts(&mut h, charts);
    r.sensitivity(&mut h);
    r.assumptions(&mut h);
    r.provenance(&mut h);
    h.push_str("</main>\n</body>\n</html>\n");
    h
}

/// The Monte Carlo run and its budget view over the draws, when the run has both.
pub(crate) fn budget_draws(
    run: &Run,
) -> Option<(
    &som_core::uncertainty::Uncertainty,
    &som_core::budget::BudgetUncertainty,
)> {
    let u = run.summary.uncertainty.as_ref()?;
    Some((u, u.budget.as_ref()?))
}

/// The budget view's price level in words.
pub(crate) fn budget_prices(lang: Lang, b: &som_core::budget::BudgetView) -> String {
    match (b.prices, lang) {
        (som_core::scenario::budget::Prices::Current, Lang::Da) => {
            "løbende priser (hvert år i egne p/l)".to_string()
        }
        (som_core::scenario::budget::Prices::Current, Lang::En) => {
            "current prices (each year in its own p/l)".to_string()
        }
        _ => b.price_level.clone(),
    }
}

/// One line of the budget table: which amount it shows.
type Pick = fn(&som_core::budget::Amounts) -> f64;

struct Report<'a> {
    run: &'a Run,
    lang: Lang,
    num: Num,
    cur: &'a str,
}

impl Report<'_> {
    fn t<'s>(&self, en: &'s str, da: &'s str) -> &'s str {
        self.lang.t(en, da)
    }

    fn money(&self, v: f64) -> String {
        self.num.money(v, self.cur)
    }

    /// A table cell with an amount.
    fn amount_td(&self, v: f64) -> String {
        format!("<td class=\"n\">{}</td>", self.num.int(v))
    }

    /// A table cell with a net amount, + a gain: in the colour of a gain or of a cost
    /// ([`crate::format::GAIN`], [`crate::format::COST`]), as in the charts and the workbook.
    fn net_td(&self, v: f64) -> String {
        let class = if v < -0.5 {
            "n cost"
        } else if v > 0.5 {
            "n gain"
        } else {
            "n"
        };
        format!("<td class=\"{class}\">{}</td>", self.num.int(v))
    }

    fn head(&self, h: &mut String) {
        let s = &self.run.summary.scenario;
        let title = format!("{} — {}", s.name, self.t("som report", "som-rapport"));
        let _ = write!(
            h,
            "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
             img-src data:; style-src 'unsafe-inline'\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <meta name=\"generator\" content=\"som {version}\">\n<title>{title}</title>\n\
             <style>\n{STYLE}</style>\n</head>\n<body>\n<main>\n<h1>{name}</h1>\n",
            lang = self.lang.code(),
            version = self.run.summary.provenance.som_version,
            title = esc(&title),
            name = esc(&s.name),
        );
        let mut sub = Vec::new();
        if let Some(m) = &s.municipality {
            sub.push(esc(m));
        }
        sub.push(format!(
            "{} {}–{}",
            self.t("Years", "År"),
            s.first_year,
            s.last_year
        ));
        sub.push(match self.lang {
            Lang::Da => format!("{}-priser", s.price_year),
            Lang::En => format!("{} prices", s.price_year),
        });
        sub.push(format!("som {}", self.run.summary.provenance.som_version));
        let _ = writeln!(h, "<p class=\"sub\">{}</p>", sub.join(" · "));
        for w in &self.run.summary.warnings {
            let _ = writeln!(
                h,
                "<p class=\"warn\"><strong>{}:</strong> {}</p>",
                self.t("Warning", "Advarsel"),
                esc(w)
            );
        }
    }

    fn question(&self, h: &mut String) {
        let s = &self.run.summary.scenario;
        let res = &self.run.summary.results;
        let _ = writeln!(h, "<h2>{}</h2>", self.t("The question", "Spørgsmålet"));
        let whom = s
            .municipality
            .as_ref()
            .map(|m| format!(" {} {}", self.t("for", "for"), esc(m)))
            .unwrap_or_default();
        let name = esc(&s.name);
        let (n, first, last, hz) = (
            self.num.value(res.participants),
            s.first_year,
            s.last_year,
            s.horizon,
        );
        let _ = match self.lang {
            Lang::Da => writeln!(
                h,
                "<p>Hvad koster <strong>{name}</strong>{whom}, hvad giver det igen, til hvilken \
                 forvaltning og offentlig aktør, og i hvilket år? Scenariet følger {n} deltagere \
                 fra {first} til {last} ({hz} år) og sammenligner indsatsen med basisalternativet: \
                 det, der ville ske uden den.</p>"
            ),
            Lang::En => writeln!(
                h,
                "<p>What does <strong>{name}</strong> cost{whom}, what does it return, to which \
                 department and public actor, and in which year? The scenario follows {n} \
                 participants from {first} to {last} ({hz} years) and compares the intervention \
                 with the baseline: what would happen without it.</p>"
            ),
        };
        if let Some(d) = &s.description {
            let _ = writeln!(h, "<p>{}</p>", esc(d));
        }
        if let Some(m) = &s.success_measure {
            let _ = writeln!(
                h,
                "<p>{} <em>{}</em>; {} {}.</p>",
                self.t("Success is measured as", "Succes måles som"),
                esc(m),
                self.t(
                    "net additional successes over the horizon:",
                    "flere succeser netto over perioden:"
                ),
                self.num.dec(res.net_outcomes, 1)
            );
        }
        let c = &self.run.summary.conventions;
        let timing = match (c.timing, self.lang) {
            (Timing::Start, Lang::En) => "at the start of each year",
            (Timing::Mid, Lang::En) => "in the middle of each year",
            (Timing::End, Lang::En) => "at the end of each year",
            (Timing::Start, Lang::Da) => "ved årets begyndelse",
            (Timing::Mid, Lang::Da) => "midt i året",
            (Timing::End, Lang::Da) => "ved årets slutning",
        };
        let y0 = if c.year0_discounted {
            self.t("discounted", "diskonteres")
        } else {
            self.t("not discounted", "diskonteres ikke")
        };
        let _ = match self.lang {
            Lang::Da => writeln!(
                h,
                "<p>Alle beløb er i {py}-priser ({cur}). Fremtidige strømme diskonteres med \
                 {sched} ({src}); strømmene regnes {timing}, og år 0 {y0}. Gevinster er \
                 sparede offentlige udgifter; omkostninger er investeringen fratrukket de \
                 ydelser, den erstatter.</p>",
                py = c.price_year,
                cur = esc(self.cur),
                sched = esc(&c.discount_schedule),
                src = esc(&c.discount_source),
            ),
            Lang::En => writeln!(
                h,
                "<p>All amounts are in {py} prices ({cur}). Future flows are discounted with \
                 {sched} ({src}); flows fall {timing}, and year 0 is {y0}. Gains are public \
                 expenditure saved; costs are the investment net of the services it \
                 replaces.</p>",
                py = c.price_year,
                cur = esc(self.cur),
                sched = esc(&c.discount_schedule),
                src = esc(&c.discount_source),
            ),
        };
    }

    fn card(&self, h: &mut String, key: &str, value: &str, extra: Option<String>) {
        let _ = write!(
            h,
            "<div class=\"card\"><div class=\"k\">{}</div><div class=\"v\">{}</div>",
            esc(key),
            value
        );
        if let Some(x) = extra {
            let _ = write!(h, "<div class=\"i\">{x}</div>");
        }
        h.push_str("</div>\n");
    }

    fn headline(&self, h: &mut String) {
        let res = &self.run.summary.results;
        let m = &res.total.metrics;
        let unc = self.run.summary.uncertainty.as_ref();
        let iname = unc.map(|u| interval_name(self.lang, u.interval));
        let with_iv = |s: Option<&som_core::stats::Stat>| -> Option<String> {
            let (s, name) = (s?, iname.as_ref()?);
            interval(self.num, s).map(|iv| format!("{name} {iv}"))
        };
        let _ = writeln!(
            h,
            "<h2>{}</h2>\n<div class=\"cards\">",
            self.t("Results at a glance", "Resultatet kort")
        );
        let npv_extra = unc.map(|u| {
            let mut s = with_iv(Some(&u.total.npv)).unwrap_or_default();
            let _ = write!(
                s,
                "<br>P(NPV &gt; 0) = {}",
                self.num.pct(u.total.p_npv_positive)
            );
            s
        });
        self.card(
            h,
            self.t(
                "Net present value (NPV), public sector",
                "Nettonutidsværdi (NNV), offentlig sektor",
            ),
            &self.money(m.npv),
            npv_extra,
        );
        self.card(
            h,
            self.t("Investment, present value", "Investering, nutidsværdi"),
            &self.money(m.cost_pv),
            unc.and_then(|u| with_iv(Some(&u.total.cost_pv))),
        );
        self.card(
            h,
            self.t("Gains, present value", "Gevinster, nutidsværdi"),
            &self.money(m.benefit_pv),
            unc.and_then(|u| with_iv(Some(&u.total.benefit_pv))),
        );
        if self.run.summary.scenario.form == som_core::model::Form::SuccessRate {
            self.card(
                h,
                self.t("Benefit-cost ratio", "Gevinst pr. investeret krone"),
                &self.num.ratio(m.bcr),
                unc.and_then(|u| {
                    let s = &u.total.bcr;
                    Some(format!(
                        "{} [{}; {}]",
                        iname.clone()?,
                        self.num.dec(s.low?, 2),
                        self.num.dec(s.high?, 2)
                    ))
                }),
            );
        }
        self.card(
            h,
            self.t("Payback", "Tilbagebetaling"),
            &esc(&payback_text(self.lang, m)),
            unc.map(|u| {
                format!(
                    "{} {} {}: {}",
                    self.t("P(pays back within", "P(tilbagebetalt inden for"),
                    u.payback_within_years,
                    self.t("years)", "år)"),
                    self.num.pct(u.total.p_payback_within)
                )
            }),
        );
        if let Some(v) = res.net_per_participant {
            self.card(
                h,
                self.t(
                    "Net present value per participant",
                    "Nettonutidsværdi pr. deltager",
                ),
                &self.money(v),
                unc.and_then(|u| with_iv(Some(&u.net_per_participant))),
            );
        }
        if let Some(v) = res.cost_per_outcome {
            self.card(
                h,
                self.t(
                    "Investment per additional success",
                    "Investering pr. ekstra succes",
                ),
                &self.money(v),
                None,
            );
        }
        if let Some(u) = unc {
            self.card(
                h,
                self.t(
                    "Expected value of perfect information",
                    "Forventet værdi af fuld information",
                ),
                &self.money(u.evpi),
                Some(format!(
                    "{} {}, seed {}",
                    self.num.int(u.draws as f64),
                    self.t("Monte Carlo draws", "Monte Carlo-træk"),
                    u.seed
                )),
            );
        }
        h.push_str("</div>\n");
        let _ = writeln!(
            h,
            "<p class=\"note\">{}</p>",
            if unc.is_some() {
                self.t(
                    "Figures are at the inputs' base values; intervals and probabilities come \
                     from the Monte Carlo draws over the uncertain inputs.",
                    "Tallene er ved inputtenes basisværdier; intervaller og sandsynligheder \
                     kommer fra Monte Carlo-trækkene over de usikre input.",
                )
            } else if self.run.summary.inputs.iter().any(|p| p.dist.is_some()) {
                self.t(
                    "This run made no Monte Carlo draws, so the figures carry no interval, though \
                     some inputs are uncertain: run with draws for their intervals.",
                    "Denne kørsel lavede ingen Monte Carlo-træk, så tallene har intet interval, selv \
                     om nogle input er usikre: kør med træk for deres intervaller.",
                )
            } else {
                self.t(
                    "Every input is fixed in this run, so the figures carry no interval.",
                    "Alle input er faste i denne kørsel, så tallene har intet interval.",
                )
            }
        );
    }

    /// A table of groups (departments or actors) with their metrics, and the total below.
    fn group_table(
        &self,
        h: &mut String,
        groups: &[GroupResult],
        unc: Option<&[GroupUncertainty]>,
        name: &dyn Fn(&GroupResult) -> String,
        actor_col: bool,
    ) {
        let u = self.run.summary.uncertainty.as_ref();
        let _ = write!(
            h,
            "<div class=\"scroll\"><table>\n<thead><tr><th>{}</th>",
            if actor_col {
                self.t("Department", "Forvaltning")
            } else {
                self.t("Actor", "Aktør")
            }
        );
        if actor_col {
            let _ = write!(h, "<th>{}</th>", self.t("Actor", "Aktør"));
        }
        let _ = write!(
            h,
            "<th class=\"n\">{}</th><th class=\"n\">{}</th><th class=\"n\">{}</th>",
            self.t("Investment (PV)", "Investering (NV)"),
            self.t("Gains (PV)", "Gevinster (NV)"),
            self.t("NPV", "NNV"),
        );
        if let Some(u) = u {
            let _ = write!(
                h,
                "<th class=\"n\">{} {}</th><th class=\"n\">P(NPV&nbsp;&gt;&nbsp;0)</th>",
                self.t("NPV,", "NNV,"),
                interval_name(self.lang, u.interval)
            );
        }
        let _ = writeln!(
            h,
            "<th>{}</th></tr></thead>\n<tbody>",
            self.t("Payback", "Tilbagebetaling")
        );
        let row = |h: &mut String, g: &GroupResult, gu: Option<&GroupUncertainty>, total: bool| {
            let _ = write!(
                h,
                "<tr{}><td>{}</td>",
                if total { " class=\"total\"" } else { "" },
                esc(&name(g))
            );
            if actor_col {
                let actor = g
                    .actor
                    .as_deref()
                    .map(|a| actor_name(self.run, self.lang, a, a))
                    .unwrap_or_default();
                let _ = write!(h, "<td>{}</td>", esc(&actor));
            }
            let m = &g.metrics;
            h.push_str(&self.amount_td(m.cost_pv));
            h.push_str(&self.amount_td(m.benefit_pv));
            h.push_str(&self.net_td(m.npv));
            if u.is_some() {
                match gu {
                    Some(gu) => {
                        let _ = write!(
                            h,
                            "<td class=\"n\">{}</td><td class=\"n\">{}</td>",
                            interval(self.num, &gu.npv).unwrap_or_else(|| "–".into()),
                            self.num.pct(gu.p_npv_positive)
                        );
                    }
                    None => h.push_str("<td class=\"n\">–</td><td class=\"n\">–</td>"),
                }
            }
            let _ = writeln!(h, "<td>{}</td></tr>", esc(&payback_text(self.lang, m)));
        };
        for g in groups {
            let gu = unc.and_then(|list| list.iter().find(|x| x.id == g.id));
            row(h, g, gu, false);
        }
        let total = &self.run.summary.results.total;
        row(h, total, u.map(|u| &u.total), true);
        h.push_str("</tbody></table></div>\n");
    }

    fn groups(&self, h: &mut String) {
        let res = &self.run.summary.results;
        let u = self.run.summary.uncertainty.as_ref();
        let total = total_name(self.lang).to_string();
        let dept_name = |g: &GroupResult| {
            if g.id == res.total.id {
                total.clone()
            } else {
                department_name(self.run, self.lang, &g.id, &g.name)
            }
        };
        let _ = writeln!(
            h,
            "<h2>{}</h2>\n<p>{}</p>",
            self.t("By department", "Pr. forvaltning"),
            self.t(
                "Present values over the horizon; the investment is what each department pays, \
                 the gains what it saves.",
                "Nutidsværdier over hele perioden; investeringen er det, hver forvaltning \
                 betaler, gevinsterne det, den sparer."
            )
        );
        let public: Vec<GroupResult> = res
            .by_department
            .iter()
            .filter(|g| g.public)
            .cloned()
            .collect();
        self.group_table(
            h,
            &public,
            u.map(|u| u.by_department.as_slice()),
            &dept_name,
            true,
        );
        let outside: Vec<&GroupResult> = res.by_department.iter().filter(|g| !g.public).collect();
        if !outside.is_empty() {
            let names: Vec<String> = outside.iter().map(|g| esc(&dept_name(g))).collect();
            let _ = writeln!(
                h,
                "<p class=\"note\">{} {}.</p>",
                self.t(
                    "Outside the public sector and its total:",
                    "Uden for den offentlige sektor og dens total:"
                ),
                names.join(", ")
            );
        }
        let _ = writeln!(
            h,
            "<h2>{}</h2>",
            self.t("By public actor", "Pr. offentlig aktør")
        );
        let actor = |g: &GroupResult| {
            if g.id == res.total.id {
                total.clone()
            } else {
                actor_name(self.run, self.lang, &g.id, &g.name)
            }
        };
        self.group_table(
            h,
            &res.by_actor,
            u.map(|u| u.by_actor.as_slice()),
            &actor,
            false,
        );
    }

    fn who_pays(&self, h: &mut String) {
        let w = &self.run.summary.results.who_pays_who_gains;
        let _ = writeln!(
            h,
            "<h2>{}</h2>",
            self.t("Who pays, who gains", "Hvem betaler, hvem får gevinsten")
        );
        if w.investing.is_empty() || w.gaining.is_empty() {
            let _ = writeln!(
                h,
                "<p>{}</p>",
                self.t(
                    "No department both invests and sees another gain in this scenario.",
                    "Ingen forvaltning investerer med gevinster hos andre i dette scenarie."
                )
            );
            return;
        }
        let name = |id: &str| department_name(self.run, self.lang, id, id);
        let _ = write!(
            h,
            "<p>{}</p>\n<div class=\"scroll\"><table>\n<thead><tr><th>{}</th><th class=\"n\">{}</th>",
            self.t(
                "Each row is a department that invests, with its share of the investment; each \
                 column a department that gains. A cell is the row's share of the column's gain \
                 (present value).",
                "Hver række er en forvaltning, der investerer, med dens andel af investeringen; \
                 hver kolonne en forvaltning, der får en gevinst. En celle er rækkens andel af \
                 kolonnens gevinst (nutidsværdi)."
            ),
            self.t("Pays ↓ / gains →", "Betaler ↓ / får →"),
            self.t("Share", "Andel")
        );
        for g in &w.gaining {
            let _ = write!(h, "<th class=\"n\">{}</th>", esc(&name(g)));
        }
        h.push_str("</tr></thead>\n<tbody>\n");
        for (i, inv) in w.investing.iter().enumerate() {
            let _ = write!(
                h,
                "<tr><td>{}</td><td class=\"n\">{}</td>",
                esc(&name(inv)),
                self.num.pct(w.investing_share[i])
            );
            for v in &w.matrix[i] {
                h.push_str(&self.amount_td(*v));
            }
            h.push_str("</tr>\n");
        }
        let _ = write!(
            h,
            "<tr class=\"total\"><td>{}</td><td class=\"n\">{}</td>",
            self.t("Gain, total", "Gevinst i alt"),
            self.num.pct(w.investing_share.iter().sum())
        );
        for v in &w.gain {
            h.push_str(&self.amount_td(*v));
        }
        h.push_str("</tr>\n</tbody></table></div>\n");
    }

    fn years(&self, h: &mut String) {
        let res = &self.run.summary.results;
        let depts: Vec<&GroupResult> = res.by_department.iter().filter(|g| g.public).collect();
        let _ = writeln!(
            h,
            "<h2>{}</h2>\n<p>{}</p>",
            self.t("Year by year", "År for år"),
            self.t(
                "Net gain by department and calendar year (gains − costs, undiscounted), and the \
                 public sector's cumulative net present value.",
                "Nettogevinst pr. forvaltning og kalenderår (gevinster − omkostninger, ikke \
                 diskonteret) og den offentlige sektors akkumulerede nettonutidsværdi."
            )
        );
        let _ = write!(
            h,
            "<div class=\"scroll\"><table>\n<thead><tr><th>{}</th>",
            self.t("Year", "År")
        );
        for d in &depts {
            let _ = write!(
                h,
                "<th class=\"n\">{}</th>",
                esc(&department_name(self.run, self.lang, &d.id, &d.name))
            );
        }
        let _ = writeln!(
            h,
            "<th class=\"n\">{}</th><th class=\"n\">{}</th></tr></thead>\n<tbody>",
            self.t("Net, total", "Netto i alt"),
            self.t("Cumulative net PV", "Akk. netto NV")
        );
        for (t, y) in res.total.years.iter().enumerate() {
            let _ = write!(h, "<tr><td>{}</td>", y.calendar_year);
            for d in &depts {
                h.push_str(&self.net_td(d.years.get(t).map_or(0.0, |r| r.net)));
            }
            h.push_str(&self.net_td(y.net));
            h.push_str(&self.net_td(y.cumulative_net_pv));
            h.push_str("</tr>\n");
        }
        h.push_str("</tbody></table></div>\n");
    }

    /// The budget view: the municipality's flows by department and budget year in the budget's
    /// prices, gross, refusion and net, and after the distribution keys.
    fn budget(&self, h: &mut String) {
        let Some(b) = &self.run.summary.budget else {
            return;
        };
        let keys = !b.keys.is_empty();
        let _ = writeln!(
            h,
            "<h2>{}</h2>\n<p>{} {}. {}</p>",
            self.t("Budget view", "Budgetvisning"),
            self.t(
                "The municipality's flows by department and budget year,",
                "Kommunens strømme pr. forvaltning og budgetår,"
            ),
            esc(&budget_prices(self.lang, b)),
            self.t(
                "Expenditure +, saving −. Gross is what the municipality pays out before state \
                 reimbursement (refusion); net is what it bears.",
                "Udgift +, besparelse −. Brutto er det, kommunen betaler ud før statens refusion; \
                 netto er det, kommunen selv bærer."
            )
        );
        let _ = write!(
            h,
            "<div class=\"scroll\"><table>\n<thead><tr><th>{}</th><th></th>",
            self.t("Department", "Forvaltning")
        );
        for y in &b.years {
            let _ = write!(h, "<th class=\"n\">{y}</th>");
        }
        let _ = writeln!(
            h,
            "<th class=\"n\">{}</th></tr></thead>\n<tbody>",
            self.t("Sum", "I alt")
        );
        let lines: Vec<(&str, Pick)> = {
            let mut v: Vec<(&str, Pick)> = vec![
                (self.t("Gross", "Brutto"), |a| a.gross),
                (self.t("Refusion", "Refusion"), |a| a.refusion),
                (self.t("Net", "Netto"), |a| a.net),
            ];
            if keys {
                v.push((self.t("Distribution keys", "Fordelingsnøgler"), |a| {
                    a.transfer
                }));
                v.push((self.t("Net after keys", "Netto efter nøgler"), |a| {
                    a.net_after_keys
                }));
            }
            v
        };
        let rows = b.departments.iter().chain(std::iter::once(&b.total));
        for (i, row) in rows.enumerate() {
            let is_total = i == b.departments.len();
            let name = if is_total {
                self.t("Municipality, total", "Kommunen i alt").to_string()
            } else {
                department_name(self.run, self.lang, &row.id, &row.name)
            };
            for (k, (label, get)) in lines.iter().enumerate() {
                let _ = write!(
                    h,
                    "<tr{}><td>{}</td><td>{}</td>",
                    if is_total && k == 0 {
                        " class=\"total\""
                    } else {
                        ""
                    },
                    if k == 0 { esc(&name) } else { String::new() },
                    esc(label)
                );
                // Expenditure + and saving − here: no colour, which would read as good or bad.
                for y in &row.years {
                    let _ = write!(h, "<td class=\"n\">{}</td>", self.num.int(get(&y.amounts)));
                }
                let _ = write!(h, "<td class=\"n\">{}</td>", self.num.int(get(&row.sum)));
                h.push_str("</tr>\n");
            }
            // The last line's interval over the draws (the net after keys where there are keys).
            if let Some((u, bu)) = budget_draws(self.run) {
                let stats = if is_total {
                    &bu.total
                } else {
                    &bu.departments[i]
                };
                let _ = write!(
                    h,
                    "<tr><td></td><td>{}</td>",
                    esc(&interval_name(self.lang, u.interval))
                );
                for st in stats.years.iter().chain(std::iter::once(&stats.sum)) {
                    let _ = write!(
                        h,
                        "<td class=\"n\">{}</td>",
                        esc(&interval(self.num, st).unwrap_or_else(|| "–".into()))
                    );
                }
                h.push_str("</tr>\n");
            }
        }
        h.push_str("</tbody></table></div>\n");
        if let Some((u, bu)) = budget_draws(self.run) {
            let _ = writeln!(
                h,
                "<p>{} {} {}: {}.</p>",
                self.t(
                    "Over the Monte Carlo draws, the probability that the municipality's net over",
                    "Over Monte Carlo-trækkene er sandsynligheden for, at kommunens netto over"
                ),
                esc(&format!(
                    "{}–{}",
                    bu.years.first().copied().unwrap_or_default(),
                    bu.years.last().copied().unwrap_or_default()
                )),
                self.t(
                    &format!("is a saving ({} draws)", self.num.int(u.draws as f64)),
                    &format!("er en besparelse ({} træk)", self.num.int(u.draws as f64))
                ),
                self.num.pct(bu.p_net_saving)
            );
        }
        let mut notes = Vec::new();
        for r in &b.refusion {
            notes.push(format!(
                "{}: {} — {} {} ({})",
                esc(&r.applies_to),
                esc(&r.rule_name),
                self.t("state share", "statens andel"),
                self.num.pct(r.share),
                esc(&r.source)
            ));
        }
        for k in &b.keys {
            notes.push(format!(
                "{} → {}: {} {} ({} {})",
                esc(&department_name(self.run, self.lang, &k.from, &k.from)),
                esc(&department_name(self.run, self.lang, &k.to, &k.to)),
                self.num.pct(k.share),
                self.t(
                    "of the giving department's net gain",
                    "af den afgivende forvaltnings nettogevinst"
                ),
                self.t("moves", "flytter"),
                esc(&self.money(k.transfer_total))
            ));
        }
        for i in &b.indices {
            notes.push(format!(
                "{}: {} ({})",
                self.t("Index", "Indeks"),
                esc(&i.name),
                esc(&i.source)
            ));
        }
        if !notes.is_empty() {
            let _ = writeln!(
                h,
                "<ul class=\"note\"><li>{}</li></ul>",
                notes.join("</li><li>")
            );
        }
    }

    fn charts(&self, h: &mut String, charts: &[(String, Vec<u8>)]) {
        let _ = writeln!(h, "<h2>{}</h2>", self.t("Charts", "Figurer"));
        let mut shown = 0;
        for (name, en, da) in CHARTS {
            let file = format!("charts/{name}.png");
            if let Some((_, bytes)) = charts.iter().find(|(f, _)| *f == file) {
                let caption = self.t(en, da);
                let _ = writeln!(
                    h,
                    "<figure><img alt=\"{alt}\" src=\"data:image/png;base64,{data}\">\
                     <figcaption>{alt} <code>{file}</code></figcaption></figure>",
                    alt = esc(caption),
                    data = base64(bytes),
                );
                shown += 1;
            }
        }
        if shown == 0 {
            let _ = writeln!(
                h,
                "<p class=\"note\">{}</p>",
                self.t(
                    "The charts were not drawn in this run (--no-charts).",
                    "Figurerne blev ikke tegnet i denne kørsel (--no-charts)."
                )
            );
        }
    }

    /// The readable name of an input by field path.
    fn label(&self, path: &str) -> String {
        self.run.label(self.lang, path)
    }

    fn sensitivity(&self, h: &mut String) {
        let Some(s) = &self.run.summary.sensitivity else {
            return;
        };
        let _ = writeln!(
            h,
            "<h2>{}</h2>",
            self.t("What the result depends on", "Hvad resultatet afhænger af")
        );
        if !s.tornado.is_empty() {
            let _ = write!(
                h,
                "<p>{}</p>\n<div class=\"scroll\"><table>\n<thead><tr><th>{}</th>\
                 <th class=\"n\">{}</th><th class=\"n\">{}</th><th class=\"n\">{}</th>\
                 <th class=\"n\">{}</th><th class=\"n\">{}</th></tr></thead>\n<tbody>\n",
                self.t(
                    "The total NPV with one input at a time at its low and its high value, \
                     everything else at base values; the widest swing first.",
                    "Den samlede nettonutidsværdi med ét input ad gangen på sin lave og sin høje \
                     værdi og alt andet på basisværdier; det største udsving først."
                ),
                self.t("Input", "Input"),
                self.t("Low", "Lav"),
                self.t("High", "Høj"),
                self.t("NPV at low", "NNV ved lav"),
                self.t("NPV at high", "NNV ved høj"),
                self.t("Swing", "Udsving"),
            );
            for b in s.tornado.iter().take(12) {
                let _ = write!(
                    h,
                    "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>",
                    esc(&self.label(&b.input)),
                    self.num.value(crate::format::round_sig(b.low)),
                    self.num.value(crate::format::round_sig(b.high)),
                );
                h.push_str(&self.net_td(b.npv_low));
                h.push_str(&self.net_td(b.npv_high));
                h.push_str(&self.amount_td(b.swing));
                h.push_str("</tr>\n");
            }
            h.push_str("</tbody></table></div>\n");
        }
        if !s.switching_values.is_empty() {
            let _ = write!(
                h,
                "<h3>{}</h3>\n<p>{}</p>\n<div class=\"scroll\"><table>\n<thead><tr><th>{}</th>\
                 <th class=\"n\">{}</th><th class=\"n\">{}</th><th class=\"n\">{}</th></tr></thead>\n<tbody>\n",
                self.t("Switching values", "Skifteværdier"),
                self.t(
                    "The value of an input at which the total NPV is zero, everything else at \
                     base values.",
                    "Den værdi af et input, hvor den samlede nettonutidsværdi er nul, med alt \
                     andet på basisværdier."
                ),
                self.t("Input", "Input"),
                self.t("Base value", "Basisværdi"),
                self.t("Switching value", "Skifteværdi"),
                self.t("Change", "Ændring"),
            );
            for v in &s.switching_values {
                let (value, change) = match (v.value, v.relative_distance) {
                    (Some(x), rel) => (
                        self.num.value(crate::format::round_sig(x)),
                        rel.map_or_else(|| "–".into(), |r| self.num.pct(r)),
                    ),
                    (None, _) => (
                        self.t("none in the range searched", "ingen i det søgte interval")
                            .to_string(),
                        "–".into(),
                    ),
                };
                let _ = writeln!(
                    h,
                    "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                    esc(&self.label(&v.input)),
                    self.num.value(v.base),
                    value,
                    change
                );
            }
            h.push_str("</tbody></table></div>\n");
        }
        self.value_of_information(h);
    }

    /// EVPI and the inputs most worth knowing before deciding (EVPPI), from the draws.
    fn value_of_information(&self, h: &mut String) {
        let Some(v) = self
            .run
            .summary
            .uncertainty
            .as_ref()
            .and_then(|u| u.value_of_information.as_ref())
        else {
            return;
        };
        let _ = writeln!(
            h,
            "<h3>{}</h3>\n<p>{} <strong>{}</strong></p>\n<p>{}</p>",
            self.t(
                "What it is worth to know an input before deciding",
                "Hvad det er værd at kende et input, før der besluttes"
            ),
            self.t(
                "Expected value of perfect information (EVPI) for investing or not:",
                "Forventet værdi af fuld information (EVPI) for at investere eller ej:"
            ),
            self.money(v.evpi),
            self.t(
                "Below, the expected value of partial perfect information (EVPPI) of each \
                 input: what learning that input alone would be worth, estimated from the draws \
                 by regression (Strong, Oakley & Brennan 2014), with its Monte Carlo standard \
                 error.",
                "Nedenfor den forventede værdi af delvis fuld information (EVPPI) for hvert \
                 input: hvad det er værd at kende netop det input, estimeret fra trækkene ved \
                 regression (Strong, Oakley & Brennan 2014), med sin Monte Carlo-standardfejl."
            )
        );
        if let Some(note) = &v.note {
            let _ = writeln!(h, "<p class=\"note\">{}</p>", esc(note));
        }
        let shown: Vec<_> = v
            .inputs
            .iter()
            .filter(|e| e.value >= 0.5)
            .take(10)
            .collect();
        if shown.is_empty() && v.groups.is_empty() {
            return;
        }
        let _ = writeln!(
            h,
            "<div class=\"scroll\"><table>\n<thead><tr><th>{}</th><th class=\"n\">EVPPI</th>\
             <th class=\"n\">{}</th></tr></thead>\n<tbody>",
            self.t("Input", "Input"),
            self.t("Standard error", "Standardfejl"),
        );
        for e in shown {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                esc(&self.label(&e.input)),
                self.num.int(e.value),
                self.num.int(e.se)
            );
        }
        for g in &v.groups {
            let names: Vec<String> = g.inputs.iter().map(|i| self.label(i)).collect();
            let _ = writeln!(
                h,
                "<tr><td>{} <strong>{}</strong> ({})</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                self.t("Group", "Gruppe"),
                esc(&g.name),
                esc(&names.join("; ")),
                self.num.int(g.value),
                self.num.int(g.se)
            );
        }
        h.push_str("</tbody></table></div>\n");
    }

    fn assumptions(&self, h: &mut String) {
        let s = &self.run.summary;
        let _ =
            write!(
            h,
            "<h2>{}</h2>\n<p>{}</p>\n<div class=\"scroll\"><table>\n<thead><tr><th>{}</th>\
             <th class=\"n\">{}</th><th>{}</th><th>{}</th></tr></thead>\n<tbody>\n",
            self.t("Assumptions and their sources", "Forudsætninger og deres kilder"),
            self.t(
                "Every number the scenario rests on, with where it comes from. Catalogue prices \
                 are moved to the scenario's price year.",
                "Alle tal, scenariet hviler på, og hvor de kommer fra. Katalogpriser er \
                 fremskrevet til scenariets prisår."
            ),
            self.t("Input", "Input"),
            self.t("Value", "Værdi"),
            self.t("Uncertainty", "Usikkerhed"),
            self.t("Source", "Kilde"),
        );
        for (j, p) in s.inputs.iter().enumerate() {
            let label = self
                .run
                .labels(self.lang)
                .get(j)
                .cloned()
                .unwrap_or_else(|| p.name.clone());
            let dist = p
                .dist
                .as_ref()
                .map(|d| dist_text(self.num, d))
                .unwrap_or_else(|| self.t("fixed", "fast").to_string());
            let src = p
                .source
                .as_deref()
                .unwrap_or(self.t("not stated", "ikke angivet"));
            let _ = writeln!(
                h,
                "<tr><td>{}<br><code>{}</code></td><td class=\"n\">{}</td><td>{}</td><td>{}</td></tr>",
                esc(&label),
                esc(&p.name),
                self.num.value(p.value),
                esc(&dist),
                esc(src)
            );
        }
        h.push_str("</tbody></table></div>\n");
        let items: Vec<_> = self
            .run
            .model
            .items
            .iter()
            .filter(|i| i.catalogue_id.is_some() || i.source.is_some())
            .collect();
        if !items.is_empty() {
            let _ = write!(
                h,
                "<h3>{}</h3>\n<div class=\"scroll\"><table>\n<thead><tr><th>{}</th><th>{}</th>\
                 <th>{}</th></tr></thead>\n<tbody>\n",
                self.t("Ledger lines", "Linjer i regnskabet"),
                self.t("Line", "Linje"),
                self.t("Priced from", "Prissat fra"),
                self.t("Source", "Kilde"),
            );
            for i in items {
                let _ = writeln!(
                    h,
                    "<tr><td>{}</td><td><code>{}</code></td><td>{}</td></tr>",
                    esc(&i.name),
                    esc(i.catalogue_id.as_deref().unwrap_or("–")),
                    esc(i.source.as_deref().unwrap_or("–"))
                );
            }
            h.push_str("</tbody></table></div>\n");
        }
    }

    fn provenance(&self, h: &mut String) {
        let p = &self.run.summary.provenance;
        let c = &self.run.summary.conventions;
        let _ = writeln!(
            h,
            "<h2>{}</h2>\n<p>{}</p>",
            self.t("How this result was made", "Sådan er resultatet lavet"),
            self.t(
                "The same inputs and seed give the same numbers, byte for byte. The manifest.json \
                 beside this file lists every output with its SHA-256.",
                "De samme input og det samme seed giver de samme tal, byte for byte. \
                 manifest.json ved siden af denne fil oplister alle output med deres SHA-256."
            )
        );
        let seed = p.seed.map_or_else(
            || {
                self.t("none (deterministic)", "intet (deterministisk)")
                    .to_string()
            },
            |s| s.to_string(),
        );
        let _ = write!(
            h,
            "<div class=\"scroll\"><table>\n<tbody>\n\
             <tr><th>{}</th><td>som {}</td></tr>\n<tr><th>{}</th><td>{}</td></tr>\n\
             <tr><th>{}</th><td>{}</td></tr>\n<tr><th>{}</th><td>{}</td></tr>\n\
             <tr><th>{}</th><td>{}</td></tr>\n<tr><th>{}</th><td>{}</td></tr>\n",
            self.t("Version", "Version"),
            esc(p.som_version),
            self.t("Seed", "Seed"),
            seed,
            self.t("Monte Carlo draws", "Monte Carlo-træk"),
            self.num.int(p.draws as f64),
            self.t("Discount schedule", "Diskonteringssats"),
            esc(&format!("{} — {}", c.discount_schedule, c.discount_source)),
            self.t("Payback rule", "Tilbagebetalingsregel"),
            esc(c.payback_rule),
            self.t("Sign rule", "Fortegnsregel"),
            esc(c.sign_rule),
        );
        h.push_str("</tbody></table></div>\n");
        let _ = write!(
            h,
            "<h3>{}</h3>\n<div class=\"scroll\"><table>\n<thead><tr><th>{}</th><th>{}</th><th>SHA-256</th></tr></thead>\n<tbody>\n",
            self.t("Inputs", "Input"),
            self.t("Role", "Rolle"),
            self.t("File", "Fil"),
        );
        for i in &p.inputs {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td><code>{}</code></td><td><code>{}</code></td></tr>",
                esc(&i.role),
                esc(&i.path),
                esc(&i.sha256)
            );
        }
        h.push_str("</tbody></table></div>\n");
    }
}
