use anyhow::bail;
use revlens_service::Service;
use revlens_store::{Dataset, DatasetVersion};

use crate::cli::{DatasetCommand, Format};
use crate::output::{print_json, print_table, row_error};

pub fn list(service: &Service, workspace: Option<&str>, format: Format) -> anyhow::Result<()> {
    let workspace = service.workspace(workspace)?;
    let datasets = service.store().datasets(workspace.id)?;
    match format {
        Format::Json => print_json(&datasets.iter().map(DatasetRow::from).collect::<Vec<_>>()),
        Format::Text => {
            if datasets.is_empty() {
                outln!("No datasets in '{}' yet. Import one with: revlens import FILE --kind KIND", workspace.name);
                return Ok(());
            }
            let rows: Vec<Vec<String>> = datasets
                .iter()
                .map(DatasetRow::from)
                .map(|d| {
                    vec![
                        d.id.clone(),
                        d.name.to_owned(),
                        d.kind.to_string(),
                        d.version.to_string(),
                        d.rows.to_string(),
                        d.skipped.to_string(),
                        d.imported_at.to_owned(),
                    ]
                })
                .collect();
            print_table(&["ID", "NAME", "KIND", "VERSION", "ROWS", "SKIPPED", "IMPORTED"], &rows);
            Ok(())
        }
    }
}

/// A dataset as listed: its latest version's numbers.
#[derive(serde::Serialize)]
struct DatasetRow<'a> {
    id: String,
    name: &'a str,
    kind: revlens_model::DatasetKind,
    version: u32,
    versions: usize,
    rows: u64,
    skipped: u64,
    imported_at: &'a str,
}

impl<'a> From<&'a Dataset> for DatasetRow<'a> {
    fn from(d: &'a Dataset) -> Self {
        let latest = d.latest();
        Self {
            id: d.id.to_string(),
            name: &d.name,
            kind: d.kind,
            version: latest.map_or(0, |v| v.version),
            versions: d.versions.len(),
            rows: latest.map_or(0, |v| v.rows),
            skipped: latest.map_or(0, |v| v.skipped),
            imported_at: latest.map_or("", |v| v.imported_at.as_str()),
        }
    }
}

pub fn run(service: &mut Service, workspace: Option<&str>, command: DatasetCommand) -> anyhow::Result<()> {
    let workspace = service.workspace(workspace)?;
    match command {
        DatasetCommand::Show { id, format } => {
            let dataset = service.store().resolve_dataset(workspace.id, &id)?;
            match format {
                Format::Json => print_json(&dataset),
                Format::Text => {
                    show(&dataset);
                    Ok(())
                }
            }
        }
        DatasetCommand::Skipped { id, version, limit, offset, format } => {
            let dataset = service.store().resolve_dataset(workspace.id, &id)?;
            let version = pick_version(&dataset, version)?;
            let rows = service.store().skipped_rows(version.id, offset, limit)?;
            match format {
                Format::Json => print_json(&rows),
                Format::Text => {
                    if rows.is_empty() {
                        outln!("Version {} of '{}' skipped no rows.", version.version, dataset.name);
                    }
                    for row in &rows {
                        let error = revlens_ingest::RowError {
                            line: row.line,
                            column: row.column.clone(),
                            value: row.value.clone(),
                            expected: row.expected.clone(),
                        };
                        outln!("{}", row_error(&error));
                    }
                    Ok(())
                }
            }
        }
        DatasetCommand::Rm { id, version } => {
            let dataset = service.store().resolve_dataset(workspace.id, &id)?;
            match version {
                Some(number) => {
                    let version = pick_version(&dataset, Some(number))?;
                    service.store_mut().delete_version(version.id)?;
                    outln!("Deleted version {number} of '{}'.", dataset.name);
                }
                None => {
                    service.store_mut().delete_dataset(dataset.id)?;
                    outln!("Deleted '{}' and its {} version(s).", dataset.name, dataset.versions.len());
                }
            }
            Ok(())
        }
    }
}

fn pick_version(dataset: &Dataset, number: Option<u32>) -> anyhow::Result<&DatasetVersion> {
    let found = match number {
        Some(n) => dataset.versions.iter().find(|v| v.version == n),
        None => dataset.latest(),
    };
    match found {
        Some(version) => Ok(version),
        None => {
            let known: Vec<String> = dataset.versions.iter().map(|v| v.version.to_string()).collect();
            bail!("'{}' has no version {}; it has: {}", dataset.name, number.unwrap_or(0), known.join(", "))
        }
    }
}

fn show(dataset: &Dataset) {
    outln!("{} ({}), id {}", dataset.name, dataset.kind, dataset.id);
    let rows: Vec<Vec<String>> = dataset
        .versions
        .iter()
        .map(|v| {
            vec![
                v.version.to_string(),
                v.rows.to_string(),
                v.skipped.to_string(),
                v.source_name.clone(),
                v.source_sha256.get(..12).unwrap_or_default().to_owned(),
                v.period.clone().unwrap_or_default(),
                v.imported_at.clone(),
            ]
        })
        .collect();
    print_table(&["VERSION", "ROWS", "SKIPPED", "FILE", "SHA256", "PERIOD", "IMPORTED"], &rows);
    if let Some(latest) = dataset.latest() {
        let columns: Vec<&str> =
            latest.columns.as_array().into_iter().flatten().filter_map(|c| c.get("name")?.as_str()).collect();
        outln!("columns: {}", columns.join(", "));
        for warning in &latest.warnings {
            outln!("warning: {warning}");
        }
    }
}
