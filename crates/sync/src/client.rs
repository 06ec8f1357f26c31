//! A small async client for the sync API (feature `client`): sign in (password or OIDC), refresh, push, pull,
//! blobs (one request, or files in resumable chunks) and share links. It holds the current token pair in memory; where tokens are kept between runs (the
//! OS keychain) is the caller's business.

use std::io::SeekFrom;
use std::path::Path;
use std::time::Duration;

use reqwest::{Method, RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

use crate::{
    BlobStored, ChangeRoleRequest, CreateShareLinkRequest, CreateUploadRequest, ErrorBody, LoginRequest, MeResponse,
    Member, Mutation, OidcTokenRequest, PullResponse, PushRequest, PushResponse, RefreshRequest, Role, ShareLink,
    ShareLinkCreated, SharedObject, TokenResponse, Upload, UploadStarted,
};

/// The chunk size of [`SyncClient::upload_file`] unless told otherwise.
pub const DEFAULT_CHUNK_BYTES: usize = 8 * 1024 * 1024;
/// Failed requests in a row (without progress) after which an upload gives up.
const MAX_RETRIES: u32 = 6;

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server answered with an error body.
    #[error("{status}: {} ({})", .body.error.message, .body.error.code)]
    Api { status: StatusCode, body: ErrorBody },
    /// The server answered an error without the error shape (a proxy, say).
    #[error("{status}: unexpected answer")]
    Status { status: StatusCode },
    #[error("not signed in")]
    NotSignedIn,
    /// The server's base URL cannot make a route's URL.
    #[error("the server URL is not usable: {0}")]
    BaseUrl(String),
    #[error(transparent)]
    Http(#[from] reqwest::Error),
    /// Reading the file to upload, or writing a download.
    #[error("{path}: {source}")]
    File { path: String, source: std::io::Error },
    /// A downloaded blob that does not hash to its SHA-256 (nothing was kept).
    #[error("the downloaded bytes do not hash to {sha256}")]
    HashMismatch { sha256: String },
}

fn file_error(path: &Path) -> impl FnOnce(std::io::Error) -> ClientError + '_ {
    move |source| ClientError::File { path: path.display().to_string(), source }
}

/// Whether trying again may help: the connection broke, the server was briefly unwell, or the
/// upload is at another offset than the client thought.
fn retryable(e: &ClientError) -> bool {
    match e {
        ClientError::Http(_) => true,
        ClientError::Api { status, body } => status.is_server_error() || body.error.code == "offset_mismatch",
        ClientError::Status { status } => status.is_server_error(),
        _ => false,
    }
}

/// The lower-case hex SHA-256 and length of the file at `path`, read in pieces.
pub async fn sha256_file(path: &Path) -> Result<(String, u64), ClientError> {
    let mut file = tokio::fs::File::open(path).await.map_err(file_error(path))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    let mut len = 0u64;
    loop {
        let n = file.read(&mut buffer).await.map_err(file_error(path))?;
        if n == 0 {
            return Ok((hex::encode(hasher.finalize()), len));
        }
        hasher.update(&buffer[..n]);
        len += n as u64;
    }
}

impl ClientError {
    /// The API error code (`unauthorized`, `forbidden` …), when the server sent one.
    pub fn code(&self) -> Option<&str> {
        match self {
            ClientError::Api { body, .. } => Some(&body.error.code),
            _ => None,
        }
    }

    pub fn status(&self) -> Option<StatusCode> {
        match self {
            ClientError::Api { status, .. } | ClientError::Status { status } => Some(*status),
            _ => None,
        }
    }
}

/// A client of one sync server.
#[derive(Debug, Clone)]
pub struct SyncClient {
    base_url: String,
    http: reqwest::Client,
    tokens: Option<TokenResponse>,
}

impl SyncClient {
    /// A client of the server at `base_url` (e.g. `https://sync.example.com`), not signed in.
    pub fn new(base_url: impl Into<String>) -> Self {
        Self::with_http(base_url, reqwest::Client::new())
    }

    pub fn with_http(base_url: impl Into<String>, http: reqwest::Client) -> Self {
        let base_url = base_url.into().trim_end_matches('/').to_owned();
        Self { base_url, http, tokens: None }
    }

    /// The current token pair, to keep between runs.
    pub fn tokens(&self) -> Option<&TokenResponse> {
        self.tokens.as_ref()
    }

    /// Resumes a session from a kept token pair.
    pub fn set_tokens(&mut self, tokens: Option<TokenResponse>) {
        self.tokens = tokens;
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http.request(method, format!("{}{path}", self.base_url))
    }

    fn authed(&self, method: Method, path: &str) -> Result<RequestBuilder, ClientError> {
        let tokens = self.tokens.as_ref().ok_or(ClientError::NotSignedIn)?;
        Ok(self.request(method, path).bearer_auth(&tokens.access_token))
    }

