//! Settings: embedded defaults, then a TOML file (`--config`), then the command line and the
//! environment (see `main.rs`).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Where to listen. Default 127.0.0.1:8787.
    pub bind: SocketAddr,
    /// Holds the SQLite file (`revlens-sync.sqlite`) and the blobs folder (`blobs/`).
    pub data_dir: PathBuf,
    /// `sqlite://PATH`; default: the SQLite file in `data_dir`.
    pub database_url: Option<String>,
    /// The base URL share links point at; default `http://{bind}`.
    pub public_url: Option<String>,
    pub access_token_ttl_secs: u64,
    pub refresh_token_ttl_secs: u64,
    pub invitation_ttl_secs: u64,
    /// The largest blob one PUT may carry.
    pub max_blob_bytes: usize,
    /// The largest JSON body (push requests included).
    pub max_json_bytes: usize,
    /// Changes per pull page.
    pub pull_page_size: u32,
    pub login: LoginLimits,
    pub argon2: Argon2Settings,
}

/// Login back-off: after `*_max_failures` failures in a row, a key (an account's email, or a
/// client address) is locked for `base_backoff_secs`, doubling with every further failure up to
/// `max_backoff_secs`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LoginLimits {
    pub account_max_failures: u32,
    pub ip_max_failures: u32,
    pub base_backoff_secs: u64,
    pub max_backoff_secs: u64,
}

/// Argon2id cost. The defaults follow OWASP's recommendation (19 MiB, 2 passes, 1 lane).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Argon2Settings {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8787)),
            data_dir: PathBuf::from("revlens-sync-data"),
            database_url: None,
            public_url: None,
            access_token_ttl_secs: 15 * 60,
            refresh_token_ttl_secs: 30 * 24 * 3600,
            invitation_ttl_secs: 7 * 24 * 3600,
            max_blob_bytes: 256 * 1024 * 1024,
            max_json_bytes: 8 * 1024 * 1024,
            pull_page_size: 500,
            login: LoginLimits::default(),
            argon2: Argon2Settings::default(),
        }
    }
}

impl Default for LoginLimits {
    fn default() -> Self {
        Self { account_max_failures: 5, ip_max_failures: 50, base_backoff_secs: 30, max_backoff_secs: 15 * 60 }
    }
}

impl Default for Argon2Settings {
    fn default() -> Self {
        Self { memory_kib: 19 * 1024, iterations: 2, parallelism: 1 }
    }
}

/// Why the settings could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("invalid settings in {path}: {source}")]
    Parse { path: PathBuf, source: toml::de::Error },
    #[error("environment variable {name}: {message}")]
    Env { name: &'static str, message: String },
}

impl Settings {
    /// The defaults, overlaid with `file` when given.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let Some(path) = file else { return Ok(Self::default()) };
        let text =
            std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_owned(), source })?;
        toml::from_str(&text).map_err(|source| ConfigError::Parse { path: path.to_owned(), source })
    }

    /// Overrides from environment variables (`var` reads one; `std::env::var` in the binary):
    /// `REVLENS_SYNC_PUBLIC_URL`, `REVLENS_SYNC_ACCESS_TOKEN_TTL_SECS`,
    /// `REVLENS_SYNC_REFRESH_TOKEN_TTL_SECS`, `REVLENS_SYNC_INVITATION_TTL_SECS`,
    /// `REVLENS_SYNC_MAX_BLOB_BYTES`. (`--bind`, `--data-dir`, `--database-url` and `--config` have
    /// their own variables, read with the command line.)
    pub fn apply_env(&mut self, var: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        fn number<T: std::str::FromStr>(name: &'static str, value: &str) -> Result<T, ConfigError> {
            value.trim().parse().map_err(|_| ConfigError::Env { name, message: "expected a whole number".into() })
        }
        if let Some(url) = var("REVLENS_SYNC_PUBLIC_URL") {
            self.public_url = Some(url);
        }
        for (name, target) in [
            ("REVLENS_SYNC_ACCESS_TOKEN_TTL_SECS", &mut self.access_token_ttl_secs),
            ("REVLENS_SYNC_REFRESH_TOKEN_TTL_SECS", &mut self.refresh_token_ttl_secs),
            ("REVLENS_SYNC_INVITATION_TTL_SECS", &mut self.invitation_ttl_secs),
        ] {
            if let Some(value) = var(name) {
                *target = number(name, &value)?;
            }
        }
        if let Some(value) = var("REVLENS_SYNC_MAX_BLOB_BYTES") {
            self.max_blob_bytes = number("REVLENS_SYNC_MAX_BLOB_BYTES", &value)?;
        }
        Ok(())
    }

    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("revlens-sync.sqlite").display()))
    }

    pub fn blobs_dir(&self) -> PathBuf {
        self.data_dir.join("blobs")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_overrides_some_defaults() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("server.toml");
        std::fs::write(&path, "access_token_ttl_secs = 60\n[login]\naccount_max_failures = 3\n")?;
        let settings = Settings::load(Some(&path))?;
        assert_eq!(settings.access_token_ttl_secs, 60);
        assert_eq!(settings.login.account_max_failures, 3);
        assert_eq!(settings.bind.port(), 8787);
        std::fs::write(&path, "acces_token_ttl = 60\n")?;
        assert!(Settings::load(Some(&path)).is_err(), "unknown keys are refused");
        Ok(())
    }

    #[test]
    fn the_environment_overrides_the_file() {
        let mut settings = Settings::default();
        let env = |name: &str| match name {
            "REVLENS_SYNC_ACCESS_TOKEN_TTL_SECS" => Some("120".to_owned()),
            "REVLENS_SYNC_PUBLIC_URL" => Some("https://sync.example.com".to_owned()),
            _ => None,
        };
        assert!(settings.apply_env(env).is_ok());
        assert_eq!(settings.access_token_ttl_secs, 120);
        assert_eq!(settings.public_url.as_deref(), Some("https://sync.example.com"));
        let bad = |name: &str| (name == "REVLENS_SYNC_INVITATION_TTL_SECS").then(|| "a week".to_owned());
        let err = settings.apply_env(bad).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("REVLENS_SYNC_INVITATION_TTL_SECS"), "{err}");
    }
}
