//! Reports for people: a self-contained HTML report of a run ([`html`]), a Markdown summary for
//! pasting into case papers ([`markdown`]), and the comparison of several scenarios side by
//! side ([`compare`]), in Danish or English.
//!
//! Pure: text is built in memory from a [`som_core::Run`] (and its chart bytes); writing the files
//! is the caller's. Numbers are formatted by the language: Danish `1.234.567 kr.` and `12,5 %`,
//! English `1,234,567 kr.` and `12.5 %`; a negative number carries a true minus sign.

use som_core::metrics::{Metrics, PaybackStatus};
use som_core::stats::Stat;
use som_core::summary::Run;

pub use som_core::lang::Lang;

/// Number formatting by language.
#[derive(Debug, Clone, Copy)]
pub struct Num {
    pub lang: Lang,
}

impl Num {
    fn separators(self) -> (char, char) {
        match self.lang {
            Lang::Da => ('.', ','),
            Lang::En => (',', '.'),
        }
    }

    /// `v` with `decimals` decimals, thousands grouped, a true minus sign; "−0" is "0".
    pub fn dec(self, v: f64, decimals: usize) -> String {
        if !v.is_finite() {
            return "–".into();
        }
        let (thousands, point) = self.separators();
        let s = format!("{:.*}", decimals, v.abs());
        let (int, frac) = match s.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (s.as_str(), None),
        };
        let mut out = String::with_capacity(s.len() + 6);
        for (i, c) in int.chars().enumerate() {
            if i > 0 && (int.len() - i) % 3 == 0 {
                out.push(thousands);
            }
            out.push(c);
        }
        if let Some(f) = frac {
            out.push(point);
            out.push_str(f);
        }
        let zero = s.chars().all(|c| c == '0' || c == '.');
        if v < 0.0 && !zero {
            format!("\u{2212}{out}")
        } else {
            out
        }
    }

    /// A whole amount: `1.234.567` in Danish, `1,234,567` in English.
    pub fn int(self, v: f64) -> String {
        self.dec(v, 0)
    }

    /// A whole amount with its currency: `1.234.567 kr.`; a one-character symbol goes first
    /// (`£1,234`).
    pub fn money(self, v: f64, currency: &str) -> String {
        let n = self.int(v);
        if currency.chars().count() == 1 {
            match n.strip_prefix('\u{2212}') {
                Some(rest) => format!("\u{2212}{currency}{rest}"),
                None => format!("{currency}{n}"),
            }
        } else {
            format!("{n} {currency}")
        }
    }

    /// A probability or share as a percentage with one decimal: `12,5 %`.
    pub fn pct(self, p: f64) -> String {
        format!("{} %", self.dec(p * 100.0, 1))
    }

    /// An optional ratio with two decimals; "–" where undefined.
    pub fn ratio(self, v: Option<f64>) -> String {
        v.map_or_else(|| "–".into(), |x| self.dec(x, 2))
    }

    /// An input value: as many decimals as it needs (up to 4), thousands grouped.
    pub fn value(self, v: f64) -> String {
        let d = (0..4)
            .find(|&d| {
                let s = v * 10f64.powi(d);
                (s - s.round()).abs() < 1e-9 * s.abs().max(1.0)
            })
            .unwrap_or(4);
        self.dec(v, d as usize)
    }
}

/// The payback of a group in words.
pub fn payback_text(lang: Lang, m: &Metrics) -> String {
    match (m.payback_status, m.payback_year, m.payback_calendar_year) {
        (PaybackStatus::PaysBack, Some(y), Some(c)) => {
            format!("{c} ({} {y})", lang.t("year", "år"))
        }
        (PaybackStatus::NoNetInvestment, ..) => {
            lang.t("no net investment", "ingen nettoinvestering").into()
        }
        _ => lang
            .t("not within the horizon", "ikke inden for tidshorisonten")
            .into(),
    }
}

/// The interval of a Monte Carlo statistic, `[low; high]`, in whole amounts.
pub fn interval(num: Num, s: &Stat) -> Option<String> {
    interval_of(num, s.low, s.high)
}

