//! A small async client for the sync API (feature `client`): sign in, refresh, push, pull,
//! blobs and share links. It holds the current token pair in memory; where tokens are kept between runs (the
//! OS keychain) is the caller's business.

use reqwest::{Method, RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::{
    BlobStored, CreateShareLinkRequest, ErrorBody, LoginRequest, MeResponse, Mutation, PullResponse, PushRequest,
    PushResponse, RefreshRequest, ShareLink, ShareLinkCreated, TokenResponse,
};

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
    #[error(transparent)]
    Http(#[from] reqwest::Error),
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

    /// The org's share links (without their tokens).
    pub async fn share_links(&self, org: &str) -> Result<Vec<ShareLink>, ClientError> {
        Self::json(self.authed(Method::GET, &format!("/v1/orgs/{org}/share-links"))?).await
    }

    pub async fn revoke_share_link(&self, org: &str, id: &str) -> Result<(), ClientError> {
        Self::send(self.authed(Method::DELETE, &format!("/v1/orgs/{org}/share-links/{id}"))?).await?;
        Ok(())
    }

    pub async fn get_blob(&self, org: &str, sha256: &str) -> Result<Vec<u8>, ClientError> {
        let response = Self::send(self.authed(Method::GET, &format!("/v1/orgs/{org}/blobs/{sha256}"))?).await?;
        Ok(response.bytes().await?.to_vec())
    }

    /// Whether the org has the blob, without downloading it (`HEAD`).
    pub async fn has_blob(&self, org: &str, sha256: &str) -> Result<bool, ClientError> {
        match Self::send(self.authed(Method::HEAD, &format!("/v1/orgs/{org}/blobs/{sha256}"))?).await {
            Ok(_) => Ok(true),
            Err(error) if error.status() == Some(StatusCode::NOT_FOUND) => Ok(false),
            Err(error) => Err(error),
        }
    }
}
