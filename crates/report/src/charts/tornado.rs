//! (d) The tornado: the total NPV with one input at a time at its low and its high value, the
//! widest swings on top, from the sensitivity analysis already in the run.

use super::style::*;
use super::{Chart, amounts};
use plotters::coord::Shift;
use plotters::prelude::*;
use som_core::sensitivity::{Bar, RangeFrom};
use som_core::summary::Run;

pub struct Tornado<'a> {
    pub run: &'a Run,
    pub fmt: Fmt,
}

/// At most this many inputs are drawn (the widest swings).
pub const MAX_BARS: usize = 12;
const LABEL_W: u32 = 430;
const LOW_INPUT: RGBColor = LOW;
const HIGH_INPUT: RGBColor = HIGH;

/// An input's value for a label: about three significant digits, whole numbers from 100 up.
fn input_value(f: Fmt, v: f64) -> String {
    let d = if v.abs() >= 100.0 {
        0
    } else if v.abs() >= 10.0 {
        1
    } else if v.abs() >= 1.0 {
        2
    } else {
        3
    };
    let s = f.group(v, d);
    let point = f.t(".", ",");
    if s.contains(point) {
        s.trim_end_matches('0').trim_end_matches(point).to_string()
    } else {
        s
    }
}

impl Tornado<'_> {
    fn label(&self, bar: &Bar) -> String {
        self.run.label(self.fmt.lang, &bar.input)
    }
}

