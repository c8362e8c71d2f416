//! The Excel workbook of a run (`report.xlsx`), for the finance department: headline metrics,
//! the budget view, who pays and who gains, the flows by year and department, and every
//! assumption with its source and the run's provenance.
//!
//! Pure: the bytes are built in memory ([`workbook`]); writing is `io`'s. Amounts are numbers
//! (never text) with a thousands-separator format, headers name the unit, header rows are frozen.
//! The bytes depend on the run only: the document's creation date is fixed ([`CREATED`]), so
//! the same inputs give a byte-identical workbook.

use rust_xlsxwriter::{
    DocProperties, ExcelDateTime, Format, FormatBorder, Workbook, Worksheet, XlsxError,
};
use som_core::error::{Error, Result};
use som_core::summary::Run;

/// File name of the workbook in a run's output folder.
pub const FILE: &str = "report.xlsx";

/// The fixed creation date written into the workbook's properties (year, month, day), in place
/// of the time of the run, so that the bytes are reproducible.
pub const CREATED: (u16, u8, u8) = (2000, 1, 1);

fn err(e: XlsxError) -> Error {
    Error::Write {
        path: FILE.into(),
        message: e.to_string(),
    }
}

/// The formats of the workbook.
struct Styles {
    title: Format,
    note: Format,
    header: Format,
    section: Format,
    kr: Format,
    kr_bold: Format,
    /// Amounts in the colour of a gain or a cost ([`crate::format::GAIN`], `COST`), plain
    /// and bold.
    kr_gain: Format,
    kr_cost: Format,
    kr_bold_gain: Format,
    kr_bold_cost: Format,
    ratio: Format,
    share: Format,
    year: Format,
    text: Format,
    /// Long text, wrapped within its column (so that it prints within the page).
    wrap: Format,
    /// The language of labels and sheet names.
    lang: crate::format::Lang,
}

impl Styles {
    /// The amount format of a net `gain` (+ a gain, − a cost), in its colour.
    fn signed(&self, gain: f64, bold: bool) -> &Format {
        match (gain > 0.5, gain < -0.5, bold) {
            (true, _, false) => &self.kr_gain,
            (true, _, true) => &self.kr_bold_gain,
            (_, true, false) => &self.kr_cost,
            (_, true, true) => &self.kr_bold_cost,
            (_, _, false) => &self.kr,
            (_, _, true) => &self.kr_bold,
        }
    }

    /// A label in the workbook's language.
    fn t(&self, en: &'static str, da: &'static str) -> &'static str {
        self.lang.t(en, da)
    }

    fn new(lang: crate::format::Lang) -> Self {
        let header = Format::new()
            .set_bold()
            .set_text_wrap()
            .set_background_color(0xDDE5EE)
            .set_border_bottom(FormatBorder::Thin);
        Styles {
            title: Format::new().set_bold().set_font_size(14),
            note: Format::new().set_italic().set_font_color(0x555555),
            header,
            section: Format::new().set_bold().set_font_size(12),
            kr: Format::new().set_num_format("#,##0"),
            kr_bold: Format::new().set_num_format("#,##0").set_bold(),
            kr_gain: Format::new()
                .set_num_format("#,##0")
                .set_font_color(rgb(crate::format::GAIN)),
            kr_cost: Format::new()
                .set_num_format("#,##0")
                .set_font_color(rgb(crate::format::COST)),
            kr_bold_gain: Format::new()
                .set_num_format("#,##0")
                .set_bold()
                .set_font_color(rgb(crate::format::GAIN)),
            kr_bold_cost: Format::new()
                .set_num_format("#,##0")
                .set_bold()
                .set_font_color(rgb(crate::format::COST)),
            ratio: Format::new().set_num_format("0.000"),
            share: Format::new().set_num_format("0.0%"),
            year: Format::new().set_num_format("0"),
            text: Format::new(),
            wrap: Format::new()
                .set_text_wrap()
                .set_align(rust_xlsxwriter::FormatAlign::Top),
            lang,
        }
    }
}

fn rgb((r, g, b): (u8, u8, u8)) -> u32 {
    (u32::from(r) << 16) | (u32::from(g) << 8) | u32::from(b)
}

/// Longest text Excel keeps in one cell (characters); longer text is cut there.
const MAX_TEXT: usize = 32_767;

/// `s`, cut to what one cell can hold.
fn fit(s: &str) -> &str {
    match s.char_indices().nth(MAX_TEXT) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// A worksheet being filled row by row.
struct Sheet<'a> {
    ws: &'a mut Worksheet,
    row: u32,
    /// Columns of the widest row written, for the print area.
    cols: u16,
    /// The header row printed again at the top of every page.
    repeat: Option<u32>,
}

/// How a sheet prints: on A4, one page wide (so that no column is printed apart from its row
/// labels), as tall as it needs; the overview on one page.
#[derive(Clone, Copy, PartialEq)]
enum Page {
    Portrait,
    Landscape,
    Single,
}

