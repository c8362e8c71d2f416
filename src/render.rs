//! Rendering for the terminal: the readable summary and error diagnostics with a snippet.

use engine::metrics::{GroupResult, Metrics, PaybackStatus};
use std::fmt::Write;

/// A number with thousands separators and no decimals.
pub fn thousands(v: f64) -> String {
    let neg = v < 0.0;
    let r = v.abs().round() as u128;
    let digits = r.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if neg && r != 0 {
        format!("-{out}")
    } else {
        out
    }
}

fn opt(v: Option<f64>, digits: usize) -> String {
    v.map(|x| format!("{x:.digits$}"))
        .unwrap_or_else(|| "–".into())
}

fn payback(m: &Metrics) -> String {
    match (m.payback_status, m.payback_year, m.payback_calendar_year) {
        (PaybackStatus::PaysBack, Some(y), Some(c)) => format!("{c} (year {y})"),
        (PaybackStatus::NoNetInvestment, ..) => "no net investment".into(),
        _ => "not within horizon".into(),
    }
}

/// A row of the results table; `ratios` whether the BCR and ROI belong to the scenario's form.
fn row(out: &mut String, label: &str, m: &Metrics, ratios: bool) {
    let _ = write!(
        out,
        "  {:<34} {:>14} {:>14} {:>14}",
        truncate(label, 34),
        thousands(m.cost_pv),
        thousands(m.benefit_pv),
        thousands(m.npv),
    );
    if ratios {
        let _ = write!(out, " {:>7} {:>7}", opt(m.bcr, 2), opt(m.roi, 2));
    }
    let _ = writeln!(out, "  {}", payback(m));
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}

fn table(out: &mut String, title: &str, groups: &[GroupResult], ratios: bool) {
    let _ = writeln!(out, "{title}");
    for g in groups {
        let label = if g.public {
            g.name.clone()
        } else {
            format!("{} (not in total)", g.name)
        };
        row(out, &label, &g.metrics, ratios);
    }
}

/// The readable name of the input at field path `path` (its scenario line's name), else the path.
fn label(run: &engine::Run, path: &str) -> String {
    run.model
        .params
        .iter()
        .position(|p| p.name == path)
        .and_then(|j| run.input_labels.get(j).cloned())
        .unwrap_or_else(|| path.to_string())
}

/// Inputs shown in the terminal's value-of-information lines (all are in summary.json).
const EVPPI_SHOWN: usize = 5;

/// What knowing each input before deciding is worth (EVPPI), the largest first.
fn value_of_information(
    out: &mut String,
    v: &engine::uncertainty::ValueOfInformation,
    run: &engine::Run,
) {
    let _ = writeln!(
        out,
        "\nValue of knowing an input before deciding to invest (EVPPI; EVPI {}):",
        thousands(v.evpi)
    );
    if let Some(note) = &v.note {
        let _ = writeln!(out, "  {note}");
    }
    let worth: Vec<_> = v.inputs.iter().filter(|e| e.value >= 0.5).collect();
    if worth.is_empty() && v.note.is_none() {
        let _ = writeln!(out, "  no single input is worth knowing first");
    }
    for e in worth.iter().take(EVPPI_SHOWN) {
        let _ = writeln!(
            out,
            "  {:<44} {:>14} (± {})",
            truncate(&label(run, &e.input), 44),
            thousands(e.value),
            thousands(e.se)
        );
    }
    if worth.len() > EVPPI_SHOWN {
        let _ = writeln!(
            out,
            "  … and {} more in summary.json",
            worth.len() - EVPPI_SHOWN
        );
    }
    if let Some(p) = &v.population {
        let top = p
            .inputs
            .iter()
            .find(|e| e.value >= 0.5)
            .map(|e| {
                format!(
                    "; most of all {} {}",
                    label(run, &e.input),
                    thousands(e.value)
                )
            })
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  over the population the decision covers ({} a year for {} years): EVPI {}{top}",
            value(p.per_year),
            p.years,
            thousands(p.evpi)
        );
    }
    for g in &v.groups {
        let _ = writeln!(
            out,
            "  {:<44} {:>14} (± {})",
            truncate(&format!("group {} ({} inputs)", g.name, g.inputs.len()), 44),
            thousands(g.value),
            thousands(g.se)
        );
    }
}

