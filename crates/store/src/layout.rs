use std::fs;
use std::path::{Path, PathBuf};

use revlens_model::VersionId;

use crate::{Result, StoreError};

/// Where everything of a store lives under its home folder.
#[derive(Clone, Debug)]
pub struct Layout {
    home: PathBuf,
}

impl Layout {
    pub fn new(home: &Path) -> Self {
        Self { home: home.to_owned() }
    }

    pub fn home(&self) -> &Path {
        &self.home
    }

    pub fn database(&self) -> PathBuf {
        self.home.join("revlens.db")
    }

    pub fn backups(&self) -> PathBuf {
        self.home.join("backups")
    }

    pub fn staging(&self) -> PathBuf {
        self.home.join("staging")
    }

    pub fn tables(&self) -> PathBuf {
        self.home.join("tables")
    }

    pub fn blobs(&self) -> PathBuf {
        self.home.join("blobs")
    }

    /// The canonical table of a dataset version.
    pub fn table(&self, version: VersionId) -> PathBuf {
        self.tables().join(format!("{version}.parquet"))
    }

    /// The original file with this SHA-256 (lowercase hex), fanned out by its first byte.
    pub fn blob(&self, sha256: &str) -> PathBuf {
        let fan = sha256.get(..2).unwrap_or("00");
        self.blobs().join(fan).join(sha256)
    }

    pub(crate) fn create_dirs(&self) -> Result<()> {
        for dir in [self.home.clone(), self.backups(), self.staging(), self.tables(), self.blobs()] {
            fs::create_dir_all(&dir).map_err(StoreError::io_at(&dir))?;
        }
        Ok(())
    }
}
