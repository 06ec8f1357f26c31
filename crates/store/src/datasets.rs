use std::fs::{self, File};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{Duration, SystemTime};

use revlens_model::{DatasetId, DatasetKind, PeriodId, VersionId, WorkspaceId};
use rusqlite::{params, OptionalExtension, Row, Transaction};
use serde::{Deserialize, Serialize};

use crate::{time, Layout, Result, Store, StoreError};

/// A dataset and its versions, oldest first.
#[derive(Clone, Debug, Serialize)]
pub struct Dataset {
    pub id: DatasetId,
    pub workspace_id: WorkspaceId,
    pub name: String,
    pub kind: DatasetKind,
    pub created_at: String,
    pub updated_at: String,
    pub versions: Vec<DatasetVersion>,
}

impl Dataset {
    pub fn latest(&self) -> Option<&DatasetVersion> {
        self.versions.last()
    }
}

/// One import of a dataset. Format, mapping and columns are kept as the importer
/// described them (JSON), so the store does not depend on the importer's types.
#[derive(Clone, Debug, Serialize)]
pub struct DatasetVersion {
    pub id: VersionId,
    pub dataset_id: DatasetId,
    pub version: u32,
    pub source_name: String,
    pub source_sha256: String,
    pub source_format: serde_json::Value,
    pub header_line: u64,
    pub mapping: serde_json::Value,
    pub columns: serde_json::Value,
    pub rows: u64,
    pub skipped: u64,
    pub warnings: Vec<String>,
    pub imported_at: String,
    pub period: Option<String>,
}

/// A row an import left out, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedRow {
    pub line: u64,
    pub column: Option<String>,
    pub value: Option<String>,
    pub expected: String,
}

/// What an import adds, besides the files in its [`Staging`].
#[derive(Clone, Debug)]
pub struct NewVersion {
    pub workspace_id: WorkspaceId,
    pub name: String,
    pub kind: DatasetKind,
    pub source_name: String,
    pub source_sha256: String,
    pub source_size: u64,
    pub source_format: serde_json::Value,
    pub header_line: u64,
    pub mapping: serde_json::Value,
    pub columns: serde_json::Value,
    pub rows: u64,
    pub skipped: u64,
    pub warnings: Vec<String>,
    pub period_id: Option<PeriodId>,
}

/// The files of an import in progress, in a folder of their own under `staging/`.
/// Dropped without [`Store::commit_import`], the folder and everything in it go away,
/// so a failed or cancelled import leaves nothing behind.
pub struct Staging {
    dir: PathBuf,
    version_id: VersionId,
    skipped: Option<BufWriter<File>>,
}

impl Staging {
    pub fn version_id(&self) -> VersionId {
        self.version_id
    }

    /// Where the importer copies the original file.
    pub fn original_path(&self) -> PathBuf {
        self.dir.join("original")
    }

    /// Where the importer writes the canonical table.
    pub fn table_path(&self) -> PathBuf {
        self.dir.join("table.parquet")
    }

    fn skipped_path(&self) -> PathBuf {
        self.dir.join("skipped.jsonl")
    }

    /// Flushes the skipped rows recorded so far, before the commit reads them.
    pub(crate) fn finish_writing(&mut self) -> Result<()> {
        if let Some(mut writer) = self.skipped.take() {
            let path = self.skipped_path();
            writer.flush().map_err(StoreError::io_at(&path))?;
        }
        Ok(())
    }

    /// Records a skipped row; kept on disk so memory stays bounded.
    pub fn record_skipped(&mut self, row: &SkippedRow) -> Result<()> {
        let path = self.skipped_path();
        if self.skipped.is_none() {
            let file = File::create(&path).map_err(StoreError::io_at(&path))?;
            self.skipped = Some(BufWriter::new(file));
        }
        if let Some(writer) = self.skipped.as_mut() {
            serde_json::to_writer(&mut *writer, row)
                .map_err(|e| StoreError::Corrupt { what: "skipped row", detail: e.to_string() })?;
            writer.write_all(b"\n").map_err(StoreError::io_at(&path))?;
        }
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        self.skipped.take();
        // Best effort: whatever is left is swept at the next start.
        let _ = fs::remove_dir_all(&self.dir);
    }
}

