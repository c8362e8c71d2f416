//! What every chart shares: the canvas, the department palette, text styles, number formats,
//! the frame (title, scenario, notes) and the legend.

pub use crate::format::Lang;
use crate::format::Num;
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Size of every chart, in pixels (PNG) and user units (SVG): 16:9, for reports and slides.
pub const WIDTH: u32 = 1280;
pub const HEIGHT: u32 = 720;

/// The font family text is drawn in. The embedded DejaVu Sans is registered under this name,
/// so an SVG names a family every viewer has.
pub const FAMILY: &str = "sans-serif";

/// Result of drawing on backend `DB`.
pub type Drawn<DB, T = ()> = Result<T, DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

pub const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
pub const MUTED: RGBColor = RGBColor(0x5f, 0x5f, 0x5f);
pub const GRID: RGBColor = RGBColor(0xe4, 0xe4, 0xe4);
pub const TOTAL: RGBColor = RGBColor(0, 0, 0);

/// Department colours: Paul Tol's "muted" qualitative scheme, distinct for the common forms of
/// colour blindness, in his recommended order. A department's colour is the one at its position
/// in the department map, so it is the same in every chart and every scenario that uses the
/// map; past the nine of the scheme come Okabe–Ito's orange and sky blue and a neutral grey
/// (the 13th department takes the 1st colour again). Black is the total's.
pub const PALETTE: [RGBColor; 12] = [
    RGBColor(0x33, 0x22, 0x88), // indigo
    RGBColor(0x88, 0xcc, 0xee), // cyan
    RGBColor(0x44, 0xaa, 0x99), // teal
    RGBColor(0x11, 0x77, 0x33), // green
    RGBColor(0x99, 0x99, 0x33), // olive
    RGBColor(0xdd, 0xcc, 0x77), // sand
    RGBColor(0xcc, 0x66, 0x77), // rose
    RGBColor(0x88, 0x22, 0x55), // wine
    RGBColor(0xaa, 0x44, 0x99), // purple
    RGBColor(0xe6, 0x9f, 0x00), // orange
    RGBColor(0x56, 0xb4, 0xe9), // sky blue
    RGBColor(0x99, 0x99, 0x99), // grey
];

/// The colour of the department at `index` in the department map.
pub fn department_colour(index: usize) -> RGBColor {
    PALETTE[index % PALETTE.len()]
}

/// A gain and a cost: the same two colours as in the tables of the report and the workbook
/// ([`crate::format::GAIN`], [`crate::format::COST`]). Used for nothing else.
pub const GAIN: RGBColor = RGBColor(
    crate::format::GAIN.0,
    crate::format::GAIN.1,
    crate::format::GAIN.2,
);
pub const COST: RGBColor = RGBColor(
    crate::format::COST.0,
    crate::format::COST.1,
    crate::format::COST.2,
);
/// A pair of opposites that are not gain and cost (an input's low and high end, say):
/// Okabe–Ito's orange and sky blue.
pub const LOW: RGBColor = RGBColor(0xe6, 0x9f, 0x00);
pub const HIGH: RGBColor = RGBColor(0x56, 0xb4, 0xe9);

/// `c` faded towards white: `t` = 0 white, 1 the colour itself (the heat maps' cells).
pub fn blend(c: RGBColor, t: f64) -> RGBColor {
    let f = |a: u8| (255.0 + (a as f64 - 255.0) * t).round() as u8;
    RGBColor(f(c.0), f(c.1), f(c.2))
}

/// Text of `size` pixels in `colour`, anchored at `anchor`.
pub fn text(size: f64, colour: &RGBColor, anchor: (HPos, VPos)) -> TextStyle<'static> {
    FontDesc::new(FontFamily::Name(FAMILY), size, FontStyle::Normal)
        .color(colour)
        .pos(Pos::new(anchor.0, anchor.1))
}

