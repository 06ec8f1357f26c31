//! Datasets as synced objects (kind `dataset`): one object per dataset, whose body lists its
//! versions' metadata. The original files travel separately, as blobs named by their SHA-256,
//! so a body holds no file, no local path and no secret.
//!
//! Local imports and deletions queue the dataset's new body (or its deletion) in the transaction
//! of the change. Incoming bodies need files the database cannot fetch: the caller downloads and
//! imports the missing versions into [`Staging`] folders first ([`Store::versions_to_import`],
//! [`Incoming`]), and the store commits them with the rest of the pull in one transaction. A
//! change that could not be staged is kept in `sync_deferred` and retried at the next pull.

use std::collections::HashSet;

use revlens_model::{DatasetKind, VersionId, WorkspaceId};
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::datasets::{insert_version_row, place_files, PlacedFiles};
use crate::sync::{enqueue, local_id_for, set_rev, Applied, RemoteObject};
use crate::{time, Layout, NewVersion, Result, Staging, Store, StoreError};

/// The kind name of a dataset on the wire.
pub const DATASET_KIND: &str = "dataset";

/// One version of a synced dataset, as the dataset's body lists it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SyncedVersion {
    /// The version's id where it was imported; other clients keep it when it is free there.
    pub id: String,
    pub version: u32,
    /// The original file's name, without any folder.
    pub source_name: String,
    /// Lower-case hex SHA-256 of the original file: the blob to fetch.
    pub sha256: String,
    pub size: u64,
    pub source_format: Value,
    pub header_line: u64,
    /// The column mapping the import used.
    pub mapping: Value,
    pub columns: Value,
    pub rows: u64,
    pub skipped: u64,
    #[serde(default)]
    pub warnings: Vec<String>,
    pub imported_at: String,
}

/// The body a dataset syncs as.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DatasetBody {
    pub name: String,
    pub kind: DatasetKind,
    pub versions: Vec<SyncedVersion>,
}

impl DatasetBody {
    /// A body as it came from the server; `None` when it is not one this version reads.
    pub fn parse(body: &Value) -> Option<Self> {
        let mut parsed: DatasetBody = serde_json::from_value(body.clone()).ok()?;
        parsed.name = parsed.name.trim().chars().take(180).collect();
        if parsed.name.is_empty() || parsed.versions.iter().any(|v| !is_sha256_hex(&v.sha256)) {
            return None;
        }
        for version in &mut parsed.versions {
            // A file name only: never a path into the receiver's disk.
            version.source_name = file_name_only(&version.source_name);
        }
        Some(parsed)
    }
}

fn is_sha256_hex(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn file_name_only(name: &str) -> String {
    name.rsplit(['/', '\\']).next().unwrap_or_default().to_owned()
}

/// A version downloaded and imported for an incoming dataset change, waiting to be committed.
pub struct StagedVersion {
    /// The dataset's id on the server.
    pub remote_id: String,
    pub synced: SyncedVersion,
    pub staging: Staging,
    pub new: NewVersion,
}

/// What incoming dataset changes need besides the database: the versions staged for them, and
/// the changes that could not be staged (with the reason, in words).
#[derive(Default)]
pub struct Incoming {
    staged: Vec<StagedVersion>,
    failed: Vec<(RemoteObject, String)>,
    /// (version id, sha256) of the versions the applied changes removed: their files go once
    /// the transaction has committed.
    dropped: Vec<(String, String)>,
}

impl Incoming {
    pub fn stage(&mut self, version: StagedVersion) {
        self.staged.push(version);
    }

    /// Marks a change as not applicable now; what was staged for it is dropped (and its
    /// staging folders removed).
    pub fn fail(&mut self, object: &RemoteObject, error: String) {
        self.staged.retain(|s| s.remote_id != object.id);
        self.failed.retain(|(o, _)| !(o.kind == object.kind && o.id == object.id));
        self.failed.push((object.clone(), error));
    }

    /// Why the change could not be staged, if it could not.
    pub fn failure(&self, object: &RemoteObject) -> Option<String> {
        self.failed.iter().find(|(o, _)| o.kind == object.kind && o.id == object.id).map(|(_, e)| e.clone())
    }

    /// The changes that could not be staged, with the reasons.
    pub fn failures(&self) -> &[(RemoteObject, String)] {
        &self.failed
    }

    fn take(&mut self, remote_id: &str, version: &SyncedVersion) -> Option<StagedVersion> {
        let index = self.staged.iter().position(|s| {
            s.remote_id == remote_id && s.synced.version == version.version && s.synced.sha256 == version.sha256
        })?;
        Some(self.staged.swap_remove(index))
    }
}

/// A change that could not be applied yet, and why.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DeferredChange {
    pub kind: String,
    /// The object's id on the server.
    pub id: String,
    /// The dataset's name, when the body says.
    pub name: Option<String>,
    pub error: String,
    pub failed_at: String,
    #[serde(skip)]
    pub object: RemoteObject,
}

