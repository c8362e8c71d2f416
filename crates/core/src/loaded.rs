//! A scenario as read, with the catalogues it is resolved against and the estimates it takes
//! its effects from: what the file-system edge hands to [`crate::compile`] and to a run. Each
//! input keeps its name and text, so that every output records its SHA-256.

use crate::catalogue::Catalogues;
use crate::scenario::Scenario;
use crate::source::Source;
use serde::Serialize;

/// An input file and its hash.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct InputHash {
    pub role: String,
    pub path: String,
    pub sha256: String,
}

/// A scenario read with the catalogues it is resolved against.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub scenario: Scenario,
    pub source: Source,
    pub catalogues: Catalogues,
    /// The estimates file named in `[estimates]`, with its bootstrap replicates.
    pub estimates: Option<crate::estimates::Estimated>,
}

impl Loaded {
    /// Every input with its role, name and SHA-256, for the manifest.
    pub fn inputs(&self) -> Vec<InputHash> {
        let c = &self.catalogues;
        [
            ("scenario", &self.source),
            ("prices", &c.prices.1),
            ("price_index", &c.price_index.1),
            ("discount", &c.discount.1),
            ("departments", &c.departments.1),
        ]
        .into_iter()
        .chain(c.refusion.as_ref().map(|r| ("refusion", &r.1)))
        .map(|(role, s)| InputHash {
            role: role.to_string(),
            path: s.name.clone(),
            sha256: s.sha256(),
        })
        .chain(self.estimates.iter().flat_map(|e| {
            std::iter::once(InputHash {
                role: "estimates".into(),
                path: e.source.name.clone(),
                sha256: e.source.sha256(),
            })
            .chain(e.bootstrap.iter().map(|(name, sha)| InputHash {
                role: "estimates_bootstrap".into(),
                path: name.clone(),
                sha256: sha.clone(),
            }))
        }))
        .collect()
    }
}
