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
    /// The base URL of share links and of mailed links (password reset, email change); default
    /// `http://{bind}`.
    pub public_url: Option<String>,
    pub access_token_ttl_secs: u64,
    pub refresh_token_ttl_secs: u64,
    pub invitation_ttl_secs: u64,
    /// How long an emailed password-reset link works. Default one hour.
    pub password_reset_ttl_secs: u64,
    /// How long an emailed email-change confirmation link works. Default one hour.
    pub email_change_ttl_secs: u64,
    /// The largest blob one `PUT /blobs/{sha256}` may carry (larger files go through resumable
    /// uploads, see [`BlobSettings`]).
    pub max_blob_bytes: usize,
    /// The largest JSON body (push requests included).
    pub max_json_bytes: usize,
    /// Changes per pull page.
    pub pull_page_size: u32,
    pub login: LoginLimits,
    pub argon2: Argon2Settings,
    /// How many account mails (password resets, email changes) may be asked for.
    pub mail_limits: MailLimits,
    /// The mail server; without it, password resets and email changes are refused (503).
    pub smtp: Option<SmtpSettings>,
    /// Where blobs are kept, and the limits of resumable uploads.
    pub blobs: BlobSettings,
    /// OIDC sign-in, per org (`[[oidc]]` sections); orgs without one sign in by password only.
    pub oidc: Vec<OidcOrgSettings>,
    /// Browser origins allowed to call the API (`[cors]`); default none.
    pub cors: CorsSettings,
    /// Serve HTTPS with this certificate (`[tls]`); default plain HTTP.
    pub tls: Option<TlsSettings>,
}

/// One org's OpenID Connect provider (a `[[oidc]]` section). The client secret is never read
/// from the file: `client_secret_env` names the environment variable that holds it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcOrgSettings {
    /// The org's id (as `admin create-owner` prints it).
    pub org: String,
    /// The provider's issuer URL; its `/.well-known/openid-configuration` is read.
    pub issuer: String,
    pub client_id: String,
    /// The environment variable with the client secret; none for a public client (PKCE only).
    #[serde(default)]
    pub client_secret_env: Option<String>,
    #[serde(skip)]
    pub client_secret: Option<Secret>,
}

/// `[cors]`: the exact origins (`scheme://host[:port]`) whose pages may call the API with a
/// bearer token. Empty (the default): no cross-origin access at all.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CorsSettings {
    pub allowed_origins: Vec<String>,
}

/// `[tls]`: PEM files of the certificate chain and its private key.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsSettings {
    pub cert_path: PathBuf,
    pub key_path: PathBuf,
}

/// Which store keeps the blobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BlobBackend {
    /// A folder on this machine (`dir`, default `{data_dir}/blobs`).
    Local,
    /// An S3-compatible bucket (`[blobs.s3]`); several instances share it.
    S3,
}

impl std::str::FromStr for BlobBackend {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "local" => Ok(Self::Local),
            "s3" => Ok(Self::S3),
            other => Err(format!("expected local or s3, not {other:?}")),
        }
    }
}

/// The `[blobs]` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BlobSettings {
    pub backend: BlobBackend,
    /// The folder of the local backend; default `{data_dir}/blobs`.
    pub dir: Option<PathBuf>,
    /// The largest file a resumable upload may announce.
    pub max_upload_bytes: u64,
    /// The largest chunk one `PUT /uploads/{id}` may carry.
    pub max_chunk_bytes: u64,
    /// An unfinished upload untouched this long is deleted, with the chunks it holds.
    pub upload_ttl_secs: u64,
    /// How often expired uploads are looked for.
    pub sweep_interval_secs: u64,
    /// The bucket of the `s3` backend.
    pub s3: Option<S3Settings>,
}

impl Default for BlobSettings {
    fn default() -> Self {
        Self {
            backend: BlobBackend::Local,
            dir: None,
            max_upload_bytes: 64 * 1024 * 1024 * 1024,
            max_chunk_bytes: 64 * 1024 * 1024,
            upload_ttl_secs: 24 * 3600,
            sweep_interval_secs: 600,
            s3: None,
        }
    }
}