impl Store {
    /// Removes the files of the versions an applied change dropped: each one's table, and its
    /// original unless another version still refers to it.
    pub(crate) fn remove_dropped_files(&self, incoming: &Incoming) -> Result<()> {
        for (version, sha) in &incoming.dropped {
            let _ = std::fs::remove_file(self.layout.tables().join(format!("{version}.parquet")));
            let forgotten = self.conn.execute(
                "DELETE FROM blobs WHERE sha256 = ?1 AND NOT EXISTS \
                 (SELECT 1 FROM dataset_versions WHERE source_sha256 = ?1)",
                [sha],
            )?;
            if forgotten > 0 {
                let _ = std::fs::remove_file(self.layout.blob(sha));
            }
        }
        Ok(())
    }

    /// Starts the import of a synced version, under its own id when no version has it here.
    pub fn begin_synced_import(&self, synced: &SyncedVersion) -> Result<Staging> {
        let Ok(wanted) = synced.id.parse::<VersionId>() else { return self.begin_import() };
        let taken = self
            .conn
            .query_row("SELECT 1 FROM dataset_versions WHERE id = ?1", [wanted.to_string()], |_| Ok(()))
            .optional()?
            .is_some();
        if taken {
            self.begin_import()
        } else {
            self.begin_import_as(wanted)
        }
    }

    /// The versions of an incoming dataset change that must be downloaded and imported before
    /// it can be applied: none when it is a deletion, when the dataset has local edits still
    /// pending (they stand until the server answers them), or when every version is here.
    /// `acknowledged` is the last mutation id the server reports as applied.
    pub fn versions_to_import(
        &self,
        workspace: WorkspaceId,
        object: &RemoteObject,
        acknowledged: u64,
    ) -> Result<Vec<SyncedVersion>> {
        if object.kind != DATASET_KIND || object.deleted {
            return Ok(Vec::new());
        }
        let Some(body) = object.body.as_ref().and_then(DatasetBody::parse) else { return Ok(Vec::new()) };
        if has_pending(&self.conn, workspace, &object.id, Some(acknowledged))?
            || is_stale(&self.conn, workspace, object)?
        {
            return Ok(Vec::new());
        }
        let local_id = local_id_for(&self.conn, workspace, DATASET_KIND, &object.id)?;
        let here = local_versions(&self.conn, workspace, &local_id)?;
        Ok(body.versions.into_iter().filter(|v| !here.contains(&(v.version, v.sha256.clone()))).collect())
    }