/// The readable summary of a run.
pub fn summary(run: &engine::Run) -> String {
    let s = &run.summary;
    let r = &s.results;
    let c = &s.conventions;
    let mut out = String::new();
    // The success-rate form's ratios; a [states] model shows its outcomes per arm below.
    let ratios = s.scenario.form == engine::model::Form::SuccessRate;
    let _ = writeln!(out, "{}", s.scenario.name);
    let outcomes = if ratios {
        format!(", {:.1} net additional outcomes", r.net_outcomes)
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "  {} participant{}{outcomes}; {}–{} in {} p/l, {}",
        thousands(r.participants),
        if r.participants == 1.0 { "" } else { "s" },
        s.scenario.first_year,
        s.scenario.last_year,
        c.price_year,
        s.scenario.currency
    );
    let _ = writeln!(
        out,
        "  discounting: {} (timing {}, year 0 {})\n",
        c.discount_schedule,
        serde_json::to_value(c.timing)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        if c.year0_discounted {
            "discounted"
        } else {
            "undiscounted"
        }
    );
    for w in &s.warnings {
        let _ = writeln!(out, "warning: {w}\n");
    }
    let _ = write!(
        out,
        "  {:<34} {:>14} {:>14} {:>14}",
        "", "cost PV", "benefit PV", "NPV"
    );
    if ratios {
        let _ = write!(out, " {:>7} {:>7}", "BCR", "ROI");
    }
    let _ = writeln!(out, "  payback");
    row(&mut out, "Total (public sector)", &r.total.metrics, ratios);
    table(&mut out, "By actor", &r.by_actor, ratios);
    table(&mut out, "By department", &r.by_department, ratios);
    let per = r
        .net_per_participant
        .map(thousands)
        .unwrap_or_else(|| "–".into());
    if ratios {
        let _ = writeln!(
            out,
            "\n  net result per participant: {per}; cost per successful outcome: {}",
            r.cost_per_outcome
                .map(thousands)
                .unwrap_or_else(|| "–".into())
        );
    } else {
        let _ = writeln!(out, "\n  net result per participant: {per}");
    }
    if let Some(u) = &s.uncertainty {
        let f = |x: Option<f64>| x.map(thousands).unwrap_or_else(|| "–".into());
        let t = &u.total;
        let _ = writeln!(
            out,
            "\nMonte Carlo: {} draws (seed {}), {} uncertain inputs",
            thousands(u.draws as f64),
            u.seed,
            u.uncertain_inputs.len()
        );
        let _ = writeln!(
            out,
            "  NPV mean {}, median {}, {:.0}–{:.0} % interval {} to {}",
            f(t.npv.mean),
            f(t.npv.median),
            100.0 * u.interval.0,
            100.0 * u.interval.1,
            f(t.npv.low),
            f(t.npv.high)
        );
        let _ = writeln!(
            out,
            "  P(NPV > 0) = {:.1} %; P(payback within {} years) = {:.1} %; EVPI {}",
            100.0 * t.p_npv_positive,
            u.payback_within_years,
            100.0 * t.p_payback_within,
            thousands(u.evpi)
        );
        for g in &u.by_department {
            let _ = writeln!(
                out,
                "  {:<18} NPV {} ({} to {}), P(NPV > 0) = {:.1} %",
                g.id,
                f(g.npv.mean),
                f(g.npv.low),
                f(g.npv.high),
                100.0 * g.p_npv_positive
            );
        }
        if let Some(v) = &u.value_of_information {
            value_of_information(&mut out, v, run);
        }
    }
    if let Some(sens) = &s.sensitivity {
        sensitivity(&mut out, sens, run);
    }
    let w = &r.who_pays_who_gains;
    if !w.investing.is_empty() && !w.gaining.is_empty() {
        let _ = writeln!(out, "\nWho pays (rows) and who gains (columns), PV:");
        let _ = write!(out, "  {:<20}", "");
        for g in &w.gaining {
            let _ = write!(out, " {:>14}", truncate(g, 14));
        }
        let _ = writeln!(out);
        for (i, inv) in w.investing.iter().enumerate() {
            let _ = write!(
                out,
                "  {:<20}",
                truncate(
                    &format!("{inv} ({:.0} %)", 100.0 * w.investing_share[i]),
                    20
                )
            );
            for v in &w.matrix[i] {
                let _ = write!(out, " {:>14}", thousands(*v));
            }
            let _ = writeln!(out);
        }
    }
    if let Some(b) = &s.budget {
        budget(&mut out, b, s.uncertainty.as_ref());
    }
    if let Some(m) = &s.markov {
        markov(&mut out, m, &s.scenario.currency, run);
    }
    out
}

