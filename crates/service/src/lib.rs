//! RevLens's use cases, one function each, over the store, the importer and the engine.
//! The front doors (CLI, desktop app, `revlens serve`) are thin adapters over this crate.

mod demo;
mod error;
mod imports;
mod mappings;
mod metrics;
mod models;
pub mod secrets;
mod share_link;
mod sync;

pub use demo::DEMO_WORKSPACE;
pub use error::{OidcError, ServiceError};
pub use imports::{ImportRequest, ImportSummary, MappingChoice, Preview};
pub use mappings::load_mapping_file;
pub use metrics::{DataSource, MetricQuery, MetricsRequest};
pub use models::WorkspaceModel;
pub use revlens_sync::{ShareLink, ShareLinkCreated, SharedObject};
pub use share_link::{open_app_share_link, AppShareLink, ShareToken};
pub use sync::{LoginRequest, LogoutSummary, NotApplied, OidcLoginRequest, PullSummary, PushSummary, SyncStatus};

use std::path::Path;

use revlens_store::{Store, Workspace, DEFAULT_WORKSPACE};

pub type Result<T, E = ServiceError> = std::result::Result<T, E>;

/// An open RevLens home: the store and everything in it.
pub struct Service {
    store: Store,
    models: models::ModelCache,
}

impl Service {
    pub fn open(home: &Path) -> Result<Self> {
        Ok(Self { store: Store::open(home)?, models: models::ModelCache::default() })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn store_mut(&mut self) -> &mut Store {
        &mut self.store
    }

    /// The named workspace, or the default one (created on first use). A named
    /// workspace must exist.
    pub fn workspace(&self, name: Option<&str>) -> Result<Workspace> {
        Ok(match name {
            Some(name) => self.store.workspace(name)?,
            None => self.store.workspace_or_create(DEFAULT_WORKSPACE)?,
        })
    }
}