    /// Changes kept for a retry, oldest first.
    pub fn deferred_changes(&self, workspace: WorkspaceId) -> Result<Vec<DeferredChange>> {
        let mut stmt = self.conn.prepare(
            "SELECT kind, remote_id, rev, body, deleted, conflict_of, error, failed_at FROM sync_deferred \
             WHERE workspace_id = ?1 ORDER BY failed_at, remote_id",
        )?;
        let rows = stmt.query_map([workspace.to_string()], |row| {
            let body: Option<String> = row.get(3)?;
            let body = body.and_then(|text| serde_json::from_str::<Value>(&text).ok());
            let object = RemoteObject {
                kind: row.get(0)?,
                id: row.get(1)?,
                rev: row.get(2)?,
                body,
                deleted: row.get(4)?,
                conflict_of: row.get(5)?,
            };
            let name = object.body.as_ref().and_then(|b| b.get("name")).and_then(Value::as_str).map(str::to_owned);
            Ok(DeferredChange {
                kind: object.kind.clone(),
                id: object.id.clone(),
                name,
                error: row.get(6)?,
                failed_at: row.get(7)?,
                object,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

/// Queues a dataset's current body, or its deletion when it no longer exists (called in the
/// transaction of the change).
pub(crate) fn enqueue_dataset(tx: &Transaction<'_>, workspace: WorkspaceId, dataset_id: &str) -> Result<()> {
    let body = dataset_body(tx, dataset_id)?;
    enqueue(tx, workspace, DATASET_KIND, dataset_id, body)
}

/// A dataset's body as it syncs; `None` when the dataset does not exist.
pub(crate) fn dataset_body(conn: &Connection, dataset_id: &str) -> Result<Option<Value>> {
    let head: Option<(String, String)> = conn
        .query_row("SELECT name, kind FROM datasets WHERE id = ?1", [dataset_id], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    let Some((name, kind)) = head else { return Ok(None) };
    let mut stmt = conn.prepare(
        "SELECT v.id, v.version, v.source_name, v.source_sha256, b.size_bytes, v.source_format, v.header_line, \
         v.mapping, v.columns, v.row_count, v.skipped_count, v.warnings, v.imported_at \
         FROM dataset_versions v JOIN blobs b ON b.sha256 = v.source_sha256 WHERE v.dataset_id = ?1 ORDER BY v.version",
    )?;
    let json = |row: &rusqlite::Row<'_>, index: usize| -> rusqlite::Result<Value> {
        let text: String = row.get(index)?;
        serde_json::from_str(&text)
            .map_err(|e| rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, Box::new(e)))
    };
    let versions = stmt
        .query_map([dataset_id], |row| {
            let warnings = json(row, 11)?;
            Ok(SyncedVersion {
                id: row.get(0)?,
                version: row.get(1)?,
                source_name: row.get(2)?,
                sha256: row.get(3)?,
                size: row.get(4)?,
                source_format: json(row, 5)?,
                header_line: row.get(6)?,
                mapping: json(row, 7)?,
                columns: json(row, 8)?,
                rows: row.get(9)?,
                skipped: row.get(10)?,
                warnings: serde_json::from_value(warnings).unwrap_or_default(),
                imported_at: row.get(12)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let kind: DatasetKind =
        kind.parse().map_err(|e| StoreError::Corrupt { what: "dataset kind", detail: format!("{kind}: {e}") })?;
    let body = DatasetBody { name, kind, versions };
    serde_json::to_value(&body)
        .map(Some)
        .map_err(|e| StoreError::Corrupt { what: "dataset body", detail: e.to_string() })
}

/// Whether the object has a local edit the server has not answered (`acknowledged` and before
/// are answered; `None` when the log holds only unanswered edits).
fn has_pending(conn: &Connection, workspace: WorkspaceId, remote_id: &str, acknowledged: Option<u64>) -> Result<bool> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM sync_mutations WHERE workspace_id = ?1 AND kind = ?2 AND object_id = ?3 \
             AND (mutation_id IS NULL OR ?4 IS NULL OR mutation_id > ?4) LIMIT 1",
            params![workspace.to_string(), DATASET_KIND, remote_id, acknowledged],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// Whether a newer revision of the object is already applied here (a retried change that a
/// later one overtook).
fn is_stale(conn: &Connection, workspace: WorkspaceId, object: &RemoteObject) -> Result<bool> {
    let rev: Option<u64> = conn
        .query_row(
            "SELECT rev FROM sync_objects WHERE workspace_id = ?1 AND kind = ?2 AND remote_id = ?3",
            params![workspace.to_string(), object.kind, object.id],
            |row| row.get(0),
        )
        .optional()?;
    Ok(rev.is_some_and(|rev| rev > object.rev))
}

/// (number, sha256) of each version of a dataset of the workspace.
fn local_versions(conn: &Connection, workspace: WorkspaceId, dataset_id: &str) -> Result<HashSet<(u32, String)>> {
    let mut stmt = conn.prepare(
        "SELECT v.version, v.source_sha256 FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id \
         WHERE d.id = ?1 AND d.workspace_id = ?2",
    )?;
    let rows = stmt.query_map(params![dataset_id, workspace.to_string()], |row| Ok((row.get(0)?, row.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// (id, sha256) of a dataset's versions, or of one of them.
fn version_files(conn: &Connection, dataset_id: &str, number: Option<u32>) -> Result<Vec<(String, String)>> {
    let mut stmt = conn.prepare(
        "SELECT id, source_sha256 FROM dataset_versions WHERE dataset_id = ?1 AND (?2 IS NULL OR version = ?2)",
    )?;
    let rows = stmt.query_map(params![dataset_id, number], |row| Ok((row.get(0)?, row.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// A name no other dataset of the workspace and kind has: `base`, else `base (2)` …
fn unique_dataset_name(
    tx: &Transaction<'_>,
    workspace: WorkspaceId,
    kind: DatasetKind,
    base: &str,
    local_id: &str,
) -> Result<String> {
    let taken = |name: &str| -> Result<bool> {
        Ok(tx
            .query_row(
                "SELECT 1 FROM datasets WHERE workspace_id = ?1 AND kind = ?2 AND name = ?3 AND id <> ?4",
                params![workspace.to_string(), kind.as_str(), name, local_id],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    };
    let mut name = base.to_owned();
    let mut n = 2;
    while taken(&name)? {
        name = format!("{base} ({n})");
        n += 1;
    }
    Ok(name)
}

/// Remembers a change that could not be applied, replacing an older one of the same object.
pub(crate) fn defer(tx: &Transaction<'_>, workspace: WorkspaceId, object: &RemoteObject, error: &str) -> Result<()> {
    tx.execute(
        "INSERT INTO sync_deferred (workspace_id, kind, remote_id, rev, body, deleted, conflict_of, error, failed_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) \
         ON CONFLICT (workspace_id, kind, remote_id) DO UPDATE SET rev = excluded.rev, body = excluded.body, \
         deleted = excluded.deleted, conflict_of = excluded.conflict_of, error = excluded.error, \
         failed_at = excluded.failed_at",
        params![
            workspace.to_string(),
            object.kind,
            object.id,
            object.rev,
            object.body.as_ref().map(Value::to_string),
            object.deleted,
            object.conflict_of,
            error,
            time::now()
        ],
    )?;
    Ok(())
}

/// Forgets a deferred change of the object: a newer one was applied.
pub(crate) fn forget_deferred(tx: &Transaction<'_>, workspace: WorkspaceId, object: &RemoteObject) -> Result<()> {
    tx.execute(
        "DELETE FROM sync_deferred WHERE workspace_id = ?1 AND kind = ?2 AND remote_id = ?3 AND rev <= ?4",
        params![workspace.to_string(), object.kind, object.id, object.rev],
    )?;
    Ok(())
}

/// Applies an incoming dataset change as the server's truth: the dataset gets the body's name
/// and exactly its versions (the missing ones from `incoming`). With a local edit pending, the
/// local dataset stands and only the revision is recorded (the edit is replayed by the server's
/// rules: merged or kept as a conflicted copy).
pub(crate) fn apply_remote_dataset(
    tx: &Transaction<'_>,
    layout: &Layout,
    workspace: WorkspaceId,
    object: &RemoteObject,
    incoming: &mut Incoming,
    placed: &mut PlacedFiles,
) -> Result<Applied> {
    let mut outcome = Applied::default();
    if is_stale(tx, workspace, object)? {
        return Ok(outcome);
    }
    let ws = workspace.to_string();
    let local_id = local_id_for(tx, workspace, DATASET_KIND, &object.id)?;
    let body = if object.deleted { None } else { object.body.as_ref().and_then(DatasetBody::parse) };
    if !object.deleted && body.is_none() {
        outcome.skipped = 1;
        return Ok(outcome);
    }
    // Every acknowledged edit left the log before this runs: what remains is pending.
    if has_pending(tx, workspace, &object.id, None)? {
        if object.deleted {
            tx.execute(
                "DELETE FROM sync_objects WHERE workspace_id = ?1 AND kind = ?2 AND local_id = ?3",
                params![ws, DATASET_KIND, local_id],
            )?;
            outcome.deleted = 1;
        } else {
            set_rev(tx, workspace, DATASET_KIND, &local_id, &object.id, object.rev)?;
            outcome.updated = 1;
        }
        return Ok(outcome);
    }
    let body = match body {
        Some(body) if !body.versions.is_empty() => body,
        // A deletion, or a dataset left with no version: gone here too.
        _ => {
            incoming.dropped.extend(version_files(tx, &local_id, None)?);
            tx.execute("DELETE FROM datasets WHERE workspace_id = ?1 AND id = ?2", params![ws, local_id])?;
            tx.execute(
                "DELETE FROM sync_objects WHERE workspace_id = ?1 AND kind = ?2 AND local_id = ?3",
                params![ws, DATASET_KIND, local_id],
            )?;
            outcome.deleted = 1;
            return Ok(outcome);
        }
    };
    let mut name = body.name.clone();
    if object.conflict_of.is_some() {
        name = format!("{name} (conflict)");
        outcome.conflicts = 1;
    }
    let name = unique_dataset_name(tx, workspace, body.kind, &name, &local_id)?;
    let now = time::now();
    let changed = tx.execute(
        "INSERT INTO datasets (id, workspace_id, name, kind, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5) \
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, kind = excluded.kind, updated_at = excluded.updated_at \
         WHERE datasets.workspace_id = excluded.workspace_id",
        params![local_id, ws, name, body.kind.as_str(), now],
    )?;
    if changed == 0 {
        return Err(StoreError::Corrupt {
            what: "synced dataset",
            detail: format!("{local_id} is another workspace's"),
        });
    }
    // Versions the body does not list (same number and file) go; the listed ones come.
    let here = local_versions(tx, workspace, &local_id)?;
    let wanted: HashSet<(u32, String)> = body.versions.iter().map(|v| (v.version, v.sha256.clone())).collect();
    for (number, sha) in here.difference(&wanted) {
        incoming.dropped.extend(version_files(tx, &local_id, Some(*number))?);
        tx.execute(
            "DELETE FROM dataset_versions WHERE dataset_id = ?1 AND version = ?2 AND source_sha256 = ?3",
            params![local_id, number, sha],
        )?;
    }
    for version in body.versions.iter().filter(|v| !here.contains(&(v.version, v.sha256.clone()))) {
        let mut staged = incoming.take(&object.id, version).ok_or_else(|| StoreError::Corrupt {
            what: "synced dataset",
            detail: format!("version {} of '{}' was not downloaded before it was applied", version.version, body.name),
        })?;
        staged.staging.finish_writing()?;
        insert_version_row(tx, &local_id, version.version, &version.imported_at, &staged.staging, &staged.new)?;
        place_files(layout, &staged.staging, &version.sha256, placed)?;
    }
    set_rev(tx, workspace, DATASET_KIND, &local_id, &object.id, object.rev)?;
    outcome.updated = 1;
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use serde_json::json;

    #[test]
    fn bodies_name_files_by_hash_and_never_carry_folders() {
        let sha = "a".repeat(64);
        let body = json!({"name": " subs ", "kind": "subscriptions", "versions": [{
            "id": "x", "version": 1, "source_name": "C:\\Users\\me\\subs.csv", "sha256": sha, "size": 3,
            "source_format": {}, "header_line": 1, "mapping": {}, "columns": [], "rows": 2, "skipped": 0,
            "imported_at": "2026-01-01T00:00:00Z"}]});
        let parsed = DatasetBody::parse(&body).unwrap();
        assert_eq!((parsed.name.as_str(), parsed.versions[0].source_name.as_str()), ("subs", "subs.csv"));
        let mut bad = body.clone();
        bad["versions"][0]["sha256"] = json!("../../etc/passwd");
        assert!(DatasetBody::parse(&bad).is_none());
    }
}
