//! Datasets over sync: their original files go up to the org's blob store before the mutation
//! that names them, and come down (checked against their SHA-256) to be imported here with the
//! mapping they were imported with, before the change that lists them is applied.

use std::collections::HashSet;
use std::path::Path;

use revlens_ingest::{ImportPlan, SourceFormat, SourceOptions};
use revlens_model::{CancelToken, WorkspaceId};
use revlens_store::{
    DatasetBody, Incoming, NewVersion, PendingMutation, RemoteObject, StagedVersion, StoreError, SyncedVersion,
    DATASET_KIND,
};
use revlens_sync::client::ClientError;

use super::Session;
use crate::mappings::from_json;
use crate::{Result, Service, ServiceError};

/// How much of a file one upload request carries: small enough that a cut-off connection
/// loses little, large enough that a big export goes up in few requests.
const UPLOAD_CHUNK_BYTES: usize = 8 * 1024 * 1024;

/// Puts one original file in the org's blob store unless the server has it already; true when
/// it was sent. The file goes up in chunks through the resumable upload, so a push that was
/// cut off (or a server that restarted) goes on where the server stands.
fn upload_blob(session: &mut Session, sha256: &str, path: &Path) -> Result<bool> {
    let org = session.account.org_id.clone();
    let (org, sha) = (&org, sha256);
    if session.call(move |c| async move { c.has_blob(org, sha).await })? {
        return Ok(false);
    }
    session.call(move |c| async move { c.upload_file(org, path, UPLOAD_CHUNK_BYTES).await })?;
    Ok(true)
}

/// Fetches one original file from the org's blob store into `dest`, streamed and checked
/// against the SHA-256 it is named by, or says in words why it cannot.
fn download_blob(session: &mut Session, sha256: &str, dest: &Path) -> Result<Result<(), String>> {
    let org = session.account.org_id.clone();
    let (org, sha) = (&org, sha256);
    match session.call(move |c| async move { c.download_blob(org, sha, dest).await }) {
        Ok(_) => Ok(Ok(())),
        Err(ServiceError::SyncServer(e)) if e.status().is_some_and(|s| s.as_u16() == 404) => Ok(Err(format!(
            "the server has no file with SHA-256 {sha256}; the teammate who imported it should run `revlens sync push` again"
        ))),
        Err(ServiceError::SyncServer(ClientError::HashMismatch { .. })) => {
            Ok(Err(format!("the file the server sent does not have SHA-256 {sha256}; nothing was imported")))
        }
        Err(other) => Err(other),
    }
}

/// How to read the file again: the delimiter or sheet its first import settled on.
fn source_options(format: &serde_json::Value) -> SourceOptions {
    match serde_json::from_value::<SourceFormat>(format.clone()) {
        Ok(SourceFormat::Delimited { delimiter, .. }) => SourceOptions { delimiter: Some(delimiter), sheet: None },
        Ok(SourceFormat::Workbook { sheet, .. }) => SourceOptions { delimiter: None, sheet: Some(sheet) },
        Err(_) => SourceOptions::default(),
    }
}

impl Service {
    /// Uploads the original files of the dataset edits in `batch` that the server does not
    /// have yet; returns how many were sent. A file gone from this store (its version was
    /// deleted since) is left out: a later edit in the log no longer lists it.
    pub(super) fn upload_dataset_files(
        &self,
        session: &mut Session,
        batch: &[PendingMutation],
        checked: &mut HashSet<String>,
    ) -> Result<u64> {
        let mut sent = 0;
        for mutation in batch.iter().filter(|m| m.kind == DATASET_KIND && !m.deleted) {
            let Some(body) = mutation.body.as_ref().and_then(DatasetBody::parse) else { continue };
            for version in &body.versions {
                let path = self.store.layout().blob(&version.sha256);
                if !checked.insert(version.sha256.clone()) || !path.is_file() {
                    continue;
                }
                let uploaded = upload_blob(session, &version.sha256, &path).map_err(|e| match e {
                    ServiceError::SyncServer(c) if c.status().is_some_and(|s| s.as_u16() == 413) => {
                        ServiceError::Invalid(format!(
                            "the file of version {} of dataset '{}' ({} bytes) is larger than the sync server accepts \
                             (its max_upload_bytes); nothing after it was sent",
                            version.version, body.name, version.size
                        ))
                    }
                    other => other,
                })?;
                sent += u64::from(uploaded);
            }
        }
        Ok(sent)
    }

