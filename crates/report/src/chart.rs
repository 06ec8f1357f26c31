//! Charts as PNG and SVG with plotters, drawn from the same [`ChartSpec`] the UI draws.

use std::sync::OnceLock;

use std::ops::Range;

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{register_font, FontStyle};

use crate::format::format_value;
use crate::types::{ChartKind, ChartSize, ChartSpec};
use crate::ReportError;

/// The family the bundled DejaVu Sans is registered under.
const FONT: &str = "sans-serif";
static DEJAVU_SANS: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");

/// The series colours, in order: the default ECharts palette, so exports match the screen.
pub const PALETTE: [(u8, u8, u8); 9] = [
    (0x54, 0x70, 0xc6),
    (0x91, 0xcc, 0x75),
    (0xfa, 0xc8, 0x58),
    (0xee, 0x66, 0x66),
    (0x73, 0xc0, 0xde),
    (0x3b, 0xa2, 0x72),
    (0xfc, 0x84, 0x52),
    (0x9a, 0x60, 0xb4),
    (0xea, 0x7c, 0xcc),
];
/// Heatmap colour scale: from the lowest value to the highest.
const HEAT_LOW: (u8, u8, u8) = (0xde, 0xeb, 0xf7);
const HEAT_HIGH: (u8, u8, u8) = (0x08, 0x45, 0x94);
const TEXT: RGBColor = RGBColor(0x33, 0x33, 0x33);
const GRID: RGBColor = RGBColor(0xe0, 0xe6, 0xf1);
const AXIS: RGBColor = RGBColor(0x6e, 0x70, 0x79);
const EMPTY_CELL: RGBColor = RGBColor(0xf2, 0xf2, 0xf2);

/// The smallest and largest chart this crate draws.
pub const MIN_SIZE: ChartSize = ChartSize { width: 200, height: 150 };
pub const MAX_SIZE: ChartSize = ChartSize { width: 8000, height: 8000 };

/// The colour of the `index`-th series (the palette repeats).
pub fn series_rgb(index: usize) -> (u8, u8, u8) {
    PALETTE[index % PALETTE.len()]
}

fn series_color(index: usize) -> RGBColor {
    let (r, g, b) = series_rgb(index);
    RGBColor(r, g, b)
}

/// The chart as a PNG image (8-bit RGB) of `size` pixels.
pub fn chart_png(chart: &ChartSpec, size: ChartSize) -> Result<Vec<u8>, ReportError> {
    prepare(size)?;
    let (w, h) = (size.width, size.height);
    let mut pixels = vec![0u8; w as usize * h as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (w, h)).into_drawing_area();
        draw(&root, chart)?;
        root.present()?;
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, w, h);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(&pixels)?;
    writer.finish()?;
    Ok(out)
}

/// The chart as an SVG document of `size` pixels (text stays text, in `sans-serif`).
pub fn chart_svg(chart: &ChartSpec, size: ChartSize) -> Result<String, ReportError> {
    prepare(size)?;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (size.width, size.height)).into_drawing_area();
        draw(&root, chart)?;
        root.present()?;
    }
    Ok(with_tooltip(svg, &chart.definition))
}

/// The metric's definition as the SVG's `<title>`: the tooltip of the whole chart.
fn with_tooltip(mut svg: String, definition: &str) -> String {
    let definition = definition.trim();
    if let (false, Some(end)) = (definition.is_empty(), svg.find('>')) {
        let mut title = String::from("\n<title>");
        for c in definition.chars() {
            match c {
                '<' => title.push_str("&lt;"),
                '>' => title.push_str("&gt;"),
                '&' => title.push_str("&amp;"),
                c => title.push(c),
            }
        }
        title.push_str("</title>");
        svg.insert_str(end + 1, &title);
    }
    svg
}

