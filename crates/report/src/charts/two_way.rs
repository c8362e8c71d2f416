//! (i) Two-way sensitivity as a heat map: the total NPV over a grid of two inputs, in the colour
//! of a gain where positive and of a cost where negative, deeper with the size of the NPV; the
//! threshold line where the NPV is 0, and the base values marked.

use super::style::*;
use super::{Chart, amounts};
use plotters::coord::Shift;
use plotters::prelude::*;
use som_core::sensitivity::TwoWay;
use som_core::summary::Run;

/// File names of the grids, in the scenario's order (at most this many are drawn).
pub const NAMES: [&str; 8] = [
    "two_way_1",
    "two_way_2",
    "two_way_3",
    "two_way_4",
    "two_way_5",
    "two_way_6",
    "two_way_7",
    "two_way_8",
];

pub struct TwoWayChart<'a> {
    pub run: &'a Run,
    pub grid: &'a TwoWay,
    pub index: usize,
    pub fmt: Fmt,
}

impl Chart for TwoWayChart<'_> {
    fn name(&self) -> &'static str {
        NAMES[self.index.min(NAMES.len() - 1)]
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn<DB> {
        let run = self.run;
        let f = self.fmt;
        let g = self.grid;
        let s = &run.summary;
        let (nx, ny) = (g.x.len(), g.y.len());
        if nx < 2 || ny < 2 {
            return Ok(());
        }
        let max_abs = g
            .npv
            .iter()
            .flatten()
            .fold(0f64, |m, v| m.max(v.abs()))
            .max(1e-9);
        let unit = Unit::for_max(max_abs, &s.scenario.currency, f);
        let (xl, yl) = (
            run.label(f.lang, &g.inputs[0]),
            run.label(f.lang, &g.inputs[1]),
        );
        let notes = vec![match f.lang {
            Lang::En => format!(
                "Total NPV with the two inputs over their ranges, every other input at its base \
                 value: blue a net gain, red a net cost, deeper the larger (largest {} {}). \
                 Black line: where the NPV is 0. Cross: the base values.",
                unit.label(max_abs),
                amounts(run, &unit)
            ),
            Lang::Da => format!(
                "Samlet NNV med de to input over deres intervaller og alle andre input på \
                 basisværdi: blå en nettogevinst, rød en nettoomkostning, dybere jo større \
                 (største {} {}). Sort linje: hvor NNV er 0. Kryds: basisværdierne.",
                unit.label(max_abs),
                amounts(run, &unit)
            ),
        }];
        let area = frame(
            root,
            f.t(
                "Two-way sensitivity of the net present value",
                "Følsomhed af nettonutidsværdien over to input",
            ),
            &s.scenario.name,
            &notes,
        )?;
        let (dx, dy) = (
            (g.x[nx - 1] - g.x[0]) / (nx - 1) as f64,
            (g.y[ny - 1] - g.y[0]) / (ny - 1) as f64,
        );
        let xr = (g.x[0] - dx / 2.0)..(g.x[nx - 1] + dx / 2.0);
        let yr = (g.y[0] - dy / 2.0)..(g.y[ny - 1] + dy / 2.0);
        let mut chart = ChartBuilder::on(&area)
            .margin_top(8)
            .margin_right(32)
            .x_label_area_size(56)
            .y_label_area_size(96)
            .build_cartesian_2d(xr, yr)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .axis_style(MUTED)
            .x_labels(8)
            .y_labels(8)
            .x_label_formatter(&|v: &f64| f.group(*v, decimals(dx)))
            .y_label_formatter(&|v: &f64| f.group(*v, decimals(dy)))
            .label_style(text(SMALL, &INK, CENTER))
            .axis_desc_style(text(SMALL, &INK, CENTER))
            .x_desc(xl)
            .y_desc(yl)
            .draw()?;
        for (i, &x) in g.x.iter().enumerate() {
            for (k, &y) in g.y.iter().enumerate() {
                let v = g.npv[i][k];
                let t = (v.abs() / max_abs).powf(0.8) * 0.9;
                let c = blend(if v < 0.0 { COST } else { GAIN }, t);
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(x - dx / 2.0, y - dy / 2.0), (x + dx / 2.0, y + dy / 2.0)],
                    c.filled(),
                )))?;
            }
        }
        let line: Vec<(f64, f64)> =
            g.x.iter()
                .zip(&g.threshold)
                .filter_map(|(&x, t)| t.map(|y| (x, y)))
                .collect();
        if line.len() > 1 {
            chart.draw_series(std::iter::once(PathElement::new(line, INK.stroke_width(3))))?;
        }
        let (bx, by) = (g.base[0], g.base[1]);
        chart.draw_series(std::iter::once(Cross::new(
            (bx, by),
            8,
            INK.stroke_width(2),
        )))?;
        Ok(())
    }
}

/// Decimals for tick labels of a grid with step `d`.
fn decimals(d: f64) -> usize {
    let d = d.abs();
    if d >= 10.0 || d == 0.0 {
        0
    } else {
        ((-d.log10()).ceil().max(0.0) as usize + 1).min(6)
    }
}
