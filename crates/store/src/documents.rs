//! Saved dashboards and scenarios: named JSON documents of a workspace, queued for sync
//! in the same transaction as every edit.

use std::fmt;

use revlens_model::{DocumentId, WorkspaceId};
use rusqlite::{params, OptionalExtension, Row};
use serde::Serialize;
use serde_json::{json, Value};

use crate::datasets::parse_id;
use crate::names::{asked_name, Names};
use crate::{time, Result, Store, StoreError};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    Dashboard,
    Scenario,
    /// A dashboard layout the team starts new dashboards from.
    Template,
}

impl DocumentKind {
    pub const ALL: [DocumentKind; 3] = [DocumentKind::Dashboard, DocumentKind::Scenario, DocumentKind::Template];

    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::Dashboard => "dashboard",
            DocumentKind::Scenario => "scenario",
            DocumentKind::Template => "template",
        }
    }
}

impl fmt::Display for DocumentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Document {
    pub id: DocumentId,
    pub kind: DocumentKind,
    pub name: String,
    pub body: Value,
    pub created_at: String,
    pub updated_at: String,
}

const COLUMNS: &str = "id, kind, name, body, created_at, updated_at";

fn from_row(kind: DocumentKind) -> impl Fn(&Row<'_>) -> rusqlite::Result<Document> {
    move |row| {
        let body: String = row.get(3)?;
        Ok(Document {
            id: parse_id(row, 0)?,
            kind,
            name: row.get(2)?,
            body: serde_json::from_str(&body)
                .map_err(|e| rusqlite::Error::FromSqlConversionFailure(3, rusqlite::types::Type::Text, Box::new(e)))?,
            created_at: row.get(4)?,
            updated_at: row.get(5)?,
        })
    }
}

/// The JSON body a document syncs as.
pub(crate) fn sync_body(document: &Document) -> Value {
    json!({ "name": document.name, "body": document.body })
}

impl Store {
    /// Saves a document: a new one without `id`, else an update of that one. Names are
    /// unique per workspace and kind; saving another document under a taken name is a
    /// conflict, never a silent overwrite.
    pub fn save_document(
        &self,
        workspace: WorkspaceId,
        kind: DocumentKind,
        id: Option<DocumentId>,
        name: &str,
        body: &Value,
    ) -> Result<Document> {
        let name = crate::workspaces::validate_name(name)?;
        let tx = self.conn.unchecked_transaction()?;
        let taken: Option<String> = tx
            .query_row(
                "SELECT id FROM documents WHERE workspace_id = ?1 AND kind = ?2 AND name = ?3",
                params![workspace.to_string(), kind.as_str(), name],
                |row| row.get(0),
            )
            .optional()?;
        let id = id.unwrap_or_default();
        if taken.as_deref().is_some_and(|taken| taken != id.to_string()) {
            return Err(StoreError::Conflict(format!("a {kind} named '{name}' already exists")));
        }
        let now = time::now();
        let old_name: Option<String> = tx
            .query_row(
                "SELECT name FROM documents WHERE workspace_id = ?1 AND kind = ?2 AND id = ?3",
                params![workspace.to_string(), kind.as_str(), id.to_string()],
                |row| row.get(0),
            )
            .optional()?;
        let changed = tx.execute(
            "INSERT INTO documents (id, workspace_id, kind, name, body, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) \
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, body = excluded.body, updated_at = excluded.updated_at \
             WHERE documents.workspace_id = excluded.workspace_id AND documents.kind = excluded.kind",
            params![id.to_string(), workspace.to_string(), kind.as_str(), name, body.to_string(), now],
        )?;
        if changed == 0 {
            return Err(StoreError::NotFound { what: "document", key: id.to_string() });
        }
        // A rename frees the old name for a document of another client waiting under a suffix.
        if let Some(old) = old_name.as_deref().map(|old| asked_name(old, &id.to_string()).to_owned()) {
            if old != asked_name(name, &id.to_string()) {
                Names::Documents(kind).settle(&tx, workspace, &old, None)?;
            }
        }
        let saved =
            tx.query_row(&format!("SELECT {COLUMNS} FROM documents WHERE id = ?1"), [id.to_string()], from_row(kind))?;
        crate::sync::enqueue(&tx, workspace, kind.as_str(), &id.to_string(), Some(sync_body(&saved)))?;
        tx.commit()?;
        Ok(saved)
    }