/// `[low; high]` in whole amounts, when both ends are known.
pub fn interval_of(num: Num, low: Option<f64>, high: Option<f64>) -> Option<String> {
    Some(format!("[{}; {}]", num.int(low?), num.int(high?)))
}

/// The interval's coverage in words: "90 % interval" for quantiles (0.05, 0.95).
pub fn interval_name(lang: Lang, q: (f64, f64)) -> String {
    let cover = Num { lang }.dec((q.1 - q.0) * 100.0, 0);
    match lang {
        Lang::Da => format!("{cover} %-interval"),
        Lang::En => format!("{cover} % interval"),
    }
}

/// The name of a department (by id) in the report's language.
pub fn department_name(run: &Run, lang: Lang, id: &str, fallback: &str) -> String {
    entity_name(&run.model.departments, lang, id, fallback)
}

/// The name of an actor (by id) in the report's language.
pub fn actor_name(run: &Run, lang: Lang, id: &str, fallback: &str) -> String {
    entity_name(&run.model.actors, lang, id, fallback)
}

fn entity_name(list: &[som_core::model::Entity], lang: Lang, id: &str, fallback: &str) -> String {
    let e = list.iter().find(|e| e.id == id);
    match (lang, e) {
        (Lang::Da, Some(e)) => e.name_da.clone().unwrap_or_else(|| e.name.clone()),
        (Lang::En, Some(e)) => e.name.clone(),
        _ => fallback.to_string(),
    }
}

/// The name of the public-sector total.
pub fn total_name(lang: Lang) -> &'static str {
    lang.t("Public sector, total", "Offentlig sektor i alt")
}

/// Standard base64 (RFC 4648, with padding), for data URIs.
pub fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        out.push(A[(n >> 18) as usize & 63] as char);
        out.push(A[(n >> 12) as usize & 63] as char);
        out.push(if chunk.len() > 1 {
            A[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if chunk.len() > 2 {
            A[n as usize & 63] as char
        } else {
            '='
        });
    }
    out
}

/// Text escaped for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Text made safe for a Markdown table cell (pipes escaped, line breaks joined).
pub fn md_cell(s: &str) -> String {
    // Markdown passes HTML through: `<`, `>` and `&` as entities, so that text from a scenario
    // is shown, never interpreted.
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
}

/// A distribution in plain words: its family and its central 95 % interval.
pub fn dist_text(num: Num, d: &som_core::dist::Dist) -> String {
    use som_core::dist::Dist;
    let lang = num.lang;
    let family = match d {
        Dist::Normal { .. } => lang.t("normal", "normalfordelt"),
        Dist::LogNormal { .. } => lang.t("log-normal", "lognormalfordelt"),
        Dist::Gamma { .. } => lang.t("gamma", "gammafordelt"),
        Dist::Beta { .. } => lang.t("beta", "betafordelt"),
        Dist::Uniform { .. } => lang.t("uniform", "ligefordelt"),
        Dist::Triangular { .. } => lang.t("triangular", "trekantfordelt"),
        Dist::Pert { .. } => "PERT",
        Dist::Discrete { .. } => lang.t("discrete", "diskret"),
    };
    match (d.quantile(0.025), d.quantile(0.975)) {
        (Some(lo), Some(hi)) => format!(
            "{family}, {} [{}; {}]",
            lang.t("95 % interval", "95 %-interval"),
            num.value(round_sig(lo)),
            num.value(round_sig(hi))
        ),
        _ => family.to_string(),
    }
}

/// `v` rounded to 4 significant digits (for showing interval ends).
pub fn round_sig(v: f64) -> f64 {
    if v == 0.0 || !v.is_finite() {
        return v;
    }
    let mag = v.abs().log10().floor() as i32;
    let f = 10f64.powi(3 - mag);
    (v * f).round() / f
}

/// The colour of a gain (a net saving) in every table and chart som draws: Okabe–Ito's blue.
pub const GAIN: (u8, u8, u8) = (0x00, 0x72, 0xb2);
/// The colour of a cost (a net expense): a dark vermillion, readable as text on white (5.5:1).
pub const COST: (u8, u8, u8) = (0xb3, 0x47, 0x00);

