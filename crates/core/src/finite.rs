//! Every number of a result checked finite before anything is written: the path of the first
//! number in a serialisable value that is not finite (`results.total.metrics.npv`,
//! `uncertainty.by_department[2].npv.mean`). Undefined figures are `None`, never NaN, so a
//! non-finite number is an overflow or a fault, and is an error rather than a `null` in JSON.

use serde::ser::{self, Serialize};
use std::fmt;

/// The path of the first non-finite `f32`/`f64` in `value`, if any.
pub fn first_non_finite<T: Serialize + ?Sized>(value: &T) -> Option<String> {
    let mut f = Finder::default();
    match value.serialize(&mut f) {
        Err(Found(path)) => Some(path),
        Ok(()) => None,
    }
}

#[derive(Default)]
struct Finder {
    path: Vec<String>,
}

#[derive(Debug)]
struct Found(String);

impl fmt::Display for Found {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` is not finite", self.0)
    }
}

impl std::error::Error for Found {}

impl ser::Error for Found {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Found(msg.to_string())
    }
}

impl Finder {
    fn here(&self) -> String {
        let mut s = String::new();
        for p in &self.path {
            if p.starts_with('[') || s.is_empty() {
                s.push_str(p);
            } else {
                s.push('.');
                s.push_str(p);
            }
        }
        if s.is_empty() {
            "(the value)".into()
        } else {
            s
        }
    }

    fn float(&mut self, v: f64) -> Result<(), Found> {
        if v.is_finite() {
            Ok(())
        } else {
            Err(Found(self.here()))
        }
    }

    fn within<T: Serialize + ?Sized>(&mut self, seg: String, v: &T) -> Result<(), Found> {
        self.path.push(seg);
        let r = v.serialize(&mut *self);
        self.path.pop();
        r
    }
}

/// A compound value being walked: its element count so far, and a map's key under way.
struct Walk<'a> {
    f: &'a mut Finder,
    i: usize,
    key: Option<String>,
}

macro_rules! scalar {
    ($($name:ident: $t:ty),*) => {
        $(fn $name(self, _: $t) -> Result<(), Found> { Ok(()) })*
    };
}

impl<'a> ser::Serializer for &'a mut Finder {
    type Ok = ();
    type Error = Found;
    type SerializeSeq = Walk<'a>;
    type SerializeTuple = Walk<'a>;
    type SerializeTupleStruct = Walk<'a>;
    type SerializeTupleVariant = Walk<'a>;
    type SerializeMap = Walk<'a>;
    type SerializeStruct = Walk<'a>;
    type SerializeStructVariant = Walk<'a>;

    scalar!(serialize_bool: bool, serialize_i8: i8, serialize_i16: i16, serialize_i32: i32,
        serialize_i64: i64, serialize_u8: u8, serialize_u16: u16, serialize_u32: u32,
        serialize_u64: u64, serialize_char: char, serialize_str: &str, serialize_bytes: &[u8],
        serialize_unit_struct: &'static str);

    fn serialize_f32(self, v: f32) -> Result<(), Found> {
        self.float(v as f64)
    }
    fn serialize_f64(self, v: f64) -> Result<(), Found> {
        self.float(v)
    }
    fn serialize_none(self) -> Result<(), Found> {
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<(), Found> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Found> {
        Ok(())
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, _: &'static str) -> Result<(), Found> {
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<(), Found> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        v: &T,
    ) -> Result<(), Found> {
        self.within(variant.to_string(), v)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Walk<'a>, Found> {
        Ok(Walk {
            f: self,
            i: 0,
            key: None,
        })
    }
    fn serialize_tuple(self, _: usize) -> Result<Walk<'a>, Found> {
        Ok(Walk {
            f: self,
            i: 0,
            key: None,
        })
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Walk<'a>, Found> {
        Ok(Walk {
            f: self,
            i: 0,
            key: None,
        })
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Walk<'a>, Found> {
        Ok(Walk {
            f: self,
            i: 0,
            key: None,
        })
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Walk<'a>, Found> {
        Ok(Walk {
            f: self,
            i: 0,
            key: None,
        })
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Walk<'a>, Found> {
        Ok(Walk {
            f: self,
            i: 0,
            key: None,
        })
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Walk<'a>, Found> {
        Ok(Walk {
            f: self,
            i: 0,
            key: None,
        })
    }
}

impl Walk<'_> {
    fn element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Found> {
        let seg = format!("[{}]", self.i);
        self.i += 1;
        self.f.within(seg, v)
    }
}

macro_rules! elements {
    ($($tr:ident :: $method:ident),*) => {
        $(impl ser::$tr for Walk<'_> {
            type Ok = ();
            type Error = Found;
            fn $method<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Found> {
                self.element(v)
            }
            fn end(self) -> Result<(), Found> {
                Ok(())
            }
        })*
    };
}

elements!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

impl ser::SerializeMap for Walk<'_> {
    type Ok = ();
    type Error = Found;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Found> {
        self.key = Some(match serde_json::to_value(key) {
            Ok(serde_json::Value::String(s)) => s,
            Ok(other) => other.to_string(),
            Err(_) => "?".into(),
        });
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Found> {
        match self.key.take() {
            Some(k) => self.f.within(k, v),
            None => self.element(v),
        }
    }
    fn end(self) -> Result<(), Found> {
        Ok(())
    }
}

impl ser::SerializeStruct for Walk<'_> {
    type Ok = ();
    type Error = Found;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        v: &T,
    ) -> Result<(), Found> {
        self.f.within(key.to_string(), v)
    }
    fn end(self) -> Result<(), Found> {
        Ok(())
    }
}

impl ser::SerializeStructVariant for Walk<'_> {
    type Ok = ();
    type Error = Found;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        v: &T,
    ) -> Result<(), Found> {
        self.f.within(key.to_string(), v)
    }
    fn end(self) -> Result<(), Found> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Serialize)]
    struct Group {
        id: String,
        npv: f64,
        bcr: Option<f64>,
    }

    #[derive(serde::Serialize)]
    struct Results {
        total: Group,
        by_department: Vec<Group>,
        #[serde(flatten)]
        extra: std::collections::BTreeMap<String, f64>,
    }

    #[test]
    fn the_first_non_finite_number_is_found_with_its_path() {
        let g = |npv: f64, bcr: Option<f64>| Group {
            id: "x".into(),
            npv,
            bcr,
        };
        let mut r = Results {
            total: g(1.0, None),
            by_department: vec![g(2.0, Some(1.5)), g(3.0, Some(0.5))],
            extra: Default::default(),
        };
        assert_eq!(first_non_finite(&r), None);
        r.by_department[1].bcr = Some(f64::NAN);
        assert_eq!(
            first_non_finite(&r).as_deref(),
            Some("by_department[1].bcr")
        );
        r.total.npv = f64::INFINITY;
        assert_eq!(first_non_finite(&r).as_deref(), Some("total.npv"));
        assert_eq!(first_non_finite(&f64::NAN).as_deref(), Some("(the value)"));
    }
}