/// Checks the size and registers the bundled font (once per process).
fn prepare(size: ChartSize) -> Result<(), ReportError> {
    let fits = (MIN_SIZE.width..=MAX_SIZE.width).contains(&size.width)
        && (MIN_SIZE.height..=MAX_SIZE.height).contains(&size.height);
    if !fits {
        return Err(ReportError::ChartSize { width: size.width, height: size.height });
    }
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    if *REGISTERED.get_or_init(|| register_font(FONT, FontStyle::Normal, DEJAVU_SANS).is_ok()) {
        Ok(())
    } else {
        Err(ReportError::Font)
    }
}

/// Font sizes and paddings grow and shrink with the chart (1 at 1200 × 600).
struct Look {
    scale: f64,
}

impl Look {
    fn px(&self, base: f64) -> f64 {
        (base * self.scale).round().max(1.0)
    }
    fn text(&self, base: f64) -> TextStyle<'static> {
        (FONT, self.px(base).max(10.0)).into_font().color(&TEXT)
    }
}

fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, chart: &ChartSpec) -> Result<(), ReportError> {
    let (w, h) = root.dim_in_pixel();
    let look = Look { scale: (f64::from(w) / 1200.0).min(f64::from(h) / 600.0).clamp(0.6, 2.5) };
    root.fill(&WHITE)?;
    let m = look.px(10.0) as u32;
    let body = root.margin(m, m, m, m).titled(&chart.title, look.text(26.0))?;
    if !chart.has_data() {
        let (bw, bh) = body.dim_in_pixel();
        let style = look.text(24.0).pos(Pos::new(HPos::Center, VPos::Center));
        body.draw(&Text::new("No data", (bw as i32 / 2, bh as i32 / 2), style))?;
        return Ok(());
    }
    match chart.kind {
        ChartKind::Line | ChartKind::StackedBar => draw_xy(&body, chart, &look),
        ChartKind::Heatmap => draw_heatmap(&body, chart, &look),
    }
}

/// The widest of `labels` in pixels.
fn widest<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    labels: impl IntoIterator<Item = impl AsRef<str>>,
    style: &TextStyle,
) -> Result<u32, ReportError> {
    let mut max = 0;
    for label in labels {
        max = max.max(area.estimate_text_size(label.as_ref(), style)?.0);
    }
    Ok(max)
}

/// `text`, cut with an ellipsis where it is wider than `max_px`.
fn fit_text<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    style: &TextStyle,
    max_px: f64,
) -> Result<String, ReportError> {
    let width = f64::from(area.estimate_text_size(text, style)?.0);
    if width <= max_px {
        return Ok(text.to_owned());
    }
    let chars: Vec<char> = text.chars().collect();
    // Start from the share of characters that fits, then shorten until it does.
    let mut keep = ((chars.len() as f64 * max_px / width).floor() as usize).min(chars.len());
    let mut fitted = String::new();
    while keep > 0 {
        fitted = chars[..keep].iter().collect::<String>() + "…";
        if f64::from(area.estimate_text_size(&fitted, style)?.0) <= max_px {
            break;
        }
        keep -= 1;
    }
    Ok(fitted)
}

/// A numeric axis labelled only at the given key points (categories: months, cohorts).
struct Keyed {
    range: Range<f64>,
    keys: Vec<f64>,
}

impl Ranged for Keyed {
    type ValueType = f64;
    type FormatOption = DefaultFormatting;

    fn range(&self) -> Range<f64> {
        self.range.clone()
    }

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let span = self.range.end - self.range.start;
        let share = if span > 0.0 { (value - self.range.start) / span } else { 0.0 };
        limit.0 + (f64::from(limit.1 - limit.0) * share).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.keys.clone()
        }
    }
}

/// Indices of the categories to label when each label needs `per_label_px` along the axis.
fn thinned(n: usize, available_px: f64, per_label_px: f64) -> Vec<f64> {
    let fit = (available_px / per_label_px.max(1.0)).floor().max(1.0) as usize;
    let step = n.div_ceil(fit).max(1);
    (0..n).step_by(step).map(|i| i as f64).collect()
}

