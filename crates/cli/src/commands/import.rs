use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};
use revlens_ingest::{Phase, Progress, SourceOptions};
use revlens_model::CancelToken;
use revlens_service::{load_mapping_file, ImportRequest, ImportSummary, MappingChoice, Preview, Service};

use crate::cli::{Format, ImportArgs, InspectArgs, SourceArgs};
use crate::output::{print_json, print_table};

pub fn import(service: &mut Service, workspace: Option<&str>, args: ImportArgs) -> anyhow::Result<()> {
    let request = ImportRequest {
        workspace: workspace.map(str::to_owned),
        path: args.source.file.clone(),
        kind: args.source.kind,
        name: args.name,
        source: source_options(&args.source),
        mapping: mapping_choice(&args.source)?,
        save_mapping_as: args.save_mapping,
        skip_invalid: args.skip_invalid,
        period: args.period,
    };
    let cancel = CancelToken::new();
    let on_interrupt = cancel.clone();
    // Ctrl-C cancels the import cleanly; the store is left as it was.
    let _ = ctrlc::set_handler(move || on_interrupt.cancel());

    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{msg:>9} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} {prefix}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let mut on_progress = |progress: Progress| {
        bar.set_length(progress.bytes_total);
        bar.set_position(progress.bytes_done);
        bar.set_message(match progress.phase {
            Phase::Scanning => "scanning",
            Phase::Importing => "importing",
        });
        bar.set_prefix(format!("{} rows", progress.rows));
    };
    let result = service.import(&request, &mut on_progress, &cancel);
    bar.finish_and_clear();
    let summary = result?;
    match args.format {
        Format::Json => print_json(&ContractSummary::from(&summary)),
        Format::Text => {
            print_summary(&summary);
            Ok(())
        }
    }
}

pub fn inspect(service: &Service, workspace: Option<&str>, args: InspectArgs) -> anyhow::Result<()> {
    let workspace = service.workspace(workspace)?;
    let preview = service.preview(
        &workspace,
        &args.source.file,
        args.source.kind,
        &source_options(&args.source),
        &mapping_choice(&args.source)?,
    )?;
    match args.format {
        Format::Json => print_json(&preview),
        Format::Text => {
            print_preview(&preview);
            Ok(())
        }
    }
}

fn source_options(args: &SourceArgs) -> SourceOptions {
    SourceOptions { sheet: args.sheet.clone(), delimiter: args.delimiter }
}

fn mapping_choice(args: &SourceArgs) -> anyhow::Result<MappingChoice> {
    Ok(match &args.mapping {
        None => MappingChoice::Auto,
        Some(value) if value.ends_with(".json") || Path::new(value).is_file() => {
            MappingChoice::Override(load_mapping_file(Path::new(value))?)
        }
        Some(name) => MappingChoice::Saved(name.clone()),
    })
}

/// The JSON contract of `revlens import --format json`, in its documented key order.
#[derive(serde::Serialize)]
struct ContractSummary<'a> {
    dataset_id: String,
    name: &'a str,
    kind: revlens_model::DatasetKind,
    version: u32,
    rows: u64,
    skipped: u64,
    columns: &'a [String],
    sha256: &'a str,
    version_id: String,
    mapping: &'a std::collections::BTreeMap<String, String>,
    warnings: &'a [String],
}

impl<'a> From<&'a ImportSummary> for ContractSummary<'a> {
    fn from(s: &'a ImportSummary) -> Self {
        Self {
            dataset_id: s.dataset_id.to_string(),
            name: &s.name,
            kind: s.kind,
            version: s.version,
            rows: s.rows,
            skipped: s.skipped,
            columns: &s.columns,
            sha256: &s.sha256,
            version_id: s.version_id.to_string(),
            mapping: &s.mapping.fields,
            warnings: &s.warnings,
        }
    }
}

fn print_summary(s: &ImportSummary) {
    outln!("Imported '{}' ({}), version {}: {} rows", s.name, s.kind, s.version, s.rows);
    if s.skipped > 0 {
        outln!("  {} row problem(s) skipped; list them with: revlens dataset skipped {}", s.skipped, s.dataset_id);
    }
    outln!("  dataset  {}", s.dataset_id);
    outln!("  sha256   {}", s.sha256);
    outln!("  mapping  {}", s.mapping_source);
    for (field, header) in &s.mapping.fields {
        outln!("    {field:<16} <- {header}");
    }
    for warning in &s.warnings {
        outln!("  warning: {warning}");
    }
}

fn print_preview(preview: &Preview) {
    let inspection = &preview.inspection;
    outln!("format   {}", serde_json::to_string(&inspection.format).unwrap_or_default());
    if !inspection.sheets.is_empty() {
        outln!("sheets   {}", inspection.sheets.join(", "));
    }
    outln!("header   line {}", inspection.header_line);
    outln!("mapping  {}", preview.mapping_source);
    for (field, header) in &preview.mapping.fields {
        outln!("  {field:<16} <- {header}");
    }
    outln!("");
    let headers: Vec<&str> = inspection.headers.iter().map(String::as_str).collect();
    print_table(&headers, &inspection.sample);
}
