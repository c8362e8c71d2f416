//! Catalogues: the data a scenario is resolved against, each entry with its source and the year
//! it holds for (OpenFisca style). Unit prices, price indices, discount schedules and the
//! department map live in `models/catalogues/` as TOML; a municipality can bring its own.

pub mod refusion;

use crate::domain::Domain;
use crate::error::{Diagnostic, Error, Result, finish, list};
use crate::source::{FieldPath, Source};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A name in Danish and English: `{ da = "…", en = "…" }`, or one string for both.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct Label {
    pub da: Option<String>,
    pub en: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LabelTable {
    #[serde(default)]
    da: Option<String>,
    #[serde(default)]
    en: Option<String>,
}

impl<'de> Deserialize<'de> for Label {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Label;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a name: a string, or a table { da = \"…\", en = \"…\" }")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> std::result::Result<Label, E> {
                Ok(Label {
                    da: Some(v.to_string()),
                    en: Some(v.to_string()),
                })
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> std::result::Result<Label, A::Error> {
                let t = LabelTable::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Ok(Label { da: t.da, en: t.en })
            }
        }
        d.deserialize_any(Visit)
    }
}

impl Label {
    /// The English label, else the Danish one, else `fallback`.
    pub fn en_or(&self, fallback: &str) -> String {
        self.en
            .clone()
            .or_else(|| self.da.clone())
            .unwrap_or_else(|| fallback.to_string())
    }
}

/// Whether a catalogue figure is confirmed from its source or an assumption.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Taken from the cited source.
    #[default]
    Sourced,
    /// Derived from sourced figures by a stated calculation.
    Derived,
    /// An illustrative assumption, to be replaced by local figures.
    Assumption,
    /// Seen cited but not confirmed against its source.
    Unconfirmed,
}

// ---------------------------------------------------------------- unit prices

/// The unit-price catalogue.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PriceCatalogue {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(rename = "item")]
    pub items: Vec<PriceItem>,
}

/// One priced service.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PriceItem {
    /// Identifier used by scenarios (`item = "plejefamilie"`).
    pub id: String,
    #[serde(default)]
    pub name: Label,
    /// What one unit is, e.g. "child-year", "day".
    pub unit: String,
    /// Chart-of-accounts function (kontoplan), used to find the department.
    #[serde(default)]
    pub function: Option<String>,
    /// Department, when it is not found from `function`.
    #[serde(default)]
    pub department: Option<String>,
    /// Price level (year) of the amounts.
    pub year: i32,
    /// Price index used to move the price to a scenario's price year.
    #[serde(default = "default_index")]
    pub index: String,
    /// Price per unit by actor, in kr., after state reimbursement.
    pub price: BTreeMap<String, f64>,
    pub source: String,
    #[serde(default)]
    pub status: Status,
    #[serde(default)]
    pub note: Option<String>,
}

fn default_index() -> String {
    "general_pl".to_string()
}

// ---------------------------------------------------------------- price indices

/// The price-index catalogue.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IndexCatalogue {
    pub name: String,
    #[serde(rename = "index")]
    pub indices: Vec<PriceIndex>,
}

/// A price index given as yearly rates of change.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PriceIndex {
    pub id: String,
    #[serde(default)]
    pub name: Label,
    pub source: String,
    /// When the figures were published or retrieved (e.g. "2024-06-06"), for a forecast.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// Change from the previous year into `year`.
    #[serde(rename = "rate")]
    pub rates: Vec<IndexRate>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IndexRate {
    pub year: i32,
    /// Rate of change, e.g. 0.028 for 2.8 %.
    pub rate: f64,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub status: Status,
}

impl PriceIndex {
    /// Factor that moves an amount in `from` prices to `to` prices, or the first year whose
    /// rate is missing.
    pub fn factor(&self, from: i32, to: i32) -> std::result::Result<f64, i32> {
        let rate = |y: i32| self.rates.iter().find(|r| r.year == y).map(|r| r.rate);
        let mut f = 1.0;
        if to >= from {
            for y in (from + 1)..=to {
                f *= 1.0 + rate(y).ok_or(y)?;
            }
        } else {
            for y in ((to + 1)..=from).rev() {
                f /= 1.0 + rate(y).ok_or(y)?;
            }
        }
        Ok(f)
    }
}

// ---------------------------------------------------------------- discount schedules

