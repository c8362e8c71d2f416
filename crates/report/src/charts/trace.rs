//! (f) The state-occupancy trace of a state-transition scenario: the share of a cohort in each
//! state at each trace point, intervention arm solid, baseline dashed, one colour a state.

use super::Chart;
use super::style::*;
use plotters::coord::Shift;
use plotters::prelude::*;
use som_core::summary::Run;

pub struct Trace<'a> {
    pub run: &'a Run,
    pub fmt: Fmt,
}

const LEGEND_W: u32 = 270;

impl Chart for Trace<'_> {
    fn name(&self) -> &'static str {
        "markov_trace"
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn<DB> {
        let s = &self.run.summary;
        let f = self.fmt;
        let Some(m) = &s.markov else {
            return Ok(());
        };
        let points = m.trace.first().map_or(0, Vec::len);
        let c = &m.conventions;
        let notes = vec![format!(
            "{} ({} {}; {} {}; {} {}).",
            f.t(
                "Share of a cohort in each state by cycle since entry: m₀ is the initial \
                 distribution, m_k+1 = m_k·P_k. Intervention solid, baseline dashed",
                "Andel af en kohorte i hver tilstand pr. cyklus siden start: m₀ er \
                 startfordelingen, m_k+1 = m_k·P_k. Med indsatsen fuldt optrukket, uden stiplet"
            ),
            f.t("cycle:", "cyklus:"),
            c.cycle,
            f.t("transitions at the", "overgange ved cyklens"),
            c.transitions,
            f.t("within-cycle correction", "korrektion inden for cyklus"),
            c.correction
        )];
        let area = frame(
            root,
            f.t(
                "State occupancy by cycle",
                "Fordeling på tilstande pr. cyklus",
            ),
            &s.scenario.name,
            &notes,
        )?;
        let (plot, side) = area.split_horizontally(area.dim_in_pixel().0 - LEGEND_W);
        let x_max = (points.max(2) - 1) as f64;
        let mut chart = ChartBuilder::on(&plot)
            .margin_top(12)
            .margin_right(16)
            .x_label_area_size(52)
            .y_label_area_size(80)
            .build_cartesian_2d(0.0..x_max, 0.0..1.0)?;
        chart
            .configure_mesh()
            .light_line_style(TRANSPARENT)
            .bold_line_style(GRID)
            .axis_style(MUTED)
            .x_desc(f.t("cycle", "cyklus"))
            .y_desc(f.t("share of the cohort", "andel af kohorten"))
            .x_label_formatter(&|v: &f64| f.group(*v, 0))
            .y_label_formatter(&|v: &f64| f.percent(*v))
            .label_style(text(SMALL, &MUTED, CENTER))
            .draw()?;
        let mut entries = Vec::new();
        for (st, name) in m.states.iter().enumerate() {
            let colour = PALETTE[st % PALETTE.len()];
            for (a, dashed) in [(1usize, false), (0usize, true)] {
                let Some(rows) = m.trace.get(a) else { continue };
                let line: Vec<(f64, f64)> = rows
                    .iter()
                    .enumerate()
                    .map(|(p, r)| (p as f64, r.get(st).copied().unwrap_or(0.0)))
                    .collect();
                if dashed {
                    for w in line.windows(2) {
                        let (p0, p1) = (w[0], w[1]);
                        let mid = (p0.0 + 0.5 * (p1.0 - p0.0), p0.1 + 0.5 * (p1.1 - p0.1));
                        chart.draw_series(std::iter::once(PathElement::new(
                            vec![p0, mid],
                            colour.stroke_width(2),
                        )))?;
                    }
                } else {
                    chart.draw_series(LineSeries::new(line, colour.stroke_width(3)))?;
                }
            }
            entries.push((name.clone(), Mark::Line(colour, 3, false)));
        }
        entries.push((
            f.t("intervention", "med indsatsen").into(),
            Mark::Line(MUTED, 3, false),
        ));
        entries.push((
            f.t("baseline", "uden indsatsen").into(),
            Mark::Line(MUTED, 2, true),
        ));
        legend(&side, (8, 16), LEGEND_W - 16, &entries)?;
        Ok(())
    }
}
