//! Helpers shared by the integration tests: run an import the way the app does
//! (inspect, suggest a mapping, apply overrides) and read columns back.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use revlens_ingest::{
    import, inspect, suggest_mapping, ImportError, ImportIo, ImportOutcome, ImportPlan, Mapping, MappingOverride,
    Progress, RowError, SourceOptions,
};
use revlens_model::{BatchSink, CancelToken, ColumnValues, DatasetKind, RowBatch, SinkError};

pub fn corpus(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus").join(name)
}

/// Everything an import produced.
pub struct Imported {
    pub outcome: ImportOutcome,
    pub batches: Vec<RowBatch>,
    pub rejected: Vec<RowError>,
    pub original: Vec<u8>,
    pub progress: Vec<Progress>,
    /// How often the importer discarded what it had written (a provisional reading that
    /// did not stand).
    pub resets: usize,
}

/// How to run one import.
pub struct Run<'a> {
    pub kind: DatasetKind,
    pub source: SourceOptions,
    pub overrides: &'a [(&'a str, Option<&'a str>)],
    pub skip_invalid: bool,
    pub cancel: CancelToken,
    /// Hand the import a sink that cannot start over, which forces two passes.
    pub two_pass: bool,
}

/// The import's sink: batches in memory. Without `reset` (`resettable` false) the
/// importer must not write a batch it is not sure of; with it, how often it started over
/// is counted.
struct Sink {
    batches: Vec<RowBatch>,
    resettable: bool,
    resets: usize,
}

impl BatchSink for Sink {
    fn write_batch(&mut self, batch: RowBatch) -> Result<(), SinkError> {
        self.batches.write_batch(batch)
    }

    fn can_reset(&self) -> bool {
        self.resettable
    }

    fn reset(&mut self) -> Result<(), SinkError> {
        if !self.resettable {
            return Err("this sink cannot discard its batches".into());
        }
        self.resets += 1;
        self.batches.reset()
    }
}

impl Run<'_> {
    pub fn new(kind: DatasetKind) -> Run<'static> {
        Run {
            kind,
            source: SourceOptions::default(),
            overrides: &[],
            skip_invalid: false,
            cancel: CancelToken::new(),
            two_pass: false,
        }
    }
}

impl<'a> Run<'a> {
    pub fn overrides(mut self, overrides: &'a [(&'a str, Option<&'a str>)]) -> Self {
        self.overrides = overrides;
        self
    }

    pub fn skip_invalid(mut self) -> Self {
        self.skip_invalid = true;
        self
    }

    pub fn two_pass(mut self) -> Self {
        self.two_pass = true;
        self
    }

    pub fn source(mut self, source: SourceOptions) -> Self {
        self.source = source;
        self
    }

    /// The mapping the app would propose for this file, with the overrides applied.
    pub fn mapping(&self, path: &Path) -> Mapping {
        let headers = inspect(path, &self.source).map(|i| i.headers).unwrap_or_default();
        let mut mapping = suggest_mapping(self.kind, &headers);
        let overrides: MappingOverride =
            self.overrides.iter().map(|(f, h)| (f.to_string(), h.map(str::to_string))).collect();
        mapping.apply(&overrides);
        mapping
    }

    pub fn import(&self, path: &Path) -> Result<Imported, ImportError> {
        let plan = ImportPlan {
            kind: self.kind,
            mapping: self.mapping(path),
            skip_invalid: self.skip_invalid,
            source: self.source.clone(),
        };
        let mut sink = Sink { batches: Vec::new(), resettable: !self.two_pass, resets: 0 };
        let mut rejected = Vec::new();
        let mut original = Vec::new();
        let mut progress = Vec::new();
        let outcome = import(
            path,
            &plan,
            ImportIo {
                rows: &mut sink,
                rejected: &mut |e: &RowError| {
                    rejected.push(e.clone());
                    Ok(())
                },
                original: &mut original,
                progress: &mut |p| progress.push(p),
                cancel: &self.cancel,
            },
        )?;
        Ok(Imported { outcome, batches: sink.batches, rejected, original, progress, resets: sink.resets })
    }
}

