//! (h) The value of information after Monte Carlo: what knowing each input (and each named
//! group) before deciding to invest would be worth (EVPPI), as bars, the largest first, with
//! the EVPI — what knowing everything would be worth — as a dashed line.

use super::style::*;
use super::{Chart, amounts};
use plotters::coord::Shift;
use plotters::prelude::*;
use som_core::summary::Run;

/// At most this many bars (the largest).
const MAX_BARS: usize = 12;
const LABEL_W: u32 = 430;

pub struct Evppi<'a> {
    pub run: &'a Run,
    pub fmt: Fmt,
}

impl Evppi<'_> {
    /// The bars: (label, value, standard error), the inputs worth at least 1 then the groups.
    fn bars(&self) -> Vec<(String, f64, f64)> {
        let Some(v) = self.value() else {
            return Vec::new();
        };
        let f = self.fmt;
        // Bars too short to see (under 0.5 % of the EVPI) are left out.
        let least = (0.005 * v.evpi).max(0.5);
        let mut bars: Vec<(String, f64, f64)> = v
            .inputs
            .iter()
            .filter(|e| e.value >= least)
            .map(|e| (self.run.label(f.lang, &e.input), e.value, e.se))
            .collect();
        bars.extend(v.groups.iter().map(|g| {
            (
                format!("{} {} ({})", f.t("Group", "Gruppe"), g.name, g.inputs.len()),
                g.value,
                g.se,
            )
        }));
        bars.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        bars.truncate(MAX_BARS);
        bars
    }

    fn value(&self) -> Option<&som_core::uncertainty::ValueOfInformation> {
        self.run
            .summary
            .uncertainty
            .as_ref()
            .and_then(|u| u.value_of_information.as_ref())
    }

    /// Whether there is anything to draw.
    pub fn any(&self) -> bool {
        !self.bars().is_empty()
    }
}

impl Chart for Evppi<'_> {
    fn name(&self) -> &'static str {
        "value_of_information"
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn<DB> {
        let run = self.run;
        let f = self.fmt;
        let s = &run.summary;
        let Some(v) = self.value() else {
            return Ok(());
        };
        let bars = self.bars();
        let k = bars.len().max(1);
        let hi = bars
            .iter()
            .map(|b| b.1 + b.2)
            .fold(v.evpi, f64::max)
            .max(1e-9);
        let unit = Unit::for_max(hi, &s.scenario.currency, f);
        let x_max = hi / unit.div * 1.12;
        let draws = f.group(s.uncertainty.as_ref().map_or(0.0, |u| u.draws as f64), 0);
        let notes = vec![
            match f.lang {
                Lang::En => format!(
                    "What knowing an input before deciding to invest (total NPV > 0) would be \
                     worth: its EVPPI, estimated from the {draws} draws by regression (Strong, \
                     Oakley & Brennan 2014); the whisker is ± 2 standard errors."
                ),
                Lang::Da => format!(
                    "Hvad det er værd at kende et input, før der besluttes at investere (samlet \
                     NNV > 0): dets EVPPI, estimeret fra de {draws} træk ved regression (Strong, \
                     Oakley & Brennan 2014); stregen er ± 2 standardfejl."
                ),
            },
            format!(
                "{} {}.",
                f.t(
                    "Dashed: EVPI, the worth of knowing every input,",
                    "Stiplet: EVPI, værdien af at kende alle input,"
                ),
                unit.label(v.evpi)
            ),
        ];
        let area = frame(
            root,
            f.t(
                "Which uncertainty is worth resolving first",
                "Hvilken usikkerhed er mest værd at afklare",
            ),
            &s.scenario.name,
            &notes,
        )?;
        let (labels, plot) = area.split_horizontally(LABEL_W);
        let mut chart = ChartBuilder::on(&plot)
            .margin_top(8)
            .margin_right(32)
            .x_label_area_size(56)
            .build_cartesian_2d(0.0..x_max, 0.0..k as f64)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(0)
            .light_line_style(TRANSPARENT)
            .bold_line_style(GRID)
            .axis_style(MUTED)
            .x_labels(8)
            .x_label_formatter(&|v: &f64| f.tick(*v))
            .label_style(text(SMALL, &INK, CENTER))
            .axis_desc_style(text(SMALL, &INK, CENTER))
            .x_desc(format!("EVPPI, {}", amounts(run, &unit)))
            .draw()?;
        let name_style = text(SMALL, &INK, RIGHT_CENTER);
        let value_style = text(NOTE, &INK, LEFT_CENTER);
        let (lx0, _) = labels.get_pixel_range();
        let label_right = lx0.start + LABEL_W as i32 - 12;
        let row_px =
            (chart.backend_coord(&(0.0, 0.0)).1 - chart.backend_coord(&(0.0, 1.0)).1).max(1) as f64;
        let half = 0.3f64.min(17.0 / row_px);
        for (i, (label, value, se)) in bars.iter().enumerate() {
            let yc = k as f64 - i as f64 - 0.5;
            let x = value / unit.div;
            chart.draw_series(std::iter::once(Rectangle::new(
                [(0.0, yc - half), (x, yc + half)],
                PALETTE[0].filled(),
            )))?;
            let (lo, hi) = (
                ((value - 2.0 * se) / unit.div).max(0.0),
                (value + 2.0 * se) / unit.div,
            );
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(lo, yc), (hi, yc)],
                INK.stroke_width(2),
            )))?;
            let at = chart.backend_coord(&(hi, yc));
            root.draw_text(&unit.label(*value), &value_style, (at.0 + 6, at.1))?;
            let at = chart.backend_coord(&(0.0, yc));
            let name = fit(root, label, &name_style, LABEL_W - 24)?;
            root.draw_text(&name, &name_style, (label_right, at.1))?;
        }
        let top = chart.backend_coord(&(v.evpi / unit.div, k as f64));
        let bottom = chart.backend_coord(&(v.evpi / unit.div, 0.0));
        dashed(root, top, bottom, INK.stroke_width(2))?;
        root.draw_text(
            &format!("EVPI {}", unit.label(v.evpi)),
            &text(NOTE, &INK, CENTER_BOTTOM),
            (top.0, top.1 - 2),
        )?;
        Ok(())
    }
}