/// The `[blobs.s3]` section: an S3-compatible bucket. Credentials come from here or else from the
/// standard AWS environment variables (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
/// `AWS_SESSION_TOKEN`, and `AWS_REGION`/`AWS_ENDPOINT` for the other keys); they never show in
/// `Debug` output or in logs, and never reach the database.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3Settings {
    pub bucket: String,
    #[serde(default)]
    pub region: Option<String>,
    /// For S3-compatible servers (MinIO, Ceph, moto …): `http(s)://host:port`.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// Allows a plain-HTTP endpoint (a server on the same host or network only).
    #[serde(default)]
    pub allow_http: bool,
    /// Addresses the bucket as `{endpoint}/{bucket}` instead of `{bucket}.{endpoint}` (what most
    /// self-hosted servers need).
    #[serde(default)]
    pub path_style: bool,
    /// A key prefix, so one bucket can hold several things.
    #[serde(default)]
    pub prefix: Option<String>,
    #[serde(default)]
    pub access_key_id: Option<String>,
    #[serde(default)]
    pub secret_access_key: Option<Secret>,
    #[serde(default)]
    pub session_token: Option<Secret>,
}

impl S3Settings {
    /// A bucket with no other setting (credentials and region from the environment).
    pub fn new(bucket: impl Into<String>) -> Self {
        Self {
            bucket: bucket.into(),
            region: None,
            endpoint: None,
            allow_http: false,
            path_style: false,
            prefix: None,
            access_key_id: None,
            secret_access_key: None,
            session_token: None,
        }
    }
}

/// Account mails asked for per `window_secs`: at most `per_account` per account (the email
/// address asked about, or the signed-in user) and `per_address` per client address.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MailLimits {
    pub per_account: u32,
    pub per_address: u32,
    pub window_secs: u64,
}

impl Default for MailLimits {
    fn default() -> Self {
        Self { per_account: 3, per_address: 20, window_secs: 3600 }
    }
}

/// How the connection to the mail server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain text (a relay on the same host or a trusted network only). Default port 25.
    None,
    /// Plain text upgraded with STARTTLS, which is required. Default port 587.
    Starttls,
    /// TLS from the first byte (SMTPS). Default port 465.
    Tls,
}

impl std::str::FromStr for SmtpTls {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "none" => Ok(Self::None),
            "starttls" => Ok(Self::Starttls),
            "tls" => Ok(Self::Tls),
            other => Err(format!("expected none, starttls or tls, not {other:?}")),
        }
    }
}

/// The `[smtp]` section. The password is never read from the file: only from the environment
/// (`REVLENS_SYNC_SMTP_PASSWORD`), and it never appears in `Debug` output or in logs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpSettings {
    pub host: String,
    /// Default: 25, 587 or 465 after `tls`.
    #[serde(default)]
    pub port: Option<u16>,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(skip)]
    pub password: Option<Secret>,
    /// The sender, `Name <address>` or `address`.
    pub from: String,
    #[serde(default = "default_smtp_tls")]
    pub tls: SmtpTls,
    /// How long one SMTP command may take.
    #[serde(default = "default_smtp_timeout_secs")]
    pub timeout_secs: u64,
}

fn default_smtp_tls() -> SmtpTls {
    SmtpTls::Starttls
}

fn default_smtp_timeout_secs() -> u64 {
    15
}

impl SmtpSettings {
    /// Settings for `host` and sender `from`, STARTTLS, no credentials.
    pub fn new(host: impl Into<String>, from: impl Into<String>) -> Self {
        Self {
            host: host.into(),
            port: None,
            username: None,
            password: None,
            from: from.into(),
            tls: default_smtp_tls(),
            timeout_secs: default_smtp_timeout_secs(),
        }
    }

    pub fn port(&self) -> u16 {
        self.port.unwrap_or(match self.tls {
            SmtpTls::None => 25,
            SmtpTls::Starttls => 587,
            SmtpTls::Tls => 465,
        })
    }
}

