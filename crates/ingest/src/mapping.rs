use std::collections::BTreeMap;

use revlens_model::{DatasetKind, FieldSpec};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

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

/// A header reduced for comparison: lowercase words joined by single spaces, so
/// "Customer_ID", "customer-id" and "Customer ID" are one name.
pub fn normalize_header(header: &str) -> String {
    let mut out = String::with_capacity(header.len());
    for word in header.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(word.chars().flat_map(char::to_lowercase));
    }
    out
}

/// Words a header may carry around a synonym without changing its meaning:
/// "MRR Amount (USD)", "Signup Date UTC".
/// Deliberately short: a word like "name" or "date" would turn "Customer Name" into a
/// customer id.
const QUALIFIER_WORDS: &[&str] =
    &["usd", "eur", "gbp", "jpy", "cad", "aud", "chf", "utc", "gmt", "local", "in", "the", "amt"];

/// How well a normalised header names a field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum MatchStrength {
    /// The header contains a synonym, and its other words are only qualifiers.
    Contains {
        synonym_words: usize,
    },
    Exact,
}

fn match_strength(header: &str, field: &FieldSpec) -> Option<MatchStrength> {
    let own_name = normalize_header(field.name);
    let names = std::iter::once(own_name).chain(field.synonyms.iter().map(|s| normalize_header(s)));
    let header_words: Vec<&str> = header.split(' ').filter(|w| !w.is_empty()).collect();
    let mut best = None;
    for name in names {
        if name.is_empty() {
            continue;
        }
        if name == header {
            return Some(MatchStrength::Exact);
        }
        let name_words: Vec<&str> = name.split(' ').collect();
        if name_words.len() >= header_words.len() {
            continue;
        }
        let contained =
            header_words.windows(name_words.len()).enumerate().find(|(_, window)| *window == name_words.as_slice());
        if let Some((at, _)) = contained {
            let others = header_words.iter().enumerate().filter(|(i, _)| *i < at || *i >= at + name_words.len());
            let only_qualifiers = others.clone().all(|(_, w)| QUALIFIER_WORDS.contains(w));
            if only_qualifiers {
                let strength = MatchStrength::Contains { synonym_words: name_words.len() };
                best = best.max(Some(strength));
            }
        }
    }
    best
}

/// Suggests a mapping from header names and their common synonyms: exact names first,
/// then headers that contain a synonym plus qualifiers. Each header feeds at most one
/// field; required fields choose first.
pub fn suggest_mapping(kind: DatasetKind, headers: &[String]) -> Mapping {
    let normalized: Vec<String> = headers.iter().map(|h| normalize_header(h)).collect();
    // (strength, required, field order, header order) for every plausible pair.
    let mut candidates = Vec::new();
    for (field_index, field) in kind.fields().iter().enumerate() {
        for (header_index, header) in normalized.iter().enumerate() {
            if let Some(strength) = match_strength(header, field) {
                candidates.push((strength, field.required, field_index, header_index));
            }
        }
    }
    candidates.sort_by(|a, b| {
        let exact = |s: MatchStrength| s == MatchStrength::Exact;
        exact(b.0).cmp(&exact(a.0)).then(b.1.cmp(&a.1)).then(b.0.cmp(&a.0)).then(a.2.cmp(&b.2)).then(a.3.cmp(&b.3))
    });
    let mut fields = BTreeMap::new();
    let mut header_taken = vec![false; headers.len()];
    for (_, _, field_index, header_index) in candidates {
        let (Some(field), Some(taken)) = (kind.fields().get(field_index), header_taken.get_mut(header_index)) else {
            continue;
        };
        if *taken || fields.contains_key(field.name) {
            continue;
        }
        if let Some(header) = headers.get(header_index) {
            *taken = true;
            fields.insert(field.name.to_string(), header.clone());
        }
    }
    Mapping { kind, fields }
}

/// A stable fingerprint of a header row, to find a saved mapping for the next file
/// with the same columns.
pub fn header_signature(headers: &[String]) -> String {
    let mut hasher = Sha256::new();
    for (i, header) in headers.iter().enumerate() {
        if i > 0 {
            hasher.update("\u{1f}".as_bytes());
        }
        hasher.update(normalize_header(header).as_bytes());
    }
    hex::encode(hasher.finalize())
}