    /// The workspace's documents of a kind, by name.
    pub fn documents(&self, workspace: WorkspaceId, kind: DocumentKind) -> Result<Vec<Document>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {COLUMNS} FROM documents WHERE workspace_id = ?1 AND kind = ?2 ORDER BY name COLLATE NOCASE, id"
        ))?;
        let rows = stmt.query_map(params![workspace.to_string(), kind.as_str()], from_row(kind))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn document(&self, workspace: WorkspaceId, kind: DocumentKind, id: DocumentId) -> Result<Document> {
        self.conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM documents WHERE workspace_id = ?1 AND kind = ?2 AND id = ?3"),
                params![workspace.to_string(), kind.as_str(), id.to_string()],
                from_row(kind),
            )
            .optional()?
            .ok_or_else(|| StoreError::NotFound { what: kind.as_str(), key: id.to_string() })
    }

    /// Deletes a document; the deletion syncs like any other edit.
    pub fn delete_document(&self, workspace: WorkspaceId, kind: DocumentKind, id: DocumentId) -> Result<()> {
        let tx = self.conn.unchecked_transaction()?;
        let name: Option<String> = tx
            .query_row(
                "DELETE FROM documents WHERE workspace_id = ?1 AND kind = ?2 AND id = ?3 RETURNING name",
                params![workspace.to_string(), kind.as_str(), id.to_string()],
                |row| row.get(0),
            )
            .optional()?;
        let Some(name) = name else {
            return Err(StoreError::NotFound { what: kind.as_str(), key: id.to_string() });
        };
        Names::Documents(kind).settle(&tx, workspace, asked_name(&name, &id.to_string()), None)?;
        crate::sync::enqueue(&tx, workspace, kind.as_str(), &id.to_string(), None)?;
        tx.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn saves_updates_lists_and_deletes_documents_and_queues_each_edit() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let ws = store.create_workspace("Acme").unwrap().id;
        let cfo =
            store.save_document(ws, DocumentKind::Dashboard, None, "CFO view", &json!({"tiles": ["arr"]})).unwrap();
        store.save_document(ws, DocumentKind::Scenario, None, "CFO view", &json!({})).unwrap();
        // Another dashboard may not take the name; the same one may be renamed and edited.
        let clash = store.save_document(ws, DocumentKind::Dashboard, None, "cfo view ", &json!({}));
        assert!(clash.is_ok(), "names compare exactly after trimming: 'cfo view' is another name");
        let err = store.save_document(ws, DocumentKind::Dashboard, None, "CFO view", &json!({})).unwrap_err();
        assert!(err.to_string().contains("already exists"), "{err}");
        let edited = store
            .save_document(ws, DocumentKind::Dashboard, Some(cfo.id), "Board", &json!({"tiles": ["mrr"]}))
            .unwrap();
        assert_eq!(edited.id, cfo.id);
        assert_eq!(edited.created_at, cfo.created_at);
        let names: Vec<_> = store.documents(ws, DocumentKind::Dashboard).unwrap().into_iter().map(|d| d.name).collect();
        assert_eq!(names, ["Board", "cfo view"]);
        assert_eq!(store.document(ws, DocumentKind::Dashboard, cfo.id).unwrap().body, json!({"tiles": ["mrr"]}));
        // A scenario id is not a dashboard id.
        assert!(store.document(ws, DocumentKind::Scenario, cfo.id).is_err());
        store.delete_document(ws, DocumentKind::Dashboard, cfo.id).unwrap();
        assert!(store.delete_document(ws, DocumentKind::Dashboard, cfo.id).is_err());
        // Unsent edits coalesce per object, and a never-sent document deleted leaves nothing.
        let queued: Vec<_> = store.pending_mutations(ws).unwrap().into_iter().map(|m| (m.kind, m.deleted)).collect();
        assert_eq!(queued, [("scenario".to_string(), false), ("dashboard".to_string(), false)]);
    }

    #[test]
    fn pulled_dashboards_and_scenarios_are_applied_and_conflicts_keep_both() {
        use crate::{NewSyncAccount, RemoteObject};
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let ws = store.create_workspace("Acme").unwrap().id;
        let account = NewSyncAccount {
            server_url: "http://127.0.0.1:1".into(),
            email: "a@x.io".into(),
            org_id: "o1".into(),
            org_name: "Acme".into(),
            keychain_account: "k".into(),
        };
        store.sign_in_sync(ws, &account).unwrap();
        let remote = |id: &str, kind: &str, rev, name: &str, conflict: bool| RemoteObject {
            kind: kind.into(),
            id: id.into(),
            rev,
            body: Some(json!({"name": name, "body": {"tiles": ["arr"]}})),
            deleted: false,
            conflict_of: conflict.then(|| id.to_string()),
        };
        let (id, plan) = (DocumentId::new().to_string(), DocumentId::new().to_string());
        let applied = store
            .apply_pull_page(
                ws,
                &[remote(&id, "dashboard", 1, "Board", false), remote(&plan, "scenario", 1, "Plan", false)],
                2,
                0,
            )
            .unwrap();
        assert_eq!(applied.updated, 2);
        let board = &store.documents(ws, DocumentKind::Dashboard).unwrap()[0];
        assert_eq!(
            (board.id.to_string(), board.name.as_str(), &board.body),
            (id.clone(), "Board", &json!({"tiles": ["arr"]}))
        );
        assert_eq!(store.documents(ws, DocumentKind::Scenario).unwrap()[0].name, "Plan");

        // A local edit not yet pushed survives a pull of an older server version (replayed on top).
        store
            .save_document(ws, DocumentKind::Dashboard, Some(board.id), "Board v2", &json!({"tiles": ["mrr"]}))
            .unwrap();
        store.apply_pull_page(ws, &[remote(&id, "dashboard", 2, "Board", false)], 3, 0).unwrap();
        assert_eq!(store.document(ws, DocumentKind::Dashboard, board.id).unwrap().name, "Board v2");

        // A conflicted copy from the server arrives beside the local one.
        let copy = format!("conflict-{}", uuid::Uuid::now_v7().simple());
        let applied = store.apply_pull_page(ws, &[remote(&copy, "dashboard", 1, "Board", true)], 4, 0).unwrap();
        assert_eq!(applied.conflicts, 1);
        let names: Vec<_> = store.documents(ws, DocumentKind::Dashboard).unwrap().into_iter().map(|d| d.name).collect();
        assert_eq!(names, ["Board (conflict)", "Board v2"]);

        // A deletion on the server removes it here.
        let gone = RemoteObject { deleted: true, body: None, ..remote(&plan, "scenario", 3, "", false) };
        assert_eq!(store.apply_pull_page(ws, &[gone], 5, 0).unwrap().deleted, 1);
        assert!(store.documents(ws, DocumentKind::Scenario).unwrap().is_empty());
    }
}
