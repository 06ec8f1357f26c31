//! The app's share links, `revlens://share/{token}?server={server base URL}`: made when a
//! dashboard is shared, opened (no sign-in) with the server's `GET /v1/share/{token}`.

use std::fmt;

use revlens_sync::client::{ClientError, SyncClient};
use revlens_sync::SharedObject;
use url::Url;

use crate::{Result, ServiceError};

/// Tokens the server makes are 43 URL-safe base64 characters; a little room either way.
const TOKEN_LEN: std::ops::RangeInclusive<usize> = 16..=128;

/// A share link's token: URL-safe base64 characters only, so it can go in a path as it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShareToken(String);

impl ShareToken {
    pub fn parse(token: &str) -> Result<Self> {
        let ok = TOKEN_LEN.contains(&token.len())
            && token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok {
            Ok(Self(token.to_owned()))
        } else {
            Err(not_a_link("its token is malformed"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `revlens://share/{token}?server=…`, checked: the scheme, the host `share`, one path segment
/// holding a well-formed token, and a `server` that is an http(s) URL without query or
/// fragment (credentials are refused too: a link must not carry them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppShareLink {
    pub token: ShareToken,
    /// The server's base URL, without a trailing slash.
    pub server: String,
}

fn not_a_link(why: &str) -> ServiceError {
    ServiceError::Invalid(format!("this is not a RevLens share link ({why}); it looks like revlens://share/…?server=…"))
}

impl AppShareLink {
    pub fn new(server: &str, token: &str) -> Result<Self> {
        Ok(Self { token: ShareToken::parse(token)?, server: check_server(server)? })
    }

    pub fn parse(link: &str) -> Result<Self> {
        let url = Url::parse(link.trim()).map_err(|_| not_a_link("not a URL"))?;
        if url.scheme() != "revlens" {
            return Err(not_a_link("it does not start with revlens://"));
        }
        if url.host_str() != Some("share") || url.port().is_some() || !url.username().is_empty() {
            return Err(not_a_link("it is not a revlens://share/ link"));
        }
        if url.fragment().is_some() {
            return Err(not_a_link("it has a #fragment"));
        }
        let token = url.path().strip_prefix('/').ok_or_else(|| not_a_link("it has no token"))?;
        let token = ShareToken::parse(token)?;
        let mut server = None;
        for (key, value) in url.query_pairs() {
            match (key.as_ref(), &server) {
                ("server", None) => server = Some(value.into_owned()),
                ("server", Some(_)) => return Err(not_a_link("it names two servers")),
                _ => return Err(not_a_link(&format!("it has an unknown parameter '{key}'"))),
            }
        }
        let server = server.ok_or_else(|| not_a_link("it does not name its server"))?;
        Ok(Self { token, server: check_server(&server)? })
    }
}

fn check_server(server: &str) -> Result<String> {
    let bad = || not_a_link("its server is not an http(s) URL");
    let url = Url::parse(server.trim()).map_err(|_| bad())?;
    let plain = matches!(url.scheme(), "http" | "https")
        && url.host_str().is_some_and(|h| !h.is_empty())
        && url.username().is_empty()
        && url.password().is_none()
        && url.query().is_none()
        && url.fragment().is_none();
    if !plain {
        return Err(bad());
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

impl fmt::Display for AppShareLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let query: String =
            url::form_urlencoded::Serializer::new(String::new()).append_pair("server", &self.server).finish();
        write!(f, "revlens://share/{}?{query}", self.token.as_str())
    }
}

/// How long opening a link waits for its server.
const OPEN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

/// Fetches what the link shows from its server (no sign-in).
pub fn open_app_share_link(link: &AppShareLink) -> Result<SharedObject> {
    let rt = super::sync::runtime()?;
    let http = reqwest::Client::builder()
        .timeout(OPEN_TIMEOUT)
        .build()
        .map_err(|e| ServiceError::Invalid(format!("cannot start the HTTP client: {e}")))?;
    let client = SyncClient::with_http(link.server.clone(), http);
    rt.block_on(client.shared_object(link.token.as_str())).map_err(|e| match e {
        ClientError::Api { status, .. } | ClientError::Status { status } if status.as_u16() == 404 => {
            ServiceError::ShareLinkUnavailable
        }
        ClientError::Http(error) if error.is_connect() || error.is_timeout() => {
            ServiceError::ServerUnreachable(format!("{}: {error}", link.server))
        }
        ClientError::Http(error) if error.is_decode() => {
            ServiceError::Invalid(format!("{} did not answer like a RevLens sync server", link.server))
        }
        other => other.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ-_01234";

    #[test]
    fn links_round_trip_with_their_server_encoded() {
        let link = AppShareLink::new("https://sync.example.com:8443/revlens/", TOKEN).unwrap();
        assert_eq!(link.server, "https://sync.example.com:8443/revlens");
        let text = link.to_string();
        assert_eq!(text, format!("revlens://share/{TOKEN}?server=https%3A%2F%2Fsync.example.com%3A8443%2Frevlens"));
        assert_eq!(AppShareLink::parse(&text).unwrap(), link);
        assert_eq!(
            AppShareLink::parse(&format!(" revlens://share/{TOKEN}?server=http://127.0.0.1:9 ")).unwrap().server,
            "http://127.0.0.1:9"
        );
    }

    #[test]
    fn anything_else_is_refused_in_words() {
        let server = "server=https%3A%2F%2Fs.example.com";
        for bad in [
            "".to_owned(),
            "not a url".to_owned(),
            format!("https://share/{TOKEN}?{server}"),
            format!("revlens://open/{TOKEN}?{server}"),
            format!("revlens://share:1/{TOKEN}?{server}"),
            format!("revlens://u@share/{TOKEN}?{server}"),
            format!("revlens://share/{TOKEN}"),
            format!("revlens://share/?{server}"),
            format!("revlens://share/{TOKEN}/x?{server}"),
            format!("revlens://share/{TOKEN}%2F..?{server}"),
            format!("revlens://share/short?{server}"),
            format!("revlens://share/{TOKEN}?{server}&{server}"),
            format!("revlens://share/{TOKEN}?{server}&x=1"),
            format!("revlens://share/{TOKEN}?{server}#f"),
            format!("revlens://share/{TOKEN}?server=file%3A%2F%2F%2Fetc"),
            format!("revlens://share/{TOKEN}?server=javascript%3Aalert(1)"),
            format!("revlens://share/{TOKEN}?server=https%3A%2F%2Fa%3Ab%40s.example.com"),
            format!("revlens://share/{TOKEN}?server=https%3A%2F%2Fs.example.com%3Fq%3D1"),
        ] {
            match AppShareLink::parse(&bad) {
                Err(ServiceError::Invalid(message)) => {
                    assert!(message.contains("not a RevLens share link"), "{message}")
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
    }
}
