//! The Data page: dataset kinds, file previews, imports with progress and cancel, the
//! datasets of a workspace and their versions.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use revlens_ingest::{MappingOverride, SourceFormat, SourceOptions};
use revlens_model::{CancelToken, DatasetId, DatasetKind, VersionId};
use revlens_service::{ImportRequest, MappingChoice, Service};
use revlens_store::StoreError;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{ApiError, ApiResult, App, AppEvent, ErrorCode};

#[derive(Debug, Serialize, TS)]
pub struct KindInfo {
    pub kind: DatasetKind,
    pub label: String,
    pub fields: Vec<FieldInfo>,
}

#[derive(Debug, Serialize, TS)]
pub struct FieldInfo {
    pub name: String,
    pub required: bool,
    pub field_type: String,
    /// What the field means, as the metrics read it.
    pub meaning: String,
    /// Header names the suggestion recognises, e.g. "customer id", "cust".
    pub synonyms: Vec<String>,
}

#[derive(Debug, Serialize, TS)]
pub struct DatasetInfo {
    pub id: String,
    pub name: String,
    pub kind: DatasetKind,
    pub versions: Vec<VersionInfo>,
}

#[derive(Debug, Serialize, TS)]
pub struct VersionInfo {
    pub id: String,
    pub number: u32,
    pub rows: u64,
    pub skipped: u64,
    pub imported_at: String,
    pub file_name: String,
    pub period: Option<String>,
}

#[derive(Debug, Deserialize, TS)]
pub struct DatasetArgs {
    pub workspace: String,
    pub dataset: String,
}

#[derive(Debug, Deserialize, TS)]
pub struct VersionArgs {
    pub workspace: String,
    pub version: String,
}

/// A file the backend can read: a local path, or an upload copied into the home.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct StagedFile {
    pub path: String,
    pub file_name: String,
    pub size: u64,
}

#[derive(Debug, Deserialize, TS)]
pub struct StagePathArgs {
    pub path: String,
}

#[derive(Debug, Deserialize, TS)]
pub struct PreviewArgs {
    pub workspace: String,
    pub path: String,
    pub kind: DatasetKind,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub sheet: Option<String>,
    /// Corrections to the suggested mapping: field → header, or null to unmap.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub mapping: Option<MappingOverride>,
}

#[derive(Debug, Serialize, TS)]
pub struct PreviewView {
    pub file_name: String,
    /// How the file is read, e.g. "CSV, utf-8, ';'" or "XLSX, sheet 'Orders'".
    pub format: String,
    pub sheets: Vec<String>,
    pub sheet: Option<String>,
    pub header_line: u64,
    pub headers: Vec<String>,
    pub sample_rows: Vec<Vec<String>>,
    /// Every canonical field of the kind → the header it is read from, or null.
    pub mapping: BTreeMap<String, Option<String>>,
    pub mapping_source: String,
    pub warnings: Vec<String>,
}

#[derive(Debug, Deserialize, TS)]
pub struct ImportArgs {
    pub workspace: String,
    pub path: String,
    pub kind: DatasetKind,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub name: Option<String>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub sheet: Option<String>,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub mapping: Option<MappingOverride>,
    #[serde(default)]
    pub skip_invalid: bool,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub save_mapping_as: Option<String>,
    /// The id progress events carry and `cancel_job` takes; made by the UI.
    pub job: String,
}

#[derive(Debug, Serialize, TS)]
pub struct ImportResult {
    pub dataset_id: String,
    pub version_id: String,
    pub name: String,
    pub kind: DatasetKind,
    pub version: u32,
    pub rows: u64,
    pub skipped: u64,
    pub warnings: Vec<String>,
}

pub(crate) fn kinds(_: &App, _: crate::workspaces::NoArgs) -> ApiResult<Vec<KindInfo>> {
    Ok(DatasetKind::ALL
        .iter()
        .map(|&kind| KindInfo {
            kind,
            label: label(kind).into(),
            fields: kind
                .fields()
                .iter()
                .map(|field| FieldInfo {
                    name: field.name.into(),
                    required: field.required,
                    field_type: format!("{:?}", field.ty).to_lowercase(),
                    meaning: field.meaning.into(),
                    synonyms: field.synonyms.iter().map(|s| (*s).into()).collect(),
                })
                .collect(),
        })
        .collect())
}

fn label(kind: DatasetKind) -> &'static str {
    match kind {
        DatasetKind::Subscriptions => "Subscriptions",
        DatasetKind::Transactions => "Invoices / transactions",
        DatasetKind::Customers => "Customers",
        DatasetKind::Orders => "Store orders",
        DatasetKind::Purchases => "Analytics purchases",
    }
}

pub(crate) fn list(app: &App, args: crate::workspaces::WorkspaceArgs) -> ApiResult<Vec<DatasetInfo>> {
    let workspace = app.workspace(&args.workspace)?;
    let datasets = app.service().store().datasets(workspace.id)?;
    Ok(datasets
        .into_iter()
        .map(|dataset| DatasetInfo {
            id: dataset.id.to_string(),
            name: dataset.name,
            kind: dataset.kind,
            versions: dataset
                .versions
                .into_iter()
                .map(|v| VersionInfo {
                    id: v.id.to_string(),
                    number: v.version,
                    rows: v.rows,
                    skipped: v.skipped,
                    imported_at: v.imported_at,
                    file_name: v.source_name,
                    period: v.period,
                })
                .collect(),
        })
        .collect())
}

fn parse<T: std::str::FromStr>(what: &str, text: &str) -> ApiResult<T> {
    text.parse().map_err(|_| ApiError::invalid_args(format!("'{text}' is not a {what} id")))
}

