//! The read-only page behind a share link, rendered from the shared object's synced body.
//!
//! A dashboard whose body carries a `snapshot` (a [`DashboardSnapshot`] in the dashboard's
//! body: `{"name", "body": {"tiles", "filters", "snapshot"}}` as the app syncs it) shows its KPI tiles formatted by unit, its charts as inline SVG drawn here with
//! plotters (`revlens_report::chart_svg`) and its tables as HTML tables. Any other object (a
//! mapping, a scenario, a dashboard without a snapshot) gets its name, kind and a note.
//!
//! The body is written by org members and may be hostile: every text from it is HTML-escaped,
//! each SVG is checked against an allowlist of the elements and attributes plotters writes
//! before it is inlined (and dropped otherwise), the work is bounded (tiles, charts, series,
//! points, rows), and the page's Content-Security-Policy allows no script at all.

use revlens_report::{
    chart_svg, format_value, CellValue, ChartSize, ChartSpec, DashboardSnapshot, SnapshotTile, TableData, ValueUnit,
};
use serde_json::Value;

/// At most this much of a snapshot is shown; the rest is counted in a note.
const MAX_TILES: usize = 48;
const MAX_CHARTS: usize = 16;
const MAX_TABLES: usize = 16;
const MAX_ROWS: usize = 500;
const MAX_COLUMNS: usize = 40;
/// Charts larger than this are not drawn (a note says so).
const MAX_SERIES: usize = 50;
const MAX_POINTS: usize = 1000;
/// The size charts are drawn at; the page scales them to its width.
const CHART_SIZE: ChartSize = ChartSize { width: 960, height: 480 };

/// The shared object, as the share link found it.
#[derive(Debug, Clone)]
pub struct SharedObject {
    pub org_name: String,
    /// `dashboard`, `mapping`, `scenario` …
    pub kind: String,
    pub object_id: String,
    pub rev: i64,
    /// The synced body (JSON text).
    pub body: Option<String>,
}

/// The app's link to a share: `revlens://share/{token}?server={server base URL, encoded}`.
pub fn app_link(public_url: &str, token: &str) -> String {
    let server: String = url::form_urlencoded::byte_serialize(public_url.as_bytes()).collect();
    format!("revlens://share/{token}?server={server}")
}

/// The page of a valid link; `app_link` is its [`app_link`] (the "Open in RevLens" link).
pub fn render(object: &SharedObject, app_link: &str) -> String {
    let body: Value = object.body.as_deref().and_then(|b| serde_json::from_str(b).ok()).unwrap_or(Value::Null);
    let name = object_name(&body, &object.object_id);
    let open_link = format!("<p class=\"open\"><a href=\"{}\">Open in RevLens</a></p>", escape(app_link));
    let meta = |extra: &str| {
        format!(
            "<p class=\"meta\">{} · {} · revision {}{extra} · read-only</p>",
            escape(&object.org_name),
            escape(&object.kind),
            object.rev
        )
    };
    // The app keeps the snapshot in the dashboard's body (`{"name", "body": {"tiles", "filters",
    // "snapshot"}}` on the wire); a body that carries it at the top is read too.
    let snapshot = match body.pointer("/body/snapshot").or_else(|| body.get("snapshot")) {
        Some(value) if object.kind == "dashboard" => Some(serde_json::from_value::<DashboardSnapshot>(value.clone())),
        _ => None,
    };
    match snapshot {
        Some(Ok(snapshot)) => {
            let title = if snapshot.title.trim().is_empty() { name } else { snapshot.title.clone() };
            let as_of = snapshot.as_of.as_deref().map(|d| format!(" · as of {}", escape(d))).unwrap_or_default();
            let content = format!("{}{open_link}{}", meta(&as_of), snapshot_html(&snapshot));
            page(&title, &content)
        }
        Some(Err(_)) => {
            let note =
                "<p class=\"note\">This dashboard's snapshot could not be read. Open it in RevLens to see it.</p>";
            page(&name, &format!("{}{note}{open_link}", meta("")))
        }
        None => {
            let note = format!(
                "<p class=\"note\">This {} has no snapshot to show here. Open it in RevLens to see it.</p>",
                escape(&object.kind)
            );
            page(&name, &format!("{}{note}{open_link}", meta("")))
        }
    }
}

