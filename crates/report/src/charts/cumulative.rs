//! (b) Cumulative net present value by department and in total, with the break-even point of
//! the total and, after Monte Carlo, the 5–95 % band of the total's cumulative net by year.
//!
//! The cumulative value of year t is drawn at the end of that year (x = t + 1, from x = 0 at
//! zero), so that the break-even point sits at `payback_years`, interpolated as the payback rule
//! does; each calendar year's label stands in the middle of its span, between the ticks that
//! mark its start and end.

use super::style::*;
use super::{
    Chart, amounts, department_index, department_name, not_public_note, year_label, year_ticks,
};
use plotters::coord::Shift;
use plotters::prelude::*;
use som_core::metrics::{GroupResult, PaybackStatus};
use som_core::summary::Run;

pub struct Cumulative<'a> {
    pub run: &'a Run,
    pub fmt: Fmt,
}

const LEGEND_W: u32 = 270;

fn path(g: &GroupResult, div: f64) -> Vec<(f64, f64)> {
    std::iter::once((0.0, 0.0))
        .chain(
            g.years
                .iter()
                .map(|y| (y.year as f64 + 1.0, y.cumulative_net_pv / div)),
        )
        .collect()
}

impl Chart for Cumulative<'_> {
    fn name(&self) -> &'static str {
        "cumulative_net_pv"
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn<DB> {
        let run = self.run;
        let f = self.fmt;
        let s = &run.summary;
        let r = &s.results;
        let h = r.total.years.len();
        let mut deps: Vec<&GroupResult> = r
            .by_department
            .iter()
            .filter(|g| g.public && g.years.iter().any(|y| y.net != 0.0))
            .collect();
        // One department is the whole total: its line would lie under the total's.
        let only = (deps.len() == 1).then(|| department_name(run, f, &deps[0].id));
        if only.is_some() {
            deps.clear();
        }
        let band = s
            .uncertainty
            .as_ref()
            .map(|u| &u.total_cumulative_net_pv)
            .filter(|b| b.len() == h);
        let mut lo = 0f64;
        let mut hi = 0f64;
        for g in deps.iter().copied().chain(std::iter::once(&r.total)) {
            for y in &g.years {
                lo = lo.min(y.cumulative_net_pv);
                hi = hi.max(y.cumulative_net_pv);
            }
        }
        for y in band.into_iter().flatten() {
            lo = lo.min(y.stat.low.unwrap_or(0.0));
            hi = hi.max(y.stat.high.unwrap_or(0.0));
        }
        let unit = Unit::for_max(hi.max(-lo), &s.scenario.currency, f);
        let (lo, hi) = (lo / unit.div, hi / unit.div);
        let pad = (hi - lo).max(1e-9) * 0.06;
        let y_range = (lo - pad)..(hi + pad);

        let mut notes = vec![match f.lang {
            Lang::Da => format!(
                "Netto = gevinster − omkostninger, diskonteret ({}) og lagt sammen til udgangen af \
                 hvert år. Tilbagebetaling: hvor totalens akkumulerede netto bliver og forbliver \
                 nul eller derover.",
                s.conventions.discount_schedule
            ),
            Lang::En => format!(
                "Net = gains − costs, discounted ({}) and added up to the end of each year. \
                 Break-even: where the total's cumulative net turns and stays at or above zero.",
                s.conventions.discount_schedule
            ),
        }];
        if let Some(u) = &s.uncertainty {
            let (lo, hi, n, p) = (
                f.group(u.interval.0 * 100.0, 0),
                f.group(u.interval.1 * 100.0, 0),
                f.group(u.draws as f64, 0),
                f.percent(u.total.p_payback_within),
            );
            let (seed, k) = (u.seed, u.payback_within_years);
            notes.push(match f.lang {
                Lang::Da => format!(
                    "Bånd: {lo}–{hi} % af {n} træk (seed {seed}). P(tilbagebetalt inden for {k} \
                     år) = {p}."
                ),
                Lang::En => format!(
                    "Band: {lo}–{hi} % of {n} draws (seed {seed}). P(break-even within {k} years) \
                     = {p}."
                ),
            });
        }
        notes.extend(not_public_note(run, f));
        let area = frame(
            root,
            f.t(
                "Cumulative net present value and break-even",
                "Akkumuleret nettonutidsværdi og tilbagebetaling",
            ),
            &s.scenario.name,
            &notes,
        )?;
        let (plot, side) = area.split_horizontally(area.dim_in_pixel().0 - LEGEND_W);

        let first = s.scenario.first_year;
        let x_fmt = |v: &f64| {
            if *v > h as f64 - 0.5 {
                String::new()
            } else {
                year_label(first, *v, 0.0)
            }
        };
        let y_fmt = |v: &f64| f.tick(*v);
        let mut chart = ChartBuilder::on(&plot)
            .margin_top(12)
            .margin_right(16)
            .x_label_area_size(52)
            .y_label_area_size(96)
            .build_cartesian_2d(0.0..h as f64, y_range.clone())?;
        let year_w = chart.backend_coord(&(1.0, 0.0)).0 - chart.backend_coord(&(0.0, 0.0)).0;
        chart
            .configure_mesh()
            .light_line_style(TRANSPARENT)
            .bold_line_style(GRID)
            .axis_style(MUTED)
            .x_labels(year_ticks(h))
            .y_labels(12)
            .x_label_formatter(&x_fmt)
            .x_label_offset(year_w / 2)
            .y_label_formatter(&y_fmt)
            .label_style(text(SMALL, &INK, CENTER))
            .axis_desc_style(text(SMALL, &INK, CENTER))
            .x_desc(f.t(
                "Year (the cumulative value is marked at the end of each year)",
                "År (den akkumulerede værdi er markeret ved udgangen af hvert år)",
            ))
            .y_desc(format!(
                "{}, {}",
                f.t(
                    "Cumulative net present value",
                    "Akkumuleret nettonutidsværdi"
                ),
                amounts(run, &unit)
            ))
            .draw()?;

        let band_colour = TOTAL.mix(0.13);
        if let Some(b) = band {
            let mut poly: Vec<(f64, f64)> = vec![(0.0, 0.0)];
            poly.extend(
                b.iter()
                    .map(|y| (y.year as f64 + 1.0, y.stat.low.unwrap_or(0.0) / unit.div)),
            );
            poly.extend(
                b.iter()
                    .rev()
                    .map(|y| (y.year as f64 + 1.0, y.stat.high.unwrap_or(0.0) / unit.div)),
            );
            chart.draw_series(std::iter::once(Polygon::new(poly, band_colour.filled())))?;
        }
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(0.0, 0.0), (h as f64, 0.0)],
            INK.stroke_width(1),
        )))?;
        for g in &deps {
            let c = department_colour(department_index(run, &g.id));
            chart.draw_series(LineSeries::new(path(g, unit.div), c.stroke_width(3)))?;
        }
        let total = path(&r.total, unit.div);
        chart.draw_series(LineSeries::new(total.clone(), TOTAL.stroke_width(4)))?;
        chart.draw_series(
            total
                .iter()
                .skip(1)
                .map(|&p| Circle::new(p, 4, TOTAL.filled())),
        )?;

        // The break-even point, or why there is none.
        let m = &r.total.metrics;
        let (px, _) = plot.get_pixel_range();
        let (px0, px1) = (px.start, px.end);
        match (m.payback_status, m.payback_years) {
            (PaybackStatus::PaysBack, Some(p)) => {
                let top = chart.backend_coord(&(p, y_range.end));
                let bottom = chart.backend_coord(&(p, y_range.start));
                dashed(root, top, bottom, INK.stroke_width(1))?;
                chart.draw_series(std::iter::once(Circle::new((p, 0.0), 8, WHITE.filled())))?;
                chart.draw_series(std::iter::once(Circle::new(
                    (p, 0.0),
                    8,
                    TOTAL.stroke_width(3),
                )))?;
                let (years, year) = (f.group(p, 1), m.payback_calendar_year.unwrap_or(first));
                let label = match f.lang {
                    Lang::Da => format!("Tilbagebetalt efter {years} år, i {year}"),
                    Lang::En => format!("Break-even after {years} years, in {year}"),
                };
                let style = text(SMALL, &INK, LEFT_TOP);
                let w = root.estimate_text_size(&label, &style)?.0 as i32;
                let x = if top.0 + 10 + w < px1 - 16 {
                    top.0 + 10
                } else {
                    top.0 - 10 - w
                };
                root.draw_text(&label, &style, (x.max(px0), top.1 + 4))?;
            }
            (status, _) => {
                let last = s.scenario.last_year;
                let label = match (status == PaybackStatus::NoNetInvestment, f.lang) {
                    (true, Lang::En) => {
                        "No net investment: the cumulative net is never below zero".to_string()
                    }
                    (true, Lang::Da) => {
                        "Ingen nettoinvestering: det akkumulerede netto er aldrig under nul"
                            .to_string()
                    }
                    (false, Lang::En) => format!("No break-even by the end of {last}"),
                    (false, Lang::Da) => format!("Ikke tilbagebetalt ved udgangen af {last}"),
                };
                let at = chart.backend_coord(&(0.0, y_range.end));
                root.draw_text(&label, &text(SMALL, &INK, LEFT_TOP), (at.0 + 110, at.1 + 4))?;
            }
        }

        let mut entries: Vec<(String, Mark)> = deps
            .iter()
            .map(|g| {
                (
                    department_name(run, f, &g.id),
                    Mark::Line(department_colour(department_index(run, &g.id)), 3, false),
                )
            })
            .collect();
        let total = f.t("Total, public sector", "I alt, offentlig sektor");
        let total_label = match &only {
            Some(name) => format!("{total} = {name}"),
            None => total.into(),
        };
        entries.push((total_label, Mark::Line(TOTAL, 4, false)));
        if let (Some(_), Some(u)) = (band, &s.uncertainty) {
            entries.push((
                format!(
                    "{}: {}–{} % {}",
                    f.t("Total", "I alt"),
                    f.group(u.interval.0 * 100.0, 0),
                    f.group(u.interval.1 * 100.0, 0),
                    f.t("of draws", "af trækkene")
                ),
                Mark::Band(band_colour),
            ));
        }
        legend(&side, (8, 16), LEGEND_W - 16, &entries)?;
        Ok(())
    }
}