    async fn send(request: RequestBuilder) -> Result<reqwest::Response, ClientError> {
        let response = request.send().await?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        match response.json::<ErrorBody>().await {
            Ok(body) => Err(ClientError::Api { status, body }),
            Err(_) => Err(ClientError::Status { status }),
        }
    }

    async fn json<T: DeserializeOwned>(request: RequestBuilder) -> Result<T, ClientError> {
        Ok(Self::send(request).await?.json().await?)
    }

    async fn post_json<B: Serialize, T: DeserializeOwned>(&self, path: &str, body: &B) -> Result<T, ClientError> {
        Self::json(self.authed(Method::POST, path)?.json(body)).await
    }

    /// Signs in; the client keeps the new token pair.
    pub async fn login(&mut self, email: &str, password: &str) -> Result<(), ClientError> {
        let body = LoginRequest { email: email.to_owned(), password: password.to_owned() };
        let tokens = Self::json(self.request(Method::POST, "/v1/auth/login").json(&body)).await?;
        self.tokens = Some(tokens);
        Ok(())
    }

    /// Where to open the browser for an OIDC sign-in to `org`: the client listens on
    /// `redirect_uri` (a loopback `http` URL) and made `code_challenge` =
    /// base64url(SHA-256(verifier)) and `state`.
    pub fn oidc_start_url(
        &self,
        org: &str,
        redirect_uri: &str,
        code_challenge: &str,
        state: &str,
    ) -> Result<reqwest::Url, ClientError> {
        let mut url = reqwest::Url::parse(&self.base_url).map_err(|e| ClientError::BaseUrl(e.to_string()))?;
        url.path_segments_mut()
            .map_err(|()| ClientError::BaseUrl("cannot have a path".into()))?
            .pop_if_empty()
            .extend(["v1", "auth", "oidc", org, "start"]);
        url.query_pairs_mut()
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("code_challenge", code_challenge)
            .append_pair("code_challenge_method", "S256")
            .append_pair("state", state);
        Ok(url)
    }