/// The object's name from its synced body, or its id when the body has none.
pub fn object_name(body: &Value, object_id: &str) -> String {
    body.get("name").and_then(Value::as_str).map(str::trim).filter(|n| !n.is_empty()).unwrap_or(object_id).to_owned()
}

/// The page of an invalid, expired or revoked link: it says which of them it is not.
pub fn unavailable() -> String {
    page("Link unavailable", "<p class=\"note\">This link is invalid, has expired or was revoked.</p>")
}

fn snapshot_html(snapshot: &DashboardSnapshot) -> String {
    let mut out = String::new();
    let currency = snapshot.currency.as_deref();
    if !snapshot.tiles.is_empty() {
        out.push_str("<section class=\"tiles\">");
        for tile in snapshot.tiles.iter().take(MAX_TILES) {
            out.push_str(&tile_html(tile, currency));
        }
        out.push_str("</section>");
        out.push_str(&more_note(snapshot.tiles.len(), MAX_TILES, "tiles"));
    }
    for chart in snapshot.charts.iter().take(MAX_CHARTS) {
        out.push_str(&chart_html(chart, currency));
    }
    out.push_str(&more_note(snapshot.charts.len(), MAX_CHARTS, "charts"));
    for table in snapshot.tables.iter().take(MAX_TABLES) {
        out.push_str(&table_html(table, currency));
    }
    out.push_str(&more_note(snapshot.tables.len(), MAX_TABLES, "tables"));
    if snapshot.tiles.is_empty() && snapshot.charts.is_empty() && snapshot.tables.is_empty() {
        out.push_str("<p class=\"note\">This snapshot is empty.</p>");
    }
    out
}

fn more_note(total: usize, shown: usize, what: &str) -> String {
    if total > shown {
        format!("<p class=\"note\">{} more {what} are not shown here.</p>", total - shown)
    } else {
        String::new()
    }
}

/// Money without a currency takes the snapshot's.
fn with_currency(unit: &ValueUnit, currency: Option<&str>) -> ValueUnit {
    match (unit, currency) {
        (ValueUnit::Money { currency: None }, Some(c)) => ValueUnit::Money { currency: Some(c.to_owned()) },
        _ => unit.clone(),
    }
}

fn tile_html(tile: &SnapshotTile, currency: Option<&str>) -> String {
    let unit = with_currency(&tile.unit, currency);
    let value = tile.value.map_or_else(|| "—".to_owned(), |v| format_value(&unit, v));
    let mut change = String::new();
    if let Some(c) = tile.change {
        let class = if c > 0.0 {
            "up"
        } else if c < 0.0 {
            "down"
        } else {
            "flat"
        };
        let sign = if c > 0.0 { "+" } else { "" };
        change = format!("<div class=\"change {class}\">{sign}{}", escape(&format_value(&ValueUnit::Percent, c)));
        if let Some(p) = tile.previous {
            change.push_str(&format!(" vs {}", escape(&format_value(&unit, p))));
        }
        change.push_str("</div>");
    } else if let Some(p) = tile.previous {
        change = format!("<div class=\"change flat\">previous {}</div>", escape(&format_value(&unit, p)));
    }
    format!(
        "<div class=\"tile\" title=\"{}\"><div class=\"label\">{}</div><div class=\"value\">{}</div>{change}</div>",
        escape(&tile.definition),
        escape(&tile.label),
        escape(&value)
    )
}

