use revlens_model::{DatasetKind, MappingId, WorkspaceId};
use rusqlite::{params, OptionalExtension, Row};
use serde::Serialize;

use crate::datasets::parse_id;
use crate::names::{asked_name, Names};
use crate::sync::{mapping_body, MAPPING_KIND};
use crate::{time, Result, Store, StoreError};

/// A column mapping saved by name, found again by the header row it was made for.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SavedMapping {
    pub id: MappingId,
    pub name: String,
    pub kind: DatasetKind,
    pub header_signature: String,
    /// The importer's mapping, as JSON.
    pub fields: serde_json::Value,
    pub created_at: String,
    pub updated_at: String,
}

const COLUMNS: &str = "id, name, kind, header_signature, fields, created_at, updated_at";

fn from_row(row: &Row<'_>) -> rusqlite::Result<SavedMapping> {
    let kind: String = row.get(2)?;
    let fields: String = row.get(4)?;
    let bad = |index: usize, e: Box<dyn std::error::Error + Send + Sync>| {
        rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, e)
    };
    Ok(SavedMapping {
        id: parse_id(row, 0)?,
        name: row.get(1)?,
        kind: kind.parse().map_err(|e| bad(2, Box::new(e)))?,
        header_signature: row.get(3)?,
        fields: serde_json::from_str(&fields).map_err(|e| bad(4, Box::new(e)))?,
        created_at: row.get(5)?,
        updated_at: row.get(6)?,
    })
}

impl Store {
    /// Saves a mapping under a name, replacing one of the same name (keeping its id). The
    /// change is logged for sync in the same transaction.
    pub fn save_mapping(
        &self,
        workspace: WorkspaceId,
        name: &str,
        kind: DatasetKind,
        header_signature: &str,
        fields: &serde_json::Value,
    ) -> Result<SavedMapping> {
        let name = crate::workspaces::validate_name(name)?;
        let now = time::now();
        let tx = self.conn.unchecked_transaction()?;
        tx.execute(
            "INSERT INTO column_mappings (id, workspace_id, name, kind, header_signature, fields, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7) \
             ON CONFLICT (workspace_id, name) DO UPDATE SET kind = excluded.kind, \
             header_signature = excluded.header_signature, fields = excluded.fields, updated_at = excluded.updated_at",
            params![
                MappingId::new().to_string(),
                workspace.to_string(),
                name,
                kind.as_str(),
                header_signature,
                fields.to_string(),
                now
            ],
        )?;
        let saved = self.mapping(workspace, name)?;
        crate::sync::enqueue(&tx, workspace, MAPPING_KIND, &saved.id.to_string(), Some(mapping_body(&saved)))?;
        tx.commit()?;
        Ok(saved)
    }

    pub fn mappings(&self, workspace: WorkspaceId) -> Result<Vec<SavedMapping>> {
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT {COLUMNS} FROM column_mappings WHERE workspace_id = ?1 ORDER BY name"))?;
        let rows = stmt.query_map([workspace.to_string()], from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn mapping(&self, workspace: WorkspaceId, name: &str) -> Result<SavedMapping> {
        self.conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM column_mappings WHERE workspace_id = ?1 AND name = ?2"),
                params![workspace.to_string(), name.trim()],
                from_row,
            )
            .optional()?
            .ok_or_else(|| StoreError::NotFound { what: "mapping", key: name.to_owned() })
    }

    /// The most recently saved mapping for this kind and header row, if any.
    pub fn mapping_for_headers(
        &self,
        workspace: WorkspaceId,
        kind: DatasetKind,
        header_signature: &str,
    ) -> Result<Option<SavedMapping>> {
        Ok(self
            .conn
            .query_row(
                &format!(
                    "SELECT {COLUMNS} FROM column_mappings WHERE workspace_id = ?1 AND kind = ?2 \
                     AND header_signature = ?3 ORDER BY updated_at DESC, id DESC LIMIT 1"
                ),
                params![workspace.to_string(), kind.as_str(), header_signature],
                from_row,
            )
            .optional()?)
    }

    /// Deletes a mapping; the deletion syncs like any other edit.
    pub fn delete_mapping(&self, workspace: WorkspaceId, name: &str) -> Result<()> {
        let tx = self.conn.unchecked_transaction()?;
        let id: Option<String> = tx
            .query_row(
                "DELETE FROM column_mappings WHERE workspace_id = ?1 AND name = ?2 RETURNING id",
                params![workspace.to_string(), name.trim()],
                |row| row.get(0),
            )
            .optional()?;
        let Some(id) = id else {
            return Err(StoreError::NotFound { what: "mapping", key: name.to_owned() });
        };
        // A mapping of the same name from another client, waiting under a suffix, takes it.
        Names::Mappings.settle(&tx, workspace, asked_name(name.trim(), &id), None)?;
        crate::sync::enqueue(&tx, workspace, MAPPING_KIND, &id, None)?;
        tx.commit()?;
        Ok(())
    }
}
