//! The local store: one SQLite file in WAL mode beside the files it describes. Sync state
//! (account per workspace, object revisions, the pending-edit log) is in [`SyncAccount`] and
//! the `Store::*sync*` methods.
//!
//! ```text
//! <home>/revlens.db           metadata (this crate's schema, migrations/)
//! <home>/blobs/<ab>/<sha256>  original files, content-addressed
//! <home>/tables/<id>.parquet  canonical tables, one per dataset version
//! <home>/backups/             copies taken before each migration
//! <home>/staging/             imports in progress
//! ```

mod dataset_sync;
mod datasets;
mod documents;
mod error;
mod layout;
mod mappings;
mod migrate;
mod names;
mod periods;
mod sync;
mod time;
mod workspaces;

pub use dataset_sync::{DatasetBody, DeferredChange, Incoming, StagedVersion, SyncedVersion, DATASET_KIND};
pub use datasets::{Dataset, DatasetVersion, NewVersion, SkippedRow, Staging};
pub use documents::{Document, DocumentKind};
pub use error::StoreError;
pub use layout::Layout;
pub use mappings::SavedMapping;
pub use migrate::{latest_version, migrations, Migration};
pub use periods::ReportingPeriod;
pub use sync::{mapping_body, Applied, NewSyncAccount, PendingMutation, RemoteObject, SyncAccount, MAPPING_KIND};
pub use workspaces::{Workspace, DEFAULT_WORKSPACE};

use std::path::Path;

use rusqlite::Connection;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// An open store. One per process is enough; SQLite's WAL lets other processes read
/// while it writes.
pub struct Store {
    conn: Connection,
    layout: Layout,
}

impl Store {
    /// Opens (creating if needed) the store under `home`, migrating it to this
    /// version's schema after taking a backup copy. A store written by a newer RevLens
    /// is refused untouched.
    pub fn open(home: &Path) -> Result<Self> {
        let layout = Layout::new(home);
        layout.create_dirs()?;
        let conn = migrate::open_and_migrate(&layout)?;
        let store = Self { conn, layout };
        store.sweep_abandoned_files()?;
        Ok(store)
    }

    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<u32> {
        Ok(self.conn.query_row("PRAGMA user_version", [], |row| row.get(0))?)
    }
}
