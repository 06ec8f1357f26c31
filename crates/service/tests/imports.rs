#![allow(clippy::unwrap_used)] // a failing step should stop the test right there

use std::fs;
use std::path::Path;

use revlens_ingest::{ImportError, Phase};
use revlens_model::{CancelToken, DatasetKind};
use revlens_service::{ImportRequest, Service, ServiceError};

fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else if !path.to_string_lossy().contains("revlens.db") {
            out.push(path.to_string_lossy().into_owned());
        }
    }
    out
}

fn big_csv(dir: &Path, rows: usize) -> std::path::PathBuf {
    let mut text = String::from("customer_id,date,amount\n");
    for i in 0..rows {
        text.push_str(&format!("C{:05},2024-{:02}-15,{}.{:02}\n", i % 977, i % 12 + 1, i % 500, i % 100));
    }
    let path = dir.join("tx.csv");
    fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_cancelled_import_leaves_the_store_as_it_was() {
    let home = tempfile::tempdir().unwrap();
    let input = tempfile::tempdir().unwrap();
    let path = big_csv(input.path(), 200_000);
    let mut service = Service::open(home.path()).unwrap();
    service.workspace(None).unwrap();
    let before = files_under(home.path());

    // Cancel from the progress callback, as the app's cancel button does mid-import.
    let cancel = CancelToken::new();
    let canceller = cancel.clone();
    let mut phases = Vec::new();
    let mut on_progress = |p: revlens_ingest::Progress| {
        phases.push(p.phase);
        if p.phase == Phase::Importing {
            canceller.cancel();
        }
    };
    let request = ImportRequest::new(&path, DatasetKind::Transactions);
    let error = service.import(&request, &mut on_progress, &cancel).unwrap_err();
    assert!(matches!(error, ServiceError::Import(ImportError::Cancelled)), "{error}");
    assert!(phases.contains(&Phase::Scanning));
    assert_eq!(files_under(home.path()), before);
    let workspace = service.workspace(None).unwrap();
    assert!(service.store().datasets(workspace.id).unwrap().is_empty());
}

#[test]
fn progress_reaches_the_whole_file_and_counts_every_row() {
    let home = tempfile::tempdir().unwrap();
    let input = tempfile::tempdir().unwrap();
    let path = big_csv(input.path(), 150_000);
    let size = fs::metadata(&path).unwrap().len();
    let mut service = Service::open(home.path()).unwrap();
    let mut last = None;
    let summary = service
        .import(&ImportRequest::new(&path, DatasetKind::Transactions), &mut |p| last = Some(p), &CancelToken::new())
        .unwrap();
    assert_eq!(summary.rows, 150_000);
    let last = last.unwrap();
    assert_eq!((last.phase, last.bytes_done, last.bytes_total, last.rows), (Phase::Importing, size, size, 150_000));
    // The canonical table holds every row, and the original is kept byte for byte.
    let version = service.store().version(summary.version_id).unwrap();
    let table = revlens_engine::table::read_table(&service.store().layout().table(version.id)).unwrap();
    assert_eq!(table.height(), 150_000);
    let original = fs::read(service.store().layout().blob(&summary.sha256)).unwrap();
    assert_eq!(original, fs::read(&path).unwrap());
}
