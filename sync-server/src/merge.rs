//! Three-way merge of JSON object bodies at the top level, for pushes on a stale `base_rev`.

use serde_json::{Map, Value};

/// Merges `client` (edited from `base`) into `server` (also edited from `base`) when the two
/// touched disjoint top-level fields, or the same fields in the same way. `None` is a true
/// conflict: overlapping edits, or a body that is not a JSON object.
pub fn merge(base: &Value, server: &Value, client: &Value) -> Option<Value> {
    let (Value::Object(base), Value::Object(server), Value::Object(client)) = (base, server, client) else {
        return None;
    };
    let client_changes = changed_keys(base, client);
    let server_changes = changed_keys(base, server);
    let overlap = client_changes.iter().any(|k| server_changes.contains(k) && server.get(*k) != client.get(*k));
    if overlap {
        return None;
    }
    let mut merged = server.clone();
    for key in client_changes {
        match client.get(key) {
            Some(value) => merged.insert(key.clone(), value.clone()),
            None => merged.remove(key),
        };
    }
    Some(Value::Object(merged))
}

fn changed_keys<'a>(base: &'a Map<String, Value>, edited: &'a Map<String, Value>) -> Vec<&'a String> {
    let mut keys: Vec<&String> = edited.keys().filter(|k| base.get(*k) != edited.get(*k)).collect();
    keys.extend(base.keys().filter(|k| !edited.contains_key(*k)));
    keys
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn disjoint_edits_merge() {
        let base = json!({"title": "MRR", "range": "12m", "chart": "line"});
        let server = json!({"title": "MRR by plan", "range": "12m", "chart": "line"});
        let client = json!({"title": "MRR", "range": "24m"});
        assert_eq!(merge(&base, &server, &client), Some(json!({"title": "MRR by plan", "range": "24m"})));
    }

    #[test]
    fn overlapping_edits_conflict_unless_identical() {
        let base = json!({"title": "MRR"});
        assert_eq!(merge(&base, &json!({"title": "A"}), &json!({"title": "B"})), None);
        assert_eq!(merge(&base, &json!({"title": "A"}), &json!({"title": "A"})), Some(json!({"title": "A"})));
        assert_eq!(merge(&base, &json!({}), &json!({"title": "B"})), None, "deleted field vs edited field");
    }

    #[test]
    fn non_objects_conflict() {
        assert_eq!(merge(&json!([1]), &json!([1, 2]), &json!([1, 3])), None);
    }
}
