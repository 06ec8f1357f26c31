//! One pass or two: when the sink can start over, the importer converts on a reading
//! decided from the first rows and keeps it only if the whole file decides the same.
//! Whatever happens, the result must be exactly the two-pass result.

// Test helpers outside #[test] functions unwrap too; a panic is the failure report.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use common::*;
use revlens_model::DatasetKind;

/// Everything observable about an import, as text, for comparing two runs.
fn observe(run: &Run<'_>, path: &Path) -> String {
    match run.import(path) {
        Ok(imported) => {
            let last = imported.progress.last().copied();
            format!(
                "{:?}\n{:?}\n{:?}\n{:?}\n{}",
                imported.outcome,
                imported.batches,
                imported.rejected,
                last,
                imported.original.len()
            )
        }
        Err(error) => format!("error: {error:?}"),
    }
}

fn same_both_ways(make: impl Fn() -> Run<'static>, path: &Path) -> String {
    let one = observe(&make(), path);
    let two = observe(&make().two_pass(), path);
    assert_eq!(one, two, "{}", path.display());
    one
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_late_row_that_settles_day_and_month_redoes_the_import() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("customer,amount,start\n");
    // More rows than the provisional sample, every one fitting both d/m and m/d ...
    for i in 0..70_000u32 {
        text.push_str(&format!("c{i},1,{:02}/{:02}/2024\n", i % 12 + 1, i / 12 % 12 + 1));
    }
    // ... and one late row that only d/m reads.
    text.push_str("late,2,25/12/2024\n");
    let path = write(dir.path(), "late_day.csv", &text);
    same_both_ways(|| Run::new(DatasetKind::Subscriptions), &path);
    let imported = Run::new(DatasetKind::Subscriptions).import(&path).unwrap();
    assert!(imported.outcome.warnings.is_empty(), "{:?}", imported.outcome.warnings);
    assert_eq!(imported.outcome.rows, 70_001);
    // The provisional batches were discarded: every row is in the table once.
    assert_eq!(imported.resets, 1);
    assert_eq!(imported.batches.iter().map(|b| b.rows()).sum::<usize>(), 70_001);
    let starts = imported.dates("start_date");
    assert_eq!(starts.len(), 70_001);
    // "01/02/2024" is the 1st of February, read day first.
    assert_eq!(starts[12], Some(19_754));
}

#[test]
fn a_file_its_first_rows_settle_is_read_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("customer,amount,start\n");
    // More rows than the provisional sample, all read alike.
    for i in 0..70_000u32 {
        text.push_str(&format!("c{i},{}.50,2024-{:02}-{:02}\n", i % 97, i % 12 + 1, i % 28 + 1));
    }
    let path = write(dir.path(), "settled.csv", &text);
    let imported = Run::new(DatasetKind::Subscriptions).import(&path).unwrap();
    assert_eq!((imported.outcome.rows, imported.resets), (70_000, 0));
    assert_eq!(imported.batches.iter().map(|b| b.rows()).sum::<usize>(), 70_000);
}

#[test]
fn an_ambiguous_file_keeps_its_provisional_reading_and_warning() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("customer,amount,start\n");
    for i in 0..70_000u32 {
        text.push_str(&format!("c{i},1,{:02}/{:02}/2024\n", i % 12 + 1, i / 12 % 12 + 1));
    }
    let path = write(dir.path(), "ambiguous.csv", &text);
    same_both_ways(|| Run::new(DatasetKind::Subscriptions), &path);
    let imported = Run::new(DatasetKind::Subscriptions).import(&path).unwrap();
    assert_eq!(imported.outcome.warnings.len(), 1);
}

#[test]
fn invalid_rows_early_and_late_are_reported_alike() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("customer,amount,start\n");
    for i in 0..70_000u32 {
        let amount = if i % 9_999 == 7 { "abc".to_string() } else { format!("{i}.5") };
        text.push_str(&format!("c{i},{amount},2024-01-{:02}\n", i % 28 + 1));
    }
    // A late comma decimal that does not change the column's reading, and a late bad date.
    text.push_str("x,\"1,5\",2024-02-31\n");
    let path = write(dir.path(), "invalid.csv", &text);
    let strict = same_both_ways(|| Run::new(DatasetKind::Subscriptions), &path);
    assert!(strict.starts_with("error: InvalidRows"));
    let lenient = same_both_ways(|| Run::new(DatasetKind::Subscriptions).skip_invalid(), &path);
    assert!(lenient.contains("skipped: 8"));
}

#[test]
fn every_corpus_file_imports_the_same_in_one_pass_or_two() {
    use DatasetKind::*;
    let mut files: Vec<_> = std::fs::read_dir(corpus("")).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    for path in files {
        for kind in [Subscriptions, Transactions, Customers, Orders, Purchases] {
            same_both_ways(|| Run::new(kind), &path);
            same_both_ways(|| Run::new(kind).skip_invalid(), &path);
        }
    }
}
