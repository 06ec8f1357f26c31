use chrono::NaiveDate;
use revlens_model::{PeriodId, VersionId, WorkspaceId};
use rusqlite::{params, OptionalExtension, Row};
use serde::Serialize;

use crate::datasets::parse_id;
use crate::{time, Result, Store, StoreError};

/// A named reporting cycle (C1, C2 … or 2025-Q1), optionally with its dates.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReportingPeriod {
    pub id: PeriodId,
    pub name: String,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub created_at: String,
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<ReportingPeriod> {
    Ok(ReportingPeriod {
        id: parse_id(row, 0)?,
        name: row.get(1)?,
        starts_on: row.get(2)?,
        ends_on: row.get(3)?,
        created_at: row.get(4)?,
    })
}

const COLUMNS: &str = "id, name, starts_on, ends_on, created_at";

impl Store {
    pub fn create_period(
        &self,
        workspace: WorkspaceId,
        name: &str,
        starts_on: Option<NaiveDate>,
        ends_on: Option<NaiveDate>,
    ) -> Result<ReportingPeriod> {
        let name = crate::workspaces::validate_name(name)?;
        if let (Some(start), Some(end)) = (starts_on, ends_on) {
            if start > end {
                return Err(StoreError::Conflict(format!(
                    "period '{name}' would end ({end}) before it starts ({start})"
                )));
            }
        }
        if self.find_period(workspace, name)?.is_some() {
            return Err(StoreError::Conflict(format!("a period named '{name}' already exists")));
        }
        let id = PeriodId::new();
        self.conn.execute(
            "INSERT INTO reporting_periods (id, workspace_id, name, starts_on, ends_on, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![id.to_string(), workspace.to_string(), name, starts_on, ends_on, time::now()],
        )?;
        self.period(workspace, name)
    }

    pub fn periods(&self, workspace: WorkspaceId) -> Result<Vec<ReportingPeriod>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {COLUMNS} FROM reporting_periods WHERE workspace_id = ?1 ORDER BY starts_on, name"
        ))?;
        let rows = stmt.query_map([workspace.to_string()], from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn find_period(&self, workspace: WorkspaceId, name: &str) -> Result<Option<ReportingPeriod>> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM reporting_periods WHERE workspace_id = ?1 AND name = ?2"),
                params![workspace.to_string(), name.trim()],
                from_row,
            )
            .optional()?)
    }

    pub fn period(&self, workspace: WorkspaceId, name: &str) -> Result<ReportingPeriod> {
        self.find_period(workspace, name)?.ok_or_else(|| StoreError::NotFound { what: "period", key: name.to_owned() })
    }

    /// Pins a dataset version to a period, or unpins it with `None`.
    pub fn pin_version(&self, version: VersionId, period: Option<PeriodId>) -> Result<()> {
        let changed = self.conn.execute(
            "UPDATE dataset_versions SET period_id = ?2 WHERE id = ?1",
            params![version.to_string(), period.map(|p| p.to_string())],
        )?;
        if changed == 0 {
            return Err(StoreError::NotFound { what: "dataset version", key: version.to_string() });
        }
        Ok(())
    }

    /// Deletes a period; versions pinned to it become unpinned.
    pub fn delete_period(&self, workspace: WorkspaceId, name: &str) -> Result<()> {
        let changed = self.conn.execute(
            "DELETE FROM reporting_periods WHERE workspace_id = ?1 AND name = ?2",
            params![workspace.to_string(), name.trim()],
        )?;
        if changed == 0 {
            return Err(StoreError::NotFound { what: "period", key: name.to_owned() });
        }
        Ok(())
    }
}
