//! Blob storage, content-addressed by SHA-256 and separated per org, behind a small trait so an
//! S3-compatible backend can stand beside the local folder. The methods block; callers run them
//! on blocking threads. Callers verify hashes before `put`.

use std::io::{self, Write};
use std::path::PathBuf;

pub trait BlobStore: Send + Sync {
    /// Stores `bytes` under (`org`, `sha256`); a no-op when already there.
    fn put(&self, org: &str, sha256: &str, bytes: &[u8]) -> io::Result<()>;
    /// The bytes, or `None` when absent.
    fn get(&self, org: &str, sha256: &str) -> io::Result<Option<Vec<u8>>>;
}

/// Blobs as files: `{root}/{org}/{sha[..2]}/{sha}`, written to a temporary file and renamed, so
/// a reader never sees half a blob.
pub struct LocalBlobStore {
    root: PathBuf,
}

impl LocalBlobStore {
    pub fn new(root: PathBuf) -> io::Result<Self> {
        std::fs::create_dir_all(&root)?;
        Ok(Self { root })
    }

    /// `org` is a server-made UUID and `sha256` is checked hex: neither can climb out of `root`.
    fn path(&self, org: &str, sha256: &str) -> PathBuf {
        self.root.join(org).join(&sha256[..2.min(sha256.len())]).join(sha256)
    }
}

impl BlobStore for LocalBlobStore {
    fn put(&self, org: &str, sha256: &str, bytes: &[u8]) -> io::Result<()> {
        let path = self.path(org, sha256);
        if path.exists() {
            return Ok(());
        }
        let dir = path.parent().ok_or_else(|| io::Error::other("blob path has no parent"))?;
        std::fs::create_dir_all(dir)?;
        let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
        tmp.write_all(bytes)?;
        tmp.as_file().sync_all()?;
        tmp.persist(&path).map_err(|e| e.error)?;
        Ok(())
    }

    fn get(&self, org: &str, sha256: &str) -> io::Result<Option<Vec<u8>>> {
        match std::fs::read(self.path(org, sha256)) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// Whether `s` is a lower-case hex SHA-256.
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stores_per_org() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let store = LocalBlobStore::new(dir.path().to_owned())?;
        let sha = "a".repeat(64);
        store.put("org1", &sha, b"hello")?;
        store.put("org1", &sha, b"hello")?;
        assert_eq!(store.get("org1", &sha)?, Some(b"hello".to_vec()));
        assert_eq!(store.get("org2", &sha)?, None);
        assert!(is_sha256_hex(&sha));
        assert!(!is_sha256_hex(&"A".repeat(64)));
        assert!(!is_sha256_hex("../etc"));
        Ok(())
    }
}
