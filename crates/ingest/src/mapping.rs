use std::collections::BTreeMap;

use revlens_model::DatasetKind;
use serde::{Deserialize, Serialize};

use crate::ImportError;

/// Which source header feeds each canonical field of a kind.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mapping {
    pub kind: DatasetKind,
    /// canonical field name → source header, exactly as written in the file.
    pub fields: BTreeMap<String, String>,
}

/// A user's corrections to a mapping: a field set to a header, or to `None` to unmap it.
/// As JSON: `{"customer_id": "Cust No", "plan": null}`.
pub type MappingOverride = BTreeMap<String, Option<String>>;

/// Suggests a mapping from header names and their common synonyms.
pub fn suggest_mapping(kind: DatasetKind, headers: &[String]) -> Mapping {
    let _ = headers;
    Mapping {
        kind,
        fields: BTreeMap::new(),
    }
}

/// A stable fingerprint of a header row, to find a saved mapping for the next file
/// with the same columns.
pub fn header_signature(headers: &[String]) -> String {
    let _ = headers;
    todo!()
}

impl Mapping {
    /// Applies a user's override on top of this mapping.
    pub fn apply(&mut self, overrides: &MappingOverride) {
        let _ = overrides;
        todo!()
    }

    /// Checks the mapping against a header row: known fields, existing headers, each
    /// header used once, every required field mapped.
    pub fn validate(&self, headers: &[String]) -> Result<(), ImportError> {
        let _ = headers;
        todo!()
    }
}