const VERSION_COLUMNS: &str = "v.id, v.dataset_id, v.version, v.source_name, v.source_sha256, v.source_format, \
     v.header_line, v.mapping, v.columns, v.row_count, v.skipped_count, v.warnings, v.imported_at, p.name";

const DATASET_COLUMNS: &str = "id, workspace_id, name, kind, created_at, updated_at";

/// Files that were moved into place by a commit whose transaction has not finished;
/// removed again if it fails.
#[derive(Default)]
pub(crate) struct PlacedFiles(Vec<PathBuf>);

impl PlacedFiles {
    pub(crate) fn undo(self) {
        for path in self.0 {
            let _ = fs::remove_file(path);
        }
    }
}

impl Store {
    /// Starts an import: a fresh staging folder and the id its version will have.
    pub fn begin_import(&self) -> Result<Staging> {
        self.begin_import_as(VersionId::new())
    }

    /// Starts an import whose version gets `version_id` (a synced version keeps its id).
    pub(crate) fn begin_import_as(&self, version_id: VersionId) -> Result<Staging> {
        let dir = self.layout.staging().join(version_id.to_string());
        fs::create_dir_all(&dir).map_err(StoreError::io_at(&dir))?;
        Ok(Staging { dir, version_id, skipped: None })
    }

    /// Makes a staged import visible, atomically: the files move into place and the
    /// metadata is written in one transaction; on any failure both are undone.
    pub fn commit_import(&mut self, mut staging: Staging, new: &NewVersion) -> Result<DatasetVersion> {
        staging.finish_writing()?;
        let mut placed = PlacedFiles::default();
        let layout = self.layout.clone();
        let result = (|| -> Result<VersionId> {
            let tx = self.conn.transaction()?;
            let (dataset_id, version_id) = insert_version(&tx, &staging, new)?;
            place_files(&layout, &staging, &new.source_sha256, &mut placed)?;
            crate::dataset_sync::enqueue_dataset(&tx, new.workspace_id, &dataset_id)?;
            tx.commit()?;
            Ok(version_id)
        })();
        match result {
            Ok(version_id) => self.version(version_id),
            Err(error) => {
                placed.undo();
                Err(error)
            }
        }
    }

    pub fn datasets(&self, workspace: WorkspaceId) -> Result<Vec<Dataset>> {
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT {DATASET_COLUMNS} FROM datasets WHERE workspace_id = ?1 ORDER BY name, kind"))?;
        let heads = stmt.query_map([workspace.to_string()], dataset_head)?.collect::<rusqlite::Result<Vec<_>>>()?;
        heads.into_iter().map(|head| self.with_versions(head)).collect()
    }

    pub fn dataset(&self, id: DatasetId) -> Result<Dataset> {
        let head = self
            .conn
            .query_row(&format!("SELECT {DATASET_COLUMNS} FROM datasets WHERE id = ?1"), [id.to_string()], dataset_head)
            .optional()?
            .ok_or_else(|| StoreError::NotFound { what: "dataset", key: id.to_string() })?;
        self.with_versions(head)
    }

    /// Finds a dataset of a workspace by its id, a unique prefix of it, or its name.
    pub fn resolve_dataset(&self, workspace: WorkspaceId, key: &str) -> Result<Dataset> {
        let key = key.trim();
        if let Ok(id) = DatasetId::from_str(key) {
            return self.dataset(id);
        }
        let mut stmt = self.conn.prepare(
            "SELECT id FROM datasets WHERE workspace_id = ?1 AND (name = ?2 OR (length(?2) >= 4 AND id LIKE ?2 || '%'))",
        )?;
        let ids: Vec<String> =
            stmt.query_map(params![workspace.to_string(), key], |row| row.get(0))?.collect::<rusqlite::Result<_>>()?;
        match ids.as_slice() {
            [] => Err(StoreError::NotFound { what: "dataset", key: key.to_owned() }),
            [id] => self.dataset(parse_text_id(id)?),
            _ => Err(StoreError::Ambiguous { what: "dataset", key: key.to_owned(), matches: ids }),
        }
    }

