//! Where the sync client's tokens live: the OS keychain, through `keyring`, under the service
//! name "revlens" and the account "<server URL> <email>". SQLite keeps only that account name.
//! Tokens are never printed, logged or written anywhere else.
//!
//! [`use_file_keyring`] swaps the keychain for a 0600 JSON file. It exists for end-to-end
//! tests, which run the CLI as separate processes where keyring's in-memory mock cannot
//! carry a secret from one run to the next; the CLI turns it on only when
//! `REVLENS_KEYRING=mock-file:<path>` is set. Never use it for real secrets.

use std::any::Any;
use std::collections::BTreeMap;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use keyring::credential::{Credential, CredentialApi, CredentialBuilderApi, CredentialPersistence};
use keyring::Entry;
use revlens_sync::TokenResponse;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{Result, ServiceError};

/// The keychain service name every RevLens secret is filed under.
pub const KEYRING_SERVICE: &str = "revlens";

/// The keychain account of a sign-in: the server URL and the user.
pub fn keychain_account(server_url: &str, email: &str) -> String {
    format!("{server_url} {email}")
}

/// What is kept in the keychain entry: the token pair.
#[derive(Serialize, Deserialize)]
struct StoredTokens {
    access_token: String,
    refresh_token: String,
    expires_in: u64,
}

fn keychain_error(error: keyring::Error) -> ServiceError {
    ServiceError::Keychain(error.to_string())
}

fn entry(account: &str) -> Result<Entry> {
    Entry::new(KEYRING_SERVICE, account).map_err(keychain_error)
}

/// The turn to refresh one account's tokens, held until dropped. Refresh tokens are single use
/// and the keychain is the user's, shared by every process (the app's background sync, a
/// `revlens sync` in a terminal) and every RevLens home: an OS file lock per account makes
/// their refreshes take turns, so the later one finds the new pair instead of spending the
/// old token a second time (which the server takes for theft, ending the session).
pub(crate) struct RefreshTurn {
    _locked: fs::File,
}

pub(crate) fn refresh_turn(account: &str) -> Result<RefreshTurn> {
    let locks = directories::BaseDirs::new()
        .map_or_else(std::env::temp_dir, |dirs| dirs.cache_dir().to_owned())
        .join("revlens")
        .join("locks");
    let failed = |e: std::io::Error| {
        ServiceError::Keychain(format!("cannot take the token refresh lock in {}: {e}", locks.display()))
    };
    fs::create_dir_all(&locks).map_err(failed)?;
    let digest = Sha256::digest(account.as_bytes());
    let path = locks.join(format!("refresh-{}.lock", hex::encode(&digest[..8])));
    let file = fs::OpenOptions::new().create(true).truncate(false).write(true).open(&path).map_err(failed)?;
    file.lock().map_err(failed)?;
    Ok(RefreshTurn { _locked: file })
}

pub(crate) fn save_tokens(account: &str, tokens: &TokenResponse) -> Result<()> {
    let stored = StoredTokens {
        access_token: tokens.access_token.clone(),
        refresh_token: tokens.refresh_token.clone(),
        expires_in: tokens.expires_in,
    };
    let text = serde_json::to_string(&stored).map_err(|e| ServiceError::Keychain(e.to_string()))?;
    entry(account)?.set_password(&text).map_err(keychain_error)
}

/// The kept token pair, or `None` when the entry is missing.
pub(crate) fn load_tokens(account: &str) -> Result<Option<TokenResponse>> {
    match entry(account)?.get_password() {
        Ok(text) => {
            let stored: StoredTokens = serde_json::from_str(&text)
                .map_err(|_| ServiceError::Keychain(format!("the keychain entry '{account}' is unreadable")))?;
            Ok(Some(TokenResponse {
                access_token: stored.access_token,
                refresh_token: stored.refresh_token,
                expires_in: stored.expires_in,
            }))
        }
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(error) => Err(keychain_error(error)),
    }
}

pub(crate) fn delete_tokens(account: &str) -> Result<()> {
    match entry(account)?.delete_credential() {
        Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
        Err(error) => Err(keychain_error(error)),
    }
}