fn chart_html(chart: &ChartSpec, currency: Option<&str>) -> String {
    let heading = format!("<h2>{}</h2>", escape(&chart.title));
    let too_large = chart.series.len() > MAX_SERIES
        || chart.x_labels.len() > MAX_POINTS
        || chart.y_labels.len() > MAX_POINTS
        || chart.series.iter().any(|s| s.values.len() > MAX_POINTS);
    if too_large {
        return format!("<figure>{heading}<p class=\"note\">This chart is too large to draw here.</p></figure>");
    }
    let chart = ChartSpec { unit: with_currency(&chart.unit, currency), ..chart.clone() };
    let svg = chart_svg(&chart, CHART_SIZE).ok().and_then(|svg| checked_svg(&svg));
    match svg {
        Some(svg) => format!("<figure>{heading}{svg}</figure>"),
        None => format!("<figure>{heading}<p class=\"note\">This chart could not be drawn.</p></figure>"),
    }
}

fn table_html(table: &TableData, currency: Option<&str>) -> String {
    let columns: Vec<_> = table.columns.iter().take(MAX_COLUMNS).collect();
    let units: Vec<Option<ValueUnit>> =
        columns.iter().map(|c| c.unit.as_ref().map(|u| with_currency(u, currency))).collect();
    let mut out = format!("<section class=\"table\"><h2>{}</h2><table><thead><tr>", escape(&table.title));
    for (column, unit) in columns.iter().zip(&units) {
        let class = if unit.is_some() { " class=\"num\"" } else { "" };
        out.push_str(&format!("<th{class}>{}</th>", escape(&column.label)));
    }
    out.push_str("</tr></thead><tbody>");
    for row in table.rows.iter().take(MAX_ROWS) {
        out.push_str("<tr>");
        for (i, unit) in units.iter().enumerate() {
            let cell = row.get(i).unwrap_or(&CellValue::Null);
            let (class, text) = match (cell, unit) {
                (CellValue::Null, _) => ("", String::new()),
                (CellValue::Bool(b), _) => ("", if *b { "yes" } else { "no" }.to_owned()),
                (CellValue::Number(n), Some(unit)) => (" class=\"num\"", format_value(unit, *n)),
                (CellValue::Number(n), None) => (" class=\"num\"", n.to_string()),
                (CellValue::Text(t), _) => ("", t.clone()),
            };
            out.push_str(&format!("<td{class}>{}</td>", escape(&text)));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
    let total = usize::try_from(table.total_rows).unwrap_or(usize::MAX).max(table.rows.len());
    let shown = table.rows.len().min(MAX_ROWS);
    if total > shown {
        out.push_str(&format!("<p class=\"note\">The first {shown} of {total} rows.</p>"));
    }
    out.push_str("</section>");
    out
}

/// Elements and attributes plotters' SVG backend (and `chart_svg`'s `<title>`) write.
const SVG_ELEMENTS: &[&str] = &["svg", "title", "rect", "circle", "line", "polyline", "polygon", "text"];
const SVG_ATTRIBUTES: &[&str] = &[
    "width",
    "height",
    "viewBox",
    "xmlns",
    "x",
    "y",
    "x1",
    "y1",
    "x2",
    "y2",
    "cx",
    "cy",
    "r",
    "points",
    "fill",
    "stroke",
    "stroke-width",
    "opacity",
    "fill-opacity",
    "stroke-opacity",
    "dy",
    "text-anchor",
    "font-family",
    "font-size",
    "font-weight",
    "font-style",
    "transform",
];

/// The SVG, from its `<svg` tag on, when every tag in it is an allowed element with allowed,
/// double-quoted attributes (no comments, processing instructions, scripts, event handlers or
/// links); `None` otherwise. Text between tags holds no `<` (it is escaped), so this sees every
/// tag.
fn checked_svg(svg: &str) -> Option<String> {
    let svg = &svg[svg.find("<svg")?..];
    let mut rest = svg;
    while let Some(start) = rest.find('<') {
        let after = &rest[start + 1..];
        let end = after.find('>')?;
        check_tag(&after[..end])?;
        rest = &after[end + 1..];
    }
    Some(svg.trim_end().to_owned())
}

/// One tag's inside (between `<` and `>`).
fn check_tag(tag: &str) -> Option<()> {
    if let Some(name) = tag.strip_prefix('/') {
        return SVG_ELEMENTS.contains(&name.trim()).then_some(());
    }
    let tag = tag.strip_suffix('/').unwrap_or(tag);
    let name_end = tag.find(|c: char| c.is_ascii_whitespace()).unwrap_or(tag.len());
    if !SVG_ELEMENTS.contains(&&tag[..name_end]) {
        return None;
    }
    let mut rest = tag[name_end..].trim_start();
    while !rest.is_empty() {
        let (name, value) = rest.split_once("=\"")?;
        if !SVG_ATTRIBUTES.contains(&name) {
            return None;
        }
        let (value, after) = value.split_once('"')?;
        if value.contains(['<', '>']) {
            return None;
        }
        rest = after.trim_start();
    }
    Some(())
}

fn page(title: &str, content: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"robots\" content=\"noindex\"><title>{} · RevLens</title><style>{STYLE}</style></head>\
         <body><h1>{}</h1>{content}<footer>Shared from RevLens · a read-only snapshot</footer></body></html>",
        escape(title),
        escape(title)
    )
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:64rem;padding:0 1rem;color:#222}\
.meta,.note,footer{color:#555}footer{margin-top:3rem;font-size:.85rem}\
.open a{display:inline-block;padding:.4rem .8rem;border:1px solid #5470c6;border-radius:4px;color:#5470c6;text-decoration:none}\
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(12rem,1fr));gap:1rem;margin:1.5rem 0}\
.tile{border:1px solid #e0e6f1;border-radius:6px;padding:.8rem 1rem}.label{color:#555;font-size:.9rem}\
.value{font-size:1.6rem;font-weight:600;margin:.2rem 0}.change{font-size:.85rem;color:#555}\
.up{color:#2f7d32}.down{color:#c62828}figure{margin:2rem 0}figure svg{max-width:100%;height:auto}\
h2{font-size:1.15rem}table{border-collapse:collapse;width:100%;font-size:.9rem}\
th,td{border-bottom:1px solid #e0e6f1;padding:.3rem .5rem;text-align:left}.num{text-align:right}";

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use revlens_report::{ChartKind, Series};

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<script>\"x\" & 'y'</script>"),
            "&lt;script&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/script&gt;"
        );
    }

    fn chart(name: &str) -> ChartSpec {
        ChartSpec {
            id: "mrr".into(),
            title: format!("MRR {name}"),
            kind: ChartKind::Line,
            x_labels: vec!["2025-01".into(), format!("{name}")],
            y_labels: vec![],
            series: vec![Series { key: "mrr".into(), name: name.into(), values: vec![Some(1.0), Some(2.0)] }],
            unit: ValueUnit::Money { currency: None },
            definition: format!("def {name}"),
        }
    }

    #[test]
    fn plotters_svg_passes_the_check_and_hostile_markup_does_not() {
        let svg =
            chart_svg(&chart("<script>alert(1)</script>\"onload=x"), CHART_SIZE).unwrap_or_else(|e| panic!("{e}"));
        let checked = checked_svg(&svg).unwrap_or_else(|| panic!("refused: {svg}"));
        assert!(!checked.contains("<script"));
        assert!(checked.contains("&lt;script&gt;"));
        for bad in [
            "<svg><script>alert(1)</script></svg>",
            "<svg onload=\"alert(1)\"></svg>",
            "<svg><a href=\"javascript:x\"><text>x</text></a></svg>",
            "<svg><!-- x --></svg>",
            "<svg><foreignObject></foreignObject></svg>",
            "<svg><rect x='1'/></svg>",
            "<svg><rect x=\"1\" onclick=\"y\"/></svg>",
            "<svg><rect x=\"1\"",
        ] {
            assert_eq!(checked_svg(bad), None, "{bad}");
        }
        assert!(checked_svg("<svg width=\"1\"><rect x=\"1\"/><text x=\"2\">a &amp; b</text></svg>").is_some());
    }

    #[test]
    fn oversized_charts_are_not_drawn() {
        let mut big = chart("x");
        big.series[0].values = vec![Some(1.0); MAX_POINTS + 1];
        assert!(chart_html(&big, None).contains("too large"));
    }
}