/// The budget view: the municipality's net by department and budget year (after the keys,
/// where there are any), and the total's gross, refusion and net; after draws, the total net's
/// interval and the probability of a net saving over the budget years.
fn budget(
    out: &mut String,
    b: &engine::budget::BudgetView,
    u: Option<&engine::uncertainty::Uncertainty>,
) {
    let keys = !b.keys.is_empty();
    let _ = writeln!(
        out,
        "\nBudget view ({}, {}; expenditure +, saving −; net after refusion{}):",
        b.municipality,
        b.price_level,
        if keys { " and distribution keys" } else { "" }
    );
    let _ = write!(out, "  {:<24}", "");
    for y in &b.years {
        let _ = write!(out, " {:>12}", y);
    }
    let _ = writeln!(out, " {:>12}", "sum");
    let line = |out: &mut String, label: &str, v: &mut dyn Iterator<Item = f64>, sum: f64| {
        let _ = write!(out, "  {:<24}", truncate(label, 24));
        for x in v {
            let _ = write!(out, " {:>12}", thousands(x));
        }
        let _ = writeln!(out, " {:>12}", thousands(sum));
    };
    for d in &b.departments {
        let v = &mut d.years.iter().map(|y| y.amounts.net_after_keys);
        line(out, &d.name, v, d.sum.net_after_keys);
    }
    let t = &b.total;
    let v = &mut t.years.iter().map(|y| y.amounts.gross);
    line(out, "Total: gross", v, t.sum.gross);
    let v = &mut t.years.iter().map(|y| y.amounts.refusion);
    line(out, "       refusion", v, t.sum.refusion);
    let v = &mut t.years.iter().map(|y| y.amounts.net);
    line(out, "       net", v, t.sum.net);
    let Some((u, bu)) = u.and_then(|u| Some((u, u.budget.as_ref()?))) else {
        return;
    };
    let f = |x: Option<f64>| x.map(thousands).unwrap_or_else(|| "–".into());
    type Pick = fn(&engine::stats::Stat) -> Option<f64>;
    let picks: [(f64, Pick); 2] = [(u.interval.0, |s| s.low), (u.interval.1, |s| s.high)];
    for (q, pick) in picks {
        let _ = write!(out, "  {:<24}", format!("       net, {:.0} %", 100.0 * q));
        for st in bu.total.years.iter().chain(std::iter::once(&bu.total.sum)) {
            let _ = write!(out, " {:>12}", f(pick(st)));
        }
        let _ = writeln!(out);
    }
    let _ = writeln!(
        out,
        "  P(net saving over {}–{}) = {:.1} % of {} draws",
        bu.years.first().copied().unwrap_or_default(),
        bu.years.last().copied().unwrap_or_default(),
        100.0 * bu.p_net_saving,
        thousands(u.draws as f64)
    );
}

