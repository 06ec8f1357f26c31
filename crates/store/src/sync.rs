//! Local sync state: the account each workspace syncs with, the server revision of every
//! synced object, and the ordered log of local edits the server has not acknowledged yet
//! (Replicache style: pulled changes are applied, then the pending edits are replayed on top).
//!
//! What syncs: saved column mappings (kind `mapping`), dashboards and scenarios, and datasets
//! (kind `dataset`, see [`crate::dataset_sync`]). Saving or deleting one appends to the log in the
//! same transaction as the change. Tokens are never stored here: an account only names its OS
//! keychain entry.

use revlens_model::{DatasetKind, WorkspaceId};
use rusqlite::{params, OptionalExtension, Row, Transaction};
use serde::Serialize;
use serde_json::{json, Value};

use crate::dataset_sync::{apply_remote_dataset, defer, forget_deferred, Incoming, DATASET_KIND};
use crate::datasets::PlacedFiles;
use crate::documents::DocumentKind;
use crate::mappings::SavedMapping;
use crate::names::{asked_name, Names};
use crate::{time, Result, Store, StoreError};

/// The kind name of a saved column mapping on the wire.
pub const MAPPING_KIND: &str = "mapping";

/// What a conflicted copy's name ends with.
const CONFLICT_SUFFIX: &str = " (conflict)";

/// The server a workspace syncs with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SyncAccount {
    pub workspace_id: WorkspaceId,
    pub server_url: String,
    pub email: String,
    pub org_id: String,
    pub org_name: String,
    /// Made once per workspace, org and user; mutation ids count per client id.
    pub client_id: String,
    /// The OS keychain entry holding the tokens; `None` once signed out.
    pub keychain_account: Option<String>,
    /// The org version the last pull reached.
    pub cookie: u64,
    /// The last mutation id the server acknowledged.
    pub last_mutation_id: u64,
    pub next_mutation_id: u64,
    pub signed_in_at: String,
    pub last_push_at: Option<String>,
    pub last_pull_at: Option<String>,
    /// Non-zero when an acknowledged edit's outcome is unknown: the next pull starts from
    /// version 0 (see [`Store::finish_resync`]).
    pub resync: u64,
}

/// What a sign-in records.
#[derive(Clone, Debug)]
pub struct NewSyncAccount {
    pub server_url: String,
    pub email: String,
    pub org_id: String,
    pub org_name: String,
    pub keychain_account: String,
}

/// One local edit waiting for the server. `mutation_id` is set when it is first sent.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PendingMutation {
    pub seq: i64,
    pub mutation_id: Option<u64>,
    pub kind: String,
    /// The object's id on the server.
    pub object_id: String,
    pub base_rev: u64,
    pub body: Option<Value>,
    pub deleted: bool,
}

/// An object's state on the server, as pull (or a push conflict) reports it.
#[derive(Clone, Debug, PartialEq)]
pub struct RemoteObject {
    pub kind: String,
    pub id: String,
    pub rev: u64,
    pub body: Option<Value>,
    pub deleted: bool,
    /// Set on a conflicted copy: the id of the object it conflicts with.
    pub conflict_of: Option<String>,
}

/// What applying a batch of remote objects did locally.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Applied {
    pub updated: u64,
    pub deleted: u64,
    /// Conflicted copies received (kept as mappings named "<name> (conflict)").
    pub conflicts: u64,
    /// Changes of kinds this version does not sync yet, or with unreadable bodies.
    pub skipped: u64,
    /// Dataset changes kept for a retry at the next pull (their files could not be fetched or
    /// imported).
    pub deferred: u64,
}

impl std::ops::AddAssign for Applied {
    fn add_assign(&mut self, other: Self) {
        self.updated += other.updated;
        self.deleted += other.deleted;
        self.conflicts += other.conflicts;
        self.skipped += other.skipped;
        self.deferred += other.deferred;
    }
}

const ACCOUNT_COLUMNS: &str = "workspace_id, server_url, email, org_id, org_name, client_id, keychain_account, \
     cookie, last_mutation_id, next_mutation_id, signed_in_at, last_push_at, last_pull_at, resync";

fn account_from_row(row: &Row<'_>) -> rusqlite::Result<SyncAccount> {
    Ok(SyncAccount {
        workspace_id: crate::datasets::parse_id(row, 0)?,
        server_url: row.get(1)?,
        email: row.get(2)?,
        org_id: row.get(3)?,
        org_name: row.get(4)?,
        client_id: row.get(5)?,
        keychain_account: row.get(6)?,
        cookie: row.get(7)?,
        last_mutation_id: row.get(8)?,
        next_mutation_id: row.get(9)?,
        signed_in_at: row.get(10)?,
        last_push_at: row.get(11)?,
        last_pull_at: row.get(12)?,
        resync: row.get(13)?,
    })
}

fn pending_from_row(row: &Row<'_>) -> rusqlite::Result<PendingMutation> {
    let body: Option<String> = row.get(5)?;
    let body = body
        .map(|text| serde_json::from_str(&text))
        .transpose()
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(5, rusqlite::types::Type::Text, Box::new(e)))?;
    Ok(PendingMutation {
        seq: row.get(0)?,
        mutation_id: row.get(1)?,
        kind: row.get(2)?,
        object_id: row.get(3)?,
        base_rev: row.get(4)?,
        body,
        deleted: row.get(6)?,
    })
}

/// The JSON body a mapping syncs as.
pub fn mapping_body(mapping: &SavedMapping) -> Value {
    json!({
        "name": mapping.name,
        "kind": mapping.kind.as_str(),
        "header_signature": mapping.header_signature,
        "fields": mapping.fields,
    })
}

/// A mapping as a synced body describes it.
struct MappingBody {
    name: String,
    kind: DatasetKind,
    header_signature: String,
    fields: Value,
}

fn parse_mapping_body(body: &Value) -> Option<MappingBody> {
    let name = body.get("name")?.as_str()?.trim();
    if name.is_empty() {
        return None;
    }
    Some(MappingBody {
        name: name.chars().take(180).collect(),
        kind: body.get("kind")?.as_str()?.parse().ok()?,
        header_signature: body.get("header_signature")?.as_str()?.to_owned(),
        fields: body.get("fields").cloned().unwrap_or(Value::Null),
    })
}

