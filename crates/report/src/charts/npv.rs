//! (e) The distribution of the total NPV over the Monte Carlo draws: a histogram with the zero
//! line, P(NPV > 0), the base NPV and the interval.

use super::style::*;
use super::{Chart, amounts};
use plotters::coord::Shift;
use plotters::prelude::*;
use som_core::summary::Run;

pub struct Distribution<'a> {
    pub run: &'a Run,
    pub fmt: Fmt,
}

/// Bins of a histogram of `values` (finite ones): edges at multiples of the width, so that zero
/// is an edge and no bin straddles it. Returns (left edge, width, counts).
pub fn bins(values: &[f64], target: usize) -> Option<(f64, f64, Vec<usize>)> {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for &v in values.iter().filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if lo > hi {
        return None;
    }
    let width = if hi > lo {
        nice_width((hi - lo) / target.max(1) as f64)
    } else {
        nice_width(lo.abs().max(1.0) * 0.02)
    };
    let start = (lo / width).floor() * width;
    let n = (((hi - start) / width).floor() as usize + 1).max(1);
    let mut counts = vec![0usize; n];
    for &v in values.iter().filter(|v| v.is_finite()) {
        let b = (((v - start) / width).floor() as usize).min(n - 1);
        counts[b] += 1;
    }
    Some((start, width, counts))
}

/// The smallest of 1, 2, 2.5, 5 × 10^k not below `w`: bin edges fall on round numbers.
fn nice_width(w: f64) -> f64 {
    let p = 10f64.powf(w.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * p)
        .find(|&c| c >= w * (1.0 - 1e-12))
        .unwrap_or(10.0 * p)
}