/// The style sheet of every HTML page som writes (inline: a page references nothing outside
/// itself).
pub const STYLE: &str = "\
:root{--ink:#222;--muted:#5f5f5f;--rule:#d9d9d9;--soft:#f4f5f7;--accent:#0072b2;--cost:#b34700;--gain:#0072b2}
*{box-sizing:border-box}
body{margin:0;color:var(--ink);background:#fff;font:15px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',Arial,sans-serif}
main{max-width:1120px;margin:0 auto;padding:28px 24px 60px}
h1{font-size:28px;margin:0 0 4px}
h2{font-size:20px;margin:36px 0 10px;padding-bottom:4px;border-bottom:2px solid var(--ink)}
h3{font-size:16px;margin:22px 0 8px}
p{margin:8px 0;max-width:80ch}
.sub{color:var(--muted);margin:0 0 18px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(240px,1fr));gap:12px;margin:12px 0}
.card{background:var(--soft);border-radius:6px;padding:12px 14px}
.card .k{color:var(--muted);font-size:13px}
.card .v{font-size:22px;font-weight:600;font-variant-numeric:tabular-nums}
.card .i{color:var(--muted);font-size:13px;font-variant-numeric:tabular-nums}
.scroll{overflow-x:auto}
table{border-collapse:collapse;margin:8px 0 4px;font-size:14px;min-width:50%}
th,td{padding:5px 10px;border-bottom:1px solid var(--rule);vertical-align:top}
th{text-align:left;background:var(--soft);font-weight:600}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.total td{font-weight:600;border-top:2px solid var(--ink)}
.cost{color:var(--cost)}
.gain{color:var(--gain)}
.note{color:var(--muted);font-size:13px}
.warn{border-left:4px solid var(--cost);padding:4px 10px;background:#fff4ec}
figure{margin:18px 0}
figure img{width:100%;height:auto;border:1px solid var(--rule)}
figcaption{color:var(--muted);font-size:13px;margin-top:4px}
code{font-size:13px;background:var(--soft);padding:0 3px;border-radius:3px;word-break:break-all}
@media print{main{max-width:none;padding:0}h2{break-after:avoid}figure,table{break-inside:avoid}}
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn danish_and_english_numbers() {
        let da = Num { lang: Lang::Da };
        let en = Num { lang: Lang::En };
        assert_eq!(da.money(1_234_567.4, "kr."), "1.234.567 kr.");
        assert_eq!(en.money(1_234_567.4, "kr."), "1,234,567 kr.");
        assert_eq!(da.money(-1_234_567.6, "kr."), "\u{2212}1.234.568 kr.");
        assert_eq!(en.money(-1234.0, "£"), "\u{2212}£1,234");
        assert_eq!(da.dec(1234.5, 2), "1.234,50");
        assert_eq!(en.dec(1234.5, 2), "1,234.50");
        assert_eq!(da.pct(0.1234), "12,3 %");
        assert_eq!(en.pct(0.1234), "12.3 %");
        assert_eq!(da.int(-0.4), "0");
        assert_eq!(da.int(999.0), "999");
        assert_eq!(da.int(1000.0), "1.000");
        assert_eq!(en.value(0.3), "0.3");
        assert_eq!(da.value(556_158.65), "556.158,65");
        assert_eq!(da.ratio(None), "–");
        assert_eq!(interval_name(Lang::Da, (0.05, 0.95)), "90 %-interval");
    }

    #[test]
    fn base64_matches_rfc4648_vectors() {
        // RFC 4648 section 10.
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, coded) in cases {
            assert_eq!(base64(plain.as_bytes()), coded);
        }
    }

    #[test]
    fn escaping() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert_eq!(md_cell("a|b\nc"), "a\\|b c");
        assert_eq!(round_sig(123_456.0), 123_500.0);
        assert_eq!(round_sig(0.012_345), 0.01235);
    }
}