/// The discount-schedule catalogue.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DiscountCatalogue {
    pub name: String,
    #[serde(rename = "schedule")]
    pub schedules: Vec<DiscountSchedule>,
}

/// A piecewise-constant discount schedule. A band's rate applies to the years inside it,
/// cumulatively: the factor of year t is Π_{u=1..t} 1 / (1 + r(u)).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DiscountSchedule {
    pub id: String,
    #[serde(default)]
    pub name: Label,
    pub source: String,
    #[serde(rename = "band")]
    pub bands: Vec<DiscountBand>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DiscountBand {
    /// First year of the band.
    pub from: u32,
    /// Last year of the band; open-ended when omitted.
    #[serde(default)]
    pub to: Option<u32>,
    /// Annual real rate, e.g. 0.035.
    pub rate: f64,
    #[serde(default)]
    pub status: Status,
}

// ---------------------------------------------------------------- department map

/// Actors, departments and the chart-of-accounts functions each department owns.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DepartmentMap {
    pub name: String,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(rename = "actor")]
    pub actors: Vec<ActorDef>,
    #[serde(rename = "department")]
    pub departments: Vec<DepartmentDef>,
}

/// A public actor (kommune, region, stat) or the citizen.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ActorDef {
    pub id: String,
    #[serde(default)]
    pub name: Label,
    /// Department that receives this actor's flows when no department of the actor is named.
    pub default_department: String,
    /// Part of the public sector. The total (the budget-economic result) covers public actors;
    /// a non-public actor such as the citizen is reported beside it. Default true.
    #[serde(default = "yes")]
    pub public: bool,
}

fn yes() -> bool {
    true
}

/// A department (forvaltning / udvalg), owned by one actor.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DepartmentDef {
    pub id: String,
    #[serde(default)]
    pub name: Label,
    pub actor: String,
    /// Chart-of-accounts functions, exact ("5.28.22") or by prefix ("5.28.*").
    #[serde(default)]
    pub functions: Vec<String>,
}

impl DepartmentMap {
    /// The department owning a chart-of-accounts function: an exact code wins over the longest
    /// matching prefix.
    pub fn department_of_function(&self, code: &str) -> Option<&str> {
        let mut best: Option<(&str, usize)> = None;
        for d in &self.departments {
            for f in &d.functions {
                if let Some(prefix) = f.strip_suffix('*') {
                    if code.starts_with(prefix) && best.is_none_or(|(_, l)| prefix.len() > l) {
                        best = Some((&d.id, prefix.len()));
                    }
                } else if f == code {
                    return Some(&d.id);
                }
            }
        }
        best.map(|(d, _)| d)
    }

    /// Check internal consistency: unique ids, known actors and default departments.
    pub fn validate(&self, src: &Source) -> Result<()> {
        let mut diags = Vec::new();
        let root = FieldPath::root();
        check_unique(
            src,
            &root.key("actor"),
            self.actors.iter().map(|a| a.id.as_str()),
            &mut diags,
        );
        check_unique(
            src,
            &root.key("department"),
            self.departments.iter().map(|d| d.id.as_str()),
            &mut diags,
        );
        for (i, d) in self.departments.iter().enumerate() {
            if !self.actors.iter().any(|a| a.id == d.actor) {
                diags.push(src.diag(
                    &root.key("department").index(i).key("actor"),
                    format!(
                        "unknown actor `{}`; expected one of {}",
                        d.actor,
                        list(self.actors.iter().map(|a| a.id.as_str()))
                    ),
                ));
            }
        }
        for (i, a) in self.actors.iter().enumerate() {
            match self
                .departments
                .iter()
                .find(|d| d.id == a.default_department)
            {
                Some(d) if d.actor == a.id => {}
                Some(d) => diags.push(src.diag(
                    &root.key("actor").index(i).key("default_department"),
                    format!(
                        "department `{}` belongs to actor `{}`, not `{}`",
                        d.id, d.actor, a.id
                    ),
                )),
                None => diags.push(src.diag(
                    &root.key("actor").index(i).key("default_department"),
                    format!(
                        "unknown department `{}`; expected one of {}",
                        a.default_department,
                        list(self.departments.iter().map(|d| d.id.as_str()))
                    ),
                )),
            }
        }
        finish(diags)
    }
}