/// A value range with some air; `from_zero` keeps zero in it (bars grow from zero).
fn padded(lo: f64, hi: f64, from_zero: bool) -> (f64, f64) {
    let (mut lo, mut hi) = if from_zero { (lo.min(0.0), hi.max(0.0)) } else { (lo, hi) };
    let span = hi - lo;
    if span <= f64::EPSILON * hi.abs().max(1.0) {
        let pad = (hi.abs() * 0.1).max(1.0);
        return if from_zero && lo == 0.0 { (0.0, hi + pad) } else { (lo - pad, hi + pad) };
    }
    if !from_zero || hi > 0.0 {
        hi += span * 0.05;
    }
    if !from_zero || lo < 0.0 {
        lo -= span * 0.05;
    }
    (lo, hi)
}

fn value(values: &[Option<f64>], i: usize) -> Option<f64> {
    values.get(i).copied().flatten().filter(|v| v.is_finite())
}

/// Line and stacked bar charts: categories on x, a legend on the right.
fn draw_xy<DB: DrawingBackend>(
    body: &DrawingArea<DB, Shift>,
    chart: &ChartSpec,
    look: &Look,
) -> Result<(), ReportError> {
    let bars = chart.kind == ChartKind::StackedBar;
    let n = chart.series.iter().map(|s| s.values.len()).chain([chart.x_labels.len()]).max().unwrap_or(0);
    let (lo, hi) = if bars {
        // Positives stack up from zero, negatives down from zero.
        (0..n).fold((0.0f64, 0.0f64), |(lo, hi), i| {
            let (neg, pos) = chart
                .series
                .iter()
                .filter_map(|s| value(&s.values, i))
                .fold((0.0, 0.0), |(neg, pos), v| if v < 0.0 { (neg + v, pos) } else { (neg, pos + v) });
            (lo.min(neg), hi.max(pos))
        })
    } else {
        let all = chart.series.iter().flat_map(|s| s.values.iter().flatten()).filter(|v| v.is_finite());
        all.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)))
    };
    let (lo, hi) = padded(lo, hi, bars);

    let label_style = look.text(16.0);
    let legend_style = look.text(17.0);
    let (bw, _) = body.dim_in_pixel();
    let swatch = look.px(28.0);
    let legend_w = (widest(body, chart.series.iter().map(|s| &s.name), &legend_style)? as f64 + swatch + 24.0)
        .min(f64::from(bw) * 0.3);
    let (plot, legend) = body.split_horizontally(bw.saturating_sub(legend_w as u32));

    let unit = &chart.unit;
    let y_label_w = widest(&plot, [format_value(unit, lo), format_value(unit, hi)], &label_style)?;
    let x_label_w = widest(&plot, &chart.x_labels, &label_style)?;
    let (pw, _) = plot.dim_in_pixel();
    let keys = thinned(n, f64::from(pw) - f64::from(y_label_w) - 40.0, f64::from(x_label_w) + 12.0);
    let label_at = |x: &f64| {
        let i = x.round();
        if i >= 0.0 && (x - i).abs() < 1e-6 {
            chart.x_labels.get(i as usize).cloned().unwrap_or_default()
        } else {
            String::new()
        }
    };
    let mut cc = ChartBuilder::on(&plot)
        .margin(look.px(12.0))
        .x_label_area_size(look.px(30.0))
        .y_label_area_size(f64::from(y_label_w) + look.px(14.0))
        .build_cartesian_2d(Keyed { range: -0.5..n as f64 - 0.5, keys }, lo..hi)?;
    cc.configure_mesh()
        .disable_x_mesh()
        .bold_line_style(GRID)
        .light_line_style(TRANSPARENT)
        .axis_style(AXIS)
        .label_style(label_style)
        .y_labels(6)
        .x_label_formatter(&label_at)
        .y_label_formatter(&|y| format_value(unit, *y))
        .draw()?;

    let stroke = look.px(2.5) as u32;
    if bars {
        let mut bases = vec![(0.0f64, 0.0f64); n];
        for (si, s) in chart.series.iter().enumerate() {
            let color = series_color(si);
            let rects = (0..n).filter_map(|i| {
                let v = value(&s.values, i)?;
                let (neg, pos) = &mut bases[i];
                let base = if v < 0.0 { neg } else { pos };
                let from = *base;
                *base += v;
                let x = i as f64;
                Some(Rectangle::new([(x - 0.36, from), (x + 0.36, *base)], color.filled()))
            });
            cc.draw_series(rects.collect::<Vec<_>>())?;
        }
        cc.draw_series(LineSeries::new([(-0.5, 0.0), (n as f64 - 0.5, 0.0)], AXIS.stroke_width(1)))?;
    } else {
        for (si, s) in chart.series.iter().enumerate() {
            let color = series_color(si);
            // A gap (None) breaks the line: draw each run of values on its own.
            let points: Vec<Option<(f64, f64)>> = (0..n).map(|i| value(&s.values, i).map(|v| (i as f64, v))).collect();
            let dot = stroke + 1;
            for run in points.split(Option::is_none).filter(|run| !run.is_empty()) {
                let run: Vec<(f64, f64)> = run.iter().flatten().copied().collect();
                cc.draw_series(LineSeries::new(run.iter().copied(), color.stroke_width(stroke)))?;
                // Dots on each value of a short series, and on lone values a line cannot show.
                if n <= 24 || run.len() == 1 {
                    cc.draw_series(run.iter().map(|&p| Circle::new(p, dot, color.filled())))?;
                }
            }
        }
    }

    // The legend: a swatch and the name of each series, top to bottom.
    let line_h = look.px(24.0) as i32;
    let sw = swatch as i32;
    for (si, s) in chart.series.iter().enumerate() {
        let color = series_color(si);
        let y = look.px(20.0) as i32 + si as i32 * line_h;
        let mid = y + line_h / 2;
        if bars {
            legend.draw(&Rectangle::new([(4, mid - 6), (4 + sw, mid + 6)], color.filled()))?;
        } else {
            legend.draw(&PathElement::new([(4, mid), (4 + sw, mid)], color.stroke_width(stroke)))?;
            legend.draw(&Circle::new((4 + sw / 2, mid), stroke + 1, color.filled()))?;
        }
        let style = legend_style.pos(Pos::new(HPos::Left, VPos::Center));
        let name = fit_text(&legend, &s.name, &style, legend_w - f64::from(sw) - 16.0)?;
        legend.draw(&Text::new(name, (sw + 12, mid), style))?;
    }
    Ok(())
}