pub const LEFT_TOP: (HPos, VPos) = (HPos::Left, VPos::Top);
pub const LEFT_CENTER: (HPos, VPos) = (HPos::Left, VPos::Center);
pub const RIGHT_CENTER: (HPos, VPos) = (HPos::Right, VPos::Center);
pub const CENTER: (HPos, VPos) = (HPos::Center, VPos::Center);
pub const CENTER_TOP: (HPos, VPos) = (HPos::Center, VPos::Top);
pub const CENTER_BOTTOM: (HPos, VPos) = (HPos::Center, VPos::Bottom);

/// Tick labels, legend entries and notes.
pub const SMALL: f64 = 15.0;
pub const NOTE: f64 = 13.0;

/// Number formats of a chart's language: English `1,234.5`, Danish `1.234,5`; a true minus.
#[derive(Debug, Clone, Copy, Default)]
pub struct Fmt {
    pub lang: Lang,
}

impl Fmt {
    /// The text in the chart's language.
    pub fn t<'a>(self, en: &'a str, da: &'a str) -> &'a str {
        self.lang.t(en, da)
    }

    /// `v` with thousands grouped, `decimals` decimals and a true minus sign.
    pub fn group(self, v: f64, decimals: usize) -> String {
        Num { lang: self.lang }.dec(v, decimals)
    }

    /// Fewest decimals (up to 3) that show a tick value exactly.
    pub fn tick(self, v: f64) -> String {
        let d = (0..3)
            .find(|&d| {
                let s = v * 10f64.powi(d);
                (s - s.round()).abs() < 1e-6 * s.abs().max(1.0)
            })
            .unwrap_or(3);
        self.group(v, d as usize)
    }

    /// A probability as a percentage with one decimal.
    pub fn percent(self, p: f64) -> String {
        format!("{} %", self.group(p * 100.0, 1))
    }
}

/// The unit amounts are shown in: kr., thousand kr. or million kr. (Danish: 1.000 kr., mio.
/// kr.), chosen from the largest magnitude on the chart so that axis labels stay short.
#[derive(Debug, Clone)]
pub struct Unit {
    pub div: f64,
    /// E.g. "thousand kr." or "£ thousand".
    pub name: String,
    /// Decimals of a value label: none where the largest value reaches 100 units (or the unit
    /// is the currency itself), else one; the same for every label of a chart.
    pub decimals: usize,
    pub fmt: Fmt,
}

impl Unit {
    pub fn for_max(max_abs: f64, currency: &str, fmt: Fmt) -> Unit {
        let (div, word) = if max_abs >= 1e7 {
            (1e6, fmt.t("million", "mio."))
        } else if max_abs >= 1e4 {
            (1e3, fmt.t("thousand", "1.000"))
        } else {
            (1.0, "")
        };
        let name = if word.is_empty() {
            currency.to_string()
        } else if currency.chars().count() <= 1 {
            format!("{currency} {word}")
        } else {
            format!("{word} {currency}")
        };
        let decimals = usize::from(div > 1.0 && max_abs / div < 100.0);
        Unit {
            div,
            name,
            decimals,
            fmt,
        }
    }

    /// An amount in this unit, rounded for a label.
    pub fn label(&self, raw: f64) -> String {
        self.fmt.group(raw / self.div, self.decimals)
    }
}

/// Split `s` into lines no wider than `width` pixels in `style` (a word longer than the width
/// keeps its own line).
pub fn wrap<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    s: &str,
    style: &TextStyle,
    width: u32,
) -> Drawn<DB, Vec<String>> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in s.split_whitespace() {
        let candidate = if line.is_empty() {
            word.to_string()
        } else {
            format!("{line} {word}")
        };
        if !line.is_empty() && area.estimate_text_size(&candidate, style)?.0 > width {
            lines.push(std::mem::replace(&mut line, word.to_string()));
        } else {
            line = candidate;
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    Ok(lines)
}

/// `s` cut with an ellipsis to at most `width` pixels in `style`.
pub fn fit<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    s: &str,
    style: &TextStyle,
    width: u32,
) -> Drawn<DB, String> {
    if area.estimate_text_size(s, style)?.0 <= width {
        return Ok(s.to_string());
    }
    let chars: Vec<char> = s.chars().collect();
    let mut n = chars.len();
    while n > 1 {
        n -= 1;
        let t: String = chars[..n].iter().collect::<String>().trim_end().to_string() + "…";
        if area.estimate_text_size(&t, style)?.0 <= width {
            return Ok(t);
        }
    }
    Ok("…".into())
}