    /// Downloads and imports (into staging folders, nothing committed) the dataset versions the
    /// changes need. A change whose file is missing, damaged or does not import is marked failed,
    /// in words, so the rest can apply; it is kept and retried at the next pull.
    pub(super) fn stage_datasets(
        &self,
        session: &mut Session,
        workspace: WorkspaceId,
        changes: &[RemoteObject],
        acknowledged: u64,
    ) -> Result<Incoming> {
        let mut incoming = Incoming::default();
        for change in changes.iter().filter(|c| c.kind == DATASET_KIND) {
            let Some(body) = change.body.as_ref().and_then(DatasetBody::parse) else { continue };
            for synced in self.store.versions_to_import(workspace, change, acknowledged)? {
                match self.stage_version(session, workspace, &change.id, &body, &synced)? {
                    Ok(staged) => incoming.stage(staged),
                    Err(reason) => {
                        let what = format!("version {} of dataset '{}' ({})", synced.version, body.name, body.kind);
                        incoming.fail(change, format!("{what}: {reason}"));
                        break;
                    }
                }
            }
        }
        Ok(incoming)
    }

    /// One synced version, read into a staging folder from the local blob store or the server.
    /// The outer error stops the sync (the network, the store); the inner one is this version's.
    fn stage_version(
        &self,
        session: &mut Session,
        workspace: WorkspaceId,
        remote_id: &str,
        body: &DatasetBody,
        synced: &SyncedVersion,
    ) -> Result<Result<StagedVersion, String>> {
        let layout = self.store.layout();
        let local = layout.blob(&synced.sha256);
        // The downloaded file lives in a folder of its own under staging/, gone when dropped.
        let mut download = None;
        let path = if local.is_file() {
            local
        } else {
            let staging = layout.staging();
            let dir = tempfile::tempdir_in(&staging).map_err(StoreError::io_at(&staging))?;
            let path = dir.path().join("original");
            if let Err(reason) = download_blob(session, &synced.sha256, &path)? {
                return Ok(Err(reason));
            }
            download = Some(dir);
            path
        };
        let mapping = match from_json(&synced.mapping) {
            Ok(mapping) => mapping,
            Err(e) => return Ok(Err(e.to_string())),
        };
        let plan = ImportPlan {
            kind: body.kind,
            mapping,
            skip_invalid: synced.skipped > 0,
            source: source_options(&synced.source_format),
        };
        let staging = self.store.begin_synced_import(synced)?;
        let imported = self.import_into(staging, &path, &plan, &mut |_| {}, &CancelToken::new());
        drop(download);
        let (staging, outcome) = match imported {
            Ok(done) => done,
            Err(ServiceError::Store(e)) => return Err(e.into()),
            Err(e) => return Ok(Err(format!("it does not import here: {e}"))),
        };
        if outcome.sha256 != synced.sha256 {
            return Ok(Err(format!("the stored file has SHA-256 {}, not {}", outcome.sha256, synced.sha256)));
        }
        if (outcome.rows, outcome.skipped) != (synced.rows, synced.skipped) {
            return Ok(Err(format!(
                "it gives {} rows ({} skipped) here but gave {} ({} skipped) where it was imported",
                outcome.rows, outcome.skipped, synced.rows, synced.skipped
            )));
        }
        let new = NewVersion {
            workspace_id: workspace,
            name: body.name.clone(),
            kind: body.kind,
            source_name: synced.source_name.clone(),
            source_sha256: outcome.sha256.clone(),
            source_size: outcome.bytes,
            source_format: serde_json::to_value(&outcome.format).unwrap_or_default(),
            header_line: outcome.header_line,
            mapping: synced.mapping.clone(),
            columns: serde_json::to_value(&outcome.columns).unwrap_or_default(),
            rows: outcome.rows,
            skipped: outcome.skipped,
            warnings: outcome.warnings,
            period_id: None,
        };
        Ok(Ok(StagedVersion { remote_id: remote_id.to_owned(), synced: synced.clone(), staging, new }))
    }
}