pub(crate) fn delete_dataset(app: &App, args: DatasetArgs) -> ApiResult<()> {
    let workspace = app.workspace(&args.workspace)?;
    let id: DatasetId = parse("dataset", &args.dataset)?;
    let mut service = app.service();
    let dataset = service.store().dataset(id)?;
    if dataset.workspace_id != workspace.id {
        return Err(not_found("dataset", &args.dataset));
    }
    Ok(service.store_mut().delete_dataset(id)?)
}

pub(crate) fn delete_version(app: &App, args: VersionArgs) -> ApiResult<()> {
    let workspace = app.workspace(&args.workspace)?;
    let id: VersionId = parse("version", &args.version)?;
    let mut service = app.service();
    let version = service.store().version(id)?;
    if service.store().dataset(version.dataset_id)?.workspace_id != workspace.id {
        return Err(not_found("version", &args.version));
    }
    Ok(service.store_mut().delete_version(id)?)
}

fn not_found(what: &str, key: &str) -> ApiError {
    ApiError::new(ErrorCode::NotFound, format!("no {what} '{key}' in this workspace"))
}

pub(crate) fn stage_path(_: &App, args: StagePathArgs) -> ApiResult<StagedFile> {
    staged_file(Path::new(&args.path))
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

impl App {
    /// A new path under the home's `uploads/` for a file the user dropped or picked in a
    /// browser: in a folder of its own, so its name, and with it format detection, is kept.
    pub fn new_upload_path(&self, name: &str) -> ApiResult<PathBuf> {
        let file_name: String = Path::new(name)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| "upload".into());
        let dir = self.home.join("uploads").join(uuid::Uuid::now_v7().to_string());
        fs::create_dir_all(&dir).map_err(|e| ApiError::from(StoreError::Io { path: dir.clone(), source: e }))?;
        Ok(dir.join(file_name))
    }

    /// Keeps an uploaded file's bytes (the desktop app's drop) under the home's `uploads/`.
    pub fn stage_upload(&self, name: &str, bytes: &[u8]) -> ApiResult<StagedFile> {
        let path = self.new_upload_path(name)?;
        fs::write(&path, bytes).map_err(|e| ApiError::from(StoreError::Io { path: path.clone(), source: e }))?;
        staged_file(&path)
    }
}

/// A file on disk as the commands take it.
pub fn staged_file(path: &Path) -> ApiResult<StagedFile> {
    let metadata =
        fs::metadata(path).map_err(|e| ApiError::new(ErrorCode::NotFound, format!("{}: {e}", path.display())))?;
    if !metadata.is_file() {
        return Err(ApiError::invalid_args(format!("{} is not a file", path.display())));
    }
    Ok(StagedFile { path: path.display().to_string(), file_name: file_name(path), size: metadata.len() })
}

pub(crate) fn preview(app: &App, args: PreviewArgs) -> ApiResult<PreviewView> {
    let workspace = app.workspace(&args.workspace)?;
    let path = PathBuf::from(&args.path);
    let source = SourceOptions { sheet: args.sheet.clone(), delimiter: None };
    let choice = args.mapping.clone().map_or(MappingChoice::Auto, MappingChoice::Override);
    let preview = app.service().preview(&workspace, &path, args.kind, &source, &choice)?;
    let inspection = preview.inspection;
    let format = inspection.format.to_string();
    let sheet = match &inspection.format {
        SourceFormat::Delimited { .. } => None,
        SourceFormat::Workbook { sheet, .. } => Some(sheet.clone()),
    };
    let mapping = args
        .kind
        .fields()
        .iter()
        .map(|field| (field.name.to_string(), preview.mapping.fields.get(field.name).cloned()))
        .collect();
    Ok(PreviewView {
        file_name: file_name(&path),
        format,
        sheets: inspection.sheets,
        sheet,
        header_line: inspection.header_line,
        headers: inspection.headers,
        sample_rows: inspection.sample,
        mapping,
        mapping_source: preview.mapping_source,
        warnings: Vec::new(),
    })
}

/// Imports on the caller's thread with a connection of its own, so other commands go on
/// meanwhile; progress goes out as events tagged with the UI's job id.
pub(crate) fn import(app: &App, args: ImportArgs) -> ApiResult<ImportResult> {
    let workspace = app.workspace(&args.workspace)?;
    app.run_job(&args.job, |cancel| run_import(app, &workspace.name, &args, cancel))
}

fn run_import(app: &App, workspace: &str, args: &ImportArgs, cancel: &CancelToken) -> ApiResult<ImportResult> {
    let mut request = ImportRequest::new(&args.path, args.kind);
    request.workspace = Some(workspace.to_string());
    request.name = args.name.clone().filter(|n| !n.trim().is_empty());
    request.source.sheet = args.sheet.clone();
    request.mapping = args.mapping.clone().map_or(MappingChoice::Auto, MappingChoice::Override);
    request.save_mapping_as = args.save_mapping_as.clone().filter(|n| !n.trim().is_empty());
    request.skip_invalid = args.skip_invalid;
    let mut service = Service::open(app.home())?;
    let job = args.job.clone();
    let mut progress = |p: revlens_ingest::Progress| {
        let phase = serde_json::to_value(p.phase).ok().and_then(|v| v.as_str().map(str::to_string));
        app.emit(AppEvent::Progress {
            job: job.clone(),
            phase: phase.unwrap_or_default(),
            done: p.bytes_done,
            total: Some(p.bytes_total),
        });
    };
    let summary = service.import(&request, &mut progress, cancel)?;
    Ok(ImportResult {
        dataset_id: summary.dataset_id.to_string(),
        version_id: summary.version_id.to_string(),
        name: summary.name,
        kind: summary.kind,
        version: summary.version,
        rows: summary.rows,
        skipped: summary.skipped,
        warnings: summary.warnings,
    })
}
