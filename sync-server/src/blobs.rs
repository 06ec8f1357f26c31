//! Blob storage through `object_store`: a local folder by default, or an S3-compatible bucket.
//!
//! Keys (under the bucket's optional prefix): a blob is `{org}/{sha[..2]}/{sha}` (per org, so
//! dedup and deletion never cross tenants); a chunk of an unfinished upload is
//! `uploads/{upload}/{start:020}-{random}`. Every write goes through [`BlobWriter`], which hashes
//! what passes and stores it only when the SHA-256 is the expected one: a blob that does not
//! match never becomes visible (a local file is renamed into place, an S3 multipart upload is
//! completed, only after the check).

use std::sync::Arc;

use axum::body::Bytes;
use futures_util::stream::BoxStream;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ObjectMeta, ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart};
use sha2::{Digest, Sha256};

use crate::configuration::{BlobBackend, S3Settings, Settings};

/// S3 parts are at least 5 MiB (all but the last); smaller writes are one plain PUT.
const PART_SIZE: usize = 8 * 1024 * 1024;
/// Parts of one blob in flight at once.
const PART_CONCURRENCY: usize = 4;

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("the bytes do not hash to the expected SHA-256")]
    HashMismatch,
    #[error("blob store: {0}")]
    Store(#[from] object_store::Error),
    #[error("blob store settings: {0}")]
    Config(String),
    #[error("cannot prepare the blob folder: {0}")]
    Io(#[from] std::io::Error),
}

/// The blob store of the server; cheap to clone.
#[derive(Clone)]
pub struct BlobStore {
    // Never `Debug`-printed: an S3 store holds its credentials.
    store: Arc<dyn ObjectStore>,
    prefix: Option<String>,
}

impl BlobStore {
    /// The store `settings.blobs` describes.
    pub fn from_settings(settings: &Settings) -> Result<Self, BlobError> {
        match settings.blobs.backend {
            BlobBackend::Local => Self::local(&settings.blobs_dir()),
            BlobBackend::S3 => {
                let s3 = settings.blobs.s3.as_ref().ok_or_else(|| BlobError::Config("no [blobs.s3] section".into()))?;
                Self::s3(s3)
            }
        }
    }

    /// Blobs as files under `dir` (made when missing).
    pub fn local(dir: &std::path::Path) -> Result<Self, BlobError> {
        std::fs::create_dir_all(dir)?;
        let store = LocalFileSystem::new_with_prefix(dir)?.with_automatic_cleanup(true);
        Ok(Self { store: Arc::new(store), prefix: None })
    }

    /// Blobs in an S3-compatible bucket. The standard AWS environment variables come first; the
    /// settings override them.
    pub fn s3(s3: &S3Settings) -> Result<Self, BlobError> {
        let mut builder = AmazonS3Builder::from_env().with_bucket_name(&s3.bucket).with_allow_http(s3.allow_http);
        if let Some(region) = &s3.region {
            builder = builder.with_region(region);
        }
        if let Some(endpoint) = &s3.endpoint {
            builder = builder.with_endpoint(endpoint);
        }
        if s3.path_style {
            builder = builder.with_virtual_hosted_style_request(false);
        }
        if let Some(key) = &s3.access_key_id {
            builder = builder.with_access_key_id(key);
        }
        if let Some(secret) = &s3.secret_access_key {
            builder = builder.with_secret_access_key(secret.expose());
        }
        if let Some(token) = &s3.session_token {
            builder = builder.with_token(token.expose());
        }
        let prefix = s3.prefix.as_deref().map(|p| p.trim_matches('/').to_owned()).filter(|p| !p.is_empty());
        Ok(Self { store: Arc::new(builder.build()?), prefix })
    }

    fn key(&self, rest: &str) -> Path {
        match &self.prefix {
            Some(prefix) => Path::from(format!("{prefix}/{rest}")),
            None => Path::from(rest),
        }
    }

    /// Where blob `sha256` of `org` lives. `org` is a server-made UUID and `sha256` checked hex.
    pub fn blob_path(&self, org: &str, sha256: &str) -> Path {
        self.key(&format!("{org}/{}/{sha256}", &sha256[..2.min(sha256.len())]))
    }

    /// A new, unique key for the chunk of `upload` that starts at `start`.
    pub fn chunk_path(&self, upload: &str, start: u64) -> Path {
        self.key(&format!("uploads/{upload}/{start:020}-{}", uuid::Uuid::new_v4().simple()))
    }

    /// The upload a chunk key belongs to.
    pub fn upload_of_chunk<'a>(&self, key: &'a Path) -> Option<&'a str> {
        let rest = key.as_ref();
        let rest = match &self.prefix {
            Some(prefix) => rest.strip_prefix(prefix.as_str())?.strip_prefix('/')?,
            None => rest,
        };
        rest.strip_prefix("uploads/")?.split('/').next()
    }

    /// A writer to `path`, or (`None`) one that only hashes.
    pub fn writer(&self, path: Option<Path>) -> BlobWriter {
        BlobWriter {
            store: self.store.clone(),
            path,
            buffer: Vec::new(),
            multipart: None,
            hasher: Sha256::new(),
            len: 0,
        }
    }

    /// The object's length and its bytes as a stream, or `None` when absent.
    pub async fn read(
        &self,
        path: &Path,
    ) -> Result<Option<(u64, BoxStream<'static, object_store::Result<Bytes>>)>, BlobError> {
        match self.store.get(path).await {
            Ok(got) => Ok(Some((got.meta.size, got.into_stream()))),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes the object; an absent one is fine.
    pub async fn delete(&self, path: &Path) -> Result<(), BlobError> {
        match self.store.delete(path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Every chunk object of every upload (for the sweep of leftovers).
    pub fn list_chunks(&self) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        let prefix = self.key("uploads");
        self.store.list(Some(&prefix))
    }
}

/// Hashes what is written and, on [`BlobWriter::finish`], stores it when the hash is right.
/// Holds at most one part (8 MiB) per blob in memory, plus the parts in flight.
pub struct BlobWriter {
    store: Arc<dyn ObjectStore>,
    path: Option<Path>,
    buffer: Vec<u8>,
    multipart: Option<WriteMultipart>,
    hasher: Sha256,
    len: u64,
}

/// What a finished writer wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub sha256: String,
    pub len: u64,
}

impl BlobWriter {
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub async fn write(&mut self, data: &[u8]) -> Result<(), BlobError> {
        self.hasher.update(data);
        self.len += data.len() as u64;
        let Some(path) = &self.path else { return Ok(()) };
        if let Some(multipart) = &mut self.multipart {
            multipart.wait_for_capacity(PART_CONCURRENCY).await?;
            multipart.write(data);
            return Ok(());
        }
        self.buffer.extend_from_slice(data);
        if self.buffer.len() >= PART_SIZE {
            let upload = self.store.put_multipart(path).await?;
            let mut multipart = WriteMultipart::new_with_chunk_size(upload, PART_SIZE);
            multipart.write(&std::mem::take(&mut self.buffer));
            self.multipart = Some(multipart);
        }
        Ok(())
    }

    /// Stores what was written when it hashes to `expected` (always, when `None`); otherwise
    /// discards it and answers [`BlobError::HashMismatch`].
    pub async fn finish(self, expected: Option<&str>) -> Result<Written, BlobError> {
        let written = Written { sha256: hex::encode(self.hasher.finalize()), len: self.len };
        let matches = expected.is_none_or(|e| e == written.sha256);
        match (self.path, self.multipart) {
            (_, Some(multipart)) if !matches => {
                multipart.abort().await?;
            }
            (_, Some(multipart)) => {
                multipart.finish().await?;
            }
            (Some(path), None) if matches => {
                self.store.put(&path, PutPayload::from(self.buffer)).await?;
            }
            _ => {}
        }
        if matches {
            Ok(written)
        } else {
            Err(BlobError::HashMismatch)
        }
    }

    /// Drops what was written (an unfinished S3 multipart upload is aborted).
    pub async fn abort(self) -> Result<(), BlobError> {
        if let Some(multipart) = self.multipart {
            multipart.abort().await?;
        }
        Ok(())
    }
}

/// Whether `s` is a lower-case hex SHA-256.
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;

    async fn read_all(store: &BlobStore, path: &Path) -> Option<Vec<u8>> {
        let (_, mut stream) = store.read(path).await.ok()??;
        let mut out = Vec::new();
        while let Some(chunk) = stream.next().await {
            out.extend_from_slice(&chunk.ok()?);
        }
        Some(out)
    }

    #[tokio::test]
    async fn stores_per_org_only_what_matches_its_hash() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let store = BlobStore::local(dir.path())?;
        let sha = hex::encode(Sha256::digest(b"hello"));
        let mut writer = store.writer(Some(store.blob_path("org1", &sha)));
        writer.write(b"hel").await?;
        writer.write(b"lo").await?;
        assert_eq!(writer.finish(Some(&sha)).await?, Written { sha256: sha.clone(), len: 5 });
        assert_eq!(read_all(&store, &store.blob_path("org1", &sha)).await, Some(b"hello".to_vec()));
        assert!(dir.path().join("org1").join(&sha[..2]).join(&sha).is_file(), "the folder layout stays");
        assert_eq!(read_all(&store, &store.blob_path("org2", &sha)).await, None);

        let other = hex::encode(Sha256::digest(b"other"));
        let mut writer = store.writer(Some(store.blob_path("org1", &other)));
        writer.write(b"not other").await?;
        assert!(matches!(writer.finish(Some(&other)).await, Err(BlobError::HashMismatch)));
        assert_eq!(read_all(&store, &store.blob_path("org1", &other)).await, None);

        // Past one part, the multipart path: still nothing visible on a mismatch.
        let big = vec![3u8; PART_SIZE + 1000];
        let big_sha = hex::encode(Sha256::digest(&big));
        let mut writer = store.writer(Some(store.blob_path("org1", &big_sha)));
        writer.write(&big).await?;
        writer.write(b"x").await?;
        assert!(matches!(writer.finish(Some(&big_sha)).await, Err(BlobError::HashMismatch)));
        assert_eq!(read_all(&store, &store.blob_path("org1", &big_sha)).await, None);
        let mut writer = store.writer(Some(store.blob_path("org1", &big_sha)));
        for part in big.chunks(1 << 20) {
            writer.write(part).await?;
        }
        writer.finish(Some(&big_sha)).await?;
        assert_eq!(read_all(&store, &store.blob_path("org1", &big_sha)).await.map(|b| b.len()), Some(big.len()));

        assert!(is_sha256_hex(&sha));
        assert!(!is_sha256_hex(&"A".repeat(64)));
        assert!(!is_sha256_hex("../etc"));
        Ok(())
    }

    #[test]
    fn chunk_keys_name_their_upload() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let store = BlobStore::local(dir.path())?;
        let key = store.chunk_path("u1", 42);
        assert!(key.as_ref().starts_with("uploads/u1/00000000000000000042-"), "{key}");
        assert_eq!(store.upload_of_chunk(&key), Some("u1"));
        let prefixed = BlobStore { prefix: Some("p/q".into()), ..store };
        let key = prefixed.chunk_path("u2", 0);
        assert_eq!(prefixed.upload_of_chunk(&key), Some("u2"));
        assert_eq!(prefixed.blob_path("o", "abcd").as_ref(), "p/q/o/ab/abcd");
        Ok(())
    }

    #[tokio::test]
    async fn listing_chunks_before_any_upload_is_empty() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let store = BlobStore::local(dir.path())?;
        let listed: Vec<_> = store.list_chunks().collect().await;
        assert!(listed.iter().all(Result::is_ok), "{listed:?}");
        assert!(listed.is_empty());
        Ok(())
    }
}