/// A number as people write an input: thousands separators from 1,000 on, else up to four
/// significant decimals.
fn value(v: f64) -> String {
    if v.abs() >= 1000.0 {
        thousands(v)
    } else if v != 0.0 && v.abs() < 1e-3 {
        format!("{v:.2e}")
    } else {
        let s = format!("{v:.4}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        if s == "-0" { "0".into() } else { s.to_string() }
    }
}

/// Bars of the tornado shown; summary.json has them all.
const TORNADO_SHOWN: usize = 10;

fn sensitivity(out: &mut String, s: &engine::sensitivity::Sensitivity, run: &engine::Run) {
    use engine::sensitivity::RangeFrom;
    if !s.tornado.is_empty() {
        let _ = writeln!(
            out,
            "\nOne-way sensitivity (total NPV, base {}; uncertain inputs at their {:.0} % and \
             {:.0} % quantiles, others at base):",
            thousands(s.base_npv),
            100.0 * s.interval.0,
            100.0 * s.interval.1
        );
        let _ = writeln!(
            out,
            "  {:<44} {:>12} {:>12} {:>14} {:>14}",
            "input", "low", "high", "NPV at low", "NPV at high"
        );
        for b in s.tornado.iter().take(TORNADO_SHOWN) {
            let mark = match b.range_from {
                RangeFrom::Given => " *",
                RangeFrom::Quantiles => "",
            };
            let _ = writeln!(
                out,
                "  {:<44} {:>12} {:>12} {:>14} {:>14}",
                truncate(&format!("{}{mark}", label(run, &b.input)), 44),
                value(b.low),
                value(b.high),
                thousands(b.npv_low),
                thousands(b.npv_high)
            );
        }
        if s.tornado.len() > TORNADO_SHOWN {
            let _ = writeln!(
                out,
                "  … and {} more in summary.json",
                s.tornado.len() - TORNADO_SHOWN
            );
        }
        if s.tornado.iter().any(|b| b.range_from == RangeFrom::Given) {
            let _ = writeln!(out, "  * range given in [sensitivity]");
        }
    }
    if !s.switching_values.is_empty() {
        let _ = writeln!(
            out,
            "\nSwitching values (total NPV = 0, other inputs at base):"
        );
        for v in &s.switching_values {
            let line = match (v.value, v.distance) {
                (Some(x), Some(d)) => format!(
                    "{} (base {}; {}{}{})",
                    value(x),
                    value(v.base),
                    if d >= 0.0 { "+" } else { "" },
                    value(d),
                    v.relative_distance
                        .map(|r| format!(", {:+.1} %", 100.0 * r))
                        .unwrap_or_default()
                ),
                _ => format!(
                    "none in [{}, {}] (base {}; NPV from {} to {})",
                    value(v.searched.0),
                    value(v.searched.1),
                    value(v.base),
                    thousands(v.npv_at_ends.0),
                    thousands(v.npv_at_ends.1)
                ),
            };
            let _ = writeln!(out, "  {:<38} {line}", truncate(&v.input, 38));
        }
    }
    for t in &s.two_way {
        two_way(out, t, run);
    }
}

/// A two-way grid in a few lines: its span of NPV and, along the first input, the value of the
/// second at which the total NPV is 0.
fn two_way(out: &mut String, t: &engine::sensitivity::TwoWay, run: &engine::Run) {
    let all = t.npv.iter().flatten();
    let (lo, hi) = all.fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| {
        (l.min(v), h.max(v))
    });
    let _ = writeln!(
        out,
        "\nTwo-way sensitivity: {} × {} ({} × {} points), total NPV {} to {}",
        label(run, &t.inputs[0]),
        label(run, &t.inputs[1]),
        t.x.len(),
        t.y.len(),
        thousands(lo),
        thousands(hi)
    );
    let _ = writeln!(
        out,
        "  {:>14}  {} where the total NPV is 0",
        t.inputs[0], t.inputs[1]
    );
    let step = (t.x.len() / 5).max(1);
    for (i, x) in t.x.iter().enumerate().step_by(step) {
        let at = t.threshold[i].map_or_else(|| "none in the range".to_string(), value);
        let _ = writeln!(out, "  {:>14}  {at}", value(*x));
    }
}

