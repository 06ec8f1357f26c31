use revlens_model::WorkspaceId;
use rusqlite::{params, OptionalExtension, Row};
use serde::Serialize;

use crate::{time, Result, Store, StoreError};

/// The workspace that exists from the first start.
pub const DEFAULT_WORKSPACE: &str = "Default";

/// One company or client, with its own datasets, periods and mappings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Workspace {
    pub id: WorkspaceId,
    pub name: String,
    pub created_at: String,
    pub updated_at: String,
}

impl Workspace {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: crate::datasets::parse_id(row, 0)?,
            name: row.get(1)?,
            created_at: row.get(2)?,
            updated_at: row.get(3)?,
        })
    }
}

const COLUMNS: &str = "id, name, created_at, updated_at";

impl Store {
    pub fn create_workspace(&self, name: &str) -> Result<Workspace> {
        let name = validate_name(name)?;
        if self.find_workspace(name)?.is_some() {
            return Err(StoreError::Conflict(format!("a workspace named '{name}' already exists")));
        }
        let now = time::now();
        let workspace =
            Workspace { id: WorkspaceId::new(), name: name.to_owned(), created_at: now.clone(), updated_at: now };
        self.conn.execute(
            "INSERT INTO workspaces (id, name, created_at, updated_at) VALUES (?1, ?2, ?3, ?4)",
            params![workspace.id.to_string(), workspace.name, workspace.created_at, workspace.updated_at],
        )?;
        Ok(workspace)
    }

    pub fn workspaces(&self) -> Result<Vec<Workspace>> {
        let mut stmt = self.conn.prepare(&format!("SELECT {COLUMNS} FROM workspaces ORDER BY name"))?;
        let rows = stmt.query_map([], Workspace::from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn workspace_by_id(&self, id: WorkspaceId) -> Result<Workspace> {
        self.conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM workspaces WHERE id = ?1"),
                [id.to_string()],
                Workspace::from_row,
            )
            .optional()?
            .ok_or_else(|| StoreError::NotFound { what: "workspace", key: id.to_string() })
    }

    /// A workspace by name (case-insensitive).
    pub fn find_workspace(&self, name: &str) -> Result<Option<Workspace>> {
        Ok(self
            .conn
            .query_row(&format!("SELECT {COLUMNS} FROM workspaces WHERE name = ?1"), [name.trim()], Workspace::from_row)
            .optional()?)
    }

    pub fn workspace(&self, name: &str) -> Result<Workspace> {
        self.find_workspace(name)?.ok_or_else(|| StoreError::NotFound { what: "workspace", key: name.to_owned() })
    }

    /// The named workspace, created if missing (used for the default one).
    pub fn workspace_or_create(&self, name: &str) -> Result<Workspace> {
        match self.find_workspace(name)? {
            Some(workspace) => Ok(workspace),
            None => self.create_workspace(name),
        }
    }

    pub fn rename_workspace(&self, id: WorkspaceId, new_name: &str) -> Result<()> {
        let new_name = validate_name(new_name)?;
        if let Some(other) = self.find_workspace(new_name)? {
            if other.id != id {
                return Err(StoreError::Conflict(format!("a workspace named '{new_name}' already exists")));
            }
        }
        let changed = self.conn.execute(
            "UPDATE workspaces SET name = ?2, updated_at = ?3 WHERE id = ?1",
            params![id.to_string(), new_name, time::now()],
        )?;
        if changed == 0 {
            return Err(StoreError::NotFound { what: "workspace", key: id.to_string() });
        }
        Ok(())
    }

    /// Deletes a workspace with everything in it, files included.
    pub fn delete_workspace(&self, id: WorkspaceId) -> Result<()> {
        let changed = self.conn.execute("DELETE FROM workspaces WHERE id = ?1", [id.to_string()])?;
        if changed == 0 {
            return Err(StoreError::NotFound { what: "workspace", key: id.to_string() });
        }
        self.remove_unreferenced_files()
    }
}

pub(crate) fn validate_name(name: &str) -> Result<&str> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(StoreError::Conflict("a name must have 1 to 200 characters".into()));
    }
    Ok(name)
}