impl Chart for Distribution<'_> {
    fn name(&self) -> &'static str {
        "npv_distribution"
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn<DB> {
        let run = self.run;
        let f = self.fmt;
        let s = &run.summary;
        let (Some(d), Some(u)) = (&run.draws, &s.uncertainty) else {
            return Ok(());
        };
        let npv = &d.total.npv;
        let Some((start, width, counts)) = bins(npv, 50) else {
            return Ok(());
        };
        let n = counts.iter().sum::<usize>().max(1) as f64;
        let end = start + width * counts.len() as f64;
        let base = s.results.total.metrics.npv;
        let (q_lo, q_hi) = (u.total.npv.low, u.total.npv.high);
        let unit = Unit::for_max(start.abs().max(end.abs()), &s.scenario.currency, f);
        let div = unit.div;
        // Zero is always on the axis: how far the distribution lies from it is the point.
        let x_lo = start.min(0.0) / div;
        let x_hi = end.max(0.0) / div;
        let pad = (x_hi - x_lo) * 0.04;
        let x_range = (x_lo - pad)..(x_hi + pad);
        let top = counts.iter().copied().max().unwrap_or(0) as f64 / n * 100.0;
        let y_range = 0.0..(top * 1.28).max(1e-9);

        let (n_draws, k, seed) = (f.group(u.draws as f64, 0), u.uncertain_inputs.len(), u.seed);
        let draws = match (u.uncertain_inputs.is_empty(), f.lang) {
            (true, Lang::En) => format!(
                "{n_draws} draws, but no input has a distribution: every draw is the base case"
            ),
            (true, Lang::Da) => format!(
                "{n_draws} træk, men intet input har en fordeling: hvert træk er basisberegningen"
            ),
            (false, Lang::En) => {
                format!("{n_draws} draws of the {k} uncertain inputs (seed {seed})")
            }
            (false, Lang::Da) => format!("{n_draws} træk af de {k} usikre input (seed {seed})"),
        };
        let (bw, un) = (f.tick(width / div), &unit.name);
        let notes = vec![match f.lang {
            Lang::En => {
                format!("{draws}; each bar is {bw} {un} wide, vermillion below zero, blue above.")
            }
            Lang::Da => {
                format!("{draws}; hver søjle er {bw} {un} bred, orangerød under nul, blå over.")
            }
        }];
        let area = frame(
            root,
            f.t(
                "Distribution of the net present value",
                "Fordelingen af nettonutidsværdien",
            ),
            &s.scenario.name,
            &notes,
        )?;
        // The probability that the intervention pays, and the summary of the draws, on a line
        // of their own above the plot.
        let (head, area) = area.split_vertically(40);
        let big = text(22.0, &INK, LEFT_CENTER);
        let headline = format!(
            "P({} > 0) = {}",
            f.t("NPV", "NNV"),
            f.percent(u.total.p_npv_positive)
        );
        head.draw_text(&headline, &big, (8, 16))?;
        let st = &u.total.npv;
        let dash = |v: Option<f64>| v.map_or("–".into(), |v| unit.label(v));
        let line = format!(
            "{} {}, median {}; {}–{} %: {} {} {} ({})",
            f.t("Mean", "Middel"),
            dash(st.mean),
            dash(st.median),
            f.group(u.interval.0 * 100.0, 0),
            f.group(u.interval.1 * 100.0, 0),
            dash(st.low),
            f.t("to", "til"),
            dash(st.high),
            unit.name
        );
        let w = head.estimate_text_size(&headline, &big)?.0 as i32;
        head.draw_text(&line, &text(SMALL, &MUTED, LEFT_CENTER), (w + 36, 17))?;
        let x_fmt = |v: &f64| f.tick(*v);
        // Room above the bars is for the labels; no share above 100 % is labelled.
        let y_fmt = |v: &f64| {
            if *v > 100.0 + 1e-9 {
                String::new()
            } else {
                format!("{} %", f.tick(*v))
            }
        };
        let mut chart = ChartBuilder::on(&area)
            .margin_top(12)
            .margin_right(24)
            .x_label_area_size(56)
            .y_label_area_size(90)
            .build_cartesian_2d(x_range.clone(), y_range.clone())?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .light_line_style(TRANSPARENT)
            .bold_line_style(GRID)
            .axis_style(MUTED)
            .x_labels(10)
            .y_labels(7)
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .label_style(text(SMALL, &INK, CENTER))
            .axis_desc_style(text(SMALL, &INK, CENTER))
            .x_desc(format!(
                "{}, {}",
                f.t("Total net present value", "Samlet nettonutidsværdi"),
                amounts(run, &unit)
            ))
            .y_desc(f.t("Share of draws", "Andel af trækkene"))
            .draw()?;
        for (b, &c) in counts.iter().enumerate().filter(|(_, c)| **c > 0) {
            let x0 = start + width * b as f64;
            let colour = if x0 + width <= 0.0 { COST } else { GAIN };
            let corners = [(x0 / div, 0.0), ((x0 + width) / div, c as f64 / n * 100.0)];
            chart.draw_series(std::iter::once(Rectangle::new(corners, colour.filled())))?;
            chart.draw_series(std::iter::once(Rectangle::new(
                corners,
                WHITE.stroke_width(1),
            )))?;
        }

        // Vertical markers: zero, the base NPV, the interval; labels staggered where close.
        let y_top = y_range.end;
        let mut marks: Vec<(f64, String, ShapeStyle, bool)> =
            vec![(0.0, "0".to_string(), INK.stroke_width(2), false)];
        marks.push((
            base / div,
            format!("{} {}", f.t("Base", "Basis"), unit.label(base)),
            INK.stroke_width(2),
            true,
        ));
        if let (Some(a), Some(b)) = (q_lo, q_hi) {
            marks.push((
                a / div,
                format!("{} %: {}", f.group(u.interval.0 * 100.0, 0), unit.label(a)),
                MUTED.stroke_width(1),
                true,
            ));
            marks.push((
                b / div,
                format!("{} %: {}", f.group(u.interval.1 * 100.0, 0), unit.label(b)),
                MUTED.stroke_width(1),
                true,
            ));
        }
        let xs: Vec<i32> = marks
            .iter()
            .map(|m| chart.backend_coord(&(m.0, y_top)).0)
            .collect();
        let label_top = chart.backend_coord(&(x_range.start, y_top)).1 + 4;
        let rows = stagger(&xs, 130, 20, label_top);
        // Lines stop below the lowest row of labels, so no line crosses a label.
        let lines_top = rows.iter().copied().max().unwrap_or(label_top) + 20;
        for ((x, _, style, dash), &px) in marks.iter().zip(&xs) {
            let from = chart.backend_coord(&(*x, 0.0));
            if *dash {
                dashed(root, from, (px, lines_top), *style)?;
            } else {
                root.draw(&PathElement::new(vec![from, (px, lines_top)], *style))?;
            }
        }
        let style = text(NOTE, &INK, CENTER_TOP);
        for ((_, label, _, _), (&px, &py)) in marks.iter().zip(xs.iter().zip(&rows)) {
            root.draw_text(label, &style, (px, py))?;
        }

        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_have_round_edges_and_zero_is_one() {
        let v: Vec<f64> = (0..1000).map(|i| -130.0 + i as f64 * 0.5).collect();
        let (start, width, counts) = bins(&v, 50).unwrap();
        assert_eq!(width, 10.0);
        assert_eq!(start, -130.0);
        assert_eq!(counts.iter().sum::<usize>(), 1000);
        assert!(((0.0 - start) / width).fract() == 0.0);
        // One value only: one bin around it.
        let (start, width, counts) = bins(&[5e6, 5e6], 50).unwrap();
        assert!(start <= 5e6 && 5e6 < start + width);
        assert_eq!(counts, vec![2]);
        assert!(bins(&[f64::NAN], 50).is_none());
    }
}