pub fn import_file(name: &str, kind: DatasetKind) -> Result<Imported, ImportError> {
    Run::new(kind).import(&corpus(name))
}

impl Imported {
    fn column(&self, name: &str) -> Vec<&ColumnValues> {
        self.batches
            .iter()
            .map(|b| &b.columns.iter().find(|c| c.name == name).unwrap_or_else(|| panic!("no column {name}")).values)
            .collect()
    }

    pub fn text(&self, name: &str) -> Vec<Option<String>> {
        self.column(name)
            .into_iter()
            .flat_map(|v| match v {
                ColumnValues::Text(v) => v.to_vec(),
                other => panic!("{name} is {:?}", other.storage()),
            })
            .collect()
    }

    /// Text values, with empty cells as "".
    pub fn strings(&self, name: &str) -> Vec<String> {
        self.text(name).into_iter().map(Option::unwrap_or_default).collect()
    }

    pub fn money(&self, name: &str) -> Vec<Option<i64>> {
        self.column(name)
            .into_iter()
            .flat_map(|v| match v {
                ColumnValues::Money(v) => v.to_vec(),
                other => panic!("{name} is {:?}", other.storage()),
            })
            .collect()
    }

    pub fn dates(&self, name: &str) -> Vec<Option<i32>> {
        self.column(name)
            .into_iter()
            .flat_map(|v| match v {
                ColumnValues::Date(v) => v.to_vec(),
                other => panic!("{name} is {:?}", other.storage()),
            })
            .collect()
    }

    pub fn integers(&self, name: &str) -> Vec<Option<i64>> {
        self.column(name)
            .into_iter()
            .flat_map(|v| match v {
                ColumnValues::Integer(v) => v.to_vec(),
                other => panic!("{name} is {:?}", other.storage()),
            })
            .collect()
    }

    pub fn floats(&self, name: &str) -> Vec<Option<f64>> {
        self.column(name)
            .into_iter()
            .flat_map(|v| match v {
                ColumnValues::Float(v) => v.to_vec(),
                other => panic!("{name} is {:?}", other.storage()),
            })
            .collect()
    }

    pub fn flags(&self, name: &str) -> Vec<Option<bool>> {
        self.column(name)
            .into_iter()
            .flat_map(|v| match v {
                ColumnValues::Bool(v) => v.to_vec(),
                other => panic!("{name} is {:?}", other.storage()),
            })
            .collect()
    }

    pub fn column_names(&self) -> Vec<String> {
        self.outcome.columns.iter().map(|c| c.name.clone()).collect()
    }
}

/// Days since 1970-01-01.
pub fn day(y: i32, m: u32, d: u32) -> Option<i32> {
    let date = chrono::NaiveDate::from_ymd_opt(y, m, d)?;
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1)?;
    i32::try_from((date - epoch).num_days()).ok()
}

pub fn some_dates(dates: &[(i32, u32, u32)]) -> Vec<Option<i32>> {
    dates.iter().map(|&(y, m, d)| day(y, m, d)).collect()
}

pub fn row_error(line: u64, column: Option<&str>, value: Option<&str>, expected: &str) -> RowError {
    RowError {
        line,
        column: column.map(str::to_string),
        value: value.map(str::to_string),
        expected: expected.to_string(),
    }
}

/// The problems of a failed import, or a panic naming what happened instead.
pub fn invalid_rows(result: Result<Imported, ImportError>) -> (u64, Vec<RowError>) {
    match result {
        Err(ImportError::InvalidRows { total, errors, .. }) => (total, errors),
        Err(other) => panic!("expected InvalidRows, got {other:?}"),
        Ok(imported) => panic!("expected InvalidRows, imported {} rows", imported.outcome.rows),
    }
}

pub fn expect_err(result: Result<Imported, ImportError>) -> ImportError {
    match result {
        Err(e) => e,
        Ok(imported) => panic!("expected an error, imported {} rows", imported.outcome.rows),
    }
}
