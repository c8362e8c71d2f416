//! Numeric inputs of a scenario.
//!
//! Every number a scenario gives is a [`Param`]: a plain value (`participants = 18`), a table
//! with the value and where it came from (`participants = { value = 18, source = "…" }`), or
//! such a table with a distribution (`dist = "normal"` and its parameters). Format v1 files
//! (no `dist`) parse exactly as before.
//!
//! Accepted distribution keys (besides `value`, `source` and `note`):
//!
//! | `dist` | parameters |
//! |---|---|
//! | `fixed` | none (`value` required) |
//! | `normal` | `mean`, `sd`; or `low`, `high`: a 95 % interval |
//! | `lognormal` | `mu`, `sigma` of the logarithm; or `mean`, `sd` of the variable; or `low`, `high`: a 95 % interval of the variable |
//! | `gamma` | `shape`, `scale`; or `mean`, `sd` |
//! | `beta` | `alpha`, `beta`; or `mean`, `sd` |
//! | `uniform` | `min`, `max` |
//! | `triangular`, `pert` | `min`, `mode`, `max` |
//! | `discrete` | `values = [...]`, optional `weights = [...]` |
//!
//! `value` is the base value of deterministic runs; without it, a distribution's mean is.

use crate::dist::{self, Dist, Z95};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use std::borrow::Cow;
use std::fmt;

/// A numeric input: a value, optionally with its source, a note and a distribution.
///
/// Serialized, the distribution's tag and natural parameters sit beside `value`
/// (`{ "value": 1, "dist": "normal", "mean": 1, "sd": 0.2 }`), which reads back as the same
/// `Param`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Param {
    /// The base value: what a deterministic run uses.
    pub value: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The distribution a Monte Carlo run draws from; `None` for a fixed value.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub dist: Option<Dist>,
}

impl Param {
    pub fn fixed(value: f64) -> Self {
        Param {
            value,
            source: None,
            note: None,
            dist: None,
        }
    }

    /// The input times `s > 0` (value and distribution); `None` where the distribution cannot
    /// be scaled (a beta). The note says why the value differs from the file's.
    pub fn scaled(&self, s: f64, why: &str) -> Option<Param> {
        let dist = match &self.dist {
            Some(d) => Some(d.scaled(s)?),
            None => None,
        };
        let note = match &self.note {
            Some(n) => format!("{n}; × {s} ({why})"),
            None => format!("× {s} ({why})"),
        };
        Some(Param {
            value: self.value * s,
            source: self.source.clone(),
            note: Some(note),
            dist,
        })
    }

    /// An uncertain input whose base value is the distribution's mean.
    pub fn uncertain(dist: Dist) -> Self {
        Param {
            value: dist.mean(),
            source: None,
            note: None,
            dist: Some(dist),
        }
    }
}

impl From<f64> for Param {
    fn from(v: f64) -> Self {
        Param::fixed(v)
    }
}

impl<'de> Deserialize<'de> for Param {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ParamVisitor)
    }
}

/// The names `dist` takes.
pub const DIST_NAMES: &[&str] = &[
    "fixed",
    "normal",
    "lognormal",
    "gamma",
    "beta",
    "uniform",
    "triangular",
    "pert",
    "discrete",
];

/// The keys of a table without `dist`.
const PARAM_KEYS: &[&str] = &["value", "source", "note", "dist"];

/// Every numeric parameter key of any distribution.
const NUM_KEYS: &[&str] = &[
    "mean", "sd", "low", "high", "mu", "sigma", "shape", "scale", "alpha", "beta", "min", "mode",
    "max",
];

/// The list keys (of `discrete`).
const LIST_KEYS: &[&str] = &["values", "weights"];

/// The parameter sets a distribution accepts, one per form.
fn forms(name: &str) -> Option<&'static [&'static [&'static str]]> {
    Some(match name {
        "fixed" => &[],
        "normal" => &[&["mean", "sd"], &["low", "high"]],
        "lognormal" => &[&["mu", "sigma"], &["mean", "sd"], &["low", "high"]],
        "gamma" => &[&["shape", "scale"], &["mean", "sd"]],
        "beta" => &[&["alpha", "beta"], &["mean", "sd"]],
        "uniform" => &[&["min", "max"]],
        "triangular" | "pert" => &[&["min", "mode", "max"]],
        "discrete" => &[&["values", "weights"]],
        _ => return None,
    })
}

