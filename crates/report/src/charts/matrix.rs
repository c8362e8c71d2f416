//! (c) Who pays and who gains: the matrix of paying (investing) × gaining departments as a heat
//! map with every value written in its cell, and the totals of rows and columns.

use super::style::*;
use super::{Chart, department_index, department_name};
use plotters::coord::Shift;
use plotters::prelude::*;
use som_core::summary::Run;

pub struct Matrix<'a> {
    pub run: &'a Run,
    pub fmt: Fmt,
}

/// Diverging ends: gains and losses in the colours of gain and cost everywhere (style.rs).
const LOSS: RGBColor = COST;
const TOTAL_FILL: RGBColor = RGBColor(0xf2, 0xf2, 0xf2);

/// Fill and text colour of a cell holding `v`, where `max` is the largest magnitude.
fn cell_colours(v: f64, max: f64) -> (RGBColor, RGBColor) {
    let t = if max > 0.0 {
        (v.abs() / max).min(1.0).powf(0.8)
    } else {
        0.0
    };
    let fill = blend(if v < 0.0 { LOSS } else { GAIN }, t * 0.9);
    let ink = if t > 0.55 { WHITE } else { INK };
    (fill, ink)
}

impl Chart for Matrix<'_> {
    fn name(&self) -> &'static str {
        "who_pays_who_gains"
    }

    /// As tall as the rows need (a single paying department makes a short chart).
    fn size(&self) -> (u32, u32) {
        let w = &self.run.summary.results.who_pays_who_gains;
        let rows = w.investing.len() + usize::from(w.investing.len() > 1);
        (WIDTH, (260 + 64 * rows as u32).clamp(330, HEIGHT))
    }

    // Rows and columns index the matrix, its totals and the layout in step.
    #[allow(clippy::needless_range_loop)]
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn<DB> {
        let run = self.run;
        let f = self.fmt;
        let s = &run.summary;
        let w = &s.results.who_pays_who_gains;
        let rows = w.investing.len();
        let cols = w.gaining.len();
        let row_sum: Vec<f64> = w.matrix.iter().map(|r| r.iter().sum()).collect();
        let max_abs = w
            .matrix
            .iter()
            .flatten()
            .chain(&w.gain)
            .chain(&row_sum)
            .fold(0f64, |m, v| m.max(v.abs()));
        // Thousands at most, so that small cells do not read 0.0.
        let unit = Unit::for_max(max_abs.min(9e6), &s.scenario.currency, f);
        let (un, py) = (&unit.name, s.scenario.price_year);
        let notes = vec![match f.lang {
            Lang::Da => format!(
                "Hver celle: den betalende forvaltnings andel af den offentlige investering \
                 (nutidsværdi) × den vindende forvaltnings gevinst i nutidsværdi (besparelser og \
                 erstattede ydelser ud over dens egne omkostninger); blå en gevinst, rød et tab. \
                 Nutidsværdier, {un}, {py}-priser."
            ),
            Lang::En => format!(
                "Each cell: the paying department's share of the public investment (present \
                 value) × the gaining department's present-value gain (savings, and replaced \
                 services beyond its own costs); blue a gain, red a loss. Present values, {un}, \
                 {py} prices."
            ),
        }];
        let area = frame(
            root,
            f.t(
                "Who pays and who gains",
                "Hvem betaler, og hvem får gevinsten",
            ),
            &s.scenario.name,
            &notes,
        )?;
        let (aw, ah) = area.dim_in_pixel();
        if rows == 0 || cols == 0 {
            area.draw_text(
                f.t(
                    "No department makes a net investment: there is no one paying to show.",
                    "Ingen forvaltning har en nettoinvestering: der er ingen betalende at vise.",
                ),
                &text(18.0, &INK, CENTER),
                (aw as i32 / 2, ah as i32 / 2),
            )?;
            return Ok(());
        }
        let total_col = cols > 1;
        let total_row = rows > 1;
        let ncols = cols + usize::from(total_col);
        let nrows = rows + usize::from(total_row);
        let label_w: u32 = 300;
        let header_h: u32 = 86;
        let cw = ((aw - label_w - 8) / ncols as u32).min(170) as i32;
        let ch = ((ah - header_h - 8) / nrows as u32).clamp(30, 64) as i32;
        let x0 = label_w as i32;
        let y0 = header_h as i32;

        // Column headers: wrapped names, bottom-aligned, with the department's colour under them.
        let head = text(SMALL, &INK, CENTER_BOTTOM);
        let public = |id: &str| {
            s.results
                .by_department
                .iter()
                .find(|g| g.id == id)
                .is_none_or(|g| g.public)
        };
        let mut col_names: Vec<(String, Option<usize>)> = w
            .gaining
            .iter()
            .map(|id| {
                let name = department_name(run, f, id);
                let name = if public(id) {
                    name
                } else {
                    format!("{name} ({})", f.t("not public", "ikke offentlig"))
                };
                (name, Some(department_index(run, id)))
            })
            .collect();
        if total_col {
            col_names.push((
                f.t("All gaining departments", "Alle vindende forvaltninger")
                    .into(),
                None,
            ));
        }
        for (j, (name, idx)) in col_names.iter().enumerate() {
            let cx = x0 + j as i32 * cw + cw / 2;
            let mut lines = wrap(&area, name, &head, (cw - 10) as u32)?;
            if lines.len() > 3 {
                lines.truncate(3);
                let last = fit(&area, &format!("{} …", lines[2]), &head, (cw - 10) as u32)?;
                lines[2] = last;
            }
            for (k, l) in lines.iter().rev().enumerate() {
                area.draw_text(l, &head, (cx, y0 - 12 - k as i32 * 19))?;
            }
            if let Some(i) = idx {
                area.draw(&Rectangle::new(
                    [
                        (x0 + j as i32 * cw + 4, y0 - 8),
                        (x0 + (j as i32 + 1) * cw - 4, y0 - 3),
                    ],
                    department_colour(*i).filled(),
                ))?;
            }
        }
        // Which way is which: paying down the rows, gaining across the columns.
        use plotters::style::text_anchor::{HPos, VPos};
        let corner = |h| text(SMALL, &MUTED, (h, VPos::Bottom));
        area.draw_text(
            f.t("Paying ↓", "Betaler ↓"),
            &corner(HPos::Left),
            (0, y0 - 12),
        )?;
        area.draw_text(
            f.t("Gaining →", "Vinder →"),
            &corner(HPos::Right),
            (x0 - 12, y0 - 12),
        )?;

        // Rows: the paying department (colour bar, name, share), then the cells.
        let name_style = text(SMALL, &INK, LEFT_CENTER);
        let share_style = text(NOTE, &MUTED, LEFT_CENTER);
        let value_style = |c: &RGBColor| text(SMALL, c, CENTER);
        for r in 0..nrows {
            let top = y0 + r as i32 * ch;
            let mid = top + ch / 2;
            let is_total = total_row && r == rows;
            if is_total {
                area.draw_text(
                    f.t("All paying departments", "Alle betalende forvaltninger"),
                    &name_style,
                    (12, mid),
                )?;
            } else {
                let id = &w.investing[r];
                area.draw(&Rectangle::new(
                    [(0, top + 4), (5, top + ch - 4)],
                    department_colour(department_index(run, id)).filled(),
                ))?;
                let name = fit(
                    &area,
                    &department_name(run, f, id),
                    &name_style,
                    label_w - 24,
                )?;
                let two = ch >= 44;
                area.draw_text(&name, &name_style, (12, if two { mid - 9 } else { mid }))?;
                if two {
                    area.draw_text(
                        &match f.lang {
                            Lang::Da => format!(
                                "betaler {} af investeringen",
                                f.percent(w.investing_share[r])
                            ),
                            Lang::En => format!(
                                "pays {} of the investment",
                                f.percent(w.investing_share[r])
                            ),
                        },
                        &share_style,
                        (12, mid + 11),
                    )?;
                }
            }
            for c in 0..ncols {
                let is_total_col = total_col && c == cols;
                let v = match (is_total, is_total_col) {
                    (false, false) => w.matrix[r][c],
                    (false, true) => row_sum[r],
                    (true, false) => w.gain[c],
                    (true, true) => w.gain.iter().sum(),
                };
                let left = x0 + c as i32 * cw;
                let (fill, ink) = if is_total || is_total_col {
                    (TOTAL_FILL, INK)
                } else {
                    cell_colours(v, max_abs_cells(&w.matrix))
                };
                area.draw(&Rectangle::new(
                    [(left, top), (left + cw, top + ch)],
                    fill.filled(),
                ))?;
                area.draw(&Rectangle::new(
                    [(left, top), (left + cw, top + ch)],
                    WHITE.stroke_width(2),
                ))?;
                area.draw_text(&unit.label(v), &value_style(&ink), (left + cw / 2, mid))?;
            }
        }
        // Rules setting the totals apart.
        let right = x0 + ncols as i32 * cw;
        let bottom = y0 + nrows as i32 * ch;
        if total_row {
            let y = y0 + rows as i32 * ch;
            area.draw(&PathElement::new(
                vec![(0, y), (right, y)],
                INK.stroke_width(1),
            ))?;
        }
        if total_col {
            let x = x0 + cols as i32 * cw;
            area.draw(&PathElement::new(
                vec![(x, y0), (x, bottom)],
                INK.stroke_width(1),
            ))?;
        }
        Ok(())
    }
}

fn max_abs_cells(m: &[Vec<f64>]) -> f64 {
    m.iter().flatten().fold(0f64, |a, v| a.max(v.abs()))
}