/// A cell value.
enum V<'s> {
    S(&'s str),
    /// Long text, wrapped in its column.
    Wrap(&'s str),
    Kr(f64),
    KrBold(f64),
    /// A net amount, + a gain (NPV, net = benefit − cost): coloured as a gain or a cost.
    Net(f64),
    NetBold(f64),
    /// A net amount, + an expense (the budget view: expenditure +, saving −): coloured so.
    Spend(f64),
    SpendBold(f64),
    Ratio(f64),
    Share(f64),
    Year(f64),
    /// A number that may be missing (written blank).
    Opt(Option<f64>, Kind),
}

#[derive(Clone, Copy)]
enum Kind {
    Kr,
    Ratio,
    Year,
}

impl<'a> Sheet<'a> {
    fn new(ws: &'a mut Worksheet, name: &str, widths: &[f64]) -> Result<Self> {
        ws.set_name(name).map_err(err)?;
        for (c, w) in widths.iter().enumerate() {
            ws.set_column_width(c as u16, *w).map_err(err)?;
        }
        Ok(Sheet {
            ws,
            row: 0,
            cols: 1,
            repeat: None,
        })
    }

    fn text(&mut self, s: &str, f: &Format) -> Result<()> {
        self.ws
            .write_string_with_format(self.row, 0, fit(s), f)
            .map_err(err)?;
        self.row += 1;
        Ok(())
    }

    /// Print settings: A4 in `page`'s orientation, one page wide (the overview: one page), the
    /// rows written as the print area, the repeated header row, the scenario's name in the page
    /// header, and som's version, the sheet's name and the page number in the footer.
    fn print(&mut self, scenario: &str, page: Page, st: &Styles) -> Result<()> {
        let ws = &mut *self.ws;
        ws.set_paper_size(9);
        if page == Page::Landscape {
            ws.set_landscape();
        } else {
            ws.set_portrait();
        }
        let tall = if page == Page::Single { 1 } else { 0 };
        ws.set_print_fit_to_pages(1, tall);
        ws.set_margins(0.5, 0.5, 0.75, 0.75, 0.3, 0.3);
        ws.set_print_center_horizontally(page == Page::Single);
        if self.row > 0 {
            ws.set_print_area(0, 0, self.row - 1, self.cols - 1)
                .map_err(err)?;
        }
        if let Some(r) = self.repeat {
            ws.set_repeat_rows(r, r).map_err(err)?;
        }
        // Excel keeps a header of under 256 characters; `&` starts a code, `&&` is one `&`.
        let name: String = scenario
            .chars()
            .take(90)
            .collect::<String>()
            .replace('&', "&&");
        ws.set_header(format!("&L&\"-,Bold\"{name}"));
        ws.set_footer(format!(
            "&Lsom {}&C&A&R{}",
            som_core::summary::VERSION,
            st.t("Page &P of &N", "Side &P af &N")
        ));
        Ok(())
    }

    fn header(&mut self, cols: &[&str], st: &Styles) -> Result<u32> {
        self.cols = self.cols.max(cols.len() as u16);
        for (c, h) in cols.iter().enumerate() {
            self.ws
                .write_string_with_format(self.row, c as u16, *h, &st.header)
                .map_err(err)?;
        }
        self.row += 1;
        Ok(self.row)
    }

    fn values(&mut self, vals: &[V<'_>], st: &Styles) -> Result<()> {
        self.cols = self.cols.max(vals.len() as u16);
        for (c, v) in vals.iter().enumerate() {
            let c = c as u16;
            let (x, f) = match v {
                V::S(s) => {
                    self.ws
                        .write_string_with_format(self.row, c, fit(s), &st.text)
                        .map_err(err)?;
                    continue;
                }
                V::Wrap(s) => {
                    self.ws
                        .write_string_with_format(self.row, c, fit(s), &st.wrap)
                        .map_err(err)?;
                    continue;
                }
                V::Kr(x) => (Some(*x), &st.kr),
                V::KrBold(x) => (Some(*x), &st.kr_bold),
                V::Net(x) => (Some(*x), st.signed(*x, false)),
                V::NetBold(x) => (Some(*x), st.signed(*x, true)),
                V::Spend(x) => (Some(*x), st.signed(-*x, false)),
                V::SpendBold(x) => (Some(*x), st.signed(-*x, true)),
                V::Ratio(x) => (Some(*x), &st.ratio),
                V::Share(x) => (Some(*x), &st.share),
                V::Year(x) => (Some(*x), &st.year),
                V::Opt(x, k) => (
                    *x,
                    match k {
                        Kind::Kr => &st.kr,
                        Kind::Ratio => &st.ratio,
                        Kind::Year => &st.year,
                    },
                ),
            };
            match x.filter(|x| x.is_finite()) {
                Some(x) => {
                    self.ws
                        .write_number_with_format(self.row, c, x + 0.0, f)
                        .map_err(err)?;
                }
                None => {
                    self.ws
                        .write_string_with_format(self.row, c, "", &st.text)
                        .map_err(err)?;
                }
            }
        }
        self.row += 1;
        Ok(())
    }

    fn skip(&mut self) {
        self.row += 1;
    }

    fn freeze(&mut self, row: u32, col: u16) -> Result<()> {
        self.ws.set_freeze_panes(row, col).map_err(err)?;
        Ok(())
    }
}

/// The workbook of a run, as bytes, with labels and sheet names in `lang` (numbers are cells
/// with `#,##0`, which Excel shows in the reader's own number format).
pub fn workbook(run: &Run, lang: crate::format::Lang) -> Result<Vec<u8>> {
    let st = Styles::new(lang);
    let mut wb = Workbook::new();
    let created = ExcelDateTime::from_ymd(CREATED.0, CREATED.1, CREATED.2).map_err(err)?;
    let props = DocProperties::new()
        .set_title(&run.summary.scenario.name)
        .set_comment(format!(
            "Written by som {} (creation date fixed for reproducibility)",
            som_core::summary::VERSION
        ))
        .set_creation_datetime(&created);
    wb.set_properties(&props);
    overview_sheet(
        Sheet::new(
            wb.add_worksheet(),
            st.t("Overview", "Overblik"),
            &[
                40.0, 18.0, 16.0, 16.0, 16.0, 16.0, 16.0, 16.0, 16.0, 16.0, 16.0, 16.0,
            ],
        )?,
        run,
        &st,
    )?;
    summary_sheet(
        Sheet::new(
            wb.add_worksheet(),
            st.t("Summary", "Resumé"),
            &[34.0, 18.0, 18.0, 18.0, 18.0, 18.0, 14.0],
        )?,
        run,
        &st,
    )?;
    budget_sheet(
        Sheet::new(
            wb.add_worksheet(),
            st.t("Budget", "Budget"),
            &[
                30.0, 26.0, 15.0, 15.0, 15.0, 15.0, 15.0, 15.0, 15.0, 15.0, 15.0, 15.0, 17.0,
            ],
        )?,
        run,
        &st,
    )?;
    matrix_sheet(
        Sheet::new(
            wb.add_worksheet(),
            st.t("Who pays who gains", "Hvem betaler"),
            &[30.0, 16.0],
        )?,
        run,
        &st,
    )?;
    flows_sheet(
        Sheet::new(
            wb.add_worksheet(),
            st.t("Flows", "Strømme"),
            &[10.0, 30.0, 14.0, 16.0, 16.0, 16.0, 11.0, 16.0, 18.0],
        )?,
        run,
        &st,
    )?;
    assumptions_sheet(
        Sheet::new(
            wb.add_worksheet(),
            st.t("Assumptions", "Forudsætninger"),
            &[44.0, 18.0, 36.0, 90.0],
        )?,
        run,
        &st,
    )?;
    wb.save_to_buffer().map_err(err)
}

/// One page for a department head: the result for the public sector, each department's, and
/// the budget years where the scenario has a budget view; every table states its signs.
fn overview_sheet(mut s: Sheet<'_>, run: &Run, st: &Styles) -> Result<()> {
    let sm = &run.summary;
    let sc = &sm.scenario;
    let res = &sm.results;
    let m = &res.total.metrics;
    let unc = sm.uncertainty.as_ref();
    s.text(&sc.name, &st.title)?;
    let place = sc
        .municipality
        .as_deref()
        .map(|m| format!("{m}; "))
        .unwrap_or_default();
    s.text(
        &match st.lang {
            crate::format::Lang::En => format!(
                "{place}{} participants; {}–{}; amounts in {} at {} prices, present values \
                 discounted with {}.",
                res.participants,
                sc.first_year,
                sc.last_year,
                sc.currency,
                sm.conventions.price_year,
                sm.conventions.discount_schedule
            ),
            crate::format::Lang::Da => format!(
                "{place}{} deltagere; {}–{}; beløb i {} i {}-priser, nutidsværdier diskonteret \
                 med {}.",
                res.participants,
                sc.first_year,
                sc.last_year,
                sc.currency,
                sm.conventions.price_year,
                sm.conventions.discount_schedule
            ),
        },
        &st.note,
    )?;
    for w in &sm.warnings {
        // Across the page's columns, wrapped: a warning is read, not cut off.
        let text = format!("{}: {w}", st.t("Warning", "Advarsel"));
        let lines = text.chars().count().div_ceil(110).max(1);
        s.ws.merge_range(s.row, 0, s.row, 4, fit(&text), &st.wrap)
            .map_err(err)?;
        s.ws.set_row_height(s.row, 15.0 * lines as f64)
            .map_err(err)?;
        s.row += 1;
    }
    s.skip();
    s.text(
        st.t(
            "Result for the public sector (present values; NPV + a net gain, − a net cost)",
            "Resultat for den offentlige sektor (nutidsværdier; NNV + en nettogevinst, − en \
             nettoomkostning)",
        ),
        &st.section,
    )?;
    let (lo, hi);
    let mut head = vec![st.t("Result", "Resultat"), st.t("Value", "Værdi")];
    if let Some(u) = unc {
        lo = format!("{:.0} %", u.interval.0 * 100.0);
        hi = format!("{:.0} %", u.interval.1 * 100.0);
        head.extend([lo.as_str(), hi.as_str()]);
    }
    s.header(&head, st)?;
    type Range = Option<(Option<f64>, Option<f64>, Kind)>;
    let range = |f: fn(&som_core::uncertainty::GroupUncertainty) -> &som_core::stats::Stat,
                 k: Kind|
     -> Range {
        unc.map(|u| {
            let x = f(&u.total);
            (x.low, x.high, k)
        })
    };
    let mut rows: Vec<(&str, V, Range)> = vec![
        (
            st.t("Net present value (kr.)", "Nettonutidsværdi (kr.)"),
            V::NetBold(m.npv),
            range(|g| &g.npv, Kind::Kr),
        ),
        (
            st.t(
                "Investment, present value (kr.)",
                "Investering, nutidsværdi (kr.)",
            ),
            V::Kr(m.cost_pv),
            range(|g| &g.cost_pv, Kind::Kr),
        ),
        (
            st.t("Gains, present value (kr.)", "Gevinster, nutidsværdi (kr.)"),
            V::Kr(m.benefit_pv),
            range(|g| &g.benefit_pv, Kind::Kr),
        ),
    ];
    if sc.form == som_core::model::Form::SuccessRate {
        rows.push((
            st.t("Benefit-cost ratio", "Gevinst pr. krone"),
            V::Opt(m.bcr, Kind::Ratio),
            range(|g| &g.bcr, Kind::Ratio),
        ));
    }
    rows.push((
        st.t("Payback year", "Tilbagebetalingsår"),
        V::Opt(m.payback_calendar_year.map(f64::from), Kind::Year),
        None,
    ));
    rows.push((
        st.t("NPV per participant (kr.)", "NNV pr. deltager (kr.)"),
        V::Opt(res.net_per_participant, Kind::Kr),
        unc.map(|u| {
            let x = &u.net_per_participant;
            (x.low, x.high, Kind::Kr)
        }),
    ));
    for (label, v, r) in rows {
        let mut vals = vec![V::S(label), v];
        if let Some((lo, hi, k)) = r {
            vals.push(V::Opt(lo, k));
            vals.push(V::Opt(hi, k));
        }
        s.values(&vals, st)?;
    }
    if let Some(u) = unc {
        s.values(
            &[
                V::S(st.t(
                    "Probability that the NPV is positive",
                    "Sandsynlighed for positiv NNV",
                )),
                V::Share(u.total.p_npv_positive),
            ],
            st,
        )?;
    }
    if let Some(mk) = &sm.markov {
        for c in &mk.comparisons {
            let label = format!(
                "{} {} (kr.)",
                st.t("Cost per additional unit of", "Omkostning pr. ekstra enhed"),
                c.outcome
            );
            // Where one option dominates there is no ratio: the plain words instead.
            let value = match (c.cost_per_additional_unit, c.dominance) {
                (Some(x), _) => V::Kr(x),
                (None, "dominates") => V::S(st.t("cheaper and better", "billigere og bedre")),
                (None, "dominated") => V::S(st.t("dearer and worse", "dyrere og dårligere")),
                (None, _) => V::S("–"),
            };
            s.values(&[V::Wrap(&label), value], st)?;
        }
    }
    s.skip();
    s.text(
        st.t(
            "By department (present values; NPV + a net gain, − a net cost)",
            "Pr. forvaltning (nutidsværdier; NNV + en nettogevinst, − en nettoomkostning)",
        ),
        &st.section,
    )?;
    s.header(
        &[
            st.t("Department", "Forvaltning"),
            st.t("Investment (kr.)", "Investering (kr.)"),
            st.t("Gains (kr.)", "Gevinster (kr.)"),
            st.t("NPV (kr.)", "NNV (kr.)"),
            st.t("Payback year", "Tilbagebetalingsår"),
        ],
        st,
    )?;
    for g in &res.by_department {
        let name = crate::format::department_name(run, st.lang, &g.id, &g.name);
        let g = &g.metrics;
        s.values(
            &[
                V::S(&name),
                V::Kr(g.cost_pv),
                V::Kr(g.benefit_pv),
                V::Net(g.npv),
                V::Opt(g.payback_calendar_year.map(f64::from), Kind::Year),
            ],
            st,
        )?;
    }
    s.values(
        &[
            V::S(crate::format::total_name(st.lang)),
            V::KrBold(m.cost_pv),
            V::KrBold(m.benefit_pv),
            V::NetBold(m.npv),
            V::Opt(m.payback_calendar_year.map(f64::from), Kind::Year),
        ],
        st,
    )?;
    if let Some(b) = &sm.budget {
        s.skip();
        s.text(
            &format!(
                "{} ({}; {})",
                st.t(
                    "Budget years: net after refusion and keys",
                    "Budgetår: netto efter refusion og nøgler"
                ),
                crate::html::budget_prices(st.lang, b),
                st.t(
                    "expenditure + (red), saving − (blue)",
                    "udgift + (rød), besparelse − (blå)"
                )
            ),
            &st.section,
        )?;
        let years: Vec<String> = b.years.iter().map(|y| y.to_string()).collect();
        let mut head = vec![st.t("Department", "Forvaltning")];
        head.extend(years.iter().map(String::as_str));
        head.push(st.t("Sum (kr.)", "I alt (kr.)"));
        s.header(&head, st)?;
        for row in b.departments.iter().chain(std::iter::once(&b.total)) {
            let total = row.id == "total";
            let name = if total {
                row.name.clone()
            } else {
                crate::format::department_name(run, st.lang, &row.id, &row.name)
            };
            let mut vals = vec![V::S(&name)];
            for y in &row.years {
                let x = y.amounts.net_after_keys;
                vals.push(if total { V::SpendBold(x) } else { V::Spend(x) });
            }
            vals.push(V::SpendBold(row.sum.net_after_keys));
            s.values(&vals, st)?;
        }
    }
    s.skip();
    s.text(
        st.t(
            "The other sheets hold the details: every metric with its interval, the budget view,",
            "De andre ark har detaljerne: alle mål med interval, budgetvisningen,",
        ),
        &st.note,
    )?;
    s.text(
        st.t(
            "who pays and who gains, the flows year by year, and every assumption with its source.",
            "hvem betaler og hvem får gevinsten, strømmene år for år og alle forudsætninger med kilde.",
        ),
        &st.note,
    )?;
    s.print(&sc.name, Page::Single, st)
}

fn summary_sheet(mut s: Sheet<'_>, run: &Run, st: &Styles) -> Result<()> {
    let sm = &run.summary;
    let sc = &sm.scenario;
    let c = &sm.conventions;
    s.text(&sc.name, &st.title)?;
    s.text(
        &match st.lang {
            crate::format::Lang::En => format!(
                "Amounts in {} at {} prices; present values discounted with {} (timing {:?}); \
                 projection {}–{}. Cost and benefit are both given as positive amounts; \
                 NPV = benefit − cost: + a net gain (blue), − a net cost (red).",
                sc.currency,
                c.price_year,
                c.discount_schedule,
                c.timing,
                sc.first_year,
                sc.last_year
            ),
            crate::format::Lang::Da => format!(
                "Beløb i {} i {}-priser; nutidsværdier diskonteret med {} (timing {:?}); \
                 {}–{}. Omkostning og gevinst er begge positive beløb; NNV = gevinst − \
                 omkostning: + en nettogevinst (blå), − en nettoomkostning (rød).",
                sc.currency,
                c.price_year,
                c.discount_schedule,
                c.timing,
                sc.first_year,
                sc.last_year
            ),
        },
        &st.note,
    )?;
    s.skip();
    let unc = sm.uncertainty.as_ref();
    let mut head = vec![
        st.t(
            "Metric (total, public sector)",
            "Mål (i alt, offentlig sektor)",
        ),
        st.t("Base value", "Basisværdi"),
    ];
    let (lo_label, hi_label);
    if let Some(u) = unc {
        lo_label = format!("{:.0} % (low)", u.interval.0 * 100.0);
        hi_label = format!("{:.0} % (high)", u.interval.1 * 100.0);
        head.extend([
            st.t("Mean over draws", "Middel over træk"),
            lo_label.as_str(),
            hi_label.as_str(),
        ]);
    }
    let first = s.header(&head, st)?;
    s.freeze(first, 0)?;
    let t = &sm.results.total;
    let m = &t.metrics;
    let stat = |f: fn(&som_core::uncertainty::GroupUncertainty) -> &som_core::stats::Stat| {
        unc.map(|u| f(&u.total))
    };
    // The ratios and the success count belong to the success-rate form (`som_core::model::Form`).
    let ratios = sm.scenario.form == som_core::model::Form::SuccessRate;
    let mut rows: Vec<(&str, Option<f64>, Kind, Option<&som_core::stats::Stat>)> = vec![
        (
            st.t("NPV (kr.)", "NNV (kr.)"),
            Some(m.npv),
            Kind::Kr,
            stat(|g| &g.npv),
        ),
        (
            st.t("Cost, present value (kr.)", "Omkostning, nutidsværdi (kr.)"),
            Some(m.cost_pv),
            Kind::Kr,
            stat(|g| &g.cost_pv),
        ),
        (
            st.t("Benefit, present value (kr.)", "Gevinst, nutidsværdi (kr.)"),
            Some(m.benefit_pv),
            Kind::Kr,
            stat(|g| &g.benefit_pv),
        ),
        (
            st.t("Benefit-cost ratio", "Gevinst pr. krone"),
            m.bcr,
            Kind::Ratio,
            stat(|g| &g.bcr),
        ),
        (st.t("ROI", "ROI"), m.roi, Kind::Ratio, None),
        (
            st.t("Payback year (calendar)", "Tilbagebetalingsår"),
            m.payback_calendar_year.map(f64::from),
            Kind::Year,
            None,
        ),
        (
            st.t("Participants", "Deltagere"),
            Some(sm.results.participants),
            Kind::Ratio,
            None,
        ),
        (
            st.t(
                "Net additional successful outcomes",
                "Flere succeser, netto",
            ),
            Some(sm.results.net_outcomes),
            Kind::Ratio,
            unc.map(|u| &u.net_outcomes),
        ),
        (
            st.t("NPV per participant (kr.)", "NNV pr. deltager (kr.)"),
            sm.results.net_per_participant,
            Kind::Kr,
            unc.map(|u| &u.net_per_participant),
        ),
        (
            st.t(
                "Cost per net outcome (kr.)",
                "Omkostning pr. ekstra succes (kr.)",
            ),
            sm.results.cost_per_outcome,
            Kind::Kr,
            None,
        ),
    ];
    if !ratios {
        let left_out = [
            st.t("Benefit-cost ratio", "Gevinst pr. krone"),
            "ROI",
            st.t(
                "Net additional successful outcomes",
                "Flere succeser, netto",
            ),
            st.t(
                "Cost per net outcome (kr.)",
                "Omkostning pr. ekstra succes (kr.)",
            ),
        ];
        rows.retain(|r| !left_out.contains(&r.0));
    }
    for (label, v, k, stat) in rows {
        let mut vals = vec![V::S(label), V::Opt(v, k)];
        if unc.is_some() {
            vals.push(V::Opt(stat.and_then(|x| x.mean), k));
            vals.push(V::Opt(stat.and_then(|x| x.low), k));
            vals.push(V::Opt(stat.and_then(|x| x.high), k));
        }
        s.values(&vals, st)?;
    }
    if let Some(u) = unc {
        s.values(&[V::S("P(NPV > 0)"), V::Share(u.total.p_npv_positive)], st)?;
        s.values(
            &[
                V::S(&format!(
                    "P(payback within {} years)",
                    u.payback_within_years
                )),
                V::Share(u.total.p_payback_within),
            ],
            st,
        )?;
        s.values(
            &[
                V::S(st.t("Monte Carlo draws", "Monte Carlo-træk")),
                V::Year(u.draws as f64),
            ],
            st,
        )?;
    }
    let departments: Vec<(String, &str, &som_core::metrics::GroupResult)> = sm
        .results
        .by_department
        .iter()
        .map(|g| {
            let name = crate::format::department_name(run, st.lang, &g.id, &g.name);
            (name, g.actor.as_deref().unwrap_or(""), g)
        })
        .collect();
    let heads = [st.t("Department", "Forvaltning"), st.t("Actor", "Aktør")];
    group_table(
        &mut s,
        st,
        st.t("By department", "Pr. forvaltning"),
        heads,
        &departments,
    )?;
    s.values(
        &[
            V::S(crate::format::total_name(st.lang)),
            V::S(""),
            V::KrBold(m.cost_pv),
            V::KrBold(m.benefit_pv),
            V::NetBold(m.npv),
            V::Opt(m.payback_calendar_year.map(f64::from), Kind::Year),
        ],
        st,
    )?;
    let actors: Vec<(String, &str, &som_core::metrics::GroupResult)> = sm
        .results
        .by_actor
        .iter()
        .map(|g| (g.name.clone(), "", g))
        .collect();
    let heads = [st.t("Actor", "Aktør"), ""];
    group_table(&mut s, st, st.t("By actor", "Pr. aktør"), heads, &actors)?;
    if let Some(v) = unc.and_then(|u| u.value_of_information.as_ref()) {
        value_of_information(&mut s, run, v, st)?;
    }
    s.print(&run.summary.scenario.name, Page::Landscape, st)
}

/// What knowing each input before deciding to invest is worth (EVPPI), with the EVPI: the
/// inputs worth at least 1 kr., the named groups, and over the decision's population.
fn value_of_information(
    s: &mut Sheet<'_>,
    run: &Run,
    v: &som_core::uncertainty::ValueOfInformation,
    st: &Styles,
) -> Result<()> {
    s.skip();
    s.text(
        st.t(
            "Value of information: what knowing an input before deciding to invest is worth (kr.)",
            "Værdi af information: hvad det er værd at kende et input, før der besluttes (kr.)",
        ),
        &st.section,
    )?;
    let pop = v.population.as_ref();
    let mut head = vec![
        st.t("Input", "Input"),
        "EVPPI (kr.)",
        st.t("Standard error (kr.)", "Standardfejl (kr.)"),
    ];
    if pop.is_some() {
        head.push(st.t("Over the population (kr.)", "Over populationen (kr.)"));
    }
    s.header(&head, st)?;
    let mut evpi = vec![
        V::S(st.t("EVPI: every input", "EVPI: alle input")),
        V::KrBold(v.evpi),
        V::S(""),
    ];
    if let Some(p) = pop {
        evpi.push(V::KrBold(p.evpi));
    }
    s.values(&evpi, st)?;
    for (i, e) in v.inputs.iter().enumerate().filter(|(_, e)| e.value >= 0.5) {
        let label = run.label(st.lang, &e.input);
        let mut row = vec![V::Wrap(&label), V::Kr(e.value), V::Kr(e.se)];
        if let Some(p) = pop {
            row.push(V::Opt(p.inputs.get(i).map(|x| x.value), Kind::Kr));
        }
        s.values(&row, st)?;
    }
    for g in &v.groups {
        let label = format!(
            "{} {} ({})",
            st.t("Group", "Gruppe"),
            g.name,
            g.inputs.join(", ")
        );
        s.values(&[V::Wrap(&label), V::Kr(g.value), V::Kr(g.se)], st)?;
    }
    if let Some(note) = &v.note {
        s.text(note, &st.note)?;
    }
    Ok(())
}

/// A section of groups (departments or actors) under `title`: the two name columns headed
/// `heads`, then cost PV, benefit PV, NPV, payback year and whether the actor is public.
fn group_table(
    s: &mut Sheet<'_>,
    st: &Styles,
    title: &str,
    heads: [&str; 2],
    rows: &[(String, &str, &som_core::metrics::GroupResult)],
) -> Result<()> {
    s.skip();
    s.text(
        &format!(
            "{title} ({})",
            st.t(
                "present values; cost and benefit +, NPV = benefit − cost",
                "nutidsværdier; omkostning og gevinst +, NNV = gevinst − omkostning"
            )
        ),
        &st.section,
    )?;
    s.header(
        &[
            heads[0],
            heads[1],
            st.t("Cost PV (kr.)", "Omkostning NV (kr.)"),
            st.t("Benefit PV (kr.)", "Gevinst NV (kr.)"),
            st.t("NPV (kr.)", "NNV (kr.)"),
            st.t("Payback year", "Tilbagebetalingsår"),
            st.t("Public", "Offentlig"),
        ],
        st,
    )?;
    for (name, second, g) in rows {
        let m = &g.metrics;
        s.values(
            &[
                V::S(name),
                V::S(second),
                V::Kr(m.cost_pv),
                V::Kr(m.benefit_pv),
                V::Net(m.npv),
                V::Opt(m.payback_calendar_year.map(f64::from), Kind::Year),
                V::S(if g.public {
                    st.t("yes", "ja")
                } else {
                    st.t("no", "nej")
                }),
            ],
            st,
        )?;
    }
    Ok(())
}

fn budget_sheet(mut s: Sheet<'_>, run: &Run, st: &Styles) -> Result<()> {
    let Some(b) = &run.summary.budget else {
        s.text(st.t("Budget view", "Budgetvisning"), &st.title)?;
        s.text(
            "The scenario has no [budget] section; add one for the budget years in current \
             prices, refusion and distribution keys (docs/scenario-format.md, 4.11).",
            &st.note,
        )?;
        return s.print(&run.summary.scenario.name, Page::Portrait, st);
    };
    let cur = &run.summary.scenario.currency;
    s.text(
        &format!(
            "{}: {}",
            st.t("Budget view", "Budgetvisning"),
            run.summary.scenario.name
        ),
        &st.title,
    )?;
    s.text(
        &match st.lang {
            crate::format::Lang::En => format!(
                "{} in {} (moved from the scenario's {} prices); municipality `{}`; \
                 expenditure + (red), saving − (blue). Gross = paid out before refusion; \
                 refusion = the \
                 state's reimbursement; net = gross − refusion; keys hand a share of a \
                 department's net gain to another.",
                cur, b.price_level, b.scenario_price_year, b.municipality
            ),
            crate::format::Lang::Da => format!(
                "{} i {} (fremskrevet fra scenariets {}-priser); kommune `{}`; udgift + (rød), \
                 besparelse − (blå). Brutto = udbetalt før refusion; refusion = statens \
                 godtgørelse; netto = brutto − refusion; nøgler giver en andel af en \
                 forvaltnings nettogevinst til en anden.",
                cur,
                crate::html::budget_prices(st.lang, b),
                b.scenario_price_year,
                b.municipality
            ),
        },
        &st.note,
    )?;
    s.skip();
    let years: Vec<String> = b.years.iter().map(|y| format!("{y} ({cur})")).collect();
    let sum_label = format!(
        "{} {}–{} ({cur})",
        st.t("Sum", "I alt"),
        b.years[0],
        b.years[b.years.len() - 1]
    );
    let mut head = vec![st.t("Department", "Forvaltning"), st.t("Line", "Linje")];
    head.extend(years.iter().map(String::as_str));
    head.push(&sum_label);
    let first = s.header(&head, st)?;
    s.freeze(first, 2)?;
    s.repeat = Some(first - 1);
    type Get = fn(&som_core::budget::Amounts) -> f64;
    let lines: [(&str, Get); 5] = [
        (st.t("Gross", "Brutto"), |a| a.gross),
        ("Refusion", |a| a.refusion),
        (st.t("Net (before keys)", "Netto (før nøgler)"), |a| a.net),
        (st.t("Distribution keys", "Fordelingsnøgler"), |a| {
            a.transfer
        }),
        (st.t("Net after keys", "Netto efter nøgler"), |a| {
            a.net_after_keys
        }),
    ];
    for row in b.departments.iter().chain(std::iter::once(&b.total)) {
        let total = row.id == "total";
        for (label, get) in lines {
            let name = if total {
                row.name.clone()
            } else {
                crate::format::department_name(run, st.lang, &row.id, &row.name)
            };
            let mut vals = vec![V::S(&name), V::S(label)];
            for y in &row.years {
                vals.push(if total {
                    V::SpendBold(get(&y.amounts))
                } else {
                    V::Spend(get(&y.amounts))
                });
            }
            vals.push(V::SpendBold(get(&row.sum)));
            s.values(&vals, st)?;
        }
    }
    if let Some((u, bu)) = crate::html::budget_draws(run) {
        s.skip();
        s.text(
            &format!(
                "{} ({} {}, {})",
                st.t(
                    "Net after keys over the Monte Carlo draws",
                    "Netto efter nøgler over Monte Carlo-trækkene"
                ),
                u.draws,
                st.t("draws", "træk"),
                crate::format::interval_name(st.lang, u.interval)
            ),
            &st.section,
        )?;
        s.header(&head, st)?;
        let names = b.departments.iter().chain(std::iter::once(&b.total));
        let stats = bu.departments.iter().chain(std::iter::once(&bu.total));
        for (row, stat) in names.zip(stats) {
            let name = if row.id == "total" {
                row.name.clone()
            } else {
                crate::format::department_name(run, st.lang, &row.id, &row.name)
            };
            type Pick = fn(&som_core::stats::Stat) -> Option<f64>;
            let picks: [(&str, Pick); 3] = [
                (st.t("Mean", "Middelværdi"), |x| x.mean),
                (st.t("Low", "Nedre"), |x| x.low),
                (st.t("High", "Øvre"), |x| x.high),
            ];
            for (label, pick) in picks {
                let mut vals = vec![V::S(&name), V::S(label)];
                for y in &stat.years {
                    vals.push(V::Opt(pick(y), Kind::Kr));
                }
                vals.push(V::Opt(pick(&stat.sum), Kind::Kr));
                s.values(&vals, st)?;
            }
        }
        s.values(
            &[
                V::S(st.t(
                    "P(the municipality's net over the budget years is a saving)",
                    "P(kommunens netto over budgetårene er en besparelse)",
                )),
                V::S(""),
                V::Share(bu.p_net_saving),
            ],
            st,
        )?;
    }
    s.skip();
    s.text(
        st.t("Refusion rules applied", "Anvendte refusionsregler"),
        &st.section,
    )?;
    s.header(
        &[
            st.t("Applies to", "Gælder"),
            st.t("Rule", "Regel"),
            st.t("State share", "Statens andel"),
            st.t("Weeks of spell", "Uger i forløbet"),
            st.t("Case cost (kr./year)", "Udgift pr. sag (kr./år)"),
            st.t("Source", "Kilde"),
        ],
        st,
    )?;
    for r in &b.refusion {
        let weeks = r.weeks.map(|[a, b]| format!("{a}–{b}")).unwrap_or_default();
        s.values(
            &[
                V::S(&r.applies_to),
                V::S(&r.rule),
                V::Share(r.share),
                V::S(&weeks),
                V::Opt(r.case_cost, Kind::Kr),
                V::S(&r.source),
            ],
            st,
        )?;
    }
    if b.refusion.is_empty() {
        s.text("(none)", &st.note)?;
    }
    s.skip();
    s.text(st.t("Distribution keys", "Fordelingsnøgler"), &st.section)?;
    let mut head = vec![
        st.t("From", "Fra"),
        st.t("To", "Til"),
        st.t("Share", "Andel"),
    ];
    head.extend(years.iter().map(String::as_str));
    head.push(&sum_label);
    s.header(&head, st)?;
    for k in &b.keys {
        let mut vals = vec![V::S(&k.from), V::S(&k.to), V::Share(k.share)];
        vals.extend(k.transfer.iter().map(|&x| V::Spend(x)));
        vals.push(V::SpendBold(k.transfer_total));
        s.values(&vals, st)?;
    }
    if b.keys.is_empty() {
        s.text("(none)", &st.note)?;
    }
    s.skip();
    s.text(st.t("Price indices", "Prisindeks"), &st.section)?;
    let mut head = vec![
        st.t("Index", "Indeks"),
        st.t("Departments", "Forvaltninger"),
    ];
    let fy: Vec<String> = b.years.iter().map(|y| format!("Factor {y}")).collect();
    head.extend(fy.iter().map(String::as_str));
    s.header(&head, st)?;
    for i in &b.indices {
        let joined = i.departments.join(", ");
        let mut vals = vec![V::S(&i.id), V::S(&joined)];
        vals.extend(i.factors.iter().map(|&x| V::Ratio(x)));
        s.values(&vals, st)?;
    }
    s.print(&run.summary.scenario.name, Page::Landscape, st)
}

fn matrix_sheet(mut s: Sheet<'_>, run: &Run, st: &Styles) -> Result<()> {
    let w = &run.summary.results.who_pays_who_gains;
    let name = |id: &str| {
        run.summary
            .results
            .by_department
            .iter()
            .find(|g| g.id == id)
            .map_or(id.to_string(), |g| {
                crate::format::department_name(run, st.lang, &g.id, &g.name)
            })
    };
    s.text(
        st.t(
            "Who pays and who gains (present values, kr.)",
            "Hvem betaler, og hvem får gevinsten (nutidsværdier, kr.)",
        ),
        &st.title,
    )?;
    s.text(w.rule, &st.note)?;
    s.skip();
    let cols: Vec<String> = w
        .gaining
        .iter()
        .map(|g| format!("{} (kr.)", name(g)))
        .collect();
    let mut head = vec![
        st.t("Paying ↓ / gaining →", "Betaler ↓ / vinder →"),
        st.t("Share of investment", "Andel af investeringen"),
    ];
    head.extend(cols.iter().map(String::as_str));
    head.push(st.t("Row sum (kr.)", "Rækkesum (kr.)"));
    let first = s.header(&head, st)?;
    s.freeze(first, 1)?;
    s.repeat = Some(first - 1);
    for c in 0..cols.len() {
        s.ws.set_column_width(2 + c as u16, 18.0).map_err(err)?;
    }
    s.ws.set_column_width(2 + cols.len() as u16, 18.0)
        .map_err(err)?;
    for (i, inv) in w.investing.iter().enumerate() {
        let n = name(inv);
        let mut vals = vec![V::S(&n), V::Share(w.investing_share[i])];
        vals.extend(w.matrix[i].iter().map(|&x| V::Net(x)));
        vals.push(V::NetBold(w.matrix[i].iter().sum()));
        s.values(&vals, st)?;
    }
    let mut vals = vec![V::S("PV gain (kr.)"), V::S("")];
    vals.extend(w.gain.iter().map(|&x| V::NetBold(x)));
    vals.push(V::NetBold(w.gain.iter().sum()));
    s.values(&vals, st)?;
    s.print(&run.summary.scenario.name, Page::Landscape, st)
}

fn flows_sheet(mut s: Sheet<'_>, run: &Run, st: &Styles) -> Result<()> {
    let sm = &run.summary;
    s.text(
        st.t(
            "Flows by year and department",
            "Strømme pr. år og forvaltning",
        ),
        &st.title,
    )?;
    s.text(
        &format!(
            "Undiscounted amounts in {} at {} prices (the scenario's price year); cost = the \
             investment net of replaced services, benefit = savings, both +; net = benefit − \
             cost: + a net gain (blue), − a net cost (red).",
            sm.scenario.currency, sm.conventions.price_year
        ),
        &st.note,
    )?;
    s.skip();
    let first = s.header(
        &[
            st.t("Year", "År"),
            st.t("Department", "Forvaltning"),
            st.t("Actor", "Aktør"),
            st.t("Cost (kr.)", "Omkostning (kr.)"),
            st.t("Benefit (kr.)", "Gevinst (kr.)"),
            st.t("Net (kr.)", "Netto (kr.)"),
            st.t("Discount factor", "Diskonteringsfaktor"),
            st.t("Net PV (kr.)", "Netto NV (kr.)"),
            st.t("Cumulative net PV (kr.)", "Akk. netto NV (kr.)"),
        ],
        st,
    )?;
    s.freeze(first, 0)?;
    s.repeat = Some(first - 1);
    for g in sm
        .results
        .by_department
        .iter()
        .chain(std::iter::once(&sm.results.total))
    {
        for y in &g.years {
            s.values(
                &[
                    V::Year(f64::from(y.calendar_year)),
                    V::S(&if g.id == "total" {
                        crate::format::total_name(st.lang).to_string()
                    } else {
                        crate::format::department_name(run, st.lang, &g.id, &g.name)
                    }),
                    V::S(g.actor.as_deref().unwrap_or(if g.id == "total" {
                        st.t("public sector", "offentlig sektor")
                    } else {
                        ""
                    })),
                    V::Kr(y.cost),
                    V::Kr(y.benefit),
                    V::Net(y.net),
                    V::Ratio(y.discount_factor),
                    V::Net(y.net_pv),
                    V::Net(y.cumulative_net_pv),
                ],
                st,
            )?;
        }
    }
    s.print(&run.summary.scenario.name, Page::Landscape, st)
}

fn assumptions_sheet(mut s: Sheet<'_>, run: &Run, st: &Styles) -> Result<()> {
    let sm = &run.summary;
    s.text(
        st.t("Assumptions and sources", "Forudsætninger og kilder"),
        &st.title,
    )?;
    s.text(
        "Every numeric input of the scenario at its base value, the conventions, the budget \
         settings and where the run came from.",
        &st.note,
    )?;
    s.skip();
    let first = s.header(
        &[
            st.t("Input (field path)", "Input (feltsti)"),
            st.t("Value", "Værdi"),
            st.t("Distribution", "Fordeling"),
            st.t("Source", "Kilde"),
        ],
        st,
    )?;
    s.freeze(first, 0)?;
    s.repeat = Some(first - 1);
    for p in &sm.inputs {
        let dist = p
            .dist
            .as_ref()
            .map(|d| serde_json::to_string(d).unwrap_or_default())
            .unwrap_or_default();
        s.values(
            &[
                V::Wrap(&p.name),
                V::Ratio(p.value),
                V::Wrap(&dist),
                V::Wrap(p.source.as_deref().unwrap_or("")),
            ],
            st,
        )?;
    }
    s.skip();
    s.text(st.t("Conventions", "Konventioner"), &st.section)?;
    let c = &sm.conventions;
    let timing = format!("{:?}", c.timing).to_lowercase();
    for (k, v) in [
        (st.t("Price year", "Prisår"), c.price_year.to_string()),
        (
            st.t("Discount schedule", "Diskonteringssats"),
            c.discount_schedule.clone(),
        ),
        (
            st.t("Discount source", "Kilde til diskontering"),
            c.discount_source.clone(),
        ),
        ("Timing", timing),
        (
            st.t("Year 0 discounted", "År 0 diskonteres"),
            c.year0_discounted.to_string(),
        ),
        (
            st.t("Payback rule", "Tilbagebetalingsregel"),
            c.payback_rule.to_string(),
        ),
        (st.t("Sign rule", "Fortegnsregel"), c.sign_rule.to_string()),
    ] {
        s.values(&[V::S(k), V::S(&v)], st)?;
    }
    if let Some(b) = &sm.budget {
        s.skip();
        s.text(st.t("Budget view", "Budgetvisning"), &st.section)?;
        s.header(
            &[
                st.t("Setting", "Indstilling"),
                st.t("Value", "Værdi"),
                "",
                "Source",
            ],
            st,
        )?;
        s.values(
            &[
                V::S(st.t("Price level", "Prisniveau")),
                V::S(&b.price_level),
            ],
            st,
        )?;
        s.values(
            &[
                V::S(st.t("Municipality (actor)", "Kommune (aktør)")),
                V::S(&b.municipality),
            ],
            st,
        )?;
        for i in &b.indices {
            let src = match &i.date {
                Some(d) => format!("{} (dated {d})", i.source),
                None => i.source.clone(),
            };
            let note = if i.assumption_years.is_empty() {
                String::new()
            } else {
                format!(
                    "assumed rates in {}",
                    i.assumption_years
                        .iter()
                        .map(|y| y.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            s.values(
                &[
                    V::S(&format!("Price index `{}`", i.id)),
                    V::S(&i.departments.join(", ")),
                    V::S(&note),
                    V::S(&src),
                ],
                st,
            )?;
        }
        for r in &b.refusion {
            s.values(
                &[
                    V::S(&format!("Refusion `{}` on {}", r.rule, r.applies_to)),
                    V::Share(r.share),
                    V::S(r.line_source.as_deref().unwrap_or("")),
                    V::S(&r.source),
                ],
                st,
            )?;
        }
        for k in &b.keys {
            s.values(
                &[
                    V::S(&format!("Key {} → {}", k.from, k.to)),
                    V::Share(k.share),
                    V::S(""),
                    V::S(k.source.as_deref().unwrap_or("")),
                ],
                st,
            )?;
        }
    }
    s.skip();
    s.text(st.t("Provenance", "Sporbarhed"), &st.section)?;
    let p = &sm.provenance;
    s.values(&[V::S("som version"), V::S(p.som_version)], st)?;
    let seed = p
        .seed
        .map_or("none (deterministic run)".to_string(), |x| x.to_string());
    s.values(&[V::S("Seed"), V::S(&seed)], st)?;
    s.values(
        &[
            V::S(st.t("Monte Carlo draws", "Monte Carlo-træk")),
            V::Year(p.draws as f64),
        ],
        st,
    )?;
    s.header(
        &[
            st.t("Input file (role)", "Inputfil (rolle)"),
            "",
            st.t("Path", "Sti"),
            "SHA-256",
        ],
        st,
    )?;
    for i in &p.inputs {
        s.values(
            &[V::S(&i.role), V::S(""), V::S(&i.path), V::S(&i.sha256)],
            st,
        )?;
    }
    s.print(&run.summary.scenario.name, Page::Landscape, st)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_cut_to_what_a_cell_holds() {
        let long = "æ".repeat(MAX_TEXT + 10);
        assert_eq!(fit(&long).chars().count(), MAX_TEXT);
        assert_eq!(fit("kr."), "kr.");
    }
}
