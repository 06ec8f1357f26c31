use std::io::Cursor;

use revlens_report::{chart_png, chart_svg, series_rgb, ChartKind, ChartSize, ChartSpec, ReportError, MIN_SIZE};

use crate::{cohorts_chart, months, movements_chart, mrr_chart, series};

/// Decodes a PNG: its width, height and RGB pixels.
fn decode(bytes: &[u8]) -> (u32, u32, Vec<[u8; 3]>) {
    let mut reader = png::Decoder::new(Cursor::new(bytes)).read_info().expect("a PNG header");
    let mut buf = vec![0; reader.output_buffer_size().expect("a buffer size")];
    let frame = reader.next_frame(&mut buf).expect("a PNG frame");
    assert_eq!(frame.color_type, png::ColorType::Rgb);
    let pixels = buf[..frame.buffer_size()].chunks_exact(3).map(|p| [p[0], p[1], p[2]]).collect();
    (frame.width, frame.height, pixels)
}

fn count(pixels: &[[u8; 3]], (r, g, b): (u8, u8, u8)) -> usize {
    pixels.iter().filter(|p| **p == [r, g, b]).count()
}

#[test]
fn line_png_has_the_requested_size_and_the_series_colours() {
    let size = ChartSize { width: 900, height: 420 };
    let (w, h, pixels) = decode(&chart_png(&mrr_chart(), size).unwrap());
    assert_eq!((w, h), (900, 420));
    assert!(count(&pixels, series_rgb(0)) > 200, "the MRR line is drawn");
    assert!(count(&pixels, series_rgb(1)) > 200, "the target line is drawn");
    assert!(count(&pixels, series_rgb(2)) == 0, "no third series");
}

#[test]
fn stacked_bar_png_draws_every_series_including_negative_ones() {
    let (w, h, pixels) = decode(&chart_png(&movements_chart(), ChartSize::default()).unwrap());
    assert_eq!((w, h), (1200, 600));
    for i in 0..4 {
        assert!(count(&pixels, series_rgb(i)) > 500, "series {i} has bars");
    }
}

#[test]
fn heatmap_png_has_coloured_cells() {
    let (_, _, pixels) = decode(&chart_png(&cohorts_chart(), ChartSize::default()).unwrap());
    let blue = pixels.iter().filter(|[r, _, b]| *b > 120 && *r < 60).count();
    assert!(blue > 2000, "dark blue cells of high retention: {blue} pixels");
}

#[test]
fn empty_charts_render_no_data_instead_of_failing() {
    let mut empty = mrr_chart();
    empty.series.clear();
    let mut all_none = movements_chart();
    for s in &mut all_none.series {
        s.values = vec![None; s.values.len()];
    }
    let mut heat = cohorts_chart();
    heat.series = vec![series("a", "A", &[None, Some(f64::NAN)])];
    for chart in [empty, all_none, heat] {
        let (w, h, pixels) = decode(&chart_png(&chart, ChartSize { width: 400, height: 300 }).unwrap());
        assert_eq!((w, h), (400, 300));
        assert_eq!(count(&pixels, series_rgb(0)), 0, "{}: nothing plotted", chart.id);
        let svg = chart_svg(&chart, ChartSize::default()).unwrap();
        assert!(has(&svg, "No data"), "{}", chart.id);
    }
}

#[test]
fn sizes_out_of_range_are_an_error() {
    for (width, height) in [(0, 600), (1200, 10), (100_000, 600)] {
        let err = chart_png(&mrr_chart(), ChartSize { width, height }).unwrap_err();
        assert!(matches!(err, ReportError::ChartSize { .. }), "{err}");
        assert!(chart_svg(&mrr_chart(), ChartSize { width, height }).is_err());
    }
}

/// The texts of an SVG's `<text>` elements, trimmed.
fn texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .filter_map(|t| Some(t.split_once('>')?.1.split_once("</text>")?.0.trim().to_owned()))
        .collect()
}