impl DiscountCatalogue {
    pub fn validate(&self, src: &Source) -> Result<()> {
        let mut diags = Vec::new();
        let root = FieldPath::root().key("schedule");
        check_unique(
            src,
            &root,
            self.schedules.iter().map(|s| s.id.as_str()),
            &mut diags,
        );
        for (i, s) in self.schedules.iter().enumerate() {
            let p = root.index(i).key("band");
            if s.bands.is_empty() {
                diags.push(src.diag(&p, "a schedule needs at least one band"));
                continue;
            }
            let mut expect_from = s.bands[0].from.min(1);
            if s.bands[0].from > 1 {
                diags.push(src.diag(
                    &p.index(0).key("from"),
                    "the first band must start at year 0 or 1",
                ));
            }
            for (j, b) in s.bands.iter().enumerate() {
                if b.from != expect_from && j > 0 {
                    diags.push(src.diag(
                        &p.index(j).key("from"),
                        format!("bands must be contiguous: expected {expect_from}"),
                    ));
                }
                if let Some(msg) = Domain::Rate.check(b.rate) {
                    diags.push(src.diag(
                        &p.index(j).key("rate"),
                        format!("rate {msg}, got {}", b.rate),
                    ));
                }
                match b.to {
                    Some(to) if to < b.from => diags.push(src.diag(
                        &p.index(j).key("to"),
                        format!("`to` ({to}) is before `from` ({})", b.from),
                    )),
                    Some(to) => expect_from = to + 1,
                    None if j + 1 < s.bands.len() => diags.push(src.diag(
                        &p.index(j).key("to"),
                        "only the last band may be open-ended",
                    )),
                    None => {}
                }
            }
        }
        finish(diags)
    }
}

impl DiscountSchedule {
    /// Rate applying to the period that ends in year `u` (u ≥ 1).
    pub fn rate(&self, u: u32) -> f64 {
        for b in &self.bands {
            if u >= b.from && b.to.is_none_or(|to| u <= to) {
                return b.rate;
            }
        }
        // Beyond the last closed band: hold the last rate.
        self.bands.last().map(|b| b.rate).unwrap_or(0.0)
    }
}

pub(crate) fn check_unique<'a>(
    src: &Source,
    path: &FieldPath,
    ids: impl Iterator<Item = &'a str>,
    diags: &mut Vec<Diagnostic>,
) {
    let mut seen = std::collections::BTreeSet::new();
    for (i, id) in ids.enumerate() {
        if !seen.insert(id) {
            diags.push(src.diag(
                &path.index(i).key("id"),
                format!("duplicate id `{id}`; ids must be unique"),
            ));
        }
    }
}

/// The catalogues a scenario is resolved against, each with the source text it came from.
#[derive(Debug, Clone)]
pub struct Catalogues {
    pub prices: (PriceCatalogue, Source),
    pub price_index: (IndexCatalogue, Source),
    pub discount: (DiscountCatalogue, Source),
    pub departments: (DepartmentMap, Source),
    /// State reimbursement rules, read only for a scenario with a `[budget]` section.
    pub refusion: Option<(refusion::RefusionCatalogue, Source)>,
}

impl Catalogues {
    /// The catalogues bundled with som.
    pub fn builtin() -> Result<Self> {
        let src = |(name, text): (&str, &str)| Source::new(name, text);
        Catalogues::parse(
            src(crate::builtin::PRICES),
            src(crate::builtin::PRICE_INDEX),
            src(crate::builtin::DISCOUNT),
            src(crate::builtin::DEPARTMENTS),
        )
    }