    /// Starts an OIDC sign-in to `org` (the same arguments as [`Self::oidc_start_url`]) and
    /// returns the provider's sign-in page the server redirects to, for the browser to open.
    /// Asking first, rather than handing the start URL to the browser, turns the server's
    /// refusals (`oidc_not_configured`, a bad redirect, an unreachable provider) into an error
    /// here instead of a page in the browser.
    pub async fn oidc_authorization_url(
        &self,
        org: &str,
        redirect_uri: &str,
        code_challenge: &str,
        state: &str,
    ) -> Result<reqwest::Url, ClientError> {
        let start = self.oidc_start_url(org, redirect_uri, code_challenge, state)?;
        // The redirect is the answer, so this one request does not follow it.
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
        let response = http.get(start.clone()).send().await?;
        let status = response.status();
        if !status.is_redirection() {
            return Err(match response.json::<ErrorBody>().await {
                Ok(body) if !status.is_success() => ClientError::Api { status, body },
                _ => ClientError::Status { status },
            });
        }
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|value| value.to_str().ok())
            .ok_or(ClientError::Status { status })?;
        start.join(location).map_err(|e| ClientError::BaseUrl(format!("the server's redirect: {e}")))
    }

    /// Finishes an OIDC sign-in: exchanges the one-time `code` the server sent to the loopback
    /// redirect (after the client checked its `state`) with the PKCE `code_verifier`; the client
    /// keeps the new token pair.
    pub async fn oidc_sign_in(&mut self, code: &str, code_verifier: &str) -> Result<(), ClientError> {
        let body = OidcTokenRequest { code: code.to_owned(), code_verifier: code_verifier.to_owned() };
        let tokens = Self::json(self.request(Method::POST, "/v1/auth/oidc/token").json(&body)).await?;
        self.tokens = Some(tokens);
        Ok(())
    }

    /// Exchanges the refresh token for a new pair.
    pub async fn refresh(&mut self) -> Result<(), ClientError> {
        let refresh_token = self.tokens.as_ref().ok_or(ClientError::NotSignedIn)?.refresh_token.clone();
        let tokens =
            Self::json(self.request(Method::POST, "/v1/auth/refresh").json(&RefreshRequest { refresh_token })).await?;
        self.tokens = Some(tokens);
        Ok(())
    }

    /// Ends the session on the server and forgets the tokens.
    pub async fn logout(&mut self) -> Result<(), ClientError> {
        Self::send(self.authed(Method::POST, "/v1/auth/logout")?).await?;
        self.tokens = None;
        Ok(())
    }

    pub async fn me(&self) -> Result<MeResponse, ClientError> {
        Self::json(self.authed(Method::GET, "/v1/me")?).await
    }

    /// Sends mutations, in order, for `client_id`.
    pub async fn push(&self, org: &str, client_id: &str, mutations: &[Mutation]) -> Result<PushResponse, ClientError> {
        let body = PushRequest { client_id: client_id.to_owned(), mutations: mutations.to_vec() };
        self.post_json(&format!("/v1/orgs/{org}/push"), &body).await
    }

    /// One page of changes since `cookie`.
    pub async fn pull(&self, org: &str, client_id: &str, cookie: u64) -> Result<PullResponse, ClientError> {
        let request = self
            .authed(Method::GET, &format!("/v1/orgs/{org}/pull"))?
            .query(&[("cookie", cookie.to_string()), ("client_id", client_id.to_owned())]);
        Self::json(request).await
    }

    /// Uploads a blob under its SHA-256 (lower-case hex, computed by the caller).
    pub async fn put_blob(&self, org: &str, sha256: &str, bytes: Vec<u8>) -> Result<BlobStored, ClientError> {
        Self::json(self.authed(Method::PUT, &format!("/v1/orgs/{org}/blobs/{sha256}"))?.body(bytes)).await
    }

    /// Creates a read-only share link to one object.
    pub async fn create_share_link(
        &self,
        org: &str,
        request: &CreateShareLinkRequest,
    ) -> Result<ShareLinkCreated, ClientError> {
        self.post_json(&format!("/v1/orgs/{org}/share-links"), request).await
    }

    /// The org's members, with their roles.
    pub async fn members(&self, org: &str) -> Result<Vec<Member>, ClientError> {
        Self::json(self.authed(Method::GET, &format!("/v1/orgs/{org}/members"))?).await
    }

    /// Gives a member another role.
    pub async fn change_role(&self, org: &str, user: &str, role: Role) -> Result<Member, ClientError> {
        let path = format!("/v1/orgs/{org}/members/{user}");
        Self::json(self.authed(Method::PATCH, &path)?.json(&ChangeRoleRequest { role })).await
    }

    /// Removes a member from the org (oneself: leaves it).
    pub async fn remove_member(&self, org: &str, user: &str) -> Result<(), ClientError> {
        Self::send(self.authed(Method::DELETE, &format!("/v1/orgs/{org}/members/{user}"))?).await?;
        Ok(())
    }

    /// The org's share links (without their tokens).
    pub async fn share_links(&self, org: &str) -> Result<Vec<ShareLink>, ClientError> {
        Self::json(self.authed(Method::GET, &format!("/v1/orgs/{org}/share-links"))?).await
    }

    /// What a share link shows (no sign-in needed). `token` must be the link's token as the
    /// server made it (URL-safe characters only); an invalid, expired or revoked link is a
    /// `404 not_found`.
    pub async fn shared_object(&self, token: &str) -> Result<SharedObject, ClientError> {
        Self::json(self.request(Method::GET, &format!("/v1/share/{token}"))).await
    }

    pub async fn revoke_share_link(&self, org: &str, id: &str) -> Result<(), ClientError> {
        Self::send(self.authed(Method::DELETE, &format!("/v1/orgs/{org}/share-links/{id}"))?).await?;
        Ok(())
    }

    pub async fn get_blob(&self, org: &str, sha256: &str) -> Result<Vec<u8>, ClientError> {
        let response = Self::send(self.authed(Method::GET, &format!("/v1/orgs/{org}/blobs/{sha256}"))?).await?;
        Ok(response.bytes().await?.to_vec())
    }

    /// Whether the org has the blob.
    pub async fn has_blob(&self, org: &str, sha256: &str) -> Result<bool, ClientError> {
        match Self::send(self.authed(Method::HEAD, &format!("/v1/orgs/{org}/blobs/{sha256}"))?).await {
            Ok(_) => Ok(true),
            Err(e) if e.status() == Some(StatusCode::NOT_FOUND) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Downloads a blob into the file `dest`, streamed and verified: the bytes go to a
    /// temporary file beside it, renamed into place only when they hash to `sha256`. Returns the
    /// length.
    pub async fn download_blob(&self, org: &str, sha256: &str, dest: &Path) -> Result<u64, ClientError> {
        let mut response = Self::send(self.authed(Method::GET, &format!("/v1/orgs/{org}/blobs/{sha256}"))?).await?;
        let mut partial = dest.as_os_str().to_owned();
        partial.push(".part");
        let partial = std::path::PathBuf::from(partial);
        let mut file = tokio::fs::File::create(&partial).await.map_err(file_error(&partial))?;
        let mut hasher = Sha256::new();
        let mut len = 0u64;
        let copied: Result<(), ClientError> = async {
            while let Some(chunk) = response.chunk().await? {
                hasher.update(&chunk);
                len += chunk.len() as u64;
                file.write_all(&chunk).await.map_err(file_error(&partial))?;
            }
            file.flush().await.map_err(file_error(&partial))?;
            file.sync_all().await.map_err(file_error(&partial))?;
            Ok(())
        }
        .await;
        drop(file);
        let verified = copied.and_then(|()| {
            if hex::encode(hasher.finalize()) == sha256 {
                Ok(())
            } else {
                Err(ClientError::HashMismatch { sha256: sha256.to_owned() })
            }
        });
        if let Err(e) = verified {
            let _ = tokio::fs::remove_file(&partial).await;
            return Err(e);
        }
        tokio::fs::rename(&partial, dest).await.map_err(file_error(dest))?;
        Ok(len)
    }

    /// Announces a file for a resumable upload: the org has it already, or here is the upload
    /// (the caller's unfinished one for the same file, at its offset, or a new one).
    pub async fn start_upload(&self, org: &str, sha256: &str, size: u64) -> Result<UploadStarted, ClientError> {
        let body = CreateUploadRequest { sha256: sha256.to_owned(), size };
        self.post_json(&format!("/v1/orgs/{org}/uploads"), &body).await
    }

    /// The upload as the server has it: `offset` is where the next chunk starts.
    pub async fn upload_status(&self, org: &str, id: &str) -> Result<Upload, ClientError> {
        Self::json(self.authed(Method::GET, &format!("/v1/orgs/{org}/uploads/{id}"))?).await
    }

    /// Appends `bytes` at `offset` (which must be the upload's offset).
    pub async fn put_chunk(&self, org: &str, id: &str, offset: u64, bytes: Vec<u8>) -> Result<Upload, ClientError> {
        let request = self
            .authed(Method::PUT, &format!("/v1/orgs/{org}/uploads/{id}"))?
            .query(&[("offset", offset)])
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .body(bytes);
        Self::json(request).await
    }

    /// Completes an upload that has all its bytes: the server checks the SHA-256 of the whole.
    pub async fn complete_upload(&self, org: &str, id: &str) -> Result<BlobStored, ClientError> {
        Self::json(self.authed(Method::POST, &format!("/v1/orgs/{org}/uploads/{id}/complete"))?).await
    }

    /// Abandons an upload.
    pub async fn delete_upload(&self, org: &str, id: &str) -> Result<(), ClientError> {
        Self::send(self.authed(Method::DELETE, &format!("/v1/orgs/{org}/uploads/{id}"))?).await?;
        Ok(())
    }

    /// Uploads the file at `path` through the resumable protocol, `chunk_bytes` per request
    /// (at most that much of the file is in memory). Nothing is sent when the org has the file;
    /// an unfinished upload of it (an earlier run that was cut off) goes on where the server
    /// stands. When a chunk fails on the way (the connection broke, the server was unwell), the
    /// client asks the server for the upload's offset and goes on from there, giving up after
    /// a few failures in a row.
    pub async fn upload_file(&self, org: &str, path: &Path, chunk_bytes: usize) -> Result<BlobStored, ClientError> {
        let (sha256, size) = sha256_file(path).await?;
        let upload = match self.start_upload(org, &sha256, size).await? {
            UploadStarted::Exists { blob } => return Ok(blob),
            UploadStarted::Upload { upload } => upload,
        };
        let chunk_bytes = chunk_bytes.max(1) as u64;
        let mut file = tokio::fs::File::open(path).await.map_err(file_error(path))?;
        let mut offset = Some(upload.offset);
        let mut failures = 0u32;
        loop {
            let result = match offset {
                // After a failure the server says where it stands.
                None => self.upload_status(org, &upload.id).await.map(|u| u.offset),
                Some(at) if at >= size => break,
                Some(at) => {
                    let len = chunk_bytes.min(size - at);
                    let mut chunk = vec![0u8; usize::try_from(len).unwrap_or(usize::MAX)];
                    file.seek(SeekFrom::Start(at)).await.map_err(file_error(path))?;
                    file.read_exact(&mut chunk).await.map_err(file_error(path))?;
                    self.put_chunk(org, &upload.id, at, chunk).await.map(|u| u.offset)
                }
            };
            match result {
                Ok(at) => {
                    if offset.is_some() {
                        failures = 0;
                    }
                    offset = Some(at);
                }
                Err(e) if retryable(&e) && failures < MAX_RETRIES => {
                    failures += 1;
                    offset = None;
                    tokio::time::sleep(Duration::from_millis(50 << failures.min(6))).await;
                }
                Err(e) => return Err(e),
            }
        }
        self.complete_upload(org, &upload.id).await
    }
}
