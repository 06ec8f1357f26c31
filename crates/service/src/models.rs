//! The revenue model of a workspace, as the app's dashboards use it: its billing dataset
//! (the latest subscriptions, else transactions), its customers dataset when there is one,
//! and a customer filter. Built models stay in memory (a few, most recent first) and as
//! snapshots on disk, so switching pages or filters does not rebuild them.

use std::path::Path;
use std::sync::Arc;

use revlens_engine::metrics::{
    filter_options, CustomerFilter, FilterOptions, MetricInputs, MetricSettings, RevenueModel,
};
use revlens_engine::table::{scan_table, ColumnFacts};
use revlens_model::DatasetKind;
use revlens_store::{Dataset, Workspace};
use sha2::{Digest, Sha256};

use crate::metrics::{load_or_build_with, SnapshotKey};
use crate::{Result, Service};

/// Models kept in memory; each is a few MB per 100k customers.
const MODELS_IN_MEMORY: usize = 4;

/// A workspace's model and the datasets it was built from.
#[derive(Clone, Debug)]
pub struct WorkspaceModel {
    pub model: Arc<RevenueModel>,
    pub billing: Dataset,
    pub customers: Option<Dataset>,
}

#[derive(Default)]
pub(crate) struct ModelCache {
    entries: Vec<(String, WorkspaceModel)>,
}

impl Service {
    /// The datasets a workspace's dashboards are computed from: the most recently updated
    /// subscriptions dataset (else transactions) and customers dataset.
    pub fn dashboard_datasets(&self, workspace: &Workspace) -> Result<(Option<Dataset>, Option<Dataset>)> {
        let mut datasets = self.store.datasets(workspace.id)?;
        datasets.retain(|d| d.latest().is_some());
        datasets.sort_by(|a, b| b.updated_at.cmp(&a.updated_at));
        let find = |kind: DatasetKind| datasets.iter().find(|d| d.kind == kind).cloned();
        let billing = find(DatasetKind::Subscriptions).or_else(|| find(DatasetKind::Transactions));
        Ok((billing, find(DatasetKind::Customers)))
    }

    /// The model of the workspace under a customer filter; `None` when the workspace has
    /// no subscriptions or transactions yet.
    pub fn workspace_model(
        &mut self,
        workspace: &Workspace,
        filter: &CustomerFilter,
    ) -> Result<Option<WorkspaceModel>> {
        let (Some(billing), customers) = self.dashboard_datasets(workspace)? else {
            return Ok(None);
        };
        let billing_version = billing.latest().map(|v| v.id);
        let customers_version = customers.as_ref().and_then(|c| c.latest()).map(|v| v.id);
        let settings = MetricSettings::default();
        let key = {
            let mut hash = Sha256::new();
            hash.update(format!("{billing_version:?}|{customers_version:?}|{}|{}", filter.key(), billing.kind));
            hex::encode(hash.finalize())
        };
        if let Some(position) = self.models.entries.iter().position(|(k, _)| *k == key) {
            let entry = self.models.entries.remove(position);
            let found = entry.1.clone();
            self.models.entries.insert(0, entry);
            return Ok(Some(found));
        }
        let layout = self.store.layout();
        let billing_table = billing_version.map(|v| layout.table(v));
        let customers_table = customers_version.map(|v| layout.table(v));
        let customers_frame = || customers_table.as_deref().map(scan_table).transpose();
        let model = match &billing_table {
            // Attributes of customers (segment, country, their plan) restrict the whole
            // model in memory: no table is read again.
            Some(table) if !filter.is_empty() && !filter.filters_billing_rows(scan_table(table)?)? => {
                let Some(all) = self.workspace_model(workspace, &CustomerFilter::default())? else {
                    return Ok(None);
                };
                let ids = filter.matching_customers(customers_frame()?, false)?;
                all.model.restricted_to(|id| ids.contains(id))?
            }
            _ => {
                let snapshot = SnapshotKey {
                    billing: billing_version.into_iter().collect(),
                    customers: customers_version,
                    rates: None,
                    kind: billing.kind,
                    settings: &settings,
                    filter: filter.key(),
                };
                let inputs = || {
                    let Some(table) = &billing_table else {
                        return Err(crate::ServiceError::Invalid("the billing dataset has no version".into()));
                    };
                    let customers = customers_frame()?;
                    let frame = filter.apply(scan_table(table)?, customers.clone())?;
                    // The filter selects rows: what the file proves of its columns still holds.
                    let mut inputs =
                        MetricInputs::for_kind(billing.kind, frame)?.with_billing_facts(ColumnFacts::of_table(table)?);
                    if let Some(customers) = customers {
                        inputs = inputs.with_customers(customers);
                    }
                    Ok(inputs)
                };
                load_or_build_with(&snapshot.path(layout.home()), &settings, inputs, |_| Ok(()))?.0
            }
        };
        let found = WorkspaceModel { model: Arc::new(model), billing, customers };
        self.models.entries.insert(0, (key, found.clone()));
        self.models.entries.truncate(MODELS_IN_MEMORY);
        Ok(Some(found))
    }

    /// The values the workspace's filters can take.
    pub fn filter_options(&self, workspace: &Workspace) -> Result<FilterOptions> {
        let (Some(billing), customers) = self.dashboard_datasets(workspace)? else {
            return Ok(FilterOptions::default());
        };
        let table = |dataset: &Dataset| dataset.latest().map(|v| self.store.layout().table(v.id));
        let customers = customers.as_ref().and_then(table).as_deref().map(scan_table).transpose()?;
        let Some(billing) = table(&billing) else { return Ok(FilterOptions::default()) };
        Ok(filter_options(scan_table(Path::new(&billing))?, customers)?)
    }
}