/// The frame of a chart: white background, the title and the scenario's name at the top, notes
/// at the bottom. Returns the area left for the chart.
/// The plot of a chart with one row per item and a value axis across (`x`; rows up to `y_end`,
/// `rows` of them drawn): the value grid, its ticks by `f`, the axis named `desc`, and a line
/// at zero across the rows where the range holds it. `(margin_right, x_area)` in pixels.
pub fn rows_across<'a, DB: DrawingBackend>(
    plot: &'a DrawingArea<DB, Shift>,
    x: std::ops::Range<f64>,
    (y_end, rows): (f64, f64),
    (margin_right, x_area): (u32, u32),
    desc: String,
    f: &Fmt,
) -> Drawn<DB, ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>> {
    let x_fmt = |v: &f64| f.tick(*v);
    let mut chart = ChartBuilder::on(plot)
        .margin_top(8)
        .margin_right(margin_right)
        .x_label_area_size(x_area)
        .build_cartesian_2d(x.clone(), 0.0..y_end)?;
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
        .x_desc(desc)
        .draw()?;
    if x.start < 0.0 && x.end > 0.0 {
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(0.0, 0.0), (0.0, rows)],
            INK.stroke_width(1),
        )))?;
    }
    Ok(chart)
}

pub fn frame<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    scenario: &str,
    notes: &[String],
) -> Drawn<DB, DrawingArea<DB, Shift>> {
    root.fill(&WHITE)?;
    let (w, h) = root.dim_in_pixel();
    root.draw_text(title, &text(24.0, &INK, LEFT_TOP), (24, 16))?;
    let sub = text(SMALL, &MUTED, LEFT_TOP);
    let scenario = fit(root, scenario, &sub, w - 48)?;
    root.draw_text(&scenario, &sub, (24, 50))?;
    let note = text(NOTE, &MUTED, LEFT_TOP);
    let mut lines = Vec::new();
    for n in notes {
        lines.extend(wrap(root, n, &note, w - 48)?);
    }
    let line_h = 18;
    let foot = lines.len() as i32 * line_h;
    for (i, l) in lines.iter().enumerate() {
        root.draw_text(l, &note, (24, h as i32 - 12 - foot + i as i32 * line_h))?;
    }
    Ok(root.margin(80, 20 + foot, 16, 24))
}

/// How a legend entry is marked.
#[derive(Debug, Clone, Copy)]
pub enum Mark {
    /// A filled square.
    Box(RGBColor),
    /// A line of the given width; dashed when the flag is set.
    Line(RGBColor, u32, bool),
    /// A translucent band.
    Band(RGBAColor),
}

/// Draw a vertical legend with its top left at `(x, y)`, each label wrapped to `width`.
pub fn legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    (x, y): (i32, i32),
    width: u32,
    entries: &[(String, Mark)],
) -> Drawn<DB> {
    let style = text(SMALL, &INK, LEFT_TOP);
    let line_h = 19;
    let mut y = y;
    for (label, mark) in entries {
        let lines = wrap(area, label, &style, width.saturating_sub(34))?;
        let cy = y + 9;
        match *mark {
            Mark::Box(c) => {
                area.draw(&Rectangle::new([(x, cy - 7), (x + 22, cy + 7)], c.filled()))?;
            }
            Mark::Line(c, w, dashed) => {
                if dashed {
                    for k in 0..3 {
                        let x0 = x + k * 9;
                        area.draw(&PathElement::new(
                            vec![(x0, cy), (x0 + 5, cy)],
                            c.stroke_width(w),
                        ))?;
                    }
                } else {
                    area.draw(&PathElement::new(
                        vec![(x, cy), (x + 22, cy)],
                        c.stroke_width(w),
                    ))?;
                }
            }
            Mark::Band(c) => {
                area.draw(&Rectangle::new([(x, cy - 7), (x + 22, cy + 7)], c.filled()))?;
            }
        }
        for (i, l) in lines.iter().enumerate() {
            area.draw_text(l, &style, (x + 32, y + i as i32 * line_h))?;
        }
        y += lines.len().max(1) as i32 * line_h + 8;
    }
    Ok(())
}

