use std::fs;

use revlens_model::{CancelToken, DatasetKind};
use revlens_store::{StoreError, Workspace};

use crate::{ImportRequest, Result, Service, ServiceError};

/// The name of the workspace the first run fills with sample data.
pub const DEMO_WORKSPACE: &str = "Demo SaaS";
const DEMO_SEED: u64 = 2023;

impl Service {
    /// Creates the demo workspace from the bundled generator (a SaaS with a few thousand
    /// customers over three years), importing its files like any user file. Returns the
    /// existing one if it is already there.
    pub fn create_demo_workspace(&mut self) -> Result<Workspace> {
        if let Some(workspace) = self.store.find_workspace(DEMO_WORKSPACE)? {
            if !self.store.datasets(workspace.id)?.is_empty() {
                return Ok(workspace);
            }
        }
        let workspace = self.store.workspace_or_create(DEMO_WORKSPACE)?;
        let demo = revlens_datagen::write_demo_saas(DEMO_SEED)
            .map_err(|e| ServiceError::Invalid(format!("cannot generate the demo data: {e}")))?;
        let staging = self.store.layout().staging();
        let dir = tempfile::tempdir_in(&staging).map_err(StoreError::io_at(&staging))?;
        let files = [
            ("subscriptions.csv", demo.subscriptions, DatasetKind::Subscriptions),
            ("customers.csv", demo.customers, DatasetKind::Customers),
        ];
        for (name, bytes, kind) in files {
            let path = dir.path().join(name);
            fs::write(&path, bytes).map_err(StoreError::io_at(&path))?;
            let mut request = ImportRequest::new(&path, kind);
            request.workspace = Some(workspace.name.clone());
            self.import(&request, &mut |_| {}, &CancelToken::new())?;
        }
        Ok(workspace)
    }
}
