//! The two languages of som's outputs: Danish and English. Which names and words a run's outputs
//! use depends on it (department names from the department map's `da` names, input labels);
//! number formats by language are the reports' (`report::Num`).

/// The language of a run's reports, charts and labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Da,
    #[default]
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Da => "da",
            Lang::En => "en",
        }
    }

    /// The text in this language: `en` in English, `da` in Danish.
    pub fn t<'a>(self, en: &'a str, da: &'a str) -> &'a str {
        match self {
            Lang::Da => da,
            Lang::En => en,
        }
    }
}

impl std::str::FromStr for Lang {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "da" | "dansk" | "danish" => Ok(Lang::Da),
            "en" | "english" => Ok(Lang::En),
            other => Err(format!("unknown language `{other}`: expected `da` or `en`")),
        }
    }
}
