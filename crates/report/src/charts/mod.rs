//! Charts of a run for decision makers, each as PNG and SVG bytes.
//!
//! Pure: a chart is drawn from a [`Run`] (its summary, and its draws where there are any) into
//! memory; writing the files is the caller's. Text is drawn with DejaVu Sans, embedded in the
//! binary (`assets/fonts/`, with its licence), so a PNG is legible on a machine with no fonts
//! installed; an SVG names the generic family `sans-serif` and leaves the glyphs to the viewer.
//! A department has the same colour in every chart: the one at its position in the department
//! map ([`style::PALETTE`]).
//!
//! The charts, by file name:
//! * `costs_and_gains_by_year`: each public department's gains above zero and costs below, by
//!   year, undiscounted, and the public sector's net;
//! * `cumulative_net_pv`: cumulative discounted net by department and in total, the break-even
//!   point, and with draws the 5–95 % band of the total;
//! * `who_pays_who_gains`: the matrix of [`som_core::metrics::WhoPaysWhoGains`] as a heat map;
//! * `tornado`: one-way sensitivity of the total NPV (when the run has a tornado);
//! * `two_way_1` … `two_way_8`: the scenario's two-way grids as heat maps, with the threshold
//!   line where the NPV is 0;
//! * `npv_distribution`: histogram of the total NPV over the draws, with P(NPV > 0) (with draws);
//! * `value_of_information`: the EVPPI of the inputs (and named groups) most worth knowing
//!   before deciding, with the EVPI (with draws, where any input is worth something);
//! * `scenario_comparison` (`som compare`, [`render_comparison`]): several scenarios' NPV by
//!   department, with the total and its interval.

mod acceptability;
mod compare;
mod cumulative;
mod evppi;
mod flows;
mod forest;
mod matrix;
mod npv;
mod raster;
pub mod style;
mod tornado;
mod trace;
mod two_way;

use plotters::coord::Shift;
use plotters::prelude::*;
use som_core::error::{Error, Result};
use som_core::summary::Run;
use std::sync::OnceLock;
use style::{Drawn, HEIGHT, WIDTH};

/// DejaVu Sans 2.37 (see `assets/fonts/README.md`).
const FONT: &[u8] = include_bytes!("../../../../assets/fonts/DejaVuSans.ttf");