/// TEST ONLY: keep secrets in a JSON file (mode 0600) instead of the OS keychain, for every
/// entry this process creates from now on. See the module docs.
pub fn use_file_keyring(path: &Path) {
    keyring::set_default_credential_builder(Box::new(FileCredentialBuilder { path: path.to_owned() }));
}

struct FileCredentialBuilder {
    path: PathBuf,
}

impl CredentialBuilderApi for FileCredentialBuilder {
    fn build(&self, _target: Option<&str>, service: &str, user: &str) -> keyring::Result<Box<Credential>> {
        Ok(Box::new(FileCredential { path: self.path.clone(), key: format!("{service}\u{1f}{user}") }))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn persistence(&self) -> CredentialPersistence {
        CredentialPersistence::UntilDelete
    }
}

/// One secret in the test file.
#[derive(Debug)]
pub struct FileCredential {
    path: PathBuf,
    key: String,
}

impl FileCredential {
    fn read(&self) -> keyring::Result<BTreeMap<String, Vec<u8>>> {
        match fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| keyring::Error::PlatformFailure(Box::new(e))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
            Err(e) => Err(keyring::Error::PlatformFailure(Box::new(e))),
        }
    }

    fn write(&self, secrets: &BTreeMap<String, Vec<u8>>) -> keyring::Result<()> {
        let failure = |e: std::io::Error| keyring::Error::PlatformFailure(Box::new(e));
        let bytes = serde_json::to_vec(secrets).map_err(|e| keyring::Error::PlatformFailure(Box::new(e)))?;
        let temp = self.path.with_extension("tmp");
        let mut options = fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        let mut file = options.open(&temp).map_err(failure)?;
        file.write_all(&bytes).map_err(failure)?;
        file.sync_all().map_err(failure)?;
        fs::rename(&temp, &self.path).map_err(failure)
    }
}

/// Serializes the file's read-modify-write between threads of one process (tests sharing one
/// file would otherwise lose each other's secrets).
static FILE_KEYRING_LOCK: Mutex<()> = Mutex::new(());

fn file_keyring_lock() -> MutexGuard<'static, ()> {
    FILE_KEYRING_LOCK.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl CredentialApi for FileCredential {
    fn set_secret(&self, secret: &[u8]) -> keyring::Result<()> {
        let _guard = file_keyring_lock();
        let mut secrets = self.read()?;
        secrets.insert(self.key.clone(), secret.to_vec());
        self.write(&secrets)
    }

    fn get_secret(&self) -> keyring::Result<Vec<u8>> {
        let _guard = file_keyring_lock();
        self.read()?.remove(&self.key).ok_or(keyring::Error::NoEntry)
    }

    fn delete_credential(&self) -> keyring::Result<()> {
        let _guard = file_keyring_lock();
        let mut secrets = self.read()?;
        if secrets.remove(&self.key).is_none() {
            return Err(keyring::Error::NoEntry);
        }
        self.write(&secrets)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    // One test touches the process-wide default builder, so the order of checks is fixed here.
    #[test]
    fn the_os_keychain_is_the_default_and_the_file_mock_round_trips() {
        // By default entries are the platform's keychain credentials, not a mock or a file.
        let default = entry("https://sync.example.com a@example.com").unwrap();
        let credential = default.get_credential();
        assert!(credential.downcast_ref::<FileCredential>().is_none());
        assert!(credential.downcast_ref::<keyring::mock::MockCredential>().is_none());
        #[cfg(target_os = "linux")]
        assert!(credential.downcast_ref::<keyring::secret_service::SsCredential>().is_some());
        #[cfg(target_os = "macos")]
        assert!(credential.downcast_ref::<keyring::macos::MacCredential>().is_some());
        #[cfg(windows)]
        assert!(credential.downcast_ref::<keyring::windows::WinCredential>().is_some());

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secrets.json");
        use_file_keyring(&path);
        let account = keychain_account("http://127.0.0.1:1", "a@example.com");
        assert!(load_tokens(&account).unwrap().is_none());
        let tokens = TokenResponse { access_token: "a".into(), refresh_token: "r".into(), expires_in: 900 };
        save_tokens(&account, &tokens).unwrap();
        assert_eq!(load_tokens(&account).unwrap(), Some(tokens));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        delete_tokens(&account).unwrap();
        delete_tokens(&account).unwrap();
        assert!(load_tokens(&account).unwrap().is_none());
    }
}
