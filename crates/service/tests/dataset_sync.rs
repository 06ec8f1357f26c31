//! What a real import queues for sync: the dataset's metadata as the importer saw it (the
//! file's SHA-256, the mapping, the columns, the row counts), never a local path; a failed
//! import queues nothing.

#![allow(clippy::unwrap_used)] // a failing step should stop the test right there

use std::fs;

use revlens_model::{CancelToken, DatasetKind};
use revlens_service::{ImportRequest, Service};
use revlens_store::{DatasetBody, DATASET_KIND};

const SUBS: &str = "\
customer,mrr amount,start,end,interval
A,100,2024-01-15,,month
B,1200,2024-01-31,,year
C,50,2024-02-01,2024-03-01,month
";

#[test]
fn an_import_queues_the_dataset_as_the_importer_saw_it() {
    let home = tempfile::tempdir().unwrap();
    let input = tempfile::tempdir().unwrap();
    let mut service = Service::open(home.path()).unwrap();
    let ws = service.workspace(None).unwrap().id;

    // An invalid row blocks the import: nothing is stored, nothing is queued.
    let bad = input.path().join("bad.csv");
    fs::write(&bad, format!("{SUBS}D,lots,2024-03-01,,month\n")).unwrap();
    let request = ImportRequest::new(&bad, DatasetKind::Subscriptions);
    assert!(service.import(&request, &mut |_| {}, &CancelToken::new()).is_err());
    assert_eq!(service.store().pending_count(ws).unwrap(), 0);

    let path = input.path().join("subs.csv");
    fs::write(&path, SUBS).unwrap();
    let mut request = ImportRequest::new(&path, DatasetKind::Subscriptions);
    request.name = Some("subs".into());
    let summary = service.import(&request, &mut |_| {}, &CancelToken::new()).unwrap();
    let log = service.store().pending_mutations(ws).unwrap();
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!((log[0].kind.as_str(), log[0].object_id.clone()), (DATASET_KIND, summary.dataset_id.to_string()));
    let raw = log[0].body.clone().unwrap();
    let body = DatasetBody::parse(&raw).unwrap();
    assert_eq!((body.name.as_str(), body.kind, body.versions.len()), ("subs", DatasetKind::Subscriptions, 1));
    let version = &body.versions[0];
    assert_eq!(version.sha256, summary.sha256);
    assert_eq!((version.rows, version.skipped, version.size), (3, 0, SUBS.len() as u64));
    assert_eq!(version.id, summary.version_id.to_string());
    assert_eq!(version.source_name, "subs.csv");
    assert_eq!(version.mapping, serde_json::to_value(&summary.mapping).unwrap());
    let columns: Vec<&str> = version.columns.as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(columns, summary.columns.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(version.source_format["delimiter"], ",");
    for folder in [input.path(), home.path()] {
        assert!(!raw.to_string().contains(folder.to_str().unwrap()), "a local path in {raw}");
    }

    // Deleting the only version deletes the dataset; never sent, so nothing is left to tell.
    service.store_mut().delete_version(summary.version_id).unwrap();
    assert_eq!(service.store().pending_count(ws).unwrap(), 0);
}
