//! Municipalities compared (`som municipalities`): a forest plot of the NPV per participant, one
//! row per municipality with figures, ranked, the point at base values and the whisker the
//! interval over the draws, coloured by region; and the spread between municipalities split by
//! what differs (prices, cohort size, local effects).

use super::Chart;
use super::style::*;
use plotters::coord::Shift;
use plotters::prelude::*;
use som_core::municipalities::Comparison;

/// Region colours (Okabe–Ito), in the order regions first appear.
const REGION: [RGBColor; 8] = [
    RGBColor(0x00, 0x72, 0xb2),
    RGBColor(0xd5, 0x5e, 0x00),
    RGBColor(0x00, 0x9e, 0x73),
    RGBColor(0xcc, 0x79, 0xa7),
    RGBColor(0xe6, 0x9f, 0x00),
    RGBColor(0x56, 0xb4, 0xe9),
    RGBColor(0x59, 0x59, 0x59),
    RGBColor(0xf0, 0xe4, 0x42),
];

pub struct Forest<'a> {
    pub cmp: &'a Comparison,
    pub fmt: Fmt,
}

const ROW_H: u32 = 15;
const LABEL_W: u32 = 210;
const LEGEND_W: u32 = 220;

impl Forest<'_> {
    fn rows(&self) -> Vec<&som_core::municipalities::Row> {
        let mut rows: Vec<_> = self.cmp.rows.iter().filter(|r| r.rank.is_some()).collect();
        rows.sort_by_key(|r| r.rank);
        rows
    }
}

impl Chart for Forest<'_> {
    fn name(&self) -> &'static str {
        "municipalities_forest"
    }

    fn size(&self) -> (u32, u32) {
        let k = self.rows().len() as u32;
        (WIDTH, (250 + ROW_H * k.max(1)).max(HEIGHT))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn<DB> {
        let c = self.cmp;
        let f = self.fmt;
        let rows = self.rows();
        let k = rows.len().max(1);
        let (mut lo, mut hi) = (0.0f64, 0.0f64);
        for r in &rows {
            for v in [
                r.npv_per_participant,
                r.npv_per_participant_low,
                r.npv_per_participant_high,
            ]
            .into_iter()
            .flatten()
            {
                lo = lo.min(v);
                hi = hi.max(v);
            }
        }
        let unit = Unit::for_max(lo.abs().max(hi.abs()), &c.currency, f);
        let (lo, hi) = (lo / unit.div, hi / unit.div);
        let pad = (hi - lo).max(1e-9) * 0.05;
        let x_range = (lo - pad)..(hi + pad);
        let regions: Vec<&str> = {
            let mut v: Vec<&str> = Vec::new();
            for r in &c.rows {
                if !v.contains(&r.region.as_str()) {
                    v.push(&r.region);
                }
            }
            v
        };
        let colour = |region: &str| {
            REGION[regions.iter().position(|r| *r == region).unwrap_or(0) % REGION.len()]
        };
        let left_out = c.rows.len() - rows.len();
        let mut notes = vec![match (f.lang, c.draws) {
            (Lang::En, 0) => "Point: NPV per participant at base values.".to_string(),
            (Lang::Da, 0) => "Punkt: NNV pr. deltager ved basisværdier.".to_string(),
            (Lang::En, n) => format!(
                "Point: NPV per participant at base values; whisker: its {}–{} % interval over {} \
                 draws (seed {}, the same draws of the national inputs in every municipality).",
                f.group(c.interval.0 * 100.0, 0),
                f.group(c.interval.1 * 100.0, 0),
                f.group(n as f64, 0),
                c.seed
            ),
            (Lang::Da, n) => format!(
                "Punkt: NNV pr. deltager ved basisværdier; streg: dens {}–{} %-interval over {} \
                 træk (seed {}, de samme træk af de nationale input i alle kommuner).",
                f.group(c.interval.0 * 100.0, 0),
                f.group(c.interval.1 * 100.0, 0),
                f.group(n as f64, 0),
                c.seed
            ),
        }];
        if left_out > 0 {
            notes.push(match f.lang {
                Lang::En => format!(
                    "{left_out} {} not shown: suppressed (fewer than {} persons) or without \
                     enough case data.",
                    if left_out == 1 {
                        "municipality"
                    } else {
                        "municipalities"
                    },
                    c.disclosure_threshold
                ),
                Lang::Da => format!(
                    "{left_out} {} vises ikke: diskretioneret (færre end {} personer) eller uden \
                     nok sagsdata.",
                    if left_out == 1 { "kommune" } else { "kommuner" },
                    c.disclosure_threshold
                ),
            });
        }
        let area = frame(
            root,
            f.t(
                "Municipalities compared: net present value per participant",
                "Kommuner sammenlignet: nettonutidsværdi pr. deltager",
            ),
            &c.scenario,
            &notes,
        )?;
        let (body, legend_area) = area.split_horizontally(area.dim_in_pixel().0 - LEGEND_W);
        let (labels, plot) = body.split_horizontally(LABEL_W);
        let desc = format!(
            "{}, {}",
            f.t("NPV per participant", "NNV pr. deltager"),
            unit.name
        );
        let mut chart = rows_across(
            &plot,
            x_range.clone(),
            (k as f64, k as f64),
            (20, 52),
            desc,
            &f,
        )?;
        let name_style = text(NOTE, &INK, RIGHT_CENTER);
        let (lx, _) = labels.get_pixel_range();
        let right = lx.start + LABEL_W as i32 - 8;
        for (i, r) in rows.iter().enumerate() {
            let yc = k as f64 - i as f64 - 0.5;
            let col = colour(&r.region);
            if let (Some(a), Some(b)) = (r.npv_per_participant_low, r.npv_per_participant_high) {
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(a / unit.div, yc), (b / unit.div, yc)],
                    col.stroke_width(2),
                )))?;
            }
            if let Some(v) = r.npv_per_participant {
                chart.draw_series(std::iter::once(Circle::new(
                    (v / unit.div, yc),
                    4,
                    col.filled(),
                )))?;
            }
            let at = chart.backend_coord(&(x_range.start, yc));
            let label = format!("{}. {}", r.rank.unwrap_or(0), r.name);
            let label = fit(root, &label, &name_style, LABEL_W - 16)?;
            root.draw_text(&label, &name_style, (right, at.1))?;
        }
        let entries: Vec<(String, Mark)> = regions
            .iter()
            .map(|r| (r.to_string(), Mark::Box(colour(r))))
            .collect();
        legend(&legend_area, (12, 12), LEGEND_W - 16, &entries)?;
        Ok(())
    }
}

