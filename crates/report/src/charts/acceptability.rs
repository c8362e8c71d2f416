//! (g) The acceptability curve of a state-transition scenario after Monte Carlo: for each value
//! per unit of the first outcome, the share of draws in which the intervention is worth it
//! (value × gain − incremental cost > 0).

use super::Chart;
use super::style::*;
use plotters::coord::Shift;
use plotters::prelude::*;
use som_core::summary::Run;

pub struct Acceptability<'a> {
    pub run: &'a Run,
    pub fmt: Fmt,
}

impl Chart for Acceptability<'_> {
    fn name(&self) -> &'static str {
        "acceptability"
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn<DB> {
        let s = &self.run.summary;
        let f = self.fmt;
        let Some(u) = s.markov.as_ref().and_then(|m| m.uncertainty.first()) else {
            return Ok(());
        };
        let currency = &s.scenario.currency;
        let max = u.acceptability.last().map_or(1.0, |p| p.value).max(1e-9);
        let unit = Unit::for_max(max, currency, f);
        let draws = f.group(s.uncertainty.as_ref().map_or(0.0, |x| x.draws as f64), 0);
        let notes = vec![
            format!(
                "{} {draws} {} {} − {} > 0, {} 0 {} {} {currency}.",
                f.t("Share of", "Andel af"),
                f.t(
                    "draws in which value × additional",
                    "træk hvor værdi × ekstra"
                ),
                u.outcome,
                f.t("incremental cost", "meromkostning"),
                f.t("for values per unit from", "for værdier pr. enhed fra"),
                f.t("to", "til"),
                f.group(max, 0),
            ),
            format!(
                "{} = {}.",
                f.t(
                    "P(the intervention dominates: cheaper and better)",
                    "P(indsatsen dominerer: billigere og bedre)"
                ),
                f.percent(u.p_dominates)
            ),
        ];
        let title = format!(
            "{} {}?",
            f.t(
                "Acceptability: is the intervention worth it per unit of",
                "Acceptabilitet: er indsatsen pengene værd pr. enhed"
            ),
            u.outcome
        );
        let area = frame(root, &title, &s.scenario.name, &notes)?;
        let x_max = max / unit.div;
        let mut chart = ChartBuilder::on(&area)
            .margin_top(12)
            .margin_right(32)
            .x_label_area_size(52)
            .y_label_area_size(80)
            .build_cartesian_2d(0.0..x_max, 0.0..1.0)?;
        chart
            .configure_mesh()
            .light_line_style(TRANSPARENT)
            .bold_line_style(GRID)
            .axis_style(MUTED)
            .x_desc(format!(
                "{} {} ({})",
                f.t("value per unit of", "værdi pr. enhed"),
                u.outcome,
                unit.name
            ))
            .y_desc(f.t("probability worth it", "sandsynlighed for at det er værd"))
            .x_label_formatter(&|v: &f64| f.tick(*v))
            .y_label_formatter(&|v: &f64| f.percent(*v))
            .label_style(text(SMALL, &MUTED, CENTER))
            .draw()?;
        let line: Vec<(f64, f64)> = u
            .acceptability
            .iter()
            .map(|p| (p.value / unit.div, p.probability))
            .collect();
        chart.draw_series(LineSeries::new(line, PALETTE[0].stroke_width(3)))?;
        Ok(())
    }
}