    pub fn version(&self, id: VersionId) -> Result<DatasetVersion> {
        self.conn
            .query_row(
                &format!(
                    "SELECT {VERSION_COLUMNS} FROM dataset_versions v \
                     LEFT JOIN reporting_periods p ON p.id = v.period_id WHERE v.id = ?1"
                ),
                [id.to_string()],
                version_from_row,
            )
            .optional()?
            .ok_or_else(|| StoreError::NotFound { what: "dataset version", key: id.to_string() })
    }

    /// The rows an import skipped, in file order, one page at a time.
    pub fn skipped_rows(&self, version: VersionId, offset: u64, limit: u64) -> Result<Vec<SkippedRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT line, column_name, value, expected FROM skipped_rows WHERE version_id = ?1 \
             ORDER BY seq LIMIT ?2 OFFSET ?3",
        )?;
        let rows = stmt.query_map(params![version.to_string(), limit, offset], |row| {
            Ok(SkippedRow { line: row.get(0)?, column: row.get(1)?, value: row.get(2)?, expected: row.get(3)? })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Deletes a dataset with all its versions, their tables, and original files that
    /// nothing else refers to.
    pub fn delete_dataset(&mut self, id: DatasetId) -> Result<()> {
        let tx = self.conn.transaction()?;
        let workspace: WorkspaceId = tx
            .query_row("SELECT workspace_id FROM datasets WHERE id = ?1", [id.to_string()], |row| parse_id(row, 0))
            .optional()?
            .ok_or_else(|| StoreError::NotFound { what: "dataset", key: id.to_string() })?;
        tx.execute("DELETE FROM datasets WHERE id = ?1", [id.to_string()])?;
        crate::dataset_sync::enqueue_dataset(&tx, workspace, &id.to_string())?;
        tx.commit()?;
        self.remove_unreferenced_files()
    }

    /// Deletes one version; the dataset goes too when it was its last.
    pub fn delete_version(&mut self, id: VersionId) -> Result<()> {
        let tx = self.conn.transaction()?;
        let (dataset, workspace): (String, WorkspaceId) = tx
            .query_row(
                "SELECT v.dataset_id, d.workspace_id FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id \
                 WHERE v.id = ?1",
                [id.to_string()],
                |row| Ok((row.get(0)?, parse_id(row, 1)?)),
            )
            .optional()?
            .ok_or_else(|| StoreError::NotFound { what: "dataset version", key: id.to_string() })?;
        tx.execute("DELETE FROM dataset_versions WHERE id = ?1", [id.to_string()])?;
        tx.execute(
            "DELETE FROM datasets WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM dataset_versions WHERE dataset_id = ?1)",
            [&dataset],
        )?;
        crate::dataset_sync::enqueue_dataset(&tx, workspace, &dataset)?;
        tx.commit()?;
        self.remove_unreferenced_files()
    }

    /// Forgets original files no version refers to any more, and removes every table
    /// and original file that the database does not know.
    pub fn remove_unreferenced_files(&self) -> Result<()> {
        self.conn.execute("DELETE FROM blobs WHERE sha256 NOT IN (SELECT source_sha256 FROM dataset_versions)", [])?;
        self.sweep_files(Duration::ZERO)
    }

    /// Removes what an interrupted import or delete left behind. Files younger than a
    /// grace period are spared: another process may be committing them right now.
    pub(crate) fn sweep_abandoned_files(&self) -> Result<()> {
        const GRACE: Duration = Duration::from_secs(3600);
        for entry in read_dir(&self.layout.staging())? {
            if older_than(&entry, GRACE) {
                let _ = fs::remove_dir_all(&entry);
            }
        }
        self.sweep_files(GRACE)
    }

    fn sweep_files(&self, grace: Duration) -> Result<()> {
        let known = |sql: &str, key: &str| -> Result<bool> {
            Ok(self.conn.query_row(sql, [key], |row| row.get::<_, bool>(0))?)
        };
        for table in read_dir(&self.layout.tables())? {
            let Some(stem) = table.file_stem().and_then(|s| s.to_str()) else { continue };
            if older_than(&table, grace)
                && !known("SELECT EXISTS (SELECT 1 FROM dataset_versions WHERE id = ?1)", stem)?
            {
                let _ = fs::remove_file(&table);
            }
        }
        for fan in read_dir(&self.layout.blobs())? {
            for blob in read_dir(&fan)? {
                let Some(sha) = blob.file_name().and_then(|s| s.to_str()) else { continue };
                if older_than(&blob, grace) && !known("SELECT EXISTS (SELECT 1 FROM blobs WHERE sha256 = ?1)", sha)? {
                    let _ = fs::remove_file(&blob);
                }
            }
        }
        Ok(())
    }

    fn with_versions(&self, head: DatasetHead) -> Result<Dataset> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {VERSION_COLUMNS} FROM dataset_versions v \
             LEFT JOIN reporting_periods p ON p.id = v.period_id WHERE v.dataset_id = ?1 ORDER BY v.version"
        ))?;
        let versions =
            stmt.query_map([head.id.to_string()], version_from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(Dataset {
            id: head.id,
            workspace_id: head.workspace_id,
            name: head.name,
            kind: head.kind,
            created_at: head.created_at,
            updated_at: head.updated_at,
            versions,
        })
    }
}