/// A secret setting: its `Debug` shows only that it is set.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
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
            password_reset_ttl_secs: 3600,
            email_change_ttl_secs: 3600,
            max_blob_bytes: 256 * 1024 * 1024,
            max_json_bytes: 8 * 1024 * 1024,
            pull_page_size: 500,
            login: LoginLimits::default(),
            argon2: Argon2Settings::default(),
            mail_limits: MailLimits::default(),
            smtp: None,
            blobs: BlobSettings::default(),
            oidc: Vec::new(),
            cors: CorsSettings::default(),
            tls: None,
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
    #[error("blob settings: {0}")]
    Blobs(String),
    #[error("[[oidc]] of org {org}: the client secret's variable {var} is not set")]
    OidcSecretMissing { org: String, var: String },
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
    /// `REVLENS_SYNC_MAX_BLOB_BYTES`, `REVLENS_SYNC_PASSWORD_RESET_TTL_SECS`,
    /// `REVLENS_SYNC_EMAIL_CHANGE_TTL_SECS`, and for the mail server `REVLENS_SYNC_SMTP_HOST`,
    /// `REVLENS_SYNC_SMTP_PORT`, `REVLENS_SYNC_SMTP_USERNAME`, `REVLENS_SYNC_SMTP_PASSWORD` (the
    /// only place the password is read from), `REVLENS_SYNC_SMTP_FROM`, `REVLENS_SYNC_SMTP_TLS`
    /// (a host or a sender in the environment without the other and without an `[smtp]` section
    /// is an error). (`--bind`, `--data-dir`, `--database-url` and `--config` have
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
            ("REVLENS_SYNC_PASSWORD_RESET_TTL_SECS", &mut self.password_reset_ttl_secs),
            ("REVLENS_SYNC_EMAIL_CHANGE_TTL_SECS", &mut self.email_change_ttl_secs),
        ] {
            if let Some(value) = var(name) {
                *target = number(name, &value)?;
            }
        }
        if let Some(value) = var("REVLENS_SYNC_MAX_BLOB_BYTES") {
            self.max_blob_bytes = number("REVLENS_SYNC_MAX_BLOB_BYTES", &value)?;
        }
        for (name, target) in [
            ("REVLENS_SYNC_MAX_UPLOAD_BYTES", &mut self.blobs.max_upload_bytes),
            ("REVLENS_SYNC_MAX_CHUNK_BYTES", &mut self.blobs.max_chunk_bytes),
            ("REVLENS_SYNC_UPLOAD_TTL_SECS", &mut self.blobs.upload_ttl_secs),
        ] {
            if let Some(value) = var(name) {
                *target = number(name, &value)?;
            }
        }
        self.apply_blob_env(&var)?;
        self.apply_edge_env(&var)?;
        self.apply_smtp_env(&var, number)
    }

    /// `REVLENS_SYNC_BLOB_BACKEND`, `REVLENS_SYNC_BLOB_DIR` and the bucket's
    /// `REVLENS_SYNC_S3_BUCKET`, `REVLENS_SYNC_S3_REGION`, `REVLENS_SYNC_S3_ENDPOINT`,
    /// `REVLENS_SYNC_S3_PREFIX`, `REVLENS_SYNC_S3_ALLOW_HTTP`, `REVLENS_SYNC_S3_PATH_STYLE`
    /// (credentials: the AWS variables, read when the store is built).
    fn apply_blob_env(&mut self, var: &impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        fn flag(name: &'static str, value: &str) -> Result<bool, ConfigError> {
            match value.trim().to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" => Ok(true),
                "0" | "false" | "no" => Ok(false),
                _ => Err(ConfigError::Env { name, message: "expected true or false".into() }),
            }
        }
        if let Some(backend) = var("REVLENS_SYNC_BLOB_BACKEND") {
            self.blobs.backend =
                backend.parse().map_err(|message| ConfigError::Env { name: "REVLENS_SYNC_BLOB_BACKEND", message })?;
        }
        if let Some(dir) = var("REVLENS_SYNC_BLOB_DIR") {
            self.blobs.dir = Some(PathBuf::from(dir));
        }
        if let Some(bucket) = var("REVLENS_SYNC_S3_BUCKET") {
            match self.blobs.s3.as_mut() {
                Some(s3) => s3.bucket = bucket,
                None => self.blobs.s3 = Some(S3Settings::new(bucket)),
            }
        }
        let names = [
            "REVLENS_SYNC_S3_REGION",
            "REVLENS_SYNC_S3_ENDPOINT",
            "REVLENS_SYNC_S3_PREFIX",
            "REVLENS_SYNC_S3_ALLOW_HTTP",
            "REVLENS_SYNC_S3_PATH_STYLE",
        ];
        let Some(s3) = self.blobs.s3.as_mut() else {
            return match names.into_iter().find(|name| var(name).is_some()) {
                Some(name) => {
                    Err(ConfigError::Env { name, message: "needs REVLENS_SYNC_S3_BUCKET or [blobs.s3]".into() })
                }
                None => Ok(()),
            };
        };
        if let Some(region) = var("REVLENS_SYNC_S3_REGION") {
            s3.region = Some(region);
        }
        if let Some(endpoint) = var("REVLENS_SYNC_S3_ENDPOINT") {
            s3.endpoint = Some(endpoint);
        }
        if let Some(prefix) = var("REVLENS_SYNC_S3_PREFIX") {
            s3.prefix = Some(prefix);
        }
        if let Some(value) = var("REVLENS_SYNC_S3_ALLOW_HTTP") {
            s3.allow_http = flag("REVLENS_SYNC_S3_ALLOW_HTTP", &value)?;
        }
        if let Some(value) = var("REVLENS_SYNC_S3_PATH_STYLE") {
            s3.path_style = flag("REVLENS_SYNC_S3_PATH_STYLE", &value)?;
        }
        Ok(())
    }

    /// OIDC client secrets (each `[[oidc]]`'s `client_secret_env`), and
    /// `REVLENS_SYNC_CORS_ALLOWED_ORIGINS` (comma-separated), `REVLENS_SYNC_TLS_CERT_PATH` with
    /// `REVLENS_SYNC_TLS_KEY_PATH` (both, or neither when the file has no `[tls]`).
    fn apply_edge_env(&mut self, var: &impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        for oidc in &mut self.oidc {
            if let Some(name) = &oidc.client_secret_env {
                let secret = var(name)
                    .ok_or_else(|| ConfigError::OidcSecretMissing { org: oidc.org.clone(), var: name.clone() })?;
                oidc.client_secret = Some(Secret::new(secret));
            }
        }
        if let Some(origins) = var("REVLENS_SYNC_CORS_ALLOWED_ORIGINS") {
            self.cors.allowed_origins =
                origins.split(',').map(str::trim).filter(|o| !o.is_empty()).map(str::to_owned).collect();
        }
        let cert = var("REVLENS_SYNC_TLS_CERT_PATH").map(PathBuf::from);
        let key = var("REVLENS_SYNC_TLS_KEY_PATH").map(PathBuf::from);
        match (&mut self.tls, cert, key) {
            (Some(tls), cert, key) => {
                if let Some(cert) = cert {
                    tls.cert_path = cert;
                }
                if let Some(key) = key {
                    tls.key_path = key;
                }
            }
            (None, Some(cert_path), Some(key_path)) => self.tls = Some(TlsSettings { cert_path, key_path }),
            (None, None, None) => {}
            (None, cert, _) => {
                return Err(ConfigError::Env {
                    name: if cert.is_some() { "REVLENS_SYNC_TLS_KEY_PATH" } else { "REVLENS_SYNC_TLS_CERT_PATH" },
                    message: "TLS needs both REVLENS_SYNC_TLS_CERT_PATH and REVLENS_SYNC_TLS_KEY_PATH".into(),
                })
            }
        }
        Ok(())
    }

    /// The `[[oidc]]` settings of `org`, if it has any.
    pub fn oidc_for(&self, org: &str) -> Option<&OidcOrgSettings> {
        self.oidc.iter().find(|o| o.org == org)
    }

    /// Checks what the blob settings need together: the `s3` backend needs a bucket, chunks
    /// and uploads need room.
    pub fn check_blobs(&self) -> Result<(), ConfigError> {
        let b = &self.blobs;
        if b.backend == BlobBackend::S3 && b.s3.as_ref().is_none_or(|s3| s3.bucket.trim().is_empty()) {
            return Err(ConfigError::Blobs("backend = \"s3\" needs [blobs.s3] with a bucket".into()));
        }
        if b.max_chunk_bytes == 0 || b.max_upload_bytes == 0 || b.sweep_interval_secs == 0 {
            return Err(ConfigError::Blobs(
                "max_chunk_bytes, max_upload_bytes and sweep_interval_secs must be above 0".into(),
            ));
        }
        Ok(())
    }

    fn apply_smtp_env(
        &mut self,
        var: &impl Fn(&str) -> Option<String>,
        number: fn(&'static str, &str) -> Result<u16, ConfigError>,
    ) -> Result<(), ConfigError> {
        let host = var("REVLENS_SYNC_SMTP_HOST");
        let from = var("REVLENS_SYNC_SMTP_FROM");
        if self.smtp.is_none() {
            match (host.clone(), from.clone()) {
                (Some(host), Some(from)) => self.smtp = Some(SmtpSettings::new(host, from)),
                (None, None) => {}
                (Some(_), None) | (None, Some(_)) => {
                    return Err(ConfigError::Env {
                        name: if host.is_some() { "REVLENS_SYNC_SMTP_FROM" } else { "REVLENS_SYNC_SMTP_HOST" },
                        message: "the mail server needs both REVLENS_SYNC_SMTP_HOST and REVLENS_SYNC_SMTP_FROM".into(),
                    })
                }
            }
        }
        let Some(smtp) = self.smtp.as_mut() else { return Ok(()) };
        if let Some(host) = host {
            smtp.host = host;
        }
        if let Some(from) = from {
            smtp.from = from;
        }
        if let Some(port) = var("REVLENS_SYNC_SMTP_PORT") {
            smtp.port = Some(number("REVLENS_SYNC_SMTP_PORT", &port)?);
        }
        if let Some(username) = var("REVLENS_SYNC_SMTP_USERNAME") {
            smtp.username = Some(username);
        }
        if let Some(password) = var("REVLENS_SYNC_SMTP_PASSWORD") {
            smtp.password = Some(Secret::new(password));
        }
        if let Some(tls) = var("REVLENS_SYNC_SMTP_TLS") {
            smtp.tls = tls.parse().map_err(|message| ConfigError::Env { name: "REVLENS_SYNC_SMTP_TLS", message })?;
        }
        Ok(())
    }

    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("revlens-sync.sqlite").display()))
    }

    /// The folder of the local blob backend.
    pub fn blobs_dir(&self) -> PathBuf {
        self.blobs.dir.clone().unwrap_or_else(|| self.data_dir.join("blobs"))
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

    #[test]
    fn smtp_comes_from_the_file_and_its_password_from_the_environment() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("server.toml");
        std::fs::write(
            &path,
            "password_reset_ttl_secs = 600\n[smtp]\nhost = \"mail.example.com\"\nusername = \"revlens\"\n\
             from = \"RevLens <no-reply@example.com>\"\ntls = \"tls\"\n",
        )?;
        let mut settings = Settings::load(Some(&path))?;
        assert_eq!(settings.password_reset_ttl_secs, 600);
        assert_eq!(settings.email_change_ttl_secs, 3600);
        let env = |name: &str| (name == "REVLENS_SYNC_SMTP_PASSWORD").then(|| "hunter2-secret".to_owned());
        settings.apply_env(env)?;
        let smtp = settings.smtp.clone().ok_or("no smtp")?;
        assert_eq!((smtp.host.as_str(), smtp.port(), smtp.tls), ("mail.example.com", 465, SmtpTls::Tls));
        assert_eq!(smtp.password.as_ref().map(Secret::expose), Some("hunter2-secret"));
        assert!(!format!("{settings:?}").contains("hunter2"), "the password never shows in Debug");

        std::fs::write(&path, "[smtp]\nhost = \"h\"\nfrom = \"a@b.c\"\npassword = \"in the file\"\n")?;
        assert!(Settings::load(Some(&path)).is_err(), "the password is refused in the file");
        std::fs::write(&path, "[smtp]\nhost = \"h\"\nfrom = \"a@b.c\"\ntls = \"ssl\"\n")?;
        assert!(Settings::load(Some(&path)).is_err());
        Ok(())
    }

    #[test]
    fn s3_comes_from_the_file_and_the_environment() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("server.toml");
        std::fs::write(
            &path,
            "[blobs]\nbackend = \"s3\"\nmax_chunk_bytes = 1024\n[blobs.s3]\nbucket = \"revlens\"\n\
             region = \"eu-west-1\"\nsecret_access_key = \"wJalrXUtnFEMI-secret\"\naccess_key_id = \"AKIA1\"\n",
        )?;
        let mut settings = Settings::load(Some(&path))?;
        settings.check_blobs()?;
        assert_eq!(settings.blobs.backend, BlobBackend::S3);
        assert_eq!(settings.blobs.max_chunk_bytes, 1024);
        assert!(!format!("{settings:?}").contains("wJalrXUtnFEMI"), "the secret key never shows in Debug");
        let env = |name: &str| match name {
            "REVLENS_SYNC_S3_ENDPOINT" => Some("http://127.0.0.1:9000".to_owned()),
            "REVLENS_SYNC_S3_ALLOW_HTTP" => Some("true".to_owned()),
            "REVLENS_SYNC_S3_PATH_STYLE" => Some("1".to_owned()),
            _ => None,
        };
        settings.apply_env(env)?;
        let s3 = settings.blobs.s3.clone().ok_or("no s3")?;
        assert_eq!((s3.bucket.as_str(), s3.region.as_deref()), ("revlens", Some("eu-west-1")));
        assert_eq!((s3.endpoint.as_deref(), s3.allow_http, s3.path_style), (Some("http://127.0.0.1:9000"), true, true));

        let mut plain = Settings::default();
        plain.blobs.backend = BlobBackend::S3;
        assert!(plain.check_blobs().is_err(), "s3 without a bucket is refused");
        let only_endpoint = |name: &str| (name == "REVLENS_SYNC_S3_ENDPOINT").then(|| "http://x".to_owned());
        assert!(Settings::default().apply_env(only_endpoint).is_err());
        let from_env = |name: &str| match name {
            "REVLENS_SYNC_BLOB_BACKEND" => Some("s3".to_owned()),
            "REVLENS_SYNC_S3_BUCKET" => Some("b".to_owned()),
            _ => None,
        };
        let mut settings = Settings::default();
        settings.apply_env(from_env)?;
        settings.check_blobs()?;
        assert_eq!(settings.blobs.s3.map(|s| s.bucket), Some("b".to_owned()));
        let bad = |name: &str| (name == "REVLENS_SYNC_BLOB_BACKEND").then(|| "ftp".to_owned());
        assert!(Settings::default().apply_env(bad).is_err());
        Ok(())
    }

    #[test]
    fn the_readme_example_is_valid_and_shows_the_defaults() -> Result<(), Box<dyn std::error::Error>> {
        let readme = include_str!("../README.md");
        let start = readme.find("```toml\n").ok_or("no TOML example in README.md")? + "```toml\n".len();
        let end = start + readme[start..].find("```").ok_or("unterminated TOML example")?;
        let example: Settings = toml::from_str(&readme[start..end])?;
        example.check_blobs()?;
        let defaults = Settings::default();
        assert_eq!(example.blobs.backend, defaults.blobs.backend);
        assert_eq!(example.blobs.max_upload_bytes, defaults.blobs.max_upload_bytes);
        assert_eq!(example.blobs.max_chunk_bytes, defaults.blobs.max_chunk_bytes);
        assert_eq!(example.blobs.upload_ttl_secs, defaults.blobs.upload_ttl_secs);
        assert_eq!(example.blobs.sweep_interval_secs, defaults.blobs.sweep_interval_secs);
        assert_eq!(example.max_blob_bytes, defaults.max_blob_bytes);
        Ok(())
    }

    #[test]
    fn oidc_cors_and_tls_come_from_the_file_and_the_environment() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("server.toml");
        std::fs::write(
            &path,
            "[[oidc]]\norg = \"o1\"\nissuer = \"https://login.example.com\"\nclient_id = \"revlens\"\n\
             client_secret_env = \"ACME_OIDC_SECRET\"\n[cors]\nallowed_origins = [\"https://app.example.com\"]\n\
             [tls]\ncert_path = \"/etc/revlens/cert.pem\"\nkey_path = \"/etc/revlens/key.pem\"\n",
        )?;
        let mut settings = Settings::load(Some(&path))?;
        assert!(settings.apply_env(|_| None).is_err(), "a named secret variable must be set");
        let env = |name: &str| match name {
            "ACME_OIDC_SECRET" => Some("s3cret-value".to_owned()),
            "REVLENS_SYNC_TLS_KEY_PATH" => Some("/run/key.pem".to_owned()),
            _ => None,
        };
        settings.apply_env(env)?;
        let oidc = settings.oidc_for("o1").ok_or("no oidc")?;
        assert_eq!(oidc.client_secret.as_ref().map(Secret::expose), Some("s3cret-value"));
        assert!(settings.oidc_for("o2").is_none());
        assert!(!format!("{settings:?}").contains("s3cret"), "the secret never shows in Debug");
        assert_eq!(settings.cors.allowed_origins, ["https://app.example.com"]);
        let tls = settings.tls.clone().ok_or("no tls")?;
        assert_eq!(
            (tls.cert_path.to_str(), tls.key_path.to_str()),
            (Some("/etc/revlens/cert.pem"), Some("/run/key.pem"))
        );

        std::fs::write(&path, "[[oidc]]\norg = \"o1\"\nissuer = \"i\"\nclient_id = \"c\"\nclient_secret = \"x\"\n")?;
        assert!(Settings::load(Some(&path)).is_err(), "the secret is refused in the file");

        let mut settings = Settings::default();
        let env = |name: &str| match name {
            "REVLENS_SYNC_CORS_ALLOWED_ORIGINS" => Some("https://a.example, http://localhost:5173 ".to_owned()),
            "REVLENS_SYNC_TLS_CERT_PATH" => Some("c.pem".to_owned()),
            _ => None,
        };
        assert!(settings.apply_env(env).is_err(), "a certificate without its key");
        assert_eq!(settings.cors.allowed_origins, ["https://a.example", "http://localhost:5173"]);
        Ok(())
    }

    #[test]
    fn smtp_can_come_from_the_environment_alone() {
        let mut settings = Settings::default();
        let env = |name: &str| match name {
            "REVLENS_SYNC_SMTP_HOST" => Some("localhost".to_owned()),
            "REVLENS_SYNC_SMTP_FROM" => Some("a@example.com".to_owned()),
            "REVLENS_SYNC_SMTP_TLS" => Some("none".to_owned()),
            "REVLENS_SYNC_SMTP_PORT" => Some("2525".to_owned()),
            _ => None,
        };
        assert!(settings.apply_env(env).is_ok());
        let port = settings.smtp.as_ref().map(|s| (s.port(), s.tls));
        assert_eq!(port, Some((2525, SmtpTls::None)));
        let mut settings = Settings::default();
        let half = |name: &str| (name == "REVLENS_SYNC_SMTP_HOST").then(|| "localhost".to_owned());
        assert!(settings.apply_env(half).is_err());
    }
}
