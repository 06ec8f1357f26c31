//! Printing: aligned text tables for people, JSON for programs, errors in words.

use std::fmt::Write as _;

use revlens_ingest::{ImportError, RowError};
use revlens_service::ServiceError;
use serde::Serialize;

/// `println!` that ends the program quietly when stdout is closed (`revlens … | head`)
/// instead of panicking.
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::output::write_line(format_args!($($arg)*))
    };
}

pub fn write_line(args: std::fmt::Arguments<'_>) {
    use std::io::Write as _;
    if let Err(error) = writeln!(std::io::stdout().lock(), "{args}") {
        std::process::exit(if error.kind() == std::io::ErrorKind::BrokenPipe { 0 } else { 1 });
    }
}

/// Prints a value as pretty JSON on stdout.
pub fn print_json(value: &impl Serialize) -> anyhow::Result<()> {
    outln!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// Prints rows as a table with aligned columns.
pub fn print_table(headers: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut out = String::new();
        for (cell, width) in cells.zip(&widths) {
            let _ = write!(out, "{cell:<width$}  ");
        }
        outln!("{}", out.trim_end());
    };
    line(&mut headers.iter().copied());
    for row in rows {
        line(&mut row.iter().map(String::as_str));
    }
}

/// One row problem in words: where, what, what was expected.
pub fn row_error(error: &RowError) -> String {
    let mut text = format!("line {}", error.line);
    if let Some(column) = &error.column {
        let _ = write!(text, ", column '{column}'");
    }
    match &error.value {
        Some(value) => {
            let _ = write!(text, ": found '{value}', expected {}", error.expected);
        }
        None => {
            let _ = write!(text, ": expected {}", error.expected);
        }
    }
    text
}

/// The whole message for an error, with the listed row problems of a failed import.
pub fn describe(error: &anyhow::Error) -> String {
    // Many messages already quote their cause; only add causes that say something new.
    let mut text = error.to_string();
    for cause in error.chain().skip(1) {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            let _ = write!(text, ": {cause}");
        }
    }
    if let Some(ServiceError::Import(ImportError::InvalidRows { total, errors, .. })) = error.downcast_ref() {
        for row in errors {
            let _ = write!(text, "\n  {}", row_error(row));
        }
        if *total > errors.len() as u64 {
            let _ = write!(text, "\n  … and {} more", *total - errors.len() as u64);
        }
        text.push_str("\n(--skip-invalid imports the valid rows and keeps the skipped ones with their reasons)");
    }
    text
}