/// Keys that a form may leave out.
const OPTIONAL_KEYS: &[&str] = &["weights"];

fn ticked(keys: &[&str]) -> String {
    let t: Vec<String> = keys.iter().map(|k| format!("`{k}`")).collect();
    match t.len() {
        0 => String::new(),
        1 => t[0].clone(),
        n => format!("{} and {}", t[..n - 1].join(", "), t[n - 1]),
    }
}

/// "`mean` and `sd`, or `low` and `high`".
fn describe(name: &str, forms: &[&[&str]]) -> String {
    if name == "discrete" {
        return "`values` and optionally `weights`".into();
    }
    forms
        .iter()
        .map(|f| ticked(f))
        .collect::<Vec<_>>()
        .join(", or ")
}

/// A number, integer or decimal (finiteness is checked with the key's name).
struct Number(f64);

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Number;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Number, E> {
                Ok(Number(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Number, E> {
                Ok(Number(v as f64))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Number, E> {
                Ok(Number(v))
            }
        }
        d.deserialize_any(V)
    }
}

/// The keys of a table, as read.
#[derive(Default)]
struct Raw {
    value: Option<f64>,
    /// Numeric distribution parameters, in the order given.
    nums: Vec<(&'static str, f64)>,
    values: Option<Vec<f64>>,
    weights: Option<Vec<f64>>,
    /// Keys no distribution takes.
    unknown: Vec<String>,
}

impl Raw {
    fn num(&self, key: &str) -> f64 {
        self.nums
            .iter()
            .find(|(k, _)| *k == key)
            .map_or(f64::NAN, |(_, v)| *v)
    }

    /// Every parameter key given (not `value`, `source`, `note`, `dist`), in order.
    fn keys(&self) -> Vec<&str> {
        let mut k: Vec<&str> = self.nums.iter().map(|(k, _)| *k).collect();
        if self.values.is_some() {
            k.push("values");
        }
        if self.weights.is_some() {
            k.push("weights");
        }
        k.extend(self.unknown.iter().map(String::as_str));
        k
    }
}

/// The distribution a table describes (`None` for `fixed`), from its `dist` and parameters.
fn build(name: &str, raw: &Raw) -> Result<Option<Dist>, String> {
    let Some(forms) = forms(name) else {
        return Err(format!(
            "unknown distribution `{name}`; expected one of {}",
            DIST_NAMES.join(", ")
        ));
    };
    let given = raw.keys();
    let takes = if forms.is_empty() {
        "only `value`, `source` and `note`".to_string()
    } else {
        format!(
            "{}, besides `value`, `source` and `note`",
            describe(name, forms)
        )
    };
    if let Some(bad) = given.iter().find(|k| !forms.iter().any(|f| f.contains(k))) {
        return Err(format!(
            "unknown field `{bad}` for `dist = \"{name}\"`, which takes {takes}"
        ));
    }
    if forms.is_empty() {
        return Ok(None);
    }
    let hit: Vec<usize> = (0..forms.len())
        .filter(|&i| given.iter().any(|k| forms[i].contains(k)))
        .collect();
    let form = match hit[..] {
        [] => {
            return Err(format!(
                "`dist = \"{name}\"` needs {}",
                describe(name, forms)
            ));
        }
        [i] => i,
        _ => {
            return Err(format!(
                "`dist = \"{name}\"` takes {}, not a mix of them (got {})",
                describe(name, forms),
                ticked(&given)
            ));
        }
    };
    let missing: Vec<&str> = forms[form]
        .iter()
        .copied()
        .filter(|k| !given.contains(k) && !OPTIONAL_KEYS.contains(k))
        .collect();
    if !missing.is_empty() {
        let have: Vec<&str> = forms[form]
            .iter()
            .copied()
            .filter(|k| given.contains(k))
            .collect();
        return Err(format!(
            "`dist = \"{name}\"` with {} also needs {}",
            ticked(&have),
            ticked(&missing)
        ));
    }
    let n = |k| raw.num(k);
    let d = match (name, forms[form][0]) {
        ("normal", "mean") => Dist::normal(n("mean"), n("sd"))?,
        ("normal", "low") => {
            let (low, high) = (n("low"), n("high"));
            dist::below("low", low, "high", high)?;
            Dist::normal((low + high) / 2.0, (high - low) / (2.0 * Z95))?
        }
        ("lognormal", "mu") => Dist::lognormal(n("mu"), n("sigma"))?,
        ("lognormal", "mean") => {
            let (mean, sd) = (n("mean"), n("sd"));
            dist::positive("mean", mean)?;
            dist::positive("sd", sd)?;
            let s2 = (sd * sd / (mean * mean)).ln_1p();
            Dist::lognormal(mean.ln() - s2 / 2.0, s2.sqrt())?
        }
        ("lognormal", "low") => {
            let (low, high) = (n("low"), n("high"));
            dist::positive("low", low)?;
            dist::below("low", low, "high", high)?;
            let (a, b) = (low.ln(), high.ln());
            Dist::lognormal((a + b) / 2.0, (b - a) / (2.0 * Z95))?
        }
        ("gamma", "shape") => Dist::gamma(n("shape"), n("scale"))?,
        ("gamma", "mean") => {
            let (mean, sd) = (n("mean"), n("sd"));
            dist::positive("mean", mean)?;
            dist::positive("sd", sd)?;
            Dist::gamma(mean * mean / (sd * sd), sd * sd / mean)?
        }
        ("beta", "alpha") => Dist::beta(n("alpha"), n("beta"))?,
        ("beta", "mean") => {
            let (mean, sd) = (n("mean"), n("sd"));
            if !(mean > 0.0 && mean < 1.0) {
                return Err(format!(
                    "beta `mean` must be between 0 and 1 (exclusive), got {mean}"
                ));
            }
            dist::positive("sd", sd)?;
            let bound = mean * (1.0 - mean);
            if sd * sd >= bound {
                return Err(format!(
                    "beta `sd` must be below √(mean·(1 − mean)) = {:.4} for `mean` {mean}, got {sd}",
                    bound.sqrt()
                ));
            }
            let k = bound / (sd * sd) - 1.0;
            Dist::beta(mean * k, (1.0 - mean) * k)?
        }
        ("uniform", _) => Dist::uniform(n("min"), n("max"))?,
        ("triangular", _) => Dist::triangular(n("min"), n("mode"), n("max"))?,
        ("pert", _) => Dist::pert(n("min"), n("mode"), n("max"))?,
        ("discrete", _) => {
            Dist::discrete(raw.values.clone().unwrap_or_default(), raw.weights.clone())?
        }
        _ => unreachable!("every form of {name} is built above"),
    };
    Ok(Some(d))
}

struct ParamVisitor;

impl<'de> Visitor<'de> for ParamVisitor {
    type Value = Param;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a number, or a table like { value = 1.5, source = \"…\" }")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Param, E> {
        Ok(Param::fixed(v as f64))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Param, E> {
        Ok(Param::fixed(v as f64))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Param, E> {
        if v.is_finite() {
            Ok(Param::fixed(v))
        } else {
            Err(E::custom(format!("expected a finite number, found {v}")))
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Param, A::Error> {
        let mut raw = Raw::default();
        let mut source = None;
        let mut note = None;
        let mut dist_name: Option<String> = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "value" => {
                    let v = map.next_value::<Number>()?.0;
                    dist::finite("value", v).map_err(de::Error::custom)?;
                    raw.value = Some(v);
                }
                "source" => source = Some(map.next_value::<String>()?),
                "note" => note = Some(map.next_value::<String>()?),
                "dist" => dist_name = Some(map.next_value::<String>()?),
                "values" | "weights" => {
                    let v: Vec<f64> = map
                        .next_value::<Vec<Number>>()?
                        .into_iter()
                        .map(|n| n.0)
                        .collect();
                    if key == "values" {
                        raw.values = Some(v);
                    } else {
                        raw.weights = Some(v);
                    }
                }
                k => match NUM_KEYS.iter().find(|n| **n == k) {
                    Some(&name) => {
                        let v = map.next_value::<Number>()?.0;
                        dist::finite(name, v).map_err(de::Error::custom)?;
                        raw.nums.push((name, v));
                    }
                    None => {
                        map.next_value::<IgnoredAny>()?;
                        raw.unknown.push(key);
                    }
                },
            }
        }
        let Some(name) = dist_name else {
            if let Some(k) = raw.keys().first() {
                if NUM_KEYS.contains(k) || LIST_KEYS.contains(k) {
                    return Err(de::Error::custom(format!(
                        "`{k}` is a distribution parameter: give `dist` too \
                         (one of {})",
                        DIST_NAMES.join(", ")
                    )));
                }
                if *k == "distribution" {
                    return Err(de::Error::custom(
                        "unknown field `distribution`; the key is `dist`",
                    ));
                }
                return Err(de::Error::unknown_field(k, PARAM_KEYS));
            }
            let value = raw.value.ok_or_else(|| de::Error::missing_field("value"))?;
            return Ok(Param {
                value,
                source,
                note,
                dist: None,
            });
        };
        let dist = build(&name, &raw).map_err(de::Error::custom)?;
        let value = match (&dist, raw.value) {
            (None, None) => return Err(de::Error::missing_field("value")),
            (None, Some(v)) => v,
            (Some(d), None) => d.mean(),
            (Some(d), Some(v)) => {
                let (lo, hi) = d.support();
                if !(lo <= v && v <= hi) {
                    return Err(de::Error::custom(format!(
                        "`value` ({v}) must lie within the range of the distribution, \
                         [{lo}, {hi}]"
                    )));
                }
                v
            }
        };
        Ok(Param {
            value,
            source,
            note,
            dist,
        })
    }
}

impl JsonSchema for Param {
    fn schema_name() -> Cow<'static, str> {
        "Param".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let number = |d: &str| serde_json::json!({ "type": "number", "description": d });
        let mut props = serde_json::Map::new();
        props.insert(
            "value".into(),
            number("The base value (deterministic runs); with `dist`, defaults to its mean."),
        );
        props.insert("source".into(), serde_json::json!({ "type": "string" }));
        props.insert("note".into(), serde_json::json!({ "type": "string" }));
        props.insert(
            "dist".into(),
            serde_json::json!({
                "description": "The distribution of the input in Monte Carlo runs.",
                "enum": DIST_NAMES
            }),
        );
        for (k, d) in [
            (
                "mean",
                "normal, lognormal, gamma, beta: the mean (with `sd`)",
            ),
            (
                "sd",
                "normal, lognormal, gamma, beta: the standard deviation (with `mean`)",
            ),
            ("low", "normal, lognormal: the lower end of a 95 % interval"),
            (
                "high",
                "normal, lognormal: the upper end of a 95 % interval",
            ),
            ("mu", "lognormal: the mean of the logarithm"),
            (
                "sigma",
                "lognormal: the standard deviation of the logarithm",
            ),
            ("shape", "gamma: shape"),
            ("scale", "gamma: scale"),
            ("alpha", "beta: alpha"),
            ("beta", "beta: beta"),
            ("min", "uniform, triangular, pert: the lowest value"),
            ("mode", "triangular, pert: the most likely value"),
            ("max", "uniform, triangular, pert: the highest value"),
        ] {
            props.insert(k.into(), number(d));
        }
        for (k, d) in [
            ("values", "discrete: the values"),
            ("weights", "discrete: their weights (equal when omitted)"),
        ] {
            props.insert(
                k.into(),
                serde_json::json!({
                    "type": "array", "items": { "type": "number" }, "description": d
                }),
            );
        }
        json_schema!({
            "description": "A number, or a table with the number, its source and optionally its distribution.",
            "anyOf": [
                { "type": "number" },
                {
                    "type": "object",
                    "properties": props,
                    "anyOf": [{ "required": ["value"] }, { "required": ["dist"] }],
                    "additionalProperties": false
                }
            ]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct T {
        a: Param,
        b: Param,
    }

    #[derive(Deserialize, Debug)]
    struct One {
        #[allow(dead_code)]
        x: Param,
    }

    fn parse(table: &str) -> Param {
        let t: Result<One, _> = toml::from_str(&format!("x = {table}"));
        match t {
            Ok(o) => o.x,
            Err(e) => panic!("{table}: {e}"),
        }
    }

    fn error(table: &str) -> String {
        match toml::from_str::<One>(&format!("x = {table}")) {
            Ok(o) => panic!("{table} parsed: {o:?}"),
            Err(e) => e.message().to_string(),
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * (1.0 + b.abs())
    }

    #[test]
    fn plain_and_table_forms() {
        let t: T = toml::from_str("a = 3\nb = { value = 0.5, source = \"x\" }").unwrap();
        assert_eq!(t.a, Param::fixed(3.0));
        assert_eq!(t.b.value, 0.5);
        assert_eq!(t.b.source.as_deref(), Some("x"));
        assert_eq!(t.b.dist, None);
        let p = parse("{ value = 2, source = \"s\", note = \"n\" }");
        assert_eq!(
            p,
            Param {
                value: 2.0,
                source: Some("s".into()),
                note: Some("n".into()),
                dist: None
            }
        );
        assert_eq!(parse("1.25"), Param::fixed(1.25));
        assert_eq!(parse("{ dist = \"fixed\", value = 4 }"), Param::fixed(4.0));
    }

    #[test]
    fn rejects_unknown_keys_and_strings() {
        assert!(toml::from_str::<T>("a = 3\nb = { valu = 0.5 }").is_err());
        assert!(toml::from_str::<T>("a = \"3\"\nb = 1").is_err());
        assert_eq!(
            error("{ valu = 0.5 }"),
            "unknown field `valu`, expected one of `value`, `source`, `note`, `dist`"
        );
        assert!(error("nan").contains("finite"));
        assert_eq!(
            error("{ value = inf }"),
            "`value` must be a finite number, got inf"
        );
        assert!(error("{ value = \"3\" }").contains("expected a number"));
        assert_eq!(error("{ source = \"x\" }"), "missing field `value`");
    }

    /// (table, expected distribution, expected base value)
    fn check(table: &str, dist: Dist, value: f64) {
        let p = parse(table);
        assert!(
            close(p.value, value),
            "{table}: value {} expected {value}",
            p.value
        );
        let got = p.dist.unwrap_or_else(|| panic!("{table}: no dist"));
        assert_eq!(got.name(), dist.name(), "{table}");
        let (g, e) = (
            serde_json::to_value(&got).unwrap(),
            serde_json::to_value(&dist).unwrap(),
        );
        for (k, v) in e.as_object().unwrap() {
            match (v.as_f64(), g[k].as_f64()) {
                (Some(ev), Some(gv)) => {
                    assert!(close(gv, ev), "{table}: {k} = {gv}, expected {ev}")
                }
                _ => assert_eq!(&g[k], v, "{table}: {k}"),
            }
        }
    }

    #[test]
    fn every_form_parses_to_its_distribution() {
        let z = Z95;
        check(
            "{ dist = \"normal\", mean = 10, sd = 2 }",
            Dist::Normal {
                mean: 10.0,
                sd: 2.0,
            },
            10.0,
        );
        check(
            "{ dist = \"normal\", low = 6, high = 14, value = 9, source = \"s\" }",
            Dist::Normal {
                mean: 10.0,
                sd: 8.0 / (2.0 * z),
            },
            9.0,
        );
        check(
            "{ dist = \"lognormal\", mu = 0, sigma = 1 }",
            Dist::LogNormal {
                mu: 0.0,
                sigma: 1.0,
            },
            0.5f64.exp(),
        );
        // mean 10, sd 5: sigma² = ln(1.25), mu = ln 10 − sigma²/2.
        let s2 = 1.25f64.ln();
        check(
            "{ dist = \"lognormal\", mean = 10, sd = 5 }",
            Dist::LogNormal {
                mu: 10f64.ln() - s2 / 2.0,
                sigma: s2.sqrt(),
            },
            10.0,
        );
        check(
            "{ dist = \"lognormal\", low = 2, high = 8, value = 4 }",
            Dist::LogNormal {
                mu: 4f64.ln(),
                sigma: 4f64.ln() / (2.0 * z),
            },
            4.0,
        );
        check(
            "{ dist = \"gamma\", shape = 2, scale = 3 }",
            Dist::Gamma {
                shape: 2.0,
                scale: 3.0,
            },
            6.0,
        );
        check(
            "{ dist = \"gamma\", mean = 6, sd = 3 }",
            Dist::Gamma {
                shape: 4.0,
                scale: 1.5,
            },
            6.0,
        );
        check(
            "{ dist = \"beta\", alpha = 2, beta = 6 }",
            Dist::Beta {
                alpha: 2.0,
                beta: 6.0,
            },
            0.25,
        );
        // mean 0.25, sd 0.1: k = 0.1875/0.01 − 1 = 17.75.
        check(
            "{ dist = \"beta\", mean = 0.25, sd = 0.1 }",
            Dist::Beta {
                alpha: 0.25 * 17.75,
                beta: 0.75 * 17.75,
            },
            0.25,
        );
        check(
            "{ dist = \"uniform\", min = 2, max = 4 }",
            Dist::Uniform { min: 2.0, max: 4.0 },
            3.0,
        );
        check(
            "{ dist = \"triangular\", min = 0, mode = 3, max = 9 }",
            Dist::Triangular {
                min: 0.0,
                mode: 3.0,
                max: 9.0,
            },
            4.0,
        );
        check(
            "{ dist = \"pert\", min = 0, mode = 3, max = 12, value = 3 }",
            Dist::Pert {
                min: 0.0,
                mode: 3.0,
                max: 12.0,
            },
            3.0,
        );
        check(
            "{ dist = \"discrete\", values = [1, 2, 6] }",
            Dist::Discrete {
                values: vec![1.0, 2.0, 6.0],
                weights: vec![1.0 / 3.0; 3],
            },
            3.0,
        );
        check(
            "{ dist = \"discrete\", values = [1, 3], weights = [3, 1] }",
            Dist::Discrete {
                values: vec![1.0, 3.0],
                weights: vec![0.75, 0.25],
            },
            1.5,
        );
    }

    #[test]
    fn serializes_beside_the_value_and_reads_back() {
        let p = parse("{ dist = \"normal\", low = 6, high = 14, value = 9, source = \"s\" }");
        let j = serde_json::to_value(&p).unwrap();
        assert_eq!(j["dist"], "normal");
        assert_eq!(j["value"], 9.0);
        assert_eq!(j["source"], "s");
        assert_eq!(j["mean"], 10.0);
        let back: Param = serde_json::from_value(j).unwrap();
        assert_eq!(back, p);
        assert_eq!(
            serde_json::to_value(Param::fixed(2.0)).unwrap(),
            serde_json::json!({ "value": 2.0 })
        );
        let u = Param::uncertain(Dist::uniform(0.0, 2.0).unwrap());
        assert_eq!(u.value, 1.0);
    }

    #[test]
    fn invalid_parameters_say_what_is_wrong() {
        let cases = [
            (
                "{ dist = \"normal\", mean = 1, sd = -1 }",
                "`sd` must be above 0, got -1",
            ),
            (
                "{ dist = \"normal\", low = 5, high = 3 }",
                "`low` (5) must be below `high` (3)",
            ),
            (
                "{ dist = \"lognormal\", mu = 1, sigma = 0 }",
                "`sigma` must be above 0, got 0",
            ),
            (
                "{ dist = \"lognormal\", mean = -2, sd = 1 }",
                "`mean` must be above 0, got -2",
            ),
            (
                "{ dist = \"lognormal\", low = 0, high = 3 }",
                "`low` must be above 0, got 0",
            ),
            (
                "{ dist = \"gamma\", shape = 1, scale = -3 }",
                "`scale` must be above 0, got -3",
            ),
            (
                "{ dist = \"gamma\", mean = 2, sd = 0 }",
                "`sd` must be above 0, got 0",
            ),
            (
                "{ dist = \"beta\", alpha = 0, beta = 1 }",
                "`alpha` must be above 0, got 0",
            ),
            (
                "{ dist = \"beta\", mean = 1.2, sd = 0.1 }",
                "beta `mean` must be between 0 and 1 (exclusive), got 1.2",
            ),
            (
                "{ dist = \"beta\", mean = 0.5, sd = 0.5 }",
                "beta `sd` must be below √(mean·(1 − mean)) = 0.5000 for `mean` 0.5, got 0.5",
            ),
            (
                "{ dist = \"uniform\", min = 5, max = 3 }",
                "`min` (5) must be below `max` (3)",
            ),
            (
                "{ dist = \"uniform\", min = 3, max = 3 }",
                "`min` (3) must be below `max` (3)",
            ),
            (
                "{ dist = \"triangular\", min = 0, mode = 7, max = 5 }",
                "`mode` must lie between `min` and `max` (got mode 7, min 0, max 5)",
            ),
            (
                "{ dist = \"pert\", min = 0, mode = -1, max = 5 }",
                "`mode` must lie between `min` and `max` (got mode -1, min 0, max 5)",
            ),
            (
                "{ dist = \"discrete\", values = [1, 2], weights = [1] }",
                "`weights` must have as many entries as `values` (1 against 2)",
            ),
            (
                "{ dist = \"discrete\", values = [] }",
                "`values` must not be empty",
            ),
            (
                "{ dist = \"discrete\", values = [1, 2], weights = [1, -1] }",
                "`weights` must be finite and not negative, got -1 at position 2",
            ),
            (
                "{ dist = \"discrete\", values = [1, 2], weights = [0, 0] }",
                "`weights` must not all be 0",
            ),
            (
                "{ dist = \"nromal\", mean = 1, sd = 1 }",
                "unknown distribution `nromal`; expected one of fixed, normal, lognormal, gamma, \
                 beta, uniform, triangular, pert, discrete",
            ),
            (
                "{ dist = \"normal\", mu = 1, sigma = 1 }",
                "unknown field `mu` for `dist = \"normal\"`, which takes `mean` and `sd`, or \
                 `low` and `high`, besides `value`, `source` and `note`",
            ),
            (
                "{ dist = \"discrete\", values = [1], wieghts = [1] }",
                "unknown field `wieghts` for `dist = \"discrete\"`, which takes `values` and \
                 optionally `weights`, besides `value`, `source` and `note`",
            ),
            (
                "{ dist = \"fixed\", value = 1, sd = 1 }",
                "unknown field `sd` for `dist = \"fixed\"`, which takes only `value`, `source` \
                 and `note`",
            ),
            ("{ dist = \"fixed\" }", "missing field `value`"),
            (
                "{ dist = \"normal\", mean = 1 }",
                "`dist = \"normal\"` with `mean` also needs `sd`",
            ),
            (
                "{ dist = \"triangular\", min = 1, max = 3 }",
                "`dist = \"triangular\"` with `min` and `max` also needs `mode`",
            ),
            (
                "{ dist = \"normal\", mean = 1, high = 3 }",
                "`dist = \"normal\"` takes `mean` and `sd`, or `low` and `high`, not a mix of \
                 them (got `high` and `mean`)",
            ),
            (
                "{ dist = \"gamma\" }",
                "`dist = \"gamma\"` needs `shape` and `scale`, or `mean` and `sd`",
            ),
            (
                "{ mean = 1, sd = 2 }",
                "`mean` is a distribution parameter: give `dist` too (one of fixed, normal, \
                 lognormal, gamma, beta, uniform, triangular, pert, discrete)",
            ),
            (
                "{ distribution = \"normal\" }",
                "unknown field `distribution`; the key is `dist`",
            ),
            (
                "{ dist = \"normal\", mean = nan, sd = 1 }",
                "`mean` must be a finite number, got NaN",
            ),
            (
                "{ dist = \"beta\", alpha = 2, beta = 2, value = 1.5 }",
                "`value` (1.5) must lie within the range of the distribution, [0, 1]",
            ),
            (
                "{ dist = \"uniform\", min = 0, max = 1, value = -1 }",
                "`value` (-1) must lie within the range of the distribution, [0, 1]",
            ),
        ];
        for (table, msg) in cases {
            assert_eq!(error(table), msg, "{table}");
        }
        assert!(error("{ dist = 3, value = 1 }").contains("expected a string"));
        assert!(error("{ dist = \"discrete\", values = 3 }").contains("expected a sequence"));
        assert!(error("{ dist = \"discrete\", values = [\"a\"] }").contains("expected a number"));
    }
}
