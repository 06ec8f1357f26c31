use std::fs;
use std::path::{Path, PathBuf};

use revlens_engine::metrics::{
    CohortOptions, FxRates, MetricInputs, MetricSettings, OutputFormat, RevenueModel, YearMonth,
};
use revlens_engine::table::scan_table;
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
        let key = cache_key(&[billing.id], customers.as_ref().map(|c| c.id), rates.as_ref(), request, query, format);
        let cached = self.store.layout().home().join("cache").join("metrics").join(format!("{key}.out"));
        if let Ok(text) = fs::read_to_string(&cached) {
            return Ok(text);
        }
        let text = compute(
            self.store.layout().table(billing.id).as_path(),
            request.kind,
            customers.map(|c| self.store.layout().table(c.id)).as_deref(),
            rates,
            &request.settings,
            query,
            format,
        )?;
        write_cache(&cached, &text)?;
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

fn compute(
    billing: &Path,
    kind: DatasetKind,
    customers: Option<&Path>,
    rates: Option<FxRates>,
    settings: &MetricSettings,
    query: &MetricQuery,
    format: OutputFormat,
) -> Result<String> {
    let mut inputs = MetricInputs::for_kind(kind, scan_table(billing)?)?;
    if let Some(customers) = customers {
        inputs = inputs.with_customers(scan_table(customers)?);
    }
    if let Some(rates) = rates {
        inputs = inputs.with_rates(rates);
    }
    let model = RevenueModel::build(inputs, settings)?;
    let table = match query {
        MetricQuery::Mrr => model.mrr_table().map(|t| t.tabular()),
        MetricQuery::Kpis => model.kpis().map(|t| t.tabular()),
        MetricQuery::Cohorts(options) => model.cohorts(*options).map(|t| t.tabular()),
        MetricQuery::TopCustomers { month, limit } => model.top_customers(*month, *limit).map(|t| t.tabular()),
        MetricQuery::Churn => model.churn().map(|t| t.tabular()),
    }?;
    Ok(table.render(format)?)
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

/// Writes a cache entry atomically (a reader never sees half of it); failures only cost
/// a recomputation next time.
fn write_cache(path: &Path, text: &str) -> Result<()> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(StoreError::io_at(dir))?;
    }
    let partial = path.with_extension("partial");
    if fs::write(&partial, text).is_ok() {
        let _ = fs::rename(&partial, path);
    }
    Ok(())
}