fn insert_version(tx: &Transaction<'_>, staging: &Staging, new: &NewVersion) -> Result<(String, VersionId)> {
    let name = crate::workspaces::validate_name(&new.name)?;
    let now = time::now();
    let existing: Option<String> = tx
        .query_row(
            "SELECT id FROM datasets WHERE workspace_id = ?1 AND kind = ?2 AND name = ?3",
            params![new.workspace_id.to_string(), new.kind.as_str(), name],
            |row| row.get(0),
        )
        .optional()?;
    let dataset_id = match existing {
        Some(id) => {
            tx.execute("UPDATE datasets SET updated_at = ?2 WHERE id = ?1", params![id, now])?;
            id
        }
        None => {
            let id = DatasetId::new().to_string();
            tx.execute(
                "INSERT INTO datasets (id, workspace_id, name, kind, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
                params![id, new.workspace_id.to_string(), name, new.kind.as_str(), now],
            )?;
            id
        }
    };
    let version: u32 = tx.query_row(
        "SELECT COALESCE(MAX(version), 0) + 1 FROM dataset_versions WHERE dataset_id = ?1",
        [&dataset_id],
        |row| row.get(0),
    )?;
    insert_version_row(tx, &dataset_id, version, &now, staging, new)?;
    Ok((dataset_id, staging.version_id))
}

/// Writes one version's rows (its blob's, its own, its skipped rows') for a dataset that exists.
pub(crate) fn insert_version_row(
    tx: &Transaction<'_>,
    dataset_id: &str,
    version: u32,
    imported_at: &str,
    staging: &Staging,
    new: &NewVersion,
) -> Result<()> {
    tx.execute(
        "INSERT OR IGNORE INTO blobs (sha256, size_bytes, created_at) VALUES (?1, ?2, ?3)",
        params![new.source_sha256, new.source_size, time::now()],
    )?;
    let version_id = staging.version_id;
    tx.execute(
        "INSERT INTO dataset_versions (id, dataset_id, version, source_name, source_sha256, source_format, header_line, \
         mapping, columns, row_count, skipped_count, warnings, imported_at, period_id) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        params![
            version_id.to_string(),
            dataset_id,
            version,
            new.source_name,
            new.source_sha256,
            new.source_format.to_string(),
            new.header_line,
            new.mapping.to_string(),
            new.columns.to_string(),
            new.rows,
            new.skipped,
            serde_json::Value::from(new.warnings.clone()).to_string(),
            imported_at,
            new.period_id.map(|p| p.to_string()),
        ],
    )?;
    insert_skipped_rows(tx, version_id, &staging.skipped_path())?;
    Ok(())
}

