use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use revlens_engine::ParquetSink;
use revlens_ingest::{
    header_signature, suggest_mapping, ImportIo, ImportOutcome, ImportPlan, Inspection, Mapping, MappingOverride,
    OutputColumn, Progress, RowError, SourceOptions,
};
use revlens_model::{BatchSink, CancelToken, DatasetId, DatasetKind, RowBatch, SinkError, VersionId};
use revlens_store::{NewVersion, SkippedRow, Staging, StoreError, Workspace};
use serde::Serialize;

use crate::mappings::{from_json, to_json};
use crate::{Result, Service, ServiceError};

/// Where the column mapping of an import comes from.
#[derive(Clone, Debug, Default)]
pub enum MappingChoice {
    /// A mapping saved for this header row if there is one, else the suggestion.
    #[default]
    Auto,
    /// A mapping saved by name.
    Saved(String),
    /// The suggestion, corrected by the user.
    Override(MappingOverride),
}

#[derive(Clone, Debug)]
pub struct ImportRequest {
    pub workspace: Option<String>,
    pub path: PathBuf,
    pub kind: DatasetKind,
    /// Dataset name; the file name without extension by default.
    pub name: Option<String>,
    pub source: SourceOptions,
    pub mapping: MappingChoice,
    /// Save the mapping used under this name, for the next file with the same header.
    pub save_mapping_as: Option<String>,
    pub skip_invalid: bool,
    /// Reporting period to pin the new version to.
    pub period: Option<String>,
}

impl ImportRequest {
    pub fn new(path: impl Into<PathBuf>, kind: DatasetKind) -> Self {
        Self {
            workspace: None,
            path: path.into(),
            kind,
            name: None,
            source: SourceOptions::default(),
            mapping: MappingChoice::Auto,
            save_mapping_as: None,
            skip_invalid: false,
            period: None,
        }
    }
}

/// What an import produced. Serialises to the CLI's JSON contract (plus extra fields).
#[derive(Clone, Debug, Serialize)]
pub struct ImportSummary {
    pub dataset_id: DatasetId,
    pub version_id: VersionId,
    pub name: String,
    pub kind: DatasetKind,
    pub version: u32,
    pub rows: u64,
    pub skipped: u64,
    pub columns: Vec<String>,
    pub sha256: String,
    pub mapping: Mapping,
    /// "saved mapping 'x'", "suggested", "suggested, with corrections".
    pub mapping_source: String,
    pub warnings: Vec<String>,
}

/// A look at a file before importing it: what was detected and how it would be mapped.
#[derive(Clone, Debug, Serialize)]
pub struct Preview {
    pub inspection: Inspection,
    pub mapping: Mapping,
    pub mapping_source: String,
}

impl Service {
    /// Detects the file's format and header and proposes a mapping.
    pub fn preview(
        &self,
        workspace: &Workspace,
        path: &Path,
        kind: DatasetKind,
        source: &SourceOptions,
        choice: &MappingChoice,
    ) -> Result<Preview> {
        let inspection = revlens_ingest::inspect(path, source)?;
        let (mapping, mapping_source) = self.resolve_mapping(workspace, kind, &inspection.headers, choice)?;
        Ok(Preview { inspection, mapping, mapping_source })
    }

    /// Imports a file as a new dataset version. Atomic: on any error or cancellation
    /// the store is left exactly as it was.
    pub fn import(
        &mut self,
        request: &ImportRequest,
        progress: &mut dyn FnMut(Progress),
        cancel: &CancelToken,
    ) -> Result<ImportSummary> {
        let workspace = self.workspace(request.workspace.as_deref())?;
        let period = match &request.period {
            Some(name) => Some(self.store.period(workspace.id, name)?.id),
            None => None,
        };
        let preview = self.preview(&workspace, &request.path, request.kind, &request.source, &request.mapping)?;
        let headers = &preview.inspection.headers;
        preview.mapping.validate(headers)?;
        let plan = ImportPlan {
            kind: request.kind,
            mapping: preview.mapping.clone(),
            skip_invalid: request.skip_invalid,
            source: request.source.clone(),
        };

        let staging = self.store.begin_import()?;
        let (staging, outcome) = self.import_into(staging, &request.path, &plan, progress, cancel)?;

        let name = request.name.clone().unwrap_or_else(|| default_name(&request.path));
        let new = NewVersion {
            workspace_id: workspace.id,
            name,
            kind: request.kind,
            source_name: file_name(&request.path),
            source_sha256: outcome.sha256.clone(),
            source_size: outcome.bytes,
            source_format: serde_json::to_value(&outcome.format).unwrap_or_default(),
            header_line: outcome.header_line,
            mapping: to_json(&preview.mapping),
            columns: serde_json::to_value(&outcome.columns).unwrap_or_default(),
            rows: outcome.rows,
            skipped: outcome.skipped,
            warnings: outcome.warnings.clone(),
            period_id: period,
        };
        let version = self.store.commit_import(staging, &new)?;
        if let Some(mapping_name) = &request.save_mapping_as {
            self.store.save_mapping(
                workspace.id,
                mapping_name,
                request.kind,
                &header_signature(headers),
                &to_json(&preview.mapping),
            )?;
        }
        Ok(summary(&new, &version, outcome, preview))
    }

