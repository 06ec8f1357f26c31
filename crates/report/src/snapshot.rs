//! A dashboard's snapshot: the numbers, charts and tables it showed when it was synced, so
//! that a share link can show them read-only without the data (the sync server renders it).
//!
//! The app attaches it to the dashboard's synced body as `snapshot`, beside `name` and `body`:
//! `{"name": …, "body": {"tiles": […], "filters": {…}}, "snapshot": {…}}`.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::types::{ChartSpec, TableData, ValueUnit};

/// What a dashboard showed: its KPI tiles, charts and tables, with the same values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct DashboardSnapshot {
    pub title: String,
    /// The month or date the numbers are as of (`"2025-06"`), as the app shows it.
    #[serde(default)]
    pub as_of: Option<String>,
    /// The reporting currency (`"EUR"`), when the numbers are money.
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub tiles: Vec<SnapshotTile>,
    #[serde(default)]
    pub charts: Vec<ChartSpec>,
    #[serde(default)]
    pub tables: Vec<TableData>,
}

/// One KPI tile as the app shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct SnapshotTile {
    pub id: String,
    pub label: String,
    pub value: Option<f64>,
    #[serde(default)]
    pub previous: Option<f64>,
    /// (value − previous) ÷ |previous|; null when either is missing or previous is 0.
    #[serde(default)]
    pub change: Option<f64>,
    pub unit: ValueUnit,
    /// The metric's definition.
    #[serde(default)]
    pub definition: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_documented_shape() {
        let json = r#"{"title": "CFO", "as_of": "2025-06", "currency": "EUR",
            "tiles": [{"id": "mrr", "label": "MRR", "value": 1250.5, "previous": 1000, "change": 0.2505,
                       "unit": {"type": "money", "currency": "EUR"}, "definition": "Monthly recurring revenue"}],
            "charts": [], "tables": []}"#;
        let snapshot: DashboardSnapshot = serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(snapshot.tiles[0].unit, ValueUnit::Money { currency: Some("EUR".into()) });
        assert_eq!(snapshot.tiles[0].change, Some(0.2505));
        let minimal: DashboardSnapshot = serde_json::from_str(r#"{"title": "x"}"#).unwrap_or_else(|e| panic!("{e}"));
        assert!(minimal.tiles.is_empty() && minimal.as_of.is_none());
    }
}
