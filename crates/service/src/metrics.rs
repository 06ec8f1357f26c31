use std::fs;
use std::path::{Path, PathBuf};

use revlens_engine::metrics::{
    CohortOptions, FxRates, MetricInputs, MetricSettings, OutputFormat, RevenueModel, YearMonth,
    SNAPSHOT_FORMAT_VERSION,
};
use revlens_engine::side_by_side;
use revlens_engine::table::{scan_table, ColumnFacts};
use revlens_model::{CancelToken, DatasetKind, VersionId};
use revlens_store::{DatasetVersion, StoreError, Workspace};
use sha2::{Digest, Sha256};

use crate::{ImportRequest, Result, Service, ServiceError};

/// Where a metric's data comes from.
#[derive(Clone, Debug)]
pub enum DataSource {
    /// A dataset of the workspace (id, id prefix or name); its latest version.
    Dataset(String),
    /// A file, imported on the fly into a temporary store.
    File(PathBuf),
}

/// Which table to compute.
#[derive(Clone, Debug)]
pub enum MetricQuery {
    Mrr,
    Kpis,
    Cohorts(CohortOptions),
    TopCustomers { month: YearMonth, limit: usize },
    Churn,
}

impl MetricQuery {
    /// Part of the cache key: every option of the query.
    fn key(&self) -> String {
        match self {
            MetricQuery::Mrr => "mrr".into(),
            MetricQuery::Kpis => "kpis".into(),
            MetricQuery::Cohorts(options) => format!("cohorts:{options:?}"),
            MetricQuery::TopCustomers { month, limit } => format!("top:{month}:{limit}"),
            MetricQuery::Churn => "churn".into(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct MetricsRequest {
    pub workspace: Option<String>,
    pub billing: DataSource,
    /// The billing dataset's kind: subscriptions or transactions.
    pub kind: DatasetKind,
    /// The customers table, for signup cohorts and provided churn.
    pub customers: Option<DataSource>,
    /// A rates table (`month,currency,rate`) into the reporting currency.
    pub rates: Option<PathBuf>,
    pub settings: MetricSettings,
}

impl Service {
    /// Computes one metric table, rendered. Results of stored datasets are cached by
    /// dataset versions, rates, settings, query and format: asking again reads the cache.
    pub fn metric(&mut self, request: &MetricsRequest, query: &MetricQuery, format: OutputFormat) -> Result<String> {
        if has_file(request) {
            return self.metric_from_files(request, query, format);
        }
        let workspace = self.workspace(request.workspace.as_deref())?;
        let billing = self.latest_version(&workspace, &request.billing, request.kind)?;
        let customers = match &request.customers {
            Some(source) => Some(self.latest_version(&workspace, source, DatasetKind::Customers)?),
            None => None,
        };
        let rates = match &request.rates {
            Some(path) => Some(FxRates::from_csv_path(path)?),
            None => None,
        };
        let customers_id = customers.as_ref().map(|c| c.id);
        let key = cache_key(&[billing.id], customers_id, rates.as_ref(), request, query, format);
        let home = self.store.layout().home();
        let cached = home.join("cache").join("metrics").join(format!("{key}.out"));
        if let Ok(text) = fs::read_to_string(&cached) {
            return Ok(text);
        }
        // Beside cache/, which holds only finished answers (one file per answer).
        let snapshot = SnapshotKey {
            billing: vec![billing.id],
            customers: customers_id,
            rates: rates.as_ref(),
            kind: request.kind,
            settings: &request.settings,
            filter: String::new(),
        };
        let billing_table = self.store.layout().table(billing.id);
        let customers_table = customers.map(|c| self.store.layout().table(c.id));
        let inputs = || {
            let mut inputs = MetricInputs::for_kind(request.kind, scan_table(&billing_table)?)?
                .with_billing_facts(ColumnFacts::of_table(&billing_table)?);
            if let Some(customers) = &customers_table {
                inputs = inputs.with_customers(scan_table(customers)?);
            }
            if let Some(rates) = rates.clone() {
                inputs = inputs.with_rates(rates);
            }
            Ok(inputs)
        };
        let (_, text) = load_or_build_with(&snapshot.path(home), &request.settings, inputs, |model| {
            render(model, &request.settings, query, format)
        })?;
        write_cache(&cached, text.as_bytes())?;
        Ok(text)
    }

    /// Imports the files into a throw-away store, then computes from it.
    fn metric_from_files(
        &mut self,
        request: &MetricsRequest,
        query: &MetricQuery,
        format: OutputFormat,
    ) -> Result<String> {
        let scratch = tempfile::tempdir().map_err(StoreError::io_at(std::env::temp_dir()))?;
        let mut temporary = Service::open(scratch.path())?;
        let workspace = temporary.workspace(None)?.name;
        let mut import = |source: &DataSource, kind: DatasetKind, name: &str| -> Result<DataSource> {
            match source {
                DataSource::File(path) => {
                    let mut request = ImportRequest::new(path, kind);
                    request.name = Some(name.into());
                    request.workspace = Some(workspace.clone());
                    temporary.import(&request, &mut |_| {}, &CancelToken::new())?;
                    Ok(DataSource::Dataset(name.into()))
                }
                DataSource::Dataset(key) => Err(ServiceError::Invalid(format!(
                    "dataset '{key}' cannot be combined with a file; import the file first"
                ))),
            }
        };
        let billing = import(&request.billing, request.kind, "billing")?;
        let customers = match &request.customers {
            Some(source) => Some(import(source, DatasetKind::Customers, "customers")?),
            None => None,
        };
        let on_the_fly = MetricsRequest { workspace: None, billing, customers, ..request.clone() };
        temporary.metric(&on_the_fly, query, format)
    }

    fn latest_version(&self, workspace: &Workspace, source: &DataSource, kind: DatasetKind) -> Result<DatasetVersion> {
        let DataSource::Dataset(key) = source else {
            return Err(ServiceError::Invalid("expected a dataset".into()));
        };
        let dataset = self.store.resolve_dataset(workspace.id, key)?;
        if dataset.kind != kind {
            return Err(ServiceError::Invalid(format!(
                "dataset '{}' holds {}, not {kind}; pass --kind {}",
                dataset.name, dataset.kind, dataset.kind
            )));
        }
        dataset
            .versions
            .last()
            .cloned()
            .ok_or_else(|| ServiceError::Invalid(format!("dataset '{}' has no version left", dataset.name)))
    }
}

fn has_file(request: &MetricsRequest) -> bool {
    matches!(request.billing, DataSource::File(_)) || matches!(request.customers, Some(DataSource::File(_)))
}

/// The model of these inputs under these model settings, and what `then` makes of it:
/// loaded from its snapshot when one was stored (any load error is a miss), otherwise
/// read, built, and stored as a snapshot for the next request — written on a second
/// thread while `then` runs.
pub(crate) fn load_or_build_with<T>(
    snapshot: &Path,
    settings: &MetricSettings,
    inputs: impl FnOnce() -> Result<MetricInputs>,
    then: impl FnOnce(&RevenueModel) -> Result<T>,
) -> Result<(RevenueModel, T)> {
    if let Ok(bytes) = fs::read(snapshot) {
        if let Ok(model) = RevenueModel::from_snapshot(&bytes, settings) {
            let answer = then(&model)?;
            return Ok((model, answer));
        }
    }
    let model = RevenueModel::build(inputs()?, settings)?;
    let (stored, answer) =
        side_by_side("snapshot-writer", || write_cache(snapshot, &model.to_snapshot()), || then(&model));
    let answer = answer?;
    stored?;
    Ok((model, answer))
}

/// One table of the model under the request's query-time settings, rendered.
fn render(
    model: &RevenueModel,
    settings: &MetricSettings,
    query: &MetricQuery,
    format: OutputFormat,
) -> Result<String> {
    let view = model.with_settings(settings)?;
    let table = match query {
        MetricQuery::Mrr => view.mrr_table().map(|t| t.tabular()),
        MetricQuery::Kpis => view.kpis().map(|t| t.tabular()),
        MetricQuery::Cohorts(options) => view.cohorts(*options).map(|t| t.tabular()),
        MetricQuery::TopCustomers { month, limit } => view.top_customers(*month, *limit).map(|t| t.tabular()),
        MetricQuery::Churn => view.churn().map(|t| t.tabular()),
    }?;
    Ok(table.render(format)?)
}

/// What a model snapshot is built from: the dataset versions, the rates, the kind, the
/// settings a model is built from, a customer filter and the snapshot format.
pub(crate) struct SnapshotKey<'a> {
    pub billing: Vec<VersionId>,
    pub customers: Option<VersionId>,
    pub rates: Option<&'a FxRates>,
    pub kind: DatasetKind,
    pub settings: &'a MetricSettings,
    pub filter: String,
}

impl SnapshotKey<'_> {
    /// The snapshot's file under the home's `model-cache/`, beside `cache/` which holds
    /// only finished answers.
    pub fn path(&self, home: &Path) -> PathBuf {
        let mut hash = Sha256::new();
        for part in [
            "model".to_string(),
            format!("{:?}", self.billing),
            format!("{:?}", self.customers),
            self.rates.map(FxRates::fingerprint).unwrap_or_default(),
            self.kind.to_string(),
            self.settings.model_key(),
            SNAPSHOT_FORMAT_VERSION.to_string(),
            self.filter.clone(),
        ] {
            hash.update(part.as_bytes());
            hash.update([0x1f]);
        }
        home.join("model-cache").join(format!("{}.bin", hex::encode(hash.finalize())))
    }
}

fn cache_key(
    billing: &[VersionId],
    customers: Option<VersionId>,
    rates: Option<&FxRates>,
    request: &MetricsRequest,
    query: &MetricQuery,
    format: OutputFormat,
) -> String {
    let mut hash = Sha256::new();
    for part in [
        format!("{billing:?}"),
        format!("{customers:?}"),
        rates.map(FxRates::fingerprint).unwrap_or_default(),
        request.kind.to_string(),
        request.settings.cache_key(),
        query.key(),
        format!("{format:?}"),
    ] {
        hash.update(part.as_bytes());
        hash.update([0x1f]);
    }
    hex::encode(hash.finalize())
}

/// Writes a cache entry atomically (a reader never sees half of it: a temporary file of
/// this process, then a rename); failures only cost a recomputation next time.
fn write_cache(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(StoreError::io_at(dir))?;
    }
    let partial = path.with_extension(format!("{}.partial", std::process::id()));
    if fs::write(&partial, bytes).and_then(|()| fs::rename(&partial, path)).is_err() {
        let _ = fs::remove_file(&partial);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn entries(dir: &Path) -> Vec<PathBuf> {
        fs::read_dir(dir).map(|d| d.flatten().map(|e| e.path()).collect()).unwrap_or_default()
    }

    #[test]
    fn other_query_settings_are_answered_from_the_model_snapshot() {
        let scratch = tempfile::tempdir().unwrap();
        let csv = scratch.path().join("tx.csv");
        fs::write(&csv, "customer_id,date,amount\nA,2025-01-05,10.00\nB,2025-02-01,20.00\nA,2025-03-05,15.50\n")
            .unwrap();
        let home = scratch.path().join("home");
        let mut service = Service::open(&home).unwrap();
        let mut import = ImportRequest::new(&csv, DatasetKind::Transactions);
        import.name = Some("tx".into());
        service.import(&import, &mut |_| {}, &CancelToken::new()).unwrap();
        let request = MetricsRequest {
            workspace: None,
            billing: DataSource::Dataset("tx".into()),
            kind: DatasetKind::Transactions,
            customers: None,
            rates: None,
            settings: MetricSettings::default(),
        };
        service.metric(&request, &MetricQuery::Mrr, OutputFormat::Csv).unwrap();
        assert_eq!(entries(&home.join("model-cache")).len(), 1);

        let later = MetricsRequest {
            settings: MetricSettings {
                to: Some("2025-02".parse().unwrap()),
                gross_margin_pct: 80.0,
                ..MetricSettings::default()
            },
            ..request.clone()
        };
        // Freshly built, without the snapshot.
        fs::rename(home.join("model-cache"), scratch.path().join("saved")).unwrap();
        let fresh = service.metric(&later, &MetricQuery::Kpis, OutputFormat::Csv).unwrap();
        fs::remove_dir_all(home.join("cache")).unwrap();
        fs::remove_dir_all(home.join("model-cache")).unwrap();
        fs::rename(scratch.path().join("saved"), home.join("model-cache")).unwrap();

        // With the tables gone, only the snapshot can answer.
        for table in entries(&home.join("tables")) {
            fs::remove_file(table).unwrap();
        }
        assert_eq!(service.metric(&later, &MetricQuery::Kpis, OutputFormat::Csv).unwrap(), fresh);

        // A damaged snapshot is a miss: the model is read again (and the table is gone).
        fs::remove_dir_all(home.join("cache")).unwrap();
        for snapshot in entries(&home.join("model-cache")) {
            fs::write(snapshot, b"RLMODEL\0garbage").unwrap();
        }
        assert!(service.metric(&later, &MetricQuery::Kpis, OutputFormat::Csv).is_err());
    }
}
