//! (a) Costs and gains by year, stacked by department: gains above zero, costs below, the
//! public sector's net as a line. Undiscounted, in price-year prices, as a budget reads them.

use super::style::*;
use super::{
    Chart, amounts, department_index, department_name, not_public_note, year_label, year_ticks,
};
use plotters::coord::Shift;
use plotters::prelude::*;
use som_core::metrics::GroupResult;
use som_core::summary::Run;

pub struct Flows<'a> {
    pub run: &'a Run,
    pub fmt: Fmt,
}

/// A department's year split by side of the axis: (gains and negative costs, costs and
/// negative gains), so that each department has one bar segment on each side.
fn sides(g: &GroupResult, t: usize) -> (f64, f64) {
    let (b, c) = (g.years[t].benefit, -g.years[t].cost);
    (b.max(0.0) + c.max(0.0), b.min(0.0) + c.min(0.0))
}

/// Width of the legend column.
const LEGEND_W: u32 = 270;

impl Chart for Flows<'_> {
    fn name(&self) -> &'static str {
        "costs_and_gains_by_year"
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn<DB> {
        let run = self.run;
        let f = self.fmt;
        let s = &run.summary;
        let r = &s.results;
        let h = r.total.years.len();
        let deps: Vec<&GroupResult> = r
            .by_department
            .iter()
            .filter(|g| g.public && g.years.iter().any(|y| y.cost != 0.0 || y.benefit != 0.0))
            .collect();
        // Stack extents per year: positive parts up from zero, negative parts down.
        let mut top = 0f64;
        let mut bottom = 0f64;
        for t in 0..h {
            let (mut up, mut down) = (0.0, 0.0);
            for g in &deps {
                let (u, d) = sides(g, t);
                up += u;
                down += d;
            }
            top = top.max(up).max(r.total.years[t].net);
            bottom = bottom.min(down).min(r.total.years[t].net);
        }
        let unit = Unit::for_max(top.max(-bottom), &s.scenario.currency, f);
        let (top, bottom) = (top / unit.div, bottom / unit.div);
        let pad = (top - bottom).max(1e-9) * 0.06;
        let y_range = (bottom - if bottom < 0.0 { pad } else { 0.0 })
            ..(top + if top > 0.0 { pad } else { 0.0 }).max(bottom + 1e-9);

        let mut notes = vec![
            f.t(
                "Undiscounted. Above zero: savings in a department's expenditure; below zero: the \
                 intervention's costs net of the services it replaces, and any extra expenditure \
                 it causes. The line is the public sector's net gain of the year.",
                "Ikke diskonteret. Over nul: besparelser i en forvaltnings udgifter; under nul: \
                 indsatsens omkostninger fratrukket de ydelser, den erstatter, og eventuelle \
                 merudgifter, den giver. Linjen er den offentlige sektors nettogevinst i året.",
            )
            .to_string(),
        ];
        notes.extend(not_public_note(run, f));
        let area = frame(
            root,
            f.t(
                "Costs and gains by year and department",
                "Omkostninger og gevinster pr. år og forvaltning",
            ),
            &s.scenario.name,
            &notes,
        )?;
        let (plot, side) = area.split_horizontally(area.dim_in_pixel().0 - LEGEND_W);

        let first = s.scenario.first_year;
        let x_fmt = |v: &f64| year_label(first, *v, 0.0);
        let y_fmt = |v: &f64| f.tick(*v);
        let mut chart = ChartBuilder::on(&plot)
            .margin_top(12)
            .margin_right(12)
            .x_label_area_size(40)
            .y_label_area_size(96)
            .build_cartesian_2d(-0.5..(h as f64 - 0.5), y_range)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .light_line_style(TRANSPARENT)
            .bold_line_style(GRID)
            .axis_style(MUTED)
            .x_labels(year_ticks(h))
            .y_labels(12)
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .label_style(text(SMALL, &INK, CENTER))
            .axis_desc_style(text(SMALL, &INK, CENTER))
            .y_desc(amounts(run, &unit))
            .draw()?;

        let half = 0.36;
        for t in 0..h {
            let x = t as f64;
            let (mut up, mut down) = (0.0, 0.0);
            for g in &deps {
                let colour = department_colour(department_index(run, &g.id));
                let (u, d) = sides(g, t);
                for v in [u / unit.div, d / unit.div] {
                    let (y0, y1) = if v > 0.0 {
                        up += v;
                        (up - v, up)
                    } else if v < 0.0 {
                        down += v;
                        (down - v, down)
                    } else {
                        continue;
                    };
                    chart.draw_series(std::iter::once(Rectangle::new(
                        [(x - half, y0), (x + half, y1)],
                        colour.filled(),
                    )))?;
                    chart.draw_series(std::iter::once(Rectangle::new(
                        [(x - half, y0), (x + half, y1)],
                        WHITE.stroke_width(1),
                    )))?;
                }
            }
        }
        // Zero line, then the net.
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(-0.5, 0.0), (h as f64 - 0.5, 0.0)],
            INK.stroke_width(1),
        )))?;
        let net: Vec<(f64, f64)> = r
            .total
            .years
            .iter()
            .map(|y| (y.year as f64, y.net / unit.div))
            .collect();
        chart.draw_series(LineSeries::new(net.clone(), TOTAL.stroke_width(2)))?;
        chart.draw_series(net.iter().map(|&p| Circle::new(p, 4, TOTAL.filled())))?;

        let mut entries: Vec<(String, Mark)> = deps
            .iter()
            .map(|g| {
                (
                    department_name(run, f, &g.id),
                    Mark::Box(department_colour(department_index(run, &g.id))),
                )
            })
            .collect();
        entries.push((
            f.t("Net gain, public sector", "Nettogevinst, offentlig sektor")
                .into(),
            Mark::Line(TOTAL, 2, false),
        ));
        legend(&side, (8, 16), LEGEND_W - 16, &entries)?;
        Ok(())
    }
}