fn insert_skipped_rows(tx: &Transaction<'_>, version: VersionId, path: &Path) -> Result<()> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(StoreError::io_at(path)(e)),
    };
    let mut insert = tx.prepare(
        "INSERT INTO skipped_rows (version_id, seq, line, column_name, value, expected) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    let version = version.to_string();
    for (seq, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(StoreError::io_at(path))?;
        let row: SkippedRow = serde_json::from_str(&line)
            .map_err(|e| StoreError::Corrupt { what: "staged skipped rows", detail: e.to_string() })?;
        insert.execute(params![version, seq as u64, row.line, row.column, row.value, row.expected])?;
    }
    Ok(())
}

/// Moves the staged table and (unless the same bytes are already stored) the original
/// file into place.
pub(crate) fn place_files(layout: &Layout, staging: &Staging, sha256: &str, placed: &mut PlacedFiles) -> Result<()> {
    let blob = layout.blob(sha256);
    if !blob.exists() {
        if let Some(fan) = blob.parent() {
            fs::create_dir_all(fan).map_err(StoreError::io_at(fan))?;
        }
        let original = staging.original_path();
        fs::rename(&original, &blob).map_err(StoreError::io_at(&original))?;
        placed.0.push(blob);
    }
    let table = layout.table(staging.version_id);
    let staged_table = staging.table_path();
    fs::rename(&staged_table, &table).map_err(StoreError::io_at(&staged_table))?;
    placed.0.push(table);
    Ok(())
}

struct DatasetHead {
    id: DatasetId,
    workspace_id: WorkspaceId,
    name: String,
    kind: DatasetKind,
    created_at: String,
    updated_at: String,
}

fn dataset_head(row: &Row<'_>) -> rusqlite::Result<DatasetHead> {
    let kind: String = row.get(3)?;
    Ok(DatasetHead {
        id: parse_id(row, 0)?,
        workspace_id: parse_id(row, 1)?,
        name: row.get(2)?,
        kind: kind.parse().map_err(|e| conversion_error(3, e))?,
        created_at: row.get(4)?,
        updated_at: row.get(5)?,
    })
}

fn version_from_row(row: &Row<'_>) -> rusqlite::Result<DatasetVersion> {
    let json = |index: usize| -> rusqlite::Result<serde_json::Value> {
        let text: String = row.get(index)?;
        serde_json::from_str(&text).map_err(|e| conversion_error(index, e))
    };
    let warnings: Vec<String> = serde_json::from_value(json(11)?).map_err(|e| conversion_error(11, e))?;
    Ok(DatasetVersion {
        id: parse_id(row, 0)?,
        dataset_id: parse_id(row, 1)?,
        version: row.get(2)?,
        source_name: row.get(3)?,
        source_sha256: row.get(4)?,
        source_format: json(5)?,
        header_line: row.get(6)?,
        mapping: json(7)?,
        columns: json(8)?,
        rows: row.get(9)?,
        skipped: row.get(10)?,
        warnings,
        imported_at: row.get(12)?,
        period: row.get(13)?,
    })
}

pub(crate) fn parse_id<T: FromStr>(row: &Row<'_>, index: usize) -> rusqlite::Result<T>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    let text: String = row.get(index)?;
    text.parse().map_err(|e| conversion_error(index, e))
}

fn parse_text_id<T: FromStr>(text: &str) -> Result<T>
where
    T::Err: std::fmt::Display,
{
    text.parse().map_err(|e: T::Err| StoreError::Corrupt { what: "id", detail: format!("{text}: {e}") })
}

fn conversion_error(index: usize, error: impl std::error::Error + Send + Sync + 'static) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, Box::new(error))
}

fn read_dir(dir: &Path) -> Result<Vec<PathBuf>> {
    match fs::read_dir(dir) {
        Ok(entries) => Ok(entries.filter_map(|e| e.ok().map(|e| e.path())).collect()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(StoreError::io_at(dir)(e)),
    }
}

fn older_than(path: &Path, age: Duration) -> bool {
    let modified = fs::metadata(path).and_then(|m| m.modified());
    modified.is_ok_and(|t| SystemTime::now().duration_since(t).unwrap_or_default() >= age)
}