/// Register the embedded font with plotters, once per process.
fn register_font() -> Result<()> {
    static DONE: OnceLock<bool> = OnceLock::new();
    let ok = *DONE.get_or_init(|| {
        plotters::style::register_font(style::FAMILY, FontStyle::Normal, FONT).is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(Error::Write {
            path: "charts".into(),
            message: "the embedded font could not be read".into(),
        })
    }
}

/// A chart: its file name (without extension) and how it draws itself on any backend.
trait Chart {
    fn name(&self) -> &'static str;
    /// Width and height in pixels.
    fn size(&self) -> (u32, u32) {
        (WIDTH, HEIGHT)
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn<DB>;
}

fn chart_err(file: String, e: impl std::fmt::Display) -> Error {
    Error::Write {
        path: file.into(),
        message: e.to_string(),
    }
}

/// The chart as PNG bytes: drawn into an RGB buffer, encoded with the `png` crate.
fn png<C: Chart>(chart: &C) -> Result<Vec<u8>> {
    let file = format!("charts/{}.png", chart.name());
    let (width, height) = chart.size();
    let mut rgb = vec![0u8; (width * height * 3) as usize];
    {
        let font =
            ab_glyph::FontRef::try_from_slice(FONT).map_err(|e| chart_err(file.clone(), e))?;
        let root = raster::Raster::new(&mut rgb, (width, height), font).into_drawing_area();
        chart.draw(&root).map_err(|e| chart_err(file.clone(), e))?;
        root.present().map_err(|e| chart_err(file.clone(), e))?;
    }
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, width, height);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    enc.set_compression(png::Compression::Fast);
    let mut w = enc.write_header().map_err(|e| chart_err(file.clone(), e))?;
    w.write_image_data(&rgb)
        .map_err(|e| chart_err(file.clone(), e))?;
    w.finish().map_err(|e| chart_err(file, e))?;
    Ok(out)
}

/// The chart as SVG text.
fn svg<C: Chart>(chart: &C) -> Result<Vec<u8>> {
    let file = format!("charts/{}.svg", chart.name());
    let mut s = String::new();
    {
        let root = SVGBackend::with_string(&mut s, chart.size()).into_drawing_area();
        chart.draw(&root).map_err(|e| chart_err(file.clone(), e))?;
        root.present().map_err(|e| chart_err(file, e))?;
    }
    Ok(s.into_bytes())
}

fn both<C: Chart>(chart: &C, out: &mut Vec<(String, Vec<u8>)>) -> Result<()> {
    out.push((format!("charts/{}.png", chart.name()), png(chart)?));
    out.push((format!("charts/{}.svg", chart.name()), svg(chart)?));
    Ok(())
}

/// Every chart of a run as `(charts/<name>.png|svg, bytes)`: the yearly flows, the cumulative
/// net and who pays who gains always; the tornado when the run has one; the NPV distribution
/// when it drew.
pub fn render(run: &Run, lang: style::Lang) -> Result<Vec<(String, Vec<u8>)>> {
    register_font()?;
    let fmt = style::Fmt { lang };
    let mut out = Vec::new();
    both(&flows::Flows { run, fmt }, &mut out)?;
    both(&cumulative::Cumulative { run, fmt }, &mut out)?;
    both(&matrix::Matrix { run, fmt }, &mut out)?;
    if run
        .summary
        .sensitivity
        .as_ref()
        .is_some_and(|s| !s.tornado.is_empty())
    {
        both(&tornado::Tornado { run, fmt }, &mut out)?;
    }
    if let Some(sens) = &run.summary.sensitivity {
        for (index, grid) in sens.two_way.iter().take(two_way::NAMES.len()).enumerate() {
            both(
                &two_way::TwoWayChart {
                    run,
                    grid,
                    index,
                    fmt,
                },
                &mut out,
            )?;
        }
    }
    if run.draws.as_ref().is_some_and(|d| !d.is_empty()) {
        both(&npv::Distribution { run, fmt }, &mut out)?;
        let voi = evppi::Evppi { run, fmt };
        if voi.any() {
            both(&voi, &mut out)?;
        }
    }
    if let Some(m) = &run.summary.markov {
        both(&trace::Trace { run, fmt }, &mut out)?;
        if !m.uncertainty.is_empty() {
            both(&acceptability::Acceptability { run, fmt }, &mut out)?;
        }
    }
    Ok(out)
}

/// The scenario-comparison chart (`charts/scenario_comparison.png|svg`) of a comparison.
pub fn render_comparison(
    cmp: &crate::compare::Comparison,
    lang: style::Lang,
) -> Result<Vec<(String, Vec<u8>)>> {
    register_font()?;
    let mut out = Vec::new();
    let fmt = style::Fmt { lang };
    both(&compare::Compare { cmp, fmt }, &mut out)?;
    Ok(out)
}

/// The charts of a municipality comparison: the forest plot of NPV per participant
/// (`charts/municipalities_forest.png|svg`) and the decomposition of the spread
/// (`charts/municipalities_spread.png|svg`).
pub fn render_municipalities(
    cmp: &som_core::municipalities::Comparison,
    lang: style::Lang,
) -> Result<Vec<(String, Vec<u8>)>> {
    register_font()?;
    let fmt = style::Fmt { lang };
    let mut out = Vec::new();
    both(&forest::Forest { cmp, fmt }, &mut out)?;
    both(&forest::SpreadChart { cmp, fmt }, &mut out)?;
    Ok(out)
}

/// The position of a department (by id) in the department map: the key of its colour.
fn department_index(run: &Run, id: &str) -> usize {
    run.model
        .departments
        .iter()
        .position(|d| d.id == id)
        .unwrap_or(0)
}

/// Name of a department (by id) in the chart's language.
fn department_name(run: &Run, fmt: style::Fmt, id: &str) -> String {
    crate::format::department_name(run, fmt.lang, id, id)
}

/// Departments left out of charts of the public-sector total, for a note.
fn not_public_note(run: &Run, fmt: style::Fmt) -> Option<String> {
    let left: Vec<String> = run
        .summary
        .results
        .by_department
        .iter()
        .filter(|g| !g.public)
        .map(|g| department_name(run, fmt, &g.id))
        .collect();
    (!left.is_empty()).then(|| match fmt.lang {
        style::Lang::Da => format!(
            "{} vises ikke: uden for den offentlige sektor og dens total.",
            left.join(", ")
        ),
        style::Lang::En => format!(
            "{} not shown: outside the public sector and its total.",
            left.join(", ")
        ),
    })
}

/// Text that says how amounts are stated: unit, price year.
fn amounts(run: &Run, unit: &style::Unit) -> String {
    match unit.fmt.lang {
        style::Lang::Da => format!("{}, {}-priser", unit.name, run.summary.scenario.price_year),
        style::Lang::En => format!("{}, {} prices", unit.name, run.summary.scenario.price_year),
    }
}

/// A calendar-year label of a year index on an axis (the index less `offset`); empty between
/// whole years, "Start" before the first.
fn year_label(first_year: i32, v: f64, offset: f64) -> String {
    let k = v - offset;
    if (k - k.round()).abs() > 1e-6 {
        String::new()
    } else if k < -0.5 {
        "Start".into()
    } else {
        (first_year + k.round() as i32).to_string()
    }
}

/// How many year ticks fit with room between the labels: every year up to 14 years, every
/// second up to 30, then every fifth.
fn year_ticks(h: usize) -> usize {
    if h <= 14 {
        h + 1
    } else if h <= 30 {
        h / 2 + 1
    } else {
        h / 5 + 1
    }
}