/// Names quoted in an error message at most: a sheet can have 16,384 headers.
const MAX_QUOTED_NAMES: usize = 30;

fn quoted_list<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let items: Vec<&str> = items.into_iter().collect();
    let mut list = items.iter().take(MAX_QUOTED_NAMES).map(|s| format!("'{s}'")).collect::<Vec<_>>().join(", ");
    if items.len() > MAX_QUOTED_NAMES {
        list.push_str(&format!(" and {} more", items.len() - MAX_QUOTED_NAMES));
    }
    list
}

impl Mapping {
    /// Applies a user's override on top of this mapping.
    pub fn apply(&mut self, overrides: &MappingOverride) {
        for (field, header) in overrides {
            match header {
                Some(header) => {
                    self.fields.insert(field.clone(), header.clone());
                }
                None => {
                    self.fields.remove(field);
                }
            }
        }
    }

    /// Checks the mapping against a header row: known fields, existing headers, each
    /// header used once, every required field mapped.
    pub fn validate(&self, headers: &[String]) -> Result<(), ImportError> {
        let kind = self.kind;
        let field_names = || kind.fields().iter().map(|f| f.name);
        for (field, header) in &self.fields {
            if kind.field(field).is_none() {
                return Err(ImportError::Mapping(format!(
                    "unknown column '{field}' for {kind}; its columns are: {}",
                    quoted_list(field_names())
                )));
            }
            if !headers.iter().any(|h| h == header) {
                return Err(ImportError::Mapping(format!(
                    "'{field}' is mapped to '{header}', which is not a header of the file; headers are: {}",
                    quoted_list(headers.iter().map(String::as_str))
                )));
            }
        }
        let mut used: BTreeMap<&str, &str> = BTreeMap::new();
        for (field, header) in &self.fields {
            if let Some(other) = used.insert(header.as_str(), field.as_str()) {
                return Err(ImportError::Mapping(format!(
                    "header '{header}' is mapped to both '{other}' and '{field}'; map it to one column"
                )));
            }
        }
        for field in kind.fields().iter().filter(|f| f.required) {
            if !self.fields.contains_key(field.name) {
                return Err(ImportError::Mapping(format!(
                    "required column '{}' of {kind} is not mapped; headers are: {}; map it with --mapping '{{\"{}\": \"<header>\"}}'",
                    field.name,
                    quoted_list(headers.iter().map(String::as_str)),
                    field.name
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_header_lists_are_cut_short() {
        let headers: Vec<String> = (1..=100).map(|i| format!("column_{i}")).collect();
        let list = quoted_list(headers.iter().map(String::as_str));
        assert!(list.starts_with("'column_1', 'column_2', "), "{list}");
        assert!(list.ends_with("'column_30' and 70 more"), "{list}");
        assert_eq!(quoted_list(["a", "b"]), "'a', 'b'");
    }

    fn headers(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    fn suggested(kind: DatasetKind, names: &[&str]) -> BTreeMap<String, String> {
        suggest_mapping(kind, &headers(names)).fields
    }

    #[test]
    fn normalizes_headers() {
        assert_eq!(normalize_header("  Customer_ID "), "customer id");
        assert_eq!(normalize_header("MRR Amount (USD)"), "mrr amount usd");
        assert_eq!(normalize_header("e-mail"), "e mail");
        assert_eq!(normalize_header("Ünterschrift"), "ünterschrift");
    }

    #[test]
    fn customer_id_synonyms() {
        for header in ["Customer ID", "cust", "Email", "customer_id", "Account Id"] {
            let map = suggested(DatasetKind::Subscriptions, &[header, "Amount", "Start"]);
            assert_eq!(map.get("customer_id").map(String::as_str), Some(header));
        }
    }

    #[test]
    fn amount_synonyms() {
        for header in ["MRR Amount", "Price", "Total", "MRR Amount (USD)", "amount"] {
            let map = suggested(DatasetKind::Subscriptions, &["Customer", header, "Start"]);
            assert_eq!(map.get("amount").map(String::as_str), Some(header), "{header}");
        }
    }

    #[test]
    fn exact_beats_containment_and_each_header_is_used_once() {
        let map = suggested(DatasetKind::Customers, &["Customer Name", "Customer ID", "Churn Date", "Churned"]);
        assert_eq!(map["customer_id"], "Customer ID");
        assert_eq!(map["name"], "Customer Name");
        assert_eq!(map["churn_date"], "Churn Date");
        assert_eq!(map["churned"], "Churned");
    }

    #[test]
    fn containment_needs_only_qualifiers_around_the_synonym() {
        let map = suggested(DatasetKind::Subscriptions, &["Customer Name", "Plan Amount (EUR)", "Signup"]);
        assert_eq!(map.get("customer_id"), None);
        assert_eq!(map["amount"], "Plan Amount (EUR)");
        let map = suggested(DatasetKind::Transactions, &["cust", "Payment Date (UTC)", "Net Amount"]);
        assert_eq!(map["date"], "Payment Date (UTC)");
        assert_eq!(map["amount"], "Net Amount");
    }

    #[test]
    fn required_fields_win_conflicts() {
        // "Created" is a synonym of start_date only here, and must go to it.
        let map = suggested(DatasetKind::Subscriptions, &["Customer", "Value", "Created"]);
        assert_eq!(map["start_date"], "Created");
        assert_eq!(map["amount"], "Value");
    }

    #[test]
    fn signature_ignores_case_and_punctuation_but_not_order() {
        let a = header_signature(&headers(&["Customer ID", "Amount"]));
        let b = header_signature(&headers(&["customer_id", "AMOUNT"]));
        let c = header_signature(&headers(&["Amount", "Customer ID"]));
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a.len(), 64);
        assert_eq!(
            header_signature(&headers(&["a"])),
            "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"
        );
    }

    #[test]
    fn apply_sets_and_unmaps() {
        let mut mapping = suggest_mapping(DatasetKind::Subscriptions, &headers(&["cust", "Plan"]));
        let overrides: MappingOverride =
            serde_json::from_str(r#"{"customer_id": "Plan", "plan": null, "bogus": "x"}"#).unwrap();
        mapping.apply(&overrides);
        assert_eq!(mapping.fields["customer_id"], "Plan");
        assert_eq!(mapping.fields.get("plan"), None);
        assert_eq!(mapping.fields["bogus"], "x");
    }

    fn validate_message(fields: &[(&str, &str)], hdrs: &[&str]) -> String {
        let mapping = Mapping {
            kind: DatasetKind::Subscriptions,
            fields: fields.iter().map(|(f, h)| (f.to_string(), h.to_string())).collect(),
        };
        match mapping.validate(&headers(hdrs)) {
            Err(ImportError::Mapping(message)) => message,
            other => panic!("expected a mapping error, got {other:?}"),
        }
    }

    #[test]
    fn validate_names_the_problem() {
        let hdrs = ["Cust", "Amt", "Start"];
        let ok = Mapping {
            kind: DatasetKind::Subscriptions,
            fields: [("customer_id", "Cust"), ("amount", "Amt"), ("start_date", "Start")]
                .iter()
                .map(|(f, h)| (f.to_string(), h.to_string()))
                .collect(),
        };
        assert!(ok.validate(&headers(&hdrs)).is_ok());
        assert!(validate_message(&[("bogus", "Cust")], &hdrs)
            .starts_with("unknown column 'bogus' for subscriptions; its columns are: 'customer_id', 'amount'"));
        assert_eq!(
            validate_message(&[("customer_id", "Nope")], &hdrs),
            "'customer_id' is mapped to 'Nope', which is not a header of the file; headers are: 'Cust', 'Amt', 'Start'"
        );
        assert_eq!(
            validate_message(&[("customer_id", "Cust"), ("plan", "Cust")], &hdrs),
            "header 'Cust' is mapped to both 'customer_id' and 'plan'; map it to one column"
        );
        assert_eq!(
            validate_message(&[("customer_id", "Cust"), ("start_date", "Start")], &hdrs),
            "required column 'amount' of subscriptions is not mapped; headers are: 'Cust', 'Amt', 'Start'; map it with --mapping '{\"amount\": \"<header>\"}'"
        );
    }
}