    /// Parse and validate the four catalogues from their sources.
    pub fn parse(prices: Source, index: Source, discount: Source, depts: Source) -> Result<Self> {
        let mut diags = Vec::new();
        let p = prices
            .parse::<PriceCatalogue>()
            .map_err(|d| diags.push(d))
            .ok();
        let i = index
            .parse::<IndexCatalogue>()
            .map_err(|d| diags.push(d))
            .ok();
        let d = discount
            .parse::<DiscountCatalogue>()
            .map_err(|d| diags.push(d))
            .ok();
        let m = depts
            .parse::<DepartmentMap>()
            .map_err(|d| diags.push(d))
            .ok();
        if let Some(d) = &d
            && let Err(Error::Invalid(v)) = d.validate(&discount)
        {
            diags.extend(v);
        }
        if let Some(m) = &m
            && let Err(Error::Invalid(v)) = m.validate(&depts)
        {
            diags.extend(v);
        }
        if let Some(p) = &p {
            let mut v = Vec::new();
            check_unique(
                &prices,
                &FieldPath::root().key("item"),
                p.items.iter().map(|i| i.id.as_str()),
                &mut v,
            );
            // Every price a finite number of kroner within the cap.
            for (k, item) in p.items.iter().enumerate() {
                for (actor, &price) in &item.price {
                    if let Some(msg) = Domain::Any.check(price) {
                        let path = FieldPath::root()
                            .key("item")
                            .index(k)
                            .key("price")
                            .key(actor);
                        v.push(prices.diag(&path, format!("{msg}, got {price}")));
                    }
                }
            }
            diags.extend(v);
        }
        if let Some(i) = &i {
            // Every rate of change a yearly rate (a rate of −1 would make every price 0).
            for (k, ix) in i.indices.iter().enumerate() {
                for (j, r) in ix.rates.iter().enumerate() {
                    if let Some(msg) = Domain::Rate.check(r.rate) {
                        let path = FieldPath::root()
                            .key("index")
                            .index(k)
                            .key("rate")
                            .index(j)
                            .key("rate");
                        diags.push(index.diag(&path, format!("{msg}, got {}", r.rate)));
                    }
                }
            }
        }
        match (p, i, d, m) {
            (Some(p), Some(i), Some(d), Some(m)) if diags.is_empty() => Ok(Catalogues {
                prices: (p, prices),
                price_index: (i, index),
                discount: (d, discount),
                departments: (m, depts),
                refusion: None,
            }),
            _ => Err(Error::Invalid(diags)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map() -> DepartmentMap {
        toml::from_str(
            r#"
name = "t"
[[actor]]
id = "kommune"
default_department = "adm"
[[department]]
id = "adm"
actor = "kommune"
functions = ["6.*"]
[[department]]
id = "born"
actor = "kommune"
functions = ["5.28.*", "5.38.42"]
[[department]]
id = "voksen"
actor = "kommune"
functions = ["5.38.*"]
"#,
        )
        .unwrap()
    }

    #[derive(Deserialize)]
    struct Named {
        name: Label,
    }

    #[test]
    fn a_label_is_a_string_or_a_table() {
        let n: Named = toml::from_str("name = \"Hjemmehjælp\"").unwrap();
        assert_eq!(n.name.da.as_deref(), Some("Hjemmehjælp"));
        assert_eq!(n.name.en_or("x"), "Hjemmehjælp");
        let n: Named =
            toml::from_str("name = { da = \"Tandpleje\", en = \"Dental care\" }").unwrap();
        assert_eq!(n.name.da.as_deref(), Some("Tandpleje"));
        assert_eq!(n.name.en_or("x"), "Dental care");
        let n: Named = toml::from_str("name = { da = \"Tandpleje\" }").unwrap();
        assert_eq!(n.name.en_or("x"), "Tandpleje");
        let e = toml::from_str::<Named>("name = 5")
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("a name: a string, or a table"), "{e}");
        let e = toml::from_str::<Named>("name = { dk = \"x\" }")
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("unknown field `dk`"), "{e}");
    }

    #[test]
    fn exact_function_beats_prefix() {
        let m = map();
        assert_eq!(m.department_of_function("5.28.22"), Some("born"));
        assert_eq!(m.department_of_function("5.38.42"), Some("born"));
        assert_eq!(m.department_of_function("5.38.50"), Some("voksen"));
        assert_eq!(m.department_of_function("6.45.51"), Some("adm"));
        assert_eq!(m.department_of_function("3.22.01"), None);
    }

    #[test]
    fn index_factor_compounds_both_ways() {
        let idx: PriceIndex = toml::from_str(
            "id = \"p\"\nsource = \"s\"\nrate = [{year = 2023, rate = 0.025}, {year = 2024, rate = 0.04}]",
        )
        .unwrap();
        let up = idx.factor(2022, 2024).unwrap();
        assert!((up - 1.025 * 1.04).abs() < 1e-12);
        assert!((idx.factor(2024, 2022).unwrap() * up - 1.0).abs() < 1e-12);
        assert_eq!(idx.factor(2022, 2025), Err(2025));
        assert_eq!(idx.factor(2024, 2024), Ok(1.0));
    }
}
