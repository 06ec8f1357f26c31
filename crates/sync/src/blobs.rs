//! Resumable uploads of blobs (files), for files too large for one `PUT /blobs/{sha256}`:
//! `POST /v1/orgs/{org}/uploads` announces `{sha256, size}`; `PUT /v1/orgs/{org}/uploads/{id}?offset=N`
//! appends a chunk at `N`; `GET` (or `HEAD`) of the upload tells its offset, so a client that was
//! cut off resumes from there; `POST …/uploads/{id}/complete` verifies the SHA-256 of the whole
//! and stores the blob.

use serde::{Deserialize, Serialize};

use crate::BlobStored;

/// The body of `POST /v1/orgs/{org}/uploads`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateUploadRequest {
    /// Lower-case hex SHA-256 of the whole file.
    pub sha256: String,
    /// The file's length in bytes.
    pub size: u64,
}

/// An unfinished upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Upload {
    pub id: String,
    pub sha256: String,
    pub size: u64,
    /// How many bytes the server has: the next chunk starts here.
    pub offset: u64,
    /// When the upload is deleted unless a chunk arrives first (RFC 3339).
    pub expires_at: String,
}

/// The answer to `POST /v1/orgs/{org}/uploads`: the org has the blob already (nothing to send),
/// or an upload to send it to (a new one, or the caller's unfinished one for the same file, at
/// its offset).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum UploadStarted {
    Exists { blob: BlobStored },
    Upload { upload: Upload },
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn upload_started_is_tagged_by_status() {
        let exists = UploadStarted::Exists { blob: BlobStored { sha256: "ab".into(), size: 2, created: false } };
        assert_eq!(
            serde_json::to_value(&exists).unwrap_or_default(),
            json!({"status": "exists", "blob": {"sha256": "ab", "size": 2, "created": false}})
        );
        let text =
            r#"{"status": "upload", "upload": {"id": "u", "sha256": "ab", "size": 9, "offset": 4, "expires_at": "t"}}"#;
        let parsed: Result<UploadStarted, _> = serde_json::from_str(text);
        assert!(matches!(parsed, Ok(UploadStarted::Upload { upload }) if upload.offset == 4));
    }
}