/// The state-transition section: per-arm costs and outcomes, and the comparison.
fn markov(
    out: &mut String,
    m: &engine::markov::results::MarkovReport,
    currency: &str,
    run: &engine::Run,
) {
    let _ = writeln!(
        out,
        "\nState-transition cohorts ({} states, {} cycles of a {}; transitions at the {} of a \
         cycle, correction {}):",
        m.states.len(),
        m.conventions.cycles,
        m.conventions.cycle,
        m.conventions.transitions,
        m.conventions.correction
    );
    for a in &m.arms {
        let outcomes: Vec<String> = a
            .outcomes
            .iter()
            .map(|o| format!("{:.3} {}", o.discounted, o.name))
            .collect();
        let _ = writeln!(
            out,
            "  {:<13} cost PV {:>14} {currency}; {}",
            a.arm,
            thousands(a.cost_pv),
            outcomes.join(", ")
        );
    }
    for c in &m.comparisons {
        let _ = writeln!(out, "  {}", c.statement);
    }
    for u in &m.uncertainty {
        let mid = u.acceptability.len() / 2;
        if let Some(p) = u.acceptability.get(mid) {
            let _ = writeln!(
                out,
                "  P(worth it at {} {currency} per unit of {}) = {:.1} %; P(dominates) = {:.1} %",
                thousands(p.value),
                u.outcome,
                100.0 * p.probability,
                100.0 * u.p_dominates
            );
            let worth: Vec<String> = u
                .evppi
                .iter()
                .filter(|e| e.values.get(mid).is_some_and(|v| *v >= 0.5))
                .take(3)
                .map(|e| format!("{} {}", label(run, &e.input), thousands(e.values[mid])))
                .collect();
            if !worth.is_empty() {
                let _ = writeln!(
                    out,
                    "    worth knowing first there (EVPPI): {}",
                    worth.join("; ")
                );
            }
        }
    }
}

/// One line per run, for the demo.
pub fn overview(rows: &[(String, std::path::PathBuf, engine::Run)]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<44} {:>14} {:>14} {:>7}  payback",
        "bundled model", "cost PV", "NPV", "BCR"
    );
    for (stem, _, run) in rows {
        let m = &run.summary.results.total.metrics;
        let _ = writeln!(
            out,
            "{:<44} {:>14} {:>14} {:>7}  {}",
            truncate(stem, 44),
            thousands(m.cost_pv),
            thousands(m.npv),
            opt(m.bcr, 2),
            payback(m)
        );
    }
    out
}

/// Print an error with, for each diagnostic, the offending line of the file.
pub fn error(e: &engine::Error) {
    let diags = e.diagnostics();
    if diags.is_empty() {
        eprintln!("error: {e}");
        return;
    }
    let n = diags.len();
    for d in diags {
        eprintln!("error: {d}");
        if let Some(line) = d.line
            && !d.file.starts_with("builtin:")
            && let Ok(src) = engine::files::read_source(std::path::Path::new(&d.file))
            && let Some(l) = src.text.lines().nth(line - 1)
        {
            let num = line.to_string();
            eprintln!("  {:>w$} |", "", w = num.len());
            eprintln!("  {num} | {l}");
            if let Some(col) = d.column {
                eprintln!(
                    "  {:>w$} | {}^",
                    "",
                    " ".repeat(col.saturating_sub(1)),
                    w = num.len()
                );
            }
        }
    }
    if n > 1 {
        eprintln!("{n} problems found; nothing was written.");
    } else {
        eprintln!("nothing was written.");
    }
}

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(1234567.4), "1,234,567");
        assert_eq!(thousands(-165000.0), "-165,000");
        assert_eq!(thousands(0.2), "0");
        assert_eq!(thousands(-0.2), "0");
    }
}
