use std::fs;
use std::path::Path;

use revlens_ingest::{Mapping, MappingOverride};
use serde_json::Value;

use crate::{Result, ServiceError};

/// Reads a mapping file: either `{"field": "Header", "other": null}` or a saved
/// mapping's own form `{"kind": …, "fields": {…}}`.
pub fn load_mapping_file(path: &Path) -> Result<MappingOverride> {
    let error = |message: String| ServiceError::MappingFile { path: path.to_owned(), message };
    let text = fs::read_to_string(path).map_err(|e| error(format!("cannot read it: {e}")))?;
    let json: Value = serde_json::from_str(&text).map_err(|e| error(format!("not valid JSON: {e}")))?;
    let fields = match json.get("fields") {
        Some(fields) if json.get("kind").is_some() => fields.clone(),
        _ => json,
    };
    let Value::Object(fields) = fields else {
        return Err(error(r#"expected an object like {"customer_id": "Cust No", "plan": null}"#.into()));
    };
    fields
        .into_iter()
        .map(|(field, header)| match header {
            Value::String(header) => Ok((field, Some(header))),
            Value::Null => Ok((field, None)),
            other => Err(error(format!("field '{field}' must map to a header name or null, not {other}"))),
        })
        .collect()
}

pub(crate) fn to_json(mapping: &Mapping) -> Value {
    serde_json::to_value(mapping).unwrap_or(Value::Null)
}

pub(crate) fn from_json(value: &Value) -> Result<Mapping> {
    serde_json::from_value(value.clone())
        .map_err(|e| ServiceError::Invalid(format!("the saved mapping is unreadable: {e}")))
}
