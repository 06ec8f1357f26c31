use revlens_report::{CellValue, ChartSize, ValueUnit};
use serde_json::json;

#[test]
fn cell_values_are_plain_json() {
    let cells = vec![CellValue::Null, CellValue::Bool(true), CellValue::Number(1.5), CellValue::Text("x".into())];
    let text = serde_json::to_string(&cells).unwrap();
    assert_eq!(text, r#"[null,true,1.5,"x"]"#);
    assert_eq!(serde_json::from_str::<Vec<CellValue>>(&text).unwrap(), cells);
    assert_eq!(serde_json::from_str::<CellValue>("3").unwrap(), CellValue::Number(3.0));
}

#[test]
fn units_are_tagged_by_type() {
    let money = ValueUnit::Money { currency: Some("EUR".into()) };
    assert_eq!(serde_json::to_value(&money).unwrap(), json!({"type": "money", "currency": "EUR"}));
    assert_eq!(serde_json::to_value(ValueUnit::Percent).unwrap(), json!({"type": "percent"}));
    let back: ValueUnit = serde_json::from_value(json!({"type": "money", "currency": null})).unwrap();
    assert_eq!(back, ValueUnit::Money { currency: None });
}

#[test]
fn charts_round_trip_with_snake_case_kinds() {
    let chart = crate::movements_chart();
    let value = serde_json::to_value(&chart).unwrap();
    assert_eq!(value["kind"], "stacked_bar");
    assert_eq!(value["series"][2]["values"][0], -700.0);
    assert_eq!(serde_json::from_value::<revlens_report::ChartSpec>(value).unwrap(), chart);
    assert_eq!(ChartSize::default(), ChartSize { width: 1200, height: 600 });
}

#[test]
fn typescript_bindings_match_the_json() {
    use ts_rs::TS;
    assert_eq!(CellValue::inline(), "null | boolean | number | string");
    assert_eq!(
        ValueUnit::inline(),
        r#"{ "type": "money", currency: string | null, } | { "type": "percent" } | { "type": "count" } | { "type": "ratio" }"#
    );
    assert!(revlens_report::ChartKind::inline().contains(r#""stacked_bar""#));
    assert!(revlens_report::ChartSpec::decl().contains("x_labels: Array<string>"));
}