    /// Reads a file into a staging folder (its original, its table, its skipped rows), without
    /// committing it: dropped on error, the staging leaves nothing behind.
    pub(crate) fn import_into(
        &self,
        mut staging: Staging,
        path: &Path,
        plan: &ImportPlan,
        progress: &mut dyn FnMut(Progress),
        cancel: &CancelToken,
    ) -> Result<(Staging, ImportOutcome)> {
        let original_path = staging.original_path();
        let mut original = BufWriter::new(File::create(&original_path).map_err(StoreError::io_at(&original_path))?);
        let mut table = LazyParquetSink::new(staging.table_path());
        let mut skipped_error = None;
        let outcome = {
            let mut rejected = |row: &RowError| -> Result<(), SinkError> {
                staging.record_skipped(&skipped_row(row)).map_err(|e| {
                    skipped_error = Some(e.to_string());
                    SinkError::from("cannot record a skipped row")
                })
            };
            revlens_ingest::import(
                path,
                plan,
                ImportIo { rows: &mut table, rejected: &mut rejected, original: &mut original, progress, cancel },
            )
        };
        if let Some(error) = skipped_error {
            return Err(ServiceError::Invalid(format!("cannot record skipped rows: {error}")));
        }
        let outcome = outcome?;
        original.flush().map_err(StoreError::io_at(&original_path))?;
        drop(original);
        table.finish(&outcome.columns)?;
        cancel.check().map_err(|_| revlens_ingest::ImportError::Cancelled)?;
        Ok((staging, outcome))
    }

    fn resolve_mapping(
        &self,
        workspace: &Workspace,
        kind: DatasetKind,
        headers: &[String],
        choice: &MappingChoice,
    ) -> Result<(Mapping, String)> {
        match choice {
            MappingChoice::Auto => {
                let saved = self.store.mapping_for_headers(workspace.id, kind, &header_signature(headers))?;
                match saved {
                    Some(saved) => Ok((from_json(&saved.fields)?, format!("saved mapping '{}'", saved.name))),
                    None => Ok((suggest_mapping(kind, headers), "suggested".into())),
                }
            }
            MappingChoice::Saved(name) => {
                let saved = self.store.mapping(workspace.id, name)?;
                if saved.kind != kind {
                    return Err(ServiceError::Invalid(format!(
                        "mapping '{name}' is for {} datasets, not {kind}",
                        saved.kind
                    )));
                }
                Ok((from_json(&saved.fields)?, format!("saved mapping '{name}'")))
            }
            MappingChoice::Override(overrides) => {
                let mut mapping = suggest_mapping(kind, headers);
                mapping.apply(overrides);
                Ok((mapping, "suggested, with corrections".into()))
            }
        }
    }
}

fn summary(
    new: &NewVersion,
    version: &revlens_store::DatasetVersion,
    outcome: ImportOutcome,
    preview: Preview,
) -> ImportSummary {
    ImportSummary {
        dataset_id: version.dataset_id,
        version_id: version.id,
        name: new.name.trim().to_owned(),
        kind: new.kind,
        version: version.version,
        rows: outcome.rows,
        skipped: outcome.skipped,
        columns: outcome.columns.into_iter().map(|c| c.name).collect(),
        sha256: outcome.sha256,
        mapping: preview.mapping,
        mapping_source: preview.mapping_source,
        warnings: outcome.warnings,
    }
}

fn skipped_row(row: &RowError) -> SkippedRow {
    SkippedRow { line: row.line, column: row.column.clone(), value: row.value.clone(), expected: row.expected.clone() }
}

fn default_name(path: &Path) -> String {
    path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "dataset".into())
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
}

/// A Parquet sink whose schema is taken from the first batch, since the importer
/// settles the output columns only once it has read the header.
struct LazyParquetSink {
    path: PathBuf,
    sink: Option<ParquetSink>,
}

impl LazyParquetSink {
    fn new(path: PathBuf) -> Self {
        Self { path, sink: None }
    }

    /// Completes the table; with no rows at all it still gets the full schema.
    fn finish(self, columns: &[OutputColumn]) -> Result<u64> {
        let sink = match self.sink {
            Some(sink) => sink,
            None => ParquetSink::create(&self.path, &schema_of(columns))?,
        };
        Ok(sink.finish()?)
    }
}

fn schema_of(columns: &[OutputColumn]) -> Vec<(String, revlens_model::StorageType)> {
    columns.iter().map(|c| (c.name.clone(), c.storage)).collect()
}

impl BatchSink for LazyParquetSink {
    fn write_batch(&mut self, batch: RowBatch) -> Result<(), SinkError> {
        let sink = match &mut self.sink {
            Some(sink) => sink,
            None => {
                let columns: Vec<_> = batch.columns.iter().map(|c| (c.name.clone(), c.values.storage())).collect();
                self.sink.insert(ParquetSink::create(&self.path, &columns)?)
            }
        };
        sink.write_batch(batch)
    }

    fn can_reset(&self) -> bool {
        true
    }

    /// Drops the table written so far; the next batch creates the file afresh.
    fn reset(&mut self) -> Result<(), SinkError> {
        self.sink = None;
        Ok(())
    }
}
