//! Exports of RevLens: the charts and tables the engine hands to the UI, rendered in Rust
//! with the same values, so that what is exported is what the screen shows.
//!
//! - Charts ([`ChartSpec`]) as PNG and SVG with plotters: [`chart_png`], [`chart_svg`].
//! - Tables ([`TableData`]) as CSV (RFC 4180, escaped against formula injection) and XLSX:
//!   [`table_csv`], [`table_xlsx`].
//! - A dashboard's [`DashboardSnapshot`]: what it showed, synced so a share link can show it.
//! - Dashboards as one XLSX workbook, a sheet per table with a native Excel chart where it
//!   fits: [`workbook_xlsx`].
//!
//! The charts are drawn with DejaVu Sans, bundled in `fonts/` (Bitstream Vera licence,
//! `fonts/LICENSE-DejaVu.txt`) and compiled into the crate: the same text renders the same on
//! every machine, and there is no dependency on the system's fontconfig or its fonts.

mod chart;
mod format;
mod snapshot;
mod table;
mod types;

pub use chart::{chart_png, chart_svg, series_rgb, MAX_SIZE, MIN_SIZE, PALETTE};
pub use format::format_value;
pub use snapshot::{DashboardSnapshot, SnapshotTile};
pub use table::{sheet_names, table_csv, table_xlsx, workbook_xlsx};
pub use types::{CellValue, ChartKind, ChartSize, ChartSpec, Column, Series, TableData, ValueUnit, WorkbookSheet};

/// Why an export could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(
        "a chart of {width}×{height} pixels cannot be drawn: choose a size from {}×{} to {}×{}",
        MIN_SIZE.width, MIN_SIZE.height, MAX_SIZE.width, MAX_SIZE.height
    )]
    ChartSize { width: u32, height: u32 },
    #[error("the bundled chart font could not be loaded")]
    Font,
    #[error("the chart could not be drawn: {0}")]
    Draw(String),
    #[error("the PNG image could not be written: {0}")]
    Png(#[from] png::EncodingError),
    #[error("the Excel file could not be written: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
}

impl<E: std::error::Error + Send + Sync> From<plotters::drawing::DrawingAreaErrorKind<E>> for ReportError {
    fn from(e: plotters::drawing::DrawingAreaErrorKind<E>) -> Self {
        ReportError::Draw(e.to_string())
    }
}