fn mix(t: f64) -> RGBColor {
    let t = t.clamp(0.0, 1.0);
    let c = |a: u8, b: u8| (f64::from(a) + (f64::from(b) - f64::from(a)) * t).round() as u8;
    RGBColor(c(HEAT_LOW.0, HEAT_HIGH.0), c(HEAT_LOW.1, HEAT_HIGH.1), c(HEAT_LOW.2, HEAT_HIGH.2))
}

/// A heatmap: one row per series (labelled by `y_labels`, first row on top), one column per
/// x label, cells coloured from the lowest to the highest value, values printed when they fit.
fn draw_heatmap<DB: DrawingBackend>(
    body: &DrawingArea<DB, Shift>,
    chart: &ChartSpec,
    look: &Look,
) -> Result<(), ReportError> {
    let rows = chart.series.len();
    let cols = chart.series.iter().map(|s| s.values.len()).chain([chart.x_labels.len()]).max().unwrap_or(0);
    let finite = || chart.series.iter().flat_map(|s| s.values.iter().flatten()).filter(|v| v.is_finite());
    let lo = finite().fold(f64::INFINITY, |a, &v| a.min(v));
    let hi = finite().fold(f64::NEG_INFINITY, |a, &v| a.max(v));
    let share = |v: f64| if hi > lo { (v - lo) / (hi - lo) } else { 0.5 };
    let unit = &chart.unit;
    let row_label = |r: usize| {
        chart
            .y_labels
            .get(r)
            .cloned()
            .unwrap_or_else(|| chart.series.get(r).map(|s| s.name.clone()).unwrap_or_default())
    };

    let label_style = look.text(16.0);
    let (bw, _) = body.dim_in_pixel();
    let scale_w = widest(body, [format_value(unit, lo), format_value(unit, hi)], &label_style)? as f64 + look.px(40.0);
    let (plot, scale) = body.split_horizontally(bw.saturating_sub(scale_w as u32));
    let (pw, ph) = plot.dim_in_pixel();
    let y_label_w = widest(&plot, (0..rows).map(row_label), &label_style)?;
    let x_label_w = widest(&plot, &chart.x_labels, &label_style)?;
    let x_keys: Vec<f64> = thinned(cols, f64::from(pw) - f64::from(y_label_w), f64::from(x_label_w) + 12.0)
        .into_iter()
        .map(|c| c + 0.5)
        .collect();
    let y_keys: Vec<f64> = thinned(rows, f64::from(ph) - look.px(40.0), look.px(18.0))
        .into_iter()
        .map(|r| rows as f64 - r - 0.5)
        .collect();
    let mut cc = ChartBuilder::on(&plot)
        .margin(look.px(12.0))
        .x_label_area_size(look.px(30.0))
        .y_label_area_size(f64::from(y_label_w) + look.px(14.0))
        .build_cartesian_2d(
            Keyed { range: 0.0..cols as f64, keys: x_keys },
            Keyed { range: 0.0..rows as f64, keys: y_keys },
        )?;
    cc.configure_mesh()
        .disable_x_mesh()
        .disable_y_mesh()
        .axis_style(AXIS)
        .label_style(label_style.clone())
        .x_label_formatter(&|x| chart.x_labels.get(x.floor().max(0.0) as usize).cloned().unwrap_or_default())
        .y_label_formatter(&|y| row_label(rows.saturating_sub(y.floor().max(0.0) as usize + 1)))
        .draw()?;

    let (cell_w, cell_h) = {
        let (aw, ah) = cc.plotting_area().dim_in_pixel();
        (f64::from(aw) / cols.max(1) as f64, f64::from(ah) / rows.max(1) as f64)
    };
    let value_style = look.text(15.0);
    let print_values = cell_h >= value_style.font.get_size() + 4.0;
    for (r, s) in chart.series.iter().enumerate() {
        let top = (rows - r) as f64;
        for c in 0..cols {
            let v = value(&s.values, c);
            let fill = v.map_or(EMPTY_CELL, |v| mix(share(v)));
            let (x, y) = (c as f64, top - 1.0);
            cc.draw_series([
                Rectangle::new([(x, y), (x + 1.0, top)], fill.filled()),
                Rectangle::new([(x, y), (x + 1.0, top)], WHITE.stroke_width(1)),
            ])?;
            if let (Some(v), true) = (v, print_values) {
                let text = format_value(unit, v);
                let color = if share(v) > 0.55 { WHITE } else { TEXT };
                let style = value_style.color(&color).pos(Pos::new(HPos::Center, VPos::Center));
                if f64::from(plot.estimate_text_size(&text, &style)?.0) + 4.0 <= cell_w {
                    cc.draw_series([Text::new(text, (x + 0.5, y + 0.5), style)])?;
                }
            }
        }
    }

    // The colour scale: a vertical gradient from the lowest (bottom) to the highest value (top).
    let (_, sh) = scale.dim_in_pixel();
    let (top, bottom) = (look.px(30.0) as i32, sh as i32 - look.px(50.0) as i32);
    let steps = 32;
    let bar_w = look.px(14.0) as i32;
    for k in 0..steps {
        let y0 = top + (bottom - top) * k / steps;
        let y1 = top + (bottom - top) * (k + 1) / steps;
        let t = 1.0 - f64::from(k) / f64::from(steps - 1);
        scale.draw(&Rectangle::new([(6, y0), (6 + bar_w, y1)], mix(t).filled()))?;
    }
    let left = label_style.pos(Pos::new(HPos::Left, VPos::Center));
    scale.draw(&Text::new(format_value(unit, hi), (bar_w + 12, top), left.clone()))?;
    scale.draw(&Text::new(format_value(unit, lo), (bar_w + 12, bottom), left))?;
    Ok(())
}