fn has(svg: &str, text: &str) -> bool {
    texts(svg).iter().any(|t| t == text)
}

fn assert_svg(svg: &str) {
    assert!(svg.starts_with("<svg"), "{}", &svg[..60.min(svg.len())]);
    assert!(svg.trim_end().ends_with("</svg>"));
}

#[test]
fn line_svg_has_title_legend_and_axis_labels() {
    let svg = chart_svg(&mrr_chart(), ChartSize::default()).unwrap();
    assert_svg(&svg);
    for text in ["Monthly recurring revenue", "MRR", "Target", "2025-01", "2025-12"] {
        assert!(has(&svg, text), "{text} is in the SVG");
    }
    assert!(has(&svg, "EUR 20,000"), "money with the currency and thousands");
    assert!(
        svg.contains("<title>Sum of the monthly normalised subscription amounts.</title>"),
        "the definition as tooltip"
    );
}

#[test]
fn many_months_are_thinned_on_the_x_axis() {
    let mut chart = mrr_chart();
    chart.x_labels = months(60);
    chart.series = vec![series("mrr", "MRR", &vec![Some(1.0); 60])];
    let svg = chart_svg(&chart, ChartSize { width: 600, height: 400 }).unwrap();
    let shown = chart.x_labels.iter().filter(|m| has(&svg, m)).count();
    assert!((2..30).contains(&shown), "{shown} of 60 month labels shown");
}

#[test]
fn percent_axis_and_text_are_escaped_in_svg() {
    let mut chart = mrr_chart();
    chart.title = "R&D <NRR>".into();
    chart.unit = revlens_report::ValueUnit::Percent;
    chart.series = vec![series("nrr", "NRR", &[Some(0.9), Some(1.0), Some(1.1)])];
    let svg = chart_svg(&chart, ChartSize::default()).unwrap();
    assert_svg(&svg);
    assert!(svg.contains("R&amp;D &lt;NRR&gt;"));
    assert!(has(&svg, "100%") && has(&svg, "95%"), "percent tick labels: {:?}", texts(&svg));
}

#[test]
fn heatmap_svg_labels_every_row_and_prints_values() {
    let chart: ChartSpec = cohorts_chart();
    let svg = chart_svg(&chart, ChartSize::default()).unwrap();
    assert_svg(&svg);
    for label in &chart.y_labels {
        assert!(has(&svg, label), "row {label}");
    }
    assert!(has(&svg, "100%") && has(&svg, "70%") && has(&svg, "94%"), "cell values");
}

#[test]
fn awkward_charts_render_at_small_and_wide_sizes() {
    let long = "A series name far longer than any legend has room for, really".to_owned();
    let many: Vec<_> = (0..30)
        .map(|i| {
            series(&format!("s{i}"), &format!("{long} {i}"), &[Some(i as f64), None, Some(f64::INFINITY), Some(-1e12)])
        })
        .collect();
    let mut charts = Vec::new();
    for kind in [ChartKind::Line, ChartKind::StackedBar, ChartKind::Heatmap] {
        let mut chart = mrr_chart();
        chart.kind = kind;
        chart.x_labels = months(120);
        chart.y_labels = vec!["only one label".into()];
        chart.series = many.clone();
        charts.push(chart.clone());
        // One point, one value, no labels at all.
        chart.x_labels.clear();
        chart.series = vec![series("one", "One", &[Some(42.0)])];
        charts.push(chart);
    }
    for chart in &charts {
        for size in [MIN_SIZE, ChartSize { width: 1600, height: 150 }, ChartSize { width: 200, height: 900 }] {
            let (w, h, _) =
                decode(&chart_png(chart, size).unwrap_or_else(|e| panic!("{:?} at {size:?}: {e}", chart.kind)));
            assert_eq!((w, h), (size.width, size.height));
            assert_svg(&chart_svg(chart, size).unwrap());
        }
    }
}