/// Draw a dashed straight line between two pixel positions.
pub fn dashed<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    from: (i32, i32),
    to: (i32, i32),
    style: ShapeStyle,
) -> Drawn<DB> {
    let (dx, dy) = ((to.0 - from.0) as f64, (to.1 - from.1) as f64);
    let len = (dx * dx + dy * dy).sqrt();
    let (dash, gap) = (7.0, 5.0);
    let mut s = 0.0;
    while s < len {
        let e = (s + dash).min(len);
        let p = |t: f64| {
            (
                from.0 + (dx * t / len).round() as i32,
                from.1 + (dy * t / len).round() as i32,
            )
        };
        area.draw(&PathElement::new(vec![p(s), p(e)], style))?;
        s += dash + gap;
    }
    Ok(())
}

/// Vertical positions (pixel rows, counted from `top`) for labels at horizontal positions `xs`
/// so that labels closer than `min_gap` pixels go to the next row; returned in the order given.
pub fn stagger(xs: &[i32], min_gap: i32, row_h: i32, top: i32) -> Vec<i32> {
    let mut order: Vec<usize> = (0..xs.len()).collect();
    order.sort_by_key(|&i| xs[i]);
    let mut rows = vec![0; xs.len()];
    let mut last: Vec<i32> = Vec::new(); // last x used on each row
    for &i in &order {
        let r = last
            .iter()
            .position(|&lx| xs[i] - lx >= min_gap)
            .unwrap_or(last.len());
        if r == last.len() {
            last.push(xs[i]);
        } else {
            last[r] = xs[i];
        }
        rows[i] = top + r as i32 * row_h;
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_have_thousands_separators_and_a_true_minus() {
        let f = Fmt::default();
        assert_eq!(f.group(1234567.0, 0), "1,234,567");
        assert_eq!(f.group(-1234.5, 1), "\u{2212}1,234.5");
        assert_eq!(f.group(-0.04, 1), "0.0");
        assert_eq!(f.group(999.0, 0), "999");
        assert_eq!(f.tick(2500.0), "2,500");
        assert_eq!(f.tick(-2.5), "\u{2212}2.5");
        assert_eq!(f.tick(0.25), "0.25");
        let da = Fmt { lang: Lang::Da };
        assert_eq!(da.group(-1234.5, 1), "\u{2212}1.234,5");
        assert_eq!(da.percent(0.125), "12,5 %");
    }

    #[test]
    fn units_keep_axis_labels_short() {
        let f = Fmt::default();
        let u = Unit::for_max(14_678_634.0, "kr.", f);
        assert_eq!((u.div, u.name.as_str()), (1e6, "million kr."));
        let da = Unit::for_max(14_678_634.0, "kr.", Fmt { lang: Lang::Da });
        assert_eq!(
            (da.name.as_str(), da.label(14_678_634.0).as_str()),
            ("mio. kr.", "14,7")
        );
        assert_eq!(
            Unit::for_max(65_000.0, "kr.", Fmt { lang: Lang::Da }).name,
            "1.000 kr."
        );
        assert_eq!(u.label(14_678_634.0), "14.7");
        let u = Unit::for_max(165_000.0, "£", f);
        assert_eq!((u.div, u.name.as_str()), (1e3, "£ thousand"));
        assert_eq!(u.label(-125_932.0), "\u{2212}126");
        assert_eq!(u.label(-12_593.0), "\u{2212}13");
        assert_eq!(
            Unit::for_max(65_000.0, "kr.", f).label(-12_593.0),
            "\u{2212}12.6"
        );
        assert_eq!(Unit::for_max(900.0, "kr.", f).name, "kr.");
    }

    #[test]
    fn close_labels_are_staggered() {
        assert_eq!(stagger(&[100, 110, 300], 50, 20, 5), vec![5, 25, 5]);
        assert_eq!(stagger(&[300, 100], 50, 20, 0), vec![0, 0]);
    }
}
