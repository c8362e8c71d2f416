//! Numeric inputs of a scenario.
//!
//! Every number a scenario gives is a [`Param`]: in format v1 a plain value (`participants = 18`)
//! or a table with the value and where it came from (`participants = { value = 18, source = "…" }`).
//! The table form is the room left for distributions: a later format adds keys such as
//! `dist = "normal"` to the same table, so a v1 file stays valid.

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use std::borrow::Cow;
use std::fmt;

/// A numeric input: a value, optionally with its source and a note.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Param {
    pub value: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Param {
    pub fn fixed(value: f64) -> Self {
        Param {
            value,
            source: None,
            note: None,
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

struct ParamVisitor;

const PARAM_KEYS: &[&str] = &["value", "source", "note"];

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
        let mut value: Option<f64> = None;
        let mut source = None;
        let mut note = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "value" => {
                    let v: Param = map.next_value()?;
                    value = Some(v.value);
                }
                "source" => source = Some(map.next_value::<String>()?),
                "note" => note = Some(map.next_value::<String>()?),
                "dist" | "distribution" => {
                    return Err(de::Error::custom(
                        "distributions are not part of scenario format v1; give a fixed `value`",
                    ));
                }
                other => return Err(de::Error::unknown_field(other, PARAM_KEYS)),
            }
        }
        let value = value.ok_or_else(|| de::Error::missing_field("value"))?;
        Ok(Param {
            value,
            source,
            note,
        })
    }
}

impl JsonSchema for Param {
    fn schema_name() -> Cow<'static, str> {
        "Param".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A number, or a table with the number and its source.",
            "anyOf": [
                { "type": "number" },
                {
                    "type": "object",
                    "properties": {
                        "value": { "type": "number" },
                        "source": { "type": "string" },
                        "note": { "type": "string" }
                    },
                    "required": ["value"],
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

    #[test]
    fn plain_and_table_forms() {
        let t: T = toml::from_str("a = 3\nb = { value = 0.5, source = \"x\" }").unwrap();
        assert_eq!(t.a.value, 3.0);
        assert_eq!(t.b.value, 0.5);
        assert_eq!(t.b.source.as_deref(), Some("x"));
    }

    #[test]
    fn rejects_unknown_keys_and_strings() {
        assert!(toml::from_str::<T>("a = 3\nb = { valu = 0.5 }").is_err());
        assert!(toml::from_str::<T>("a = \"3\"\nb = 1").is_err());
    }
}
