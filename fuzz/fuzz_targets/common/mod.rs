//! What every fuzz target does with its file: inspect it and import it as several kinds,
//! in one scratch directory, with panics that the importer contains kept quiet.

use std::sync::OnceLock;

use revlens_ingest::{import, inspect, suggest_mapping, ImportIo, ImportPlan, SourceOptions};
use revlens_model::{CancelToken, DatasetKind, RowBatch};

/// One directory for the whole run: creating one per input would dominate the time.
fn scratch() -> Option<&'static std::path::Path> {
    static DIR: OnceLock<Option<tempfile::TempDir>> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().ok()).as_ref().map(|d| d.path())
}

/// libFuzzer's hook aborts on every panic, even one the importer catches inside a
/// third-party parser and turns into an error; only the others are bugs.
pub fn quiet_contained_panics() {
    let abort = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !revlens_ingest::panic_is_contained() {
            abort(info);
        }
    }));
}

/// Writes `bytes` as a file called `name`, then inspects and imports it: every outcome
/// must be a value, never a panic or an abort.
pub fn inspect_and_import(name: &str, bytes: &[u8]) {
    let Some(dir) = scratch() else { return };
    let path = dir.join(name);
    if std::fs::write(&path, bytes).is_err() {
        return;
    }
    let headers = inspect(&path, &SourceOptions::default()).map(|i| i.headers).unwrap_or_default();
    for (kind, skip_invalid) in
        [(DatasetKind::Subscriptions, false), (DatasetKind::Transactions, true), (DatasetKind::Customers, true)]
    {
        let plan = ImportPlan {
            kind,
            mapping: suggest_mapping(kind, &headers),
            skip_invalid,
            source: SourceOptions::default(),
        };
        let mut batches: Vec<RowBatch> = Vec::new();
        let cancel = CancelToken::new();
        let _ = import(
            &path,
            &plan,
            ImportIo {
                rows: &mut batches,
                rejected: &mut |_| Ok(()),
                original: &mut std::io::sink(),
                progress: &mut |_| {},
                cancel: &cancel,
            },
        );
    }
}