pub struct SpreadChart<'a> {
    pub cmp: &'a Comparison,
    pub fmt: Fmt,
}

impl Chart for SpreadChart<'_> {
    fn name(&self) -> &'static str {
        "municipalities_spread"
    }

    fn size(&self) -> (u32, u32) {
        (WIDTH, 480)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn<DB> {
        let c = self.cmp;
        let f = self.fmt;
        let notes = vec![
            f.t(
                "Variance between municipalities at base values with one local difference at a \
                 time (the others as in the scenario), as a share of the variance with all of them; \
                 the rest is what they do together.",
                "Variansen mellem kommunerne ved basisværdier med én lokal forskel ad gangen (de \
                 andre som i scenariet) som andel af variansen med dem alle; resten er deres \
                 samspil.",
            )
            .to_string(),
        ];
        let area = frame(
            root,
            f.t(
                "Where the differences between municipalities come from",
                "Hvor forskellene mellem kommunerne kommer fra",
            ),
            &c.scenario,
            &notes,
        )?;
        let factors = [
            (f.t("Prices", "Priser"), HIGH),
            (
                f.t("Cohort size", "Antal deltagere"),
                RGBColor(0x00, 0x9e, 0x73),
            ),
            (f.t("Local effects", "Lokale effekter"), LOW),
            (f.t("Together", "Samspil"), MUTED),
        ];
        let groups: Vec<(String, [f64; 4])> = c
            .spread
            .iter()
            .map(|s| {
                let name = match s.measure {
                    "npv" => f.t("Total NPV", "Samlet NNV"),
                    _ => f.t("NPV per participant", "NNV pr. deltager"),
                };
                (
                    name.to_string(),
                    [s.prices.1, s.size.1, s.effects.1, s.interaction],
                )
            })
            .collect();
        let (lo, hi) = groups
            .iter()
            .flat_map(|g| g.1)
            .fold((0.0f64, 1.0f64), |(a, b), v| (a.min(v), b.max(v)));
        let (labels, plot) = area.split_horizontally(220);
        let n = groups.len().max(1) as f64;
        let mut chart = ChartBuilder::on(&plot)
            .margin_top(8)
            .margin_right(60)
            .x_label_area_size(48)
            .build_cartesian_2d((lo * 100.0 - 5.0)..(hi * 100.0 * 1.25 + 5.0), 0.0..n)?;
        let x_fmt = |v: &f64| format!("{} %", f.tick(*v));
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(0)
            .light_line_style(TRANSPARENT)
            .bold_line_style(GRID)
            .axis_style(MUTED)
            .x_labels(8)
            .x_label_formatter(&x_fmt)
            .label_style(text(SMALL, &INK, CENTER))
            .axis_desc_style(text(SMALL, &INK, CENTER))
            .x_desc(f.t(
                "Share of the variance between municipalities",
                "Andel af variansen mellem kommunerne",
            ))
            .draw()?;
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(0.0, 0.0), (0.0, n)],
            INK.stroke_width(1),
        )))?;
        let (lx, _) = labels.get_pixel_range();
        for (g, (name, shares)) in groups.iter().enumerate() {
            let top = n - g as f64 - 0.1;
            let h = 0.8 / 4.0;
            for (j, v) in shares.iter().enumerate() {
                let y1 = top - j as f64 * h;
                let y0 = y1 - h * 0.85;
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(0.0, y0), (v * 100.0, y1)],
                    factors[j].1.filled(),
                )))?;
                let at = chart.backend_coord(&(v.max(0.0) * 100.0, (y0 + y1) / 2.0));
                root.draw_text(
                    &format!("{} {}", factors[j].0, f.percent(*v)),
                    &text(NOTE, &INK, LEFT_CENTER),
                    (at.0 + 6, at.1),
                )?;
            }
            let at = chart.backend_coord(&(0.0, n - g as f64 - 0.5));
            root.draw_text(name, &text(SMALL, &INK, LEFT_CENTER), (lx.start + 8, at.1))?;
        }
        Ok(())
    }
}