impl Chart for Tornado<'_> {
    fn name(&self) -> &'static str {
        "tornado"
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn<DB> {
        let run = self.run;
        let f = self.fmt;
        let s = &run.summary;
        let Some(sens) = &s.sensitivity else {
            return Ok(());
        };
        let bars: Vec<&Bar> = sens.tornado.iter().take(MAX_BARS).collect();
        let k = bars.len();
        let base = sens.base_npv;
        let (mut lo, mut hi) = (base, base);
        for b in &bars {
            lo = lo.min(b.npv_low).min(b.npv_high);
            hi = hi.max(b.npv_low).max(b.npv_high);
        }
        let unit = Unit::for_max(lo.abs().max(hi.abs()), &s.scenario.currency, f);
        let (lo, hi, base_u) = (lo / unit.div, hi / unit.div, base / unit.div);
        let pad = (hi - lo).max(base_u.abs() * 0.02).max(1e-9) * 0.14;
        let x_range = (lo - pad)..(hi + pad);

        let quantiles = bars.iter().any(|b| b.range_from == RangeFrom::Quantiles);
        let given = bars.iter().any(|b| b.range_from == RangeFrom::Given);
        let (q0, q1) = (
            f.group(sens.interval.0 * 100.0, 0),
            f.group(sens.interval.1 * 100.0, 0),
        );
        let how = match (quantiles, given, f.lang) {
            (true, false, Lang::En) => {
                format!("the {q0} % and {q1} % quantiles of its distribution")
            }
            (true, false, Lang::Da) => format!("fordelingens {q0} %- og {q1} %-fraktiler"),
            (false, true, Lang::En) => "the range the scenario gives".to_string(),
            (false, true, Lang::Da) => "det interval, scenariet angiver".to_string(),
            (.., Lang::En) => format!(
                "the {q0} % and {q1} % quantiles of its distribution, or the range the scenario \
                 gives"
            ),
            (.., Lang::Da) => format!(
                "fordelingens {q0} %- og {q1} %-fraktiler eller det interval, scenariet angiver"
            ),
        };
        let mut notes = vec![match f.lang {
            Lang::En => format!(
                "Total NPV with one input at a time at its low and its high value ({how}), every \
                 other input at its base value. Under each input: its low and high value."
            ),
            Lang::Da => format!(
                "Samlet NNV med ét input ad gangen på sin lave og sin høje værdi ({how}) og alle \
                 andre input på basisværdi. Under hvert input: dets lave og høje værdi."
            ),
        }];
        if sens.tornado.len() > k {
            let all = sens.tornado.len();
            notes.push(match f.lang {
                Lang::En => format!("The {k} inputs with the widest swings of {all}."),
                Lang::Da => format!("De {k} input med de største udsving af {all}."),
            });
        }
        let area = frame(
            root,
            f.t(
                "One-way sensitivity of the net present value",
                "Følsomhed af nettonutidsværdien, ét input ad gangen",
            ),
            &s.scenario.name,
            &notes,
        )?;
        // Legend on one line above the bars.
        let (legend_area, body) = area.split_vertically(34);
        let entries = [
            (
                f.t("Input at its low value", "Input på lav værdi"),
                Mark::Box(LOW_INPUT),
            ),
            (
                f.t("Input at its high value", "Input på høj værdi"),
                Mark::Box(HIGH_INPUT),
            ),
            (f.t("Base NPV", "Basis-NNV"), Mark::Line(INK, 2, true)),
        ];
        let mut x = LABEL_W as i32;
        for (label, mark) in entries {
            let w = legend_area
                .estimate_text_size(label, &text(SMALL, &INK, LEFT_TOP))?
                .0;
            legend(&legend_area, (x, 6), w + 40, &[(label.to_string(), mark)])?;
            x += w as i32 + 64;
        }
        let (labels, plot) = body.split_horizontally(LABEL_W);

        let x_fmt = |v: &f64| f.tick(*v);
        let mut chart = ChartBuilder::on(&plot)
            .margin_top(4)
            .margin_right(24)
            .x_label_area_size(56)
            .build_cartesian_2d(x_range.clone(), 0.0..k as f64)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(0)
            .light_line_style(TRANSPARENT)
            .bold_line_style(GRID)
            .axis_style(MUTED)
            .x_labels(9)
            .x_label_formatter(&x_fmt)
            .label_style(text(SMALL, &INK, CENTER))
            .axis_desc_style(text(SMALL, &INK, CENTER))
            .x_desc(format!(
                "{}, {}",
                f.t("Total net present value", "Samlet nettonutidsværdi"),
                amounts(run, &unit)
            ))
            .draw()?;

        if x_range.start < 0.0 && x_range.end > 0.0 {
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(0.0, 0.0), (0.0, k as f64)],
                INK.stroke_width(1),
            )))?;
        }
        let name_style = text(SMALL, &INK, RIGHT_CENTER);
        let range_style = text(NOTE, &MUTED, RIGHT_CENTER);
        let value_left = text(NOTE, &INK, LEFT_CENTER);
        let value_right = text(NOTE, &INK, RIGHT_CENTER);
        let (lx0, _) = labels.get_pixel_range();
        let label_right = lx0.start + LABEL_W as i32 - 12;
        // Bars 60 % of a row, and no thicker than 34 pixels.
        let row_px =
            (chart.backend_coord(&(0.0, 0.0)).1 - chart.backend_coord(&(0.0, 1.0)).1).max(1) as f64;
        let half = 0.3f64.min(17.0 / row_px);
        for (i, b) in bars.iter().enumerate() {
            let yc = k as f64 - i as f64 - 0.5;
            let (npv_low, npv_high) = (b.npv_low / unit.div, b.npv_high / unit.div);
            for (v, c) in [(npv_low, LOW_INPUT), (npv_high, HIGH_INPUT)] {
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(base_u, yc - half), (v, yc + half)],
                    c.filled(),
                )))?;
            }
            // The NPV at each end; where both ends lie on one side, only the farther one.
            let same_side = (npv_low - base_u) * (npv_high - base_u) > 0.0;
            for (v, other) in [(npv_low, npv_high), (npv_high, npv_low)] {
                if same_side && (v - base_u).abs() < (other - base_u).abs() {
                    continue;
                }
                let at = chart.backend_coord(&(v, yc));
                if v >= base_u {
                    root.draw_text(&unit.label(v * unit.div), &value_left, (at.0 + 6, at.1))?;
                } else {
                    root.draw_text(&unit.label(v * unit.div), &value_right, (at.0 - 6, at.1))?;
                }
            }
            let at = chart.backend_coord(&(x_range.start, yc));
            let name = fit(root, &self.label(b), &name_style, LABEL_W - 24)?;
            root.draw_text(&name, &name_style, (label_right, at.1 - 8))?;
            root.draw_text(
                &format!(
                    "{} {} {} ({} {})",
                    input_value(f, b.low),
                    f.t("to", "til"),
                    input_value(f, b.high),
                    f.t("base", "basis"),
                    input_value(f, b.base)
                ),
                &range_style,
                (label_right, at.1 + 11),
            )?;
        }
        let top = chart.backend_coord(&(base_u, k as f64));
        let bottom = chart.backend_coord(&(base_u, 0.0));
        dashed(root, top, bottom, INK.stroke_width(2))?;
        root.draw_text(
            &format!("{} {}", f.t("Base", "Basis"), unit.label(base)),
            &text(NOTE, &INK, CENTER_BOTTOM),
            (top.0, top.1 - 2),
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_values_are_short() {
        let f = Fmt::default();
        assert_eq!(input_value(f, -74260.7), "\u{2212}74,261");
        assert_eq!(input_value(f, 0.2214), "0.221");
        assert_eq!(input_value(f, 2.0), "2");
        assert_eq!(input_value(f, 3.456), "3.46");
        assert_eq!(input_value(f, 27.8114), "27.8");
        let da = Fmt { lang: Lang::Da };
        assert_eq!(input_value(da, 0.2214), "0,221");
        assert_eq!(input_value(da, 2.0), "2");
        assert_eq!(input_value(da, -74260.7), "\u{2212}74.261");
    }
}