impl Store {
    /// The account the workspace syncs with, if it ever signed in.
    pub fn sync_account(&self, workspace: WorkspaceId) -> Result<Option<SyncAccount>> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {ACCOUNT_COLUMNS} FROM sync_accounts WHERE workspace_id = ?1"),
                [workspace.to_string()],
                account_from_row,
            )
            .optional()?)
    }

    /// Records a sign-in. Signing in again to the same server and org as the same user keeps
    /// the client id, cookie and log. Another user of that org gets a new client id (a client id
    /// belongs to one user) and the unsent log is renumbered. Another server or org starts
    /// over: new client id, cookie 0, and every local mapping queued to be uploaded.
    pub fn sign_in_sync(&self, workspace: WorkspaceId, new: &NewSyncAccount) -> Result<SyncAccount> {
        let tx = self.conn.unchecked_transaction()?;
        let ws = workspace.to_string();
        let now = time::now();
        let old = self.sync_account(workspace)?;
        let same_org = old.as_ref().is_some_and(|o| o.server_url == new.server_url && o.org_id == new.org_id);
        let same_user = same_org && old.as_ref().is_some_and(|o| o.email.eq_ignore_ascii_case(&new.email));
        if same_user {
            tx.execute(
                "UPDATE sync_accounts SET email = ?2, org_name = ?3, keychain_account = ?4, signed_in_at = ?5 \
                 WHERE workspace_id = ?1",
                params![ws, new.email, new.org_name, new.keychain_account, now],
            )?;
        } else {
            let client_id = uuid::Uuid::now_v7().to_string();
            if same_org {
                // The log stays; its ids are handed out afresh for the new client id.
                tx.execute("UPDATE sync_mutations SET mutation_id = NULL WHERE workspace_id = ?1", [&ws])?;
                tx.execute(
                    "UPDATE sync_accounts SET email = ?2, org_name = ?3, keychain_account = ?4, signed_in_at = ?5, \
                     client_id = ?6, last_mutation_id = 0, next_mutation_id = 1 WHERE workspace_id = ?1",
                    params![ws, new.email, new.org_name, new.keychain_account, now, client_id],
                )?;
            } else {
                tx.execute("DELETE FROM sync_mutations WHERE workspace_id = ?1", [&ws])?;
                tx.execute("DELETE FROM sync_objects WHERE workspace_id = ?1", [&ws])?;
                tx.execute("DELETE FROM sync_deferred WHERE workspace_id = ?1", [&ws])?;
                tx.execute("DELETE FROM sync_accounts WHERE workspace_id = ?1", [&ws])?;
                tx.execute(
                    "INSERT INTO sync_accounts (workspace_id, server_url, email, org_id, org_name, client_id, \
                     keychain_account, signed_in_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                    params![
                        ws,
                        new.server_url,
                        new.email,
                        new.org_id,
                        new.org_name,
                        client_id,
                        new.keychain_account,
                        now
                    ],
                )?;
                for mapping in self.mappings(workspace)? {
                    enqueue(&tx, workspace, MAPPING_KIND, &mapping.id.to_string(), Some(mapping_body(&mapping)))?;
                }
                for kind in DocumentKind::ALL {
                    for document in self.documents(workspace, kind)? {
                        let body = crate::documents::sync_body(&document);
                        enqueue(&tx, workspace, kind.as_str(), &document.id.to_string(), Some(body))?;
                    }
                }
                for dataset in self.datasets(workspace)? {
                    crate::dataset_sync::enqueue_dataset(&tx, workspace, &dataset.id.to_string())?;
                }
            }
        }
        tx.commit()?;
        self.sync_account(workspace)?.ok_or_else(|| StoreError::NotFound { what: "sync account", key: ws })
    }

    /// Forgets the keychain reference; the client id, cookie and log stay for the next sign-in.
    pub fn sign_out_sync(&self, workspace: WorkspaceId) -> Result<()> {
        self.conn.execute(
            "UPDATE sync_accounts SET keychain_account = NULL WHERE workspace_id = ?1",
            [workspace.to_string()],
        )?;
        Ok(())
    }

    /// The edits not yet acknowledged, oldest first.
    pub fn pending_mutations(&self, workspace: WorkspaceId) -> Result<Vec<PendingMutation>> {
        pending(&self.conn, workspace)
    }

    pub fn pending_count(&self, workspace: WorkspaceId) -> Result<u64> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*) FROM sync_mutations WHERE workspace_id = ?1",
            [workspace.to_string()],
            |row| row.get(0),
        )?)
    }

    /// Hands out mutation ids to the edits that have none yet (in log order, from the
    /// account's counter) and returns every pending edit, ready to push.
    pub fn prepare_push(&self, workspace: WorkspaceId) -> Result<Vec<PendingMutation>> {
        let tx = self.conn.unchecked_transaction()?;
        let ws = workspace.to_string();
        let mut next: u64 = tx
            .query_row("SELECT next_mutation_id FROM sync_accounts WHERE workspace_id = ?1", [&ws], |row| row.get(0))
            .optional()?
            .ok_or_else(|| StoreError::NotFound { what: "sync account", key: ws.clone() })?;
        let unassigned: Vec<i64> = {
            let mut stmt = tx.prepare(
                "SELECT seq FROM sync_mutations WHERE workspace_id = ?1 AND mutation_id IS NULL ORDER BY seq",
            )?;
            let rows = stmt.query_map([&ws], |row| row.get(0))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        for seq in unassigned {
            tx.execute("UPDATE sync_mutations SET mutation_id = ?2 WHERE seq = ?1", params![seq, next])?;
            next += 1;
        }
        tx.execute("UPDATE sync_accounts SET next_mutation_id = ?2 WHERE workspace_id = ?1", params![ws, next])?;
        let all = pending(&tx, workspace)?;
        tx.commit()?;
        Ok(all)
    }

    /// Records what a push did, in one transaction: the new revisions of applied edits, the
    /// server's version of conflicting objects, the acknowledged edits dropped from the log,
    /// and the still-pending edits replayed on top.
    /// `conflicted` names the mutations answered `conflict`; every other acknowledged one
    /// (answered `already_applied`: an earlier push whose answer was lost) has an unknown outcome.
    pub fn finish_push(
        &self,
        workspace: WorkspaceId,
        applied: &[(u64, u64)],
        conflicted: &[u64],
        server_versions: &[RemoteObject],
        last_mutation_id: u64,
    ) -> Result<Applied> {
        self.finish_push_with(workspace, applied, conflicted, server_versions, Incoming::default(), last_mutation_id)
    }

    /// [`Store::finish_push`], with the versions staged for the server's versions of datasets.
    pub fn finish_push_with(
        &self,
        workspace: WorkspaceId,
        applied: &[(u64, u64)],
        conflicted: &[u64],
        server_versions: &[RemoteObject],
        incoming: Incoming,
        last_mutation_id: u64,
    ) -> Result<Applied> {
        self.with_incoming(incoming, |tx, incoming, placed| {
            let answers = (applied, conflicted);
            finish_push_tx(tx, &self.layout, workspace, answers, server_versions, incoming, placed, last_mutation_id)
        })
    }

    /// Runs `apply` in one transaction; files it moved into place are removed again when it
    /// fails, and the files of the versions it dropped are removed once it committed.
    fn with_incoming(
        &self,
        mut incoming: Incoming,
        apply: impl FnOnce(&Transaction<'_>, &mut Incoming, &mut PlacedFiles) -> Result<Applied>,
    ) -> Result<Applied> {
        let mut placed = PlacedFiles::default();
        let result = (|| {
            let tx = self.conn.unchecked_transaction()?;
            let outcome = apply(&tx, &mut incoming, &mut placed)?;
            tx.commit()?;
            Ok(outcome)
        })();
        match result {
            Ok(outcome) => {
                self.remove_dropped_files(&incoming)?;
                Ok(outcome)
            }
            Err(error) => {
                placed.undo();
                Err(error)
            }
        }
    }

    /// Applies one page of pulled changes, in one transaction: the changes, the acknowledged
    /// edits dropped, the pending ones replayed on top, and the new cookie.
    pub fn apply_pull_page(
        &self,
        workspace: WorkspaceId,
        changes: &[RemoteObject],
        cookie: u64,
        last_mutation_id: u64,
    ) -> Result<Applied> {
        self.apply_pull_page_with(workspace, changes, Incoming::default(), cookie, last_mutation_id)
    }

    /// [`Store::apply_pull_page`], with the versions staged for its dataset changes; the
    /// changes `incoming` marks as failed are kept for a retry instead of applied.
    pub fn apply_pull_page_with(
        &self,
        workspace: WorkspaceId,
        changes: &[RemoteObject],
        incoming: Incoming,
        cookie: u64,
        last_mutation_id: u64,
    ) -> Result<Applied> {
        self.with_incoming(incoming, |tx, incoming, placed| {
            // A pull acknowledges only edits whose push answer never arrived.
            acknowledge(tx, workspace, last_mutation_id, &[])?;
            let mut outcome = Applied::default();
            for change in changes {
                outcome += apply_incoming(tx, &self.layout, workspace, change, incoming, placed)?;
            }
            replay(tx, workspace)?;
            tx.execute(
                "UPDATE sync_accounts SET cookie = MAX(cookie, ?2), last_pull_at = ?3 WHERE workspace_id = ?1",
                params![workspace.to_string(), cookie, time::now()],
            )?;
            Ok(outcome)
        })
    }

    /// Ends a resync that a pull from version 0 has covered: clears the counter unless another
    /// unknown outcome bumped it meanwhile (then the pull goes round again). True when cleared.
    pub fn finish_resync(&self, workspace: WorkspaceId, resync: u64) -> Result<bool> {
        let changed = self.conn.execute(
            "UPDATE sync_accounts SET resync = 0 WHERE workspace_id = ?1 AND resync = ?2",
            params![workspace.to_string(), resync],
        )?;
        Ok(changed > 0)
    }

    /// The object's id on the server (the local id, unless it came as a conflicted copy).
    pub fn remote_id(&self, workspace: WorkspaceId, kind: &str, local_id: &str) -> Result<String> {
        remote_id_for(&self.conn, workspace, kind, local_id)
    }
}

/// Applies one remote object: a dataset with what was staged for it (or kept for a retry when
/// staging failed), any other kind directly.
fn apply_incoming(
    tx: &Transaction<'_>,
    layout: &crate::Layout,
    workspace: WorkspaceId,
    object: &RemoteObject,
    incoming: &mut Incoming,
    placed: &mut PlacedFiles,
) -> Result<Applied> {
    if let Some(error) = incoming.failure(object) {
        defer(tx, workspace, object, &error)?;
        return Ok(Applied { deferred: 1, ..Applied::default() });
    }
    forget_deferred(tx, workspace, object)?;
    if object.kind == DATASET_KIND {
        return apply_remote_dataset(tx, layout, workspace, object, incoming, placed);
    }
    apply_remote(tx, workspace, object)
}

#[allow(clippy::too_many_arguments)] // one transaction's worth of push results
fn finish_push_tx(
    tx: &Transaction<'_>,
    layout: &crate::Layout,
    workspace: WorkspaceId,
    // The applied mutations with their new revisions, and those kept as conflicted copies.
    (applied, conflicted): (&[(u64, u64)], &[u64]),
    server_versions: &[RemoteObject],
    incoming: &mut Incoming,
    placed: &mut PlacedFiles,
    last_mutation_id: u64,
) -> Result<Applied> {
    let ws = workspace.to_string();
    for (mutation_id, rev) in applied {
        let object: Option<(String, String, bool)> = tx
            .query_row(
                "SELECT kind, object_id, deleted FROM sync_mutations WHERE workspace_id = ?1 AND mutation_id = ?2",
                params![ws, mutation_id],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .optional()?;
        if let Some((kind, remote_id, false)) = object {
            let local_id = local_id_for(tx, workspace, &kind, &remote_id)?;
            if object_exists(tx, workspace, &kind, &local_id)? {
                set_rev(tx, workspace, &kind, &local_id, &remote_id, *rev)?;
            }
        }
    }
    // Acknowledged first, so what is left in the log is what is still pending.
    let answered: Vec<u64> = applied.iter().map(|(id, _)| *id).chain(conflicted.iter().copied()).collect();
    acknowledge(tx, workspace, last_mutation_id, &answered)?;
    let mut outcome = Applied::default();
    for object in server_versions {
        outcome += apply_incoming(tx, layout, workspace, object, incoming, placed)?;
    }
    replay(tx, workspace)?;
    tx.execute("UPDATE sync_accounts SET last_push_at = ?2 WHERE workspace_id = ?1", params![ws, time::now()])?;
    Ok(outcome)
}

fn pending(conn: &rusqlite::Connection, workspace: WorkspaceId) -> Result<Vec<PendingMutation>> {
    let mut stmt = conn.prepare(
        "SELECT seq, mutation_id, kind, object_id, base_rev, body, deleted FROM sync_mutations \
         WHERE workspace_id = ?1 ORDER BY seq",
    )?;
    let rows = stmt.query_map([workspace.to_string()], pending_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Drops the edits the server has acknowledged. Those not in `answered` were applied, or kept
/// as conflicted copies, without the client hearing which: the account is marked for a resync,
/// and an object such an edit made is recorded as known to the server, so deleting it before
/// the next pull still tells the server.
fn acknowledge(tx: &Transaction<'_>, workspace: WorkspaceId, last_mutation_id: u64, answered: &[u64]) -> Result<()> {
    let ws = workspace.to_string();
    let unanswered: Vec<PendingMutation> = pending(tx, workspace)?
        .into_iter()
        .filter(|m| m.mutation_id.is_some_and(|id| id <= last_mutation_id && !answered.contains(&id)))
        .collect();
    for m in &unanswered {
        let local_id = local_id_for(tx, workspace, &m.kind, &m.object_id)?;
        if !m.deleted && object_exists(tx, workspace, &m.kind, &local_id)? {
            set_rev(tx, workspace, &m.kind, &local_id, &m.object_id, m.base_rev)?;
        }
    }
    if !unanswered.is_empty() {
        tx.execute("UPDATE sync_accounts SET resync = resync + 1 WHERE workspace_id = ?1", [&ws])?;
    }
    tx.execute(
        "DELETE FROM sync_mutations WHERE workspace_id = ?1 AND mutation_id IS NOT NULL AND mutation_id <= ?2",
        params![ws, last_mutation_id],
    )?;
    tx.execute(
        "UPDATE sync_accounts SET last_mutation_id = MAX(last_mutation_id, ?2) WHERE workspace_id = ?1",
        params![ws, last_mutation_id],
    )?;
    Ok(())
}

fn remote_id_for(conn: &rusqlite::Connection, workspace: WorkspaceId, kind: &str, local_id: &str) -> Result<String> {
    Ok(conn
        .query_row(
            "SELECT remote_id FROM sync_objects WHERE workspace_id = ?1 AND kind = ?2 AND local_id = ?3",
            params![workspace.to_string(), kind, local_id],
            |row| row.get(0),
        )
        .optional()?
        .unwrap_or_else(|| local_id.to_owned()))
}

/// The local id of a server object: the one recorded, else the id itself when it is a UUID,
/// else a UUID made from a conflicted copy's 32 hex digits (stable across clients), else a new one.
pub(crate) fn local_id_for(
    conn: &rusqlite::Connection,
    workspace: WorkspaceId,
    kind: &str,
    remote_id: &str,
) -> Result<String> {
    let known: Option<String> = conn
        .query_row(
            "SELECT local_id FROM sync_objects WHERE workspace_id = ?1 AND kind = ?2 AND remote_id = ?3",
            params![workspace.to_string(), kind, remote_id],
            |row| row.get(0),
        )
        .optional()?;
    if let Some(local) = known {
        return Ok(local);
    }
    let hex = remote_id.strip_prefix("conflict-").unwrap_or(remote_id);
    let candidate = uuid::Uuid::try_parse(hex).unwrap_or_else(|_| uuid::Uuid::now_v7()).to_string();
    // Ids are unique across workspaces: a second workspace synced with the same org gets its own.
    let table = match kind {
        MAPPING_KIND => Some("column_mappings"),
        DATASET_KIND => Some("datasets"),
        _ if document_kind(kind).is_some() => Some("documents"),
        _ => None,
    };
    let elsewhere = match table {
        Some(table) => conn
            .query_row(
                &format!("SELECT 1 FROM {table} WHERE id = ?1 AND workspace_id <> ?2"),
                params![candidate, workspace.to_string()],
                |_| Ok(()),
            )
            .optional()?
            .is_some(),
        None => false,
    };
    Ok(if elsewhere { uuid::Uuid::now_v7().to_string() } else { candidate })
}

pub(crate) fn set_rev(
    tx: &Transaction<'_>,
    workspace: WorkspaceId,
    kind: &str,
    local_id: &str,
    remote_id: &str,
    rev: u64,
) -> Result<()> {
    tx.execute(
        "INSERT INTO sync_objects (workspace_id, kind, local_id, remote_id, rev) VALUES (?1, ?2, ?3, ?4, ?5) \
         ON CONFLICT (workspace_id, kind, local_id) DO UPDATE SET remote_id = excluded.remote_id, \
         rev = MAX(rev, excluded.rev)",
        params![workspace.to_string(), kind, local_id, remote_id, rev],
    )?;
    Ok(())
}

fn object_exists(tx: &Transaction<'_>, workspace: WorkspaceId, kind: &str, local_id: &str) -> Result<bool> {
    let table = match kind {
        MAPPING_KIND => "column_mappings",
        DATASET_KIND => "datasets",
        _ if document_kind(kind).is_some() => "documents",
        _ => return Ok(false),
    };
    Ok(tx
        .query_row(
            &format!("SELECT 1 FROM {table} WHERE workspace_id = ?1 AND id = ?2"),
            params![workspace.to_string(), local_id],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// Appends an edit to the log (called in the transaction of the change). An unsent edit of the
/// same object is superseded rather than kept: the log of a workspace that never syncs stays
/// one entry per object.
pub(crate) fn enqueue(
    tx: &Transaction<'_>,
    workspace: WorkspaceId,
    kind: &str,
    local_id: &str,
    body: Option<Value>,
) -> Result<()> {
    let ws = workspace.to_string();
    let remote_id = remote_id_for(tx, workspace, kind, local_id)?;
    // No row: the server never heard of the object (a row may hold revision 0, when the push
    // that made it was applied without the client hearing back).
    let known: Option<u64> = tx
        .query_row(
            "SELECT rev FROM sync_objects WHERE workspace_id = ?1 AND kind = ?2 AND local_id = ?3",
            params![ws, kind, local_id],
            |row| row.get(0),
        )
        .optional()?;
    // An edit builds on what the store shows, and while edits of the object wait, that is the
    // last of them replayed on whatever a pull brought: it descends from their base, not from
    // the revision pulled meanwhile (naming that one would overwrite an edit this client never
    // saw). The server tells a chain of one client's edits from a stale one.
    let waiting_base: Option<u64> = tx
        .query_row(
            "SELECT base_rev FROM sync_mutations WHERE workspace_id = ?1 AND kind = ?2 AND object_id = ?3 \
             ORDER BY seq DESC LIMIT 1",
            params![ws, kind, remote_id],
            |row| row.get(0),
        )
        .optional()?;
    let rev = waiting_base.or(known).unwrap_or(0);
    let sent: u64 = tx.query_row(
        "SELECT COUNT(*) FROM sync_mutations WHERE workspace_id = ?1 AND kind = ?2 AND object_id = ?3 \
         AND mutation_id IS NOT NULL",
        params![ws, kind, remote_id],
        |row| row.get(0),
    )?;
    // Unsent edits of this object are superseded by this one.
    tx.execute(
        "DELETE FROM sync_mutations WHERE workspace_id = ?1 AND kind = ?2 AND object_id = ?3 AND mutation_id IS NULL",
        params![ws, kind, remote_id],
    )?;
    let deleted = body.is_none();
    if deleted {
        tx.execute(
            "DELETE FROM sync_objects WHERE workspace_id = ?1 AND kind = ?2 AND local_id = ?3",
            params![ws, kind, local_id],
        )?;
        if known.is_none() && sent == 0 {
            // The server never heard of it: nothing to tell.
            return Ok(());
        }
    }
    tx.execute(
        "INSERT INTO sync_mutations (workspace_id, kind, object_id, base_rev, body, deleted, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![ws, kind, remote_id, rev, body.map(|b| b.to_string()), deleted, time::now()],
    )?;
    Ok(())
}

/// Writes a mapping as a body describes it, under its local id, without logging an edit.
fn put_mapping(tx: &Transaction<'_>, workspace: WorkspaceId, local_id: &str, body: &MappingBody) -> Result<()> {
    let old = Names::Mappings.name_of(tx, workspace, local_id)?;
    tx.execute(
        "INSERT INTO column_mappings (id, workspace_id, name, kind, header_signature, fields, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7) \
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, kind = excluded.kind, \
         header_signature = excluded.header_signature, fields = excluded.fields, updated_at = excluded.updated_at \
         WHERE column_mappings.workspace_id = excluded.workspace_id",
        params![
            local_id,
            workspace.to_string(),
            Names::unsettled(local_id),
            body.kind.as_str(),
            body.header_signature,
            body.fields.to_string(),
            time::now()
        ],
    )?;
    settle_after_write(tx, workspace, Names::Mappings, local_id, &body.name, old.as_deref())
}

/// Names a row just written under a placeholder (the name it asks for, or its suffixed form;
/// see [`crate::names`]), and the rows that asked for its old name, when that changed.
fn settle_after_write(
    tx: &Transaction<'_>,
    workspace: WorkspaceId,
    names: Names,
    local_id: &str,
    name: &str,
    old: Option<&str>,
) -> Result<()> {
    let wanted = asked_name(name, local_id);
    names.settle(tx, workspace, wanted, Some(local_id))?;
    if let Some(old) = old.map(|old| asked_name(old, local_id)).filter(|old| *old != wanted) {
        names.settle(tx, workspace, old, None)?;
    }
    Ok(())
}

/// Deletes a mapping or document row without logging an edit; the next in line for its name
/// gets it.
fn delete_row(tx: &Transaction<'_>, workspace: WorkspaceId, names: Names, local_id: &str) -> Result<()> {
    let ws = workspace.to_string();
    let name: Option<String> = match names {
        Names::Mappings => tx
            .query_row(
                "DELETE FROM column_mappings WHERE workspace_id = ?1 AND id = ?2 RETURNING name",
                params![ws, local_id],
                |r| r.get(0),
            )
            .optional()?,
        Names::Documents(kind) => tx
            .query_row(
                "DELETE FROM documents WHERE workspace_id = ?1 AND kind = ?2 AND id = ?3 RETURNING name",
                params![ws, kind.as_str(), local_id],
                |r| r.get(0),
            )
            .optional()?,
    };
    if let Some(name) = name {
        names.settle(tx, workspace, asked_name(&name, local_id), None)?;
    }
    Ok(())
}

/// The name a conflicted copy is shown under. An edit of a copy keeps its name as it is (its
/// body already says "(conflict)"), rather than growing another suffix each round trip.
fn conflict_name(name: &str) -> String {
    if name.ends_with(CONFLICT_SUFFIX) {
        name.to_owned()
    } else {
        format!("{name}{CONFLICT_SUFFIX}")
    }
}

fn apply_remote(tx: &Transaction<'_>, workspace: WorkspaceId, object: &RemoteObject) -> Result<Applied> {
    if let Some(kind) = document_kind(&object.kind) {
        return apply_remote_document(tx, workspace, kind, object);
    }
    let mut outcome = Applied::default();
    if object.kind != MAPPING_KIND {
        outcome.skipped = 1;
        return Ok(outcome);
    }
    let ws = workspace.to_string();
    let local_id = local_id_for(tx, workspace, &object.kind, &object.id)?;
    let body = object.body.as_ref().and_then(parse_mapping_body);
    match (object.deleted, body) {
        (true, _) => {
            delete_row(tx, workspace, Names::Mappings, &local_id)?;
            tx.execute(
                "DELETE FROM sync_objects WHERE workspace_id = ?1 AND kind = ?2 AND local_id = ?3",
                params![ws, object.kind, local_id],
            )?;
            outcome.deleted = 1;
        }
        (false, Some(mut body)) => {
            if object.conflict_of.is_some() {
                body.name = conflict_name(&body.name);
                outcome.conflicts = 1;
            }
            put_mapping(tx, workspace, &local_id, &body)?;
            set_rev(tx, workspace, &object.kind, &local_id, &object.id, object.rev)?;
            outcome.updated = 1;
        }
        (false, None) => outcome.skipped = 1,
    }
    Ok(outcome)
}

fn document_kind(kind: &str) -> Option<DocumentKind> {
    DocumentKind::ALL.into_iter().find(|k| k.as_str() == kind)
}

/// A dashboard or scenario as a synced body describes it: `{"name", "body"}`.
fn parse_document_body(body: &Value) -> Option<(String, Value)> {
    let name = body.get("name")?.as_str()?.trim();
    (!name.is_empty()).then(|| (name.chars().take(180).collect(), body.get("body").cloned().unwrap_or(Value::Null)))
}

/// Writes a document under its local id without logging an edit; a name another document of
/// the kind already has is settled as [`crate::names`] says, so neither is lost.
fn put_document(
    tx: &Transaction<'_>,
    workspace: WorkspaceId,
    kind: DocumentKind,
    local_id: &str,
    name: &str,
    body: &Value,
) -> Result<()> {
    let names = Names::Documents(kind);
    let old = names.name_of(tx, workspace, local_id)?;
    tx.execute(
        "INSERT INTO documents (id, workspace_id, kind, name, body, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) \
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, body = excluded.body, updated_at = excluded.updated_at \
         WHERE documents.workspace_id = excluded.workspace_id AND documents.kind = excluded.kind",
        params![
            local_id,
            workspace.to_string(),
            kind.as_str(),
            Names::unsettled(local_id),
            body.to_string(),
            time::now()
        ],
    )?;
    settle_after_write(tx, workspace, names, local_id, name, old.as_deref())
}

fn apply_remote_document(
    tx: &Transaction<'_>,
    workspace: WorkspaceId,
    kind: DocumentKind,
    object: &RemoteObject,
) -> Result<Applied> {
    let mut outcome = Applied::default();
    let ws = workspace.to_string();
    let local_id = local_id_for(tx, workspace, &object.kind, &object.id)?;
    match (object.deleted, object.body.as_ref().and_then(parse_document_body)) {
        (true, _) => {
            delete_row(tx, workspace, Names::Documents(kind), &local_id)?;
            tx.execute(
                "DELETE FROM sync_objects WHERE workspace_id = ?1 AND kind = ?2 AND local_id = ?3",
                params![ws, object.kind, local_id],
            )?;
            outcome.deleted = 1;
        }
        (false, Some((mut name, body))) => {
            if object.conflict_of.is_some() {
                name = conflict_name(&name);
                outcome.conflicts = 1;
            }
            put_document(tx, workspace, kind, &local_id, &name, &body)?;
            set_rev(tx, workspace, &object.kind, &local_id, &object.id, object.rev)?;
            outcome.updated = 1;
        }
        (false, None) => outcome.skipped = 1,
    }
    Ok(outcome)
}

/// Re-applies the pending edits, oldest first, over what was just pulled.
fn replay(tx: &Transaction<'_>, workspace: WorkspaceId) -> Result<()> {
    for mutation in pending(tx, workspace)? {
        if let Some(kind) = document_kind(&mutation.kind) {
            let local_id = local_id_for(tx, workspace, &mutation.kind, &mutation.object_id)?;
            match mutation.body.as_ref().and_then(parse_document_body) {
                Some((name, body)) if !mutation.deleted => put_document(tx, workspace, kind, &local_id, &name, &body)?,
                _ => delete_row(tx, workspace, Names::Documents(kind), &local_id)?,
            }
            continue;
        }
        if mutation.kind != MAPPING_KIND {
            continue;
        }
        let local_id = local_id_for(tx, workspace, &mutation.kind, &mutation.object_id)?;
        match mutation.body.as_ref().and_then(parse_mapping_body) {
            Some(body) if !mutation.deleted => put_mapping(tx, workspace, &local_id, &body)?,
            _ => delete_row(tx, workspace, Names::Mappings, &local_id)?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn account(org: &str, email: &str) -> NewSyncAccount {
        NewSyncAccount {
            server_url: "http://127.0.0.1:1".into(),
            email: email.into(),
            org_id: org.into(),
            org_name: "Acme".into(),
            keychain_account: format!("http://127.0.0.1:1 {email}"),
        }
    }

    fn remote(id: &str, rev: u64, name: &str) -> RemoteObject {
        RemoteObject {
            kind: MAPPING_KIND.into(),
            id: id.into(),
            rev,
            body: Some(json!({"name": name, "kind": "subscriptions", "header_signature": "h", "fields": {}})),
            deleted: false,
            conflict_of: None,
        }
    }

    #[test]
    fn saving_and_deleting_mappings_logs_edits_and_unsent_ones_collapse() {
        let home = tempfile::tempdir().unwrap();
        let store = Store::open(home.path()).unwrap();
        let ws = store.workspace_or_create("Acme").unwrap().id;
        store.sign_in_sync(ws, &account("o1", "a@x.io")).unwrap();
        let saved = store.save_mapping(ws, "stripe", DatasetKind::Subscriptions, "h", &json!({"a": 1})).unwrap();
        store.save_mapping(ws, "stripe", DatasetKind::Subscriptions, "h", &json!({"a": 2})).unwrap();
        let log = store.pending_mutations(ws).unwrap();
        assert_eq!(log.len(), 1, "{log:?}");
        assert_eq!(log[0].object_id, saved.id.to_string());
        assert_eq!(log[0].body.as_ref().unwrap()["fields"], json!({"a": 2}));
        // Deleting what the server never saw leaves nothing to send.
        store.delete_mapping(ws, "stripe").unwrap();
        assert_eq!(store.pending_count(ws).unwrap(), 0);
    }

    #[test]
    fn push_assigns_ids_once_and_acknowledged_edits_leave_the_log() {
        let home = tempfile::tempdir().unwrap();
        let store = Store::open(home.path()).unwrap();
        let ws = store.workspace_or_create("Acme").unwrap().id;
        store.sign_in_sync(ws, &account("o1", "a@x.io")).unwrap();
        let m = store.save_mapping(ws, "stripe", DatasetKind::Subscriptions, "h", &json!({})).unwrap();
        let batch = store.prepare_push(ws).unwrap();
        assert_eq!(batch[0].mutation_id, Some(1));
        // A retry repeats the same id; a later edit of the object gets the next one.
        store.save_mapping(ws, "stripe", DatasetKind::Subscriptions, "h2", &json!({})).unwrap();
        let batch = store.prepare_push(ws).unwrap();
        let ids: Vec<_> = batch.iter().map(|m| m.mutation_id).collect();
        assert_eq!(ids, vec![Some(1), Some(2)]);
        store.finish_push(ws, &[(1, 1)], &[], &[], 1).unwrap();
        let left = store.pending_mutations(ws).unwrap();
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].mutation_id, Some(2));
        store.finish_push(ws, &[(2, 2)], &[], &[], 2).unwrap();
        assert_eq!(store.pending_count(ws).unwrap(), 0);
        let account = store.sync_account(ws).unwrap().unwrap();
        assert_eq!((account.last_mutation_id, account.next_mutation_id), (2, 3));
        // The next edit names revision 2 as its base.
        store.delete_mapping(ws, "stripe").unwrap();
        let log = store.pending_mutations(ws).unwrap();
        assert_eq!((log[0].base_rev, log[0].deleted, log[0].object_id.clone()), (2, true, m.id.to_string()));
    }

    #[test]
    fn pulled_mappings_are_applied_and_pending_edits_replayed_on_top() {
        let home = tempfile::tempdir().unwrap();
        let store = Store::open(home.path()).unwrap();
        let ws = store.workspace_or_create("Acme").unwrap().id;
        store.sign_in_sync(ws, &account("o1", "a@x.io")).unwrap();
        let id = "0190a8a0-0000-7000-8000-00000000000a";
        store.apply_pull_page(ws, &[remote(id, 1, "shopify")], 5, 0).unwrap();
        let got = store.mapping(ws, "shopify").unwrap();
        assert_eq!(got.id.to_string(), id);
        assert_eq!(store.pending_count(ws).unwrap(), 0, "pulled changes are not edits");
        // Edit locally, then pull someone else's edit: the local edit stays on top.
        store.save_mapping(ws, "shopify", DatasetKind::Subscriptions, "mine", &json!({})).unwrap();
        assert_eq!(store.pending_mutations(ws).unwrap()[0].base_rev, 1);
        let mut theirs = remote(id, 2, "shopify");
        theirs.body.as_mut().unwrap()["header_signature"] = json!("theirs");
        store.apply_pull_page(ws, &[theirs], 6, 0).unwrap();
        assert_eq!(store.mapping(ws, "shopify").unwrap().header_signature, "mine");
        assert_eq!(store.sync_account(ws).unwrap().unwrap().cookie, 6);
        // A conflicted copy arrives under its own name; a remote delete removes.
        let mut copy = remote("conflict-0123456789abcdef0123456789abcdef", 1, "shopify");
        copy.conflict_of = Some(id.into());
        let applied = store.apply_pull_page(ws, &[copy], 7, 0).unwrap();
        assert_eq!(applied.conflicts, 1);
        let copy = store.mapping(ws, "shopify (conflict)").unwrap();
        assert_eq!(
            store.remote_id(ws, MAPPING_KIND, &copy.id.to_string()).unwrap(),
            "conflict-0123456789abcdef0123456789abcdef"
        );
        let mut gone = remote("conflict-0123456789abcdef0123456789abcdef", 2, "x");
        gone.deleted = true;
        gone.body = None;
        store.apply_pull_page(ws, &[gone], 8, 0).unwrap();
        assert!(store.mapping(ws, "shopify (conflict)").is_err());
        // Kinds this version does not sync are skipped.
        let mut unknown = remote("d1", 1, "x");
        unknown.kind = "health_alert".into();
        assert_eq!(store.apply_pull_page(ws, &[unknown], 9, 0).unwrap().skipped, 1);
    }

    #[test]
    fn signing_in_elsewhere_starts_over_and_queues_every_mapping() {
        let home = tempfile::tempdir().unwrap();
        let store = Store::open(home.path()).unwrap();
        let ws = store.workspace_or_create("Acme").unwrap().id;
        store.save_mapping(ws, "a", DatasetKind::Subscriptions, "h", &json!({})).unwrap();
        let first = store.sign_in_sync(ws, &account("o1", "a@x.io")).unwrap();
        assert_eq!(store.pending_count(ws).unwrap(), 1);
        store.prepare_push(ws).unwrap();
        store.finish_push(ws, &[(1, 1)], &[], &[], 1).unwrap();
        store.apply_pull_page(ws, &[], 3, 1).unwrap();
        // Same org, same user: the client id and the cookie stay.
        let again = store.sign_in_sync(ws, &account("o1", "A@x.io")).unwrap();
        assert_eq!((again.client_id.as_str(), again.cookie), (first.client_id.as_str(), 3));
        store.sign_out_sync(ws).unwrap();
        assert_eq!(store.sync_account(ws).unwrap().unwrap().keychain_account, None);
        // Another org: a new client, from scratch, with the local mapping queued again.
        let other = store.sign_in_sync(ws, &account("o2", "a@x.io")).unwrap();
        assert_ne!(other.client_id, first.client_id);
        assert_eq!((other.cookie, other.last_mutation_id), (0, 0));
        assert_eq!(store.pending_mutations(ws).unwrap()[0].base_rev, 0);
        // Dashboards and scenarios made before signing in are queued too.
        store.sign_out_sync(ws).unwrap();
        store.save_document(ws, DocumentKind::Scenario, None, "Plan", &json!({})).unwrap();
        store.sign_in_sync(ws, &account("o3", "a@x.io")).unwrap();
        let kinds: Vec<_> = store.pending_mutations(ws).unwrap().into_iter().map(|m| m.kind).collect();
        assert_eq!(kinds, ["mapping", "scenario"]);
    }

    fn names(store: &Store, ws: WorkspaceId) -> Vec<(String, String)> {
        store.mappings(ws).unwrap().into_iter().map(|m| (m.id.to_string(), m.name)).collect()
    }

    #[test]
    fn objects_of_one_name_get_the_same_names_in_every_order_they_arrive() {
        // Two clients made "stripe" offline, a third made "stripe" too; every store must agree.
        let (a, b, c) = (
            "0190a8a0-0000-7000-8000-0000000000aa",
            "0190a8a0-0000-7000-8000-0000000000bb",
            "0190a8a0-0000-7000-8000-0000000000cc",
        );
        let mut seen = Vec::new();
        for order in [[a, b, c], [c, b, a], [b, c, a]] {
            let home = tempfile::tempdir().unwrap();
            let store = Store::open(home.path()).unwrap();
            let ws = store.workspace_or_create("Acme").unwrap().id;
            store.sign_in_sync(ws, &account("o1", "a@x.io")).unwrap();
            for (i, id) in order.iter().enumerate() {
                store.apply_pull_page(ws, &[remote(id, 1, "stripe")], i as u64 + 1, 0).unwrap();
            }
            let mut got = names(&store, ws);
            got.sort();
            seen.push(got);
            // The holder of the plain name goes: the next in line takes it, in every store alike.
            let mut gone = remote(a, 2, "stripe");
            (gone.deleted, gone.body) = (true, None);
            store.apply_pull_page(ws, &[gone], 9, 0).unwrap();
            assert_eq!(store.mapping(ws, "stripe").unwrap().id.to_string(), b);
        }
        assert_eq!(seen[0], seen[1]);
        assert_eq!(seen[0], seen[2]);
        let expected = vec![
            (a.to_owned(), "stripe".to_owned()),
            (b.to_owned(), "stripe (0000bb)".to_owned()),
            (c.to_owned(), "stripe (0000cc)".to_owned()),
        ];
        assert_eq!(seen[0], expected);
    }

    #[test]
    fn a_local_mapping_and_a_pulled_one_of_the_same_name_settle_by_id() {
        let home = tempfile::tempdir().unwrap();
        let store = Store::open(home.path()).unwrap();
        let ws = store.workspace_or_create("Acme").unwrap().id;
        store.sign_in_sync(ws, &account("o1", "a@x.io")).unwrap();
        let mine = store.save_mapping(ws, "stripe", DatasetKind::Subscriptions, "mine", &json!({})).unwrap();
        // An older id from another client: it takes the plain name, and mine waits under its tail,
        // in the log too (the body keeps asking for "stripe").
        let theirs = "00000000-0000-7000-8000-000000000001";
        store.apply_pull_page(ws, &[remote(theirs, 1, "stripe")], 1, 0).unwrap();
        assert_eq!(store.mapping(ws, "stripe").unwrap().id.to_string(), theirs);
        let hex = mine.id.to_string().replace('-', "");
        let renamed = store.mapping(ws, &format!("stripe ({})", &hex[hex.len() - 6..])).unwrap();
        assert_eq!((renamed.id, renamed.header_signature.as_str()), (mine.id, "mine"));
        assert_eq!(store.pending_mutations(ws).unwrap()[0].body.as_ref().unwrap()["name"], "stripe");
        // Deleting theirs here gives mine the name back.
        store.delete_mapping(ws, "stripe").unwrap();
        assert_eq!(store.mapping(ws, "stripe").unwrap().id, mine.id);
    }

    #[test]
    fn an_edited_conflicted_copy_keeps_its_name() {
        let home = tempfile::tempdir().unwrap();
        let store = Store::open(home.path()).unwrap();
        let ws = store.workspace_or_create("Acme").unwrap().id;
        store.sign_in_sync(ws, &account("o1", "a@x.io")).unwrap();
        let id = "conflict-0123456789abcdef0123456789abcdef";
        let mut copy = remote(id, 1, "stripe");
        copy.conflict_of = Some("0190a8a0-0000-7000-8000-00000000000a".into());
        store.apply_pull_page(ws, &[copy.clone()], 1, 0).unwrap();
        // Someone saved over the copy: its body now says "stripe (conflict)" itself.
        copy.rev = 2;
        copy.body.as_mut().unwrap()["name"] = json!("stripe (conflict)");
        store.apply_pull_page(ws, &[copy], 2, 0).unwrap();
        let names: Vec<String> = store.mappings(ws).unwrap().into_iter().map(|m| m.name).collect();
        assert_eq!(names, ["stripe (conflict)"]);
    }

    #[test]
    fn a_deletion_after_a_push_whose_answer_was_lost_still_reaches_the_server() {
        let home = tempfile::tempdir().unwrap();
        let store = Store::open(home.path()).unwrap();
        let ws = store.workspace_or_create("Acme").unwrap().id;
        store.sign_in_sync(ws, &account("o1", "a@x.io")).unwrap();
        store.save_mapping(ws, "stripe", DatasetKind::Subscriptions, "h", &json!({})).unwrap();
        store.prepare_push(ws).unwrap();
        // The server applied mutation 1 but its answer was lost; the retry answers
        // already_applied, which says nothing of the outcome.
        store.finish_push(ws, &[], &[], &[], 1).unwrap();
        assert_eq!(store.pending_count(ws).unwrap(), 0);
        assert_eq!(store.sync_account(ws).unwrap().unwrap().resync, 1, "the next pull reads from 0");
        // Deleted before any pull: the server has the mapping, so the deletion must go out.
        store.delete_mapping(ws, "stripe").unwrap();
        let log = store.pending_mutations(ws).unwrap();
        assert_eq!(log.len(), 1, "the deletion is logged");
        assert!(log[0].deleted);
    }

    #[test]
    fn an_edit_acknowledged_without_its_answer_is_repaired_by_a_pull_from_zero() {
        let home = tempfile::tempdir().unwrap();
        let store = Store::open(home.path()).unwrap();
        let ws = store.workspace_or_create("Acme").unwrap().id;
        store.sign_in_sync(ws, &account("o1", "a@x.io")).unwrap();
        let id = "0190a8a0-0000-7000-8000-00000000000a";
        store.apply_pull_page(ws, &[remote(id, 1, "stripe")], 1, 0).unwrap();
        store.save_mapping(ws, "stripe", DatasetKind::Subscriptions, "mine", &json!({})).unwrap();
        // Another client's edit arrives before the push: the pending edit stays on top.
        let mut theirs = remote(id, 2, "stripe");
        theirs.body.as_mut().unwrap()["header_signature"] = json!("theirs");
        store.apply_pull_page(ws, &[theirs.clone()], 5, 0).unwrap();
        store.prepare_push(ws).unwrap();
        // The server kept the edit as a conflicted copy; that answer was lost, and a pull
        // acknowledged it. The pull from the cookie brings only the copy, not the object.
        let mut copy = remote("conflict-0123456789abcdef0123456789abcdef", 1, "stripe");
        copy.body.as_mut().unwrap()["header_signature"] = json!("mine");
        copy.conflict_of = Some(id.into());
        store.apply_pull_page(ws, &[copy.clone()], 6, 1).unwrap();
        let account = store.sync_account(ws).unwrap().unwrap();
        assert_eq!(account.resync, 1);
        // The pass from 0 brings the object as the server has it; the cookie stays where it was.
        store.apply_pull_page(ws, &[theirs, copy], 6, 1).unwrap();
        assert_eq!(store.mapping(ws, "stripe").unwrap().header_signature, "theirs");
        assert_eq!(store.mapping(ws, "stripe (conflict)").unwrap().header_signature, "mine");
        assert!(store.finish_resync(ws, 1).unwrap());
        assert!(!store.finish_resync(ws, 1).unwrap(), "cleared once");
        let account = store.sync_account(ws).unwrap().unwrap();
        assert_eq!((account.resync, account.cookie), (0, 6));
    }

    #[test]
    fn an_edit_over_a_waiting_one_keeps_its_base_when_a_pull_moved_the_object_on() {
        // Found by the convergence test: the second edit named the pulled revision as its base,
        // so the server applied it over another client's edit this client never saw.
        let home = tempfile::tempdir().unwrap();
        let store = Store::open(home.path()).unwrap();
        let ws = store.workspace_or_create("Acme").unwrap().id;
        store.sign_in_sync(ws, &account("o1", "a@x.io")).unwrap();
        let id = "0190a8a0-0000-7000-8000-00000000000a";
        let theirs = |rev: u64, signature: &str| {
            let mut object = remote(id, rev, "stripe");
            object.body.as_mut().unwrap()["header_signature"] = json!(signature);
            object
        };
        store.apply_pull_page(ws, &[theirs(1, "base")], 1, 0).unwrap();
        // Unsent: the next edit supersedes it and keeps its base.
        store.save_mapping(ws, "stripe", DatasetKind::Subscriptions, "mine-1", &json!({})).unwrap();
        store.apply_pull_page(ws, &[theirs(2, "theirs")], 2, 0).unwrap();
        assert_eq!(store.mapping(ws, "stripe").unwrap().header_signature, "mine-1", "replayed on top");
        store.save_mapping(ws, "stripe", DatasetKind::Subscriptions, "mine-2", &json!({})).unwrap();
        let log = store.pending_mutations(ws).unwrap();
        assert_eq!((log.len(), log[0].base_rev), (1, 1), "{log:?}");
        // Sent but not acknowledged: the next edit is a second entry on the same base.
        store.prepare_push(ws).unwrap();
        store.apply_pull_page(ws, &[theirs(3, "theirs-2")], 3, 0).unwrap();
        store.save_mapping(ws, "stripe", DatasetKind::Subscriptions, "mine-3", &json!({})).unwrap();
        let bases: Vec<u64> = store.pending_mutations(ws).unwrap().iter().map(|m| m.base_rev).collect();
        assert_eq!(bases, [1, 1]);
        // Once nothing waits (both answered as conflicts), the next edit builds on the server's.
        store.prepare_push(ws).unwrap();
        store.finish_push(ws, &[], &[1, 2], &[theirs(3, "theirs-2")], 2).unwrap();
        assert_eq!(store.pending_count(ws).unwrap(), 0);
        store.save_mapping(ws, "stripe", DatasetKind::Subscriptions, "mine-4", &json!({})).unwrap();
        assert_eq!(store.pending_mutations(ws).unwrap()[0].base_rev, 3);
    }
}
