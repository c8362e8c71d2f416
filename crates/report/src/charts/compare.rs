//! (f) Scenarios compared: for each scenario, the NPV of every department as a bar stacked away
//! from zero (gains to the right, net costs to the left), the total NPV as a black diamond, and,
//! where the scenario was drawn, the interval of the total as a whisker.

use super::Chart;
use super::style::*;
use crate::compare::Comparison;
use plotters::coord::Shift;
use plotters::prelude::*;

pub struct Compare<'a> {
    pub cmp: &'a Comparison,
    pub fmt: Fmt,
}

const LABEL_W: u32 = 330;
const LEGEND_W: u32 = 250;

impl Chart for Compare<'_> {
    fn name(&self) -> &'static str {
        "scenario_comparison"
    }

    fn size(&self) -> (u32, u32) {
        // Room for every scenario: 16:9 up to six, then taller.
        let k = self.cmp.scenarios.len() as u32;
        (WIDTH, HEIGHT.max(260 + 70 * k))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn<DB> {
        let c = self.cmp;
        let f = self.fmt;
        let k = c.scenarios.len();
        let currency = c
            .scenarios
            .first()
            .map_or_else(|| "kr.".to_string(), |e| e.currency.clone());
        // Extent of the stacked bars, the totals and the whiskers.
        let (mut lo, mut hi) = (0.0f64, 0.0f64);
        for e in &c.scenarios {
            let (mut pos, mut neg) = (0.0, 0.0);
            for (i, v) in e.department_npv.iter().enumerate() {
                if !c.departments[i].public {
                    continue;
                }
                let v = v.unwrap_or(0.0);
                if v > 0.0 {
                    pos += v;
                } else {
                    neg += v;
                }
            }
            lo = lo.min(neg).min(e.metrics.npv).min(e.npv_low.unwrap_or(0.0));
            hi = hi
                .max(pos)
                .max(e.metrics.npv)
                .max(e.npv_high.unwrap_or(0.0));
        }
        let unit = Unit::for_max(lo.abs().max(hi.abs()), &currency, f);
        let (lo, hi) = (lo / unit.div, hi / unit.div);
        let pad = (hi - lo).max(1e-9) * 0.06;
        let x_range = (lo - pad)..(hi + 3.0 * pad);

        let whisker = c.interval.map(|q| f.group((q.1 - q.0) * 100.0, 0));
        let mut notes = vec![match (f.lang, whisker) {
            (Lang::En, w) => format!(
                "Each bar: the net present value of every public department, gains right of zero \
                 and net costs left of it; the diamond is the public sector's total NPV{}.",
                w.map(|w| format!(", the whisker its {w} % interval over the draws"))
                    .unwrap_or_default()
            ),
            (Lang::Da, w) => format!(
                "Hver søjle: nettonutidsværdien for hver offentlig forvaltning, gevinster til \
                 højre for nul og nettoomkostninger til venstre; ruden er den offentlige sektors \
                 samlede NNV{}.",
                w.map(|w| format!(", stregen dens {w} %-interval over trækkene"))
                    .unwrap_or_default()
            ),
        }];
        notes.extend(c.notes_in(f.lang).iter().cloned());
        let area = frame(
            root,
            f.t(
                "Scenarios compared: net present value by department",
                "Scenarier sammenlignet: nettonutidsværdi pr. forvaltning",
            ),
            &format!("{k} {}", f.t("scenarios", "scenarier")),
            &notes,
        )?;
        let (body, legend_area) = area.split_horizontally(area.dim_in_pixel().0 - LEGEND_W);
        let (labels, plot) = body.split_horizontally(LABEL_W);

        let desc = format!(
            "{}, {}",
            f.t("Net present value", "Nettonutidsværdi"),
            unit.name
        );
        let mut chart = rows_across(
            &plot,
            x_range.clone(),
            (k.max(1) as f64, k as f64),
            (24, 56),
            desc,
            &f,
        )?;
        let row_px =
            (chart.backend_coord(&(0.0, 0.0)).1 - chart.backend_coord(&(0.0, 1.0)).1).max(1) as f64;
        let half = 0.3f64.min(20.0 / row_px);
        let name_style = text(SMALL, &INK, RIGHT_CENTER);
        let sub_style = text(NOTE, &MUTED, RIGHT_CENTER);
        let (lx0, _) = labels.get_pixel_range();
        let label_right = lx0.start + LABEL_W as i32 - 12;
        let mut used = vec![false; c.departments.len()];
        for (r, e) in c.scenarios.iter().enumerate() {
            let yc = k as f64 - r as f64 - 0.5;
            let (mut pos, mut neg) = (0.0, 0.0);
            for (i, v) in e.department_npv.iter().enumerate() {
                let v = v.unwrap_or(0.0) / unit.div;
                if !c.departments[i].public || v == 0.0 {
                    continue;
                }
                used[i] = true;
                let (from, to) = if v > 0.0 {
                    pos += v;
                    (pos - v, pos)
                } else {
                    neg += v;
                    (neg - v, neg)
                };
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(from, yc - half), (to, yc + half)],
                    department_colour(i).filled(),
                )))?;
            }
            if let (Some(l), Some(h)) = (e.npv_low, e.npv_high) {
                let (l, h) = (l / unit.div, h / unit.div);
                let cap = half * 0.6;
                chart.draw_series([
                    PathElement::new(vec![(l, yc), (h, yc)], INK.stroke_width(2)),
                    PathElement::new(vec![(l, yc - cap), (l, yc + cap)], INK.stroke_width(2)),
                    PathElement::new(vec![(h, yc - cap), (h, yc + cap)], INK.stroke_width(2)),
                ])?;
            }
            let at = chart.backend_coord(&(e.metrics.npv / unit.div, yc));
            let diamond = |d: i32| {
                vec![
                    (at.0, at.1 - d),
                    (at.0 + d, at.1),
                    (at.0, at.1 + d),
                    (at.0 - d, at.1),
                ]
            };
            root.draw(&Polygon::new(diamond(11), WHITE.filled()))?;
            root.draw(&Polygon::new(diamond(9), TOTAL.filled()))?;
            // The total's value right of everything drawn on the row.
            let right = pos
                .max(e.metrics.npv / unit.div)
                .max(e.npv_high.unwrap_or(0.0) / unit.div);
            let end = chart.backend_coord(&(right, yc));
            root.draw_text(
                &format!("{} {}", f.t("NPV", "NNV"), unit.label(e.metrics.npv)),
                &text(SMALL, &INK, LEFT_CENTER),
                (end.0 + 12, end.1),
            )?;
            let left = chart.backend_coord(&(x_range.start, yc));
            let name = fit(root, &e.name, &name_style, LABEL_W - 24)?;
            root.draw_text(&name, &name_style, (label_right, left.1 - 9))?;
            let sub = format!(
                "{} {}, {}–{}",
                f.group(e.participants, 0),
                f.t("participants", "deltagere"),
                e.first_year,
                e.last_year
            );
            root.draw_text(&sub, &sub_style, (label_right, left.1 + 11))?;
        }
        let mut entries: Vec<(String, Mark)> = c
            .departments
            .iter()
            .enumerate()
            .filter(|(i, _)| used[*i])
            .map(|(i, d)| {
                let name = match f.lang {
                    Lang::Da => d.name_da.clone().unwrap_or_else(|| d.name.clone()),
                    Lang::En => d.name.clone(),
                };
                (name, Mark::Box(department_colour(i)))
            })
            .collect();
        entries.push((f.t("Total NPV", "Samlet NNV").into(), Mark::Box(TOTAL)));
        legend(&legend_area, (12, 12), LEGEND_W - 16, &entries)?;
        Ok(())
    }
}
