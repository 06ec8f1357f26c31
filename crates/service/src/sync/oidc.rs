//! The client side of an OIDC sign-in (RFC 8252, "native app"): a loopback listener, a PKCE
//! pair and a state of our own, and the one redirect the sync server sends the browser back
//! with. The pure parts (reading the redirect, checking the state) are separate from the
//! waiting so they can be tested alone.

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use revlens_model::CancelToken;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

use crate::{OidcError, Result, ServiceError};

/// The path of the loopback redirect (any path would do; a fixed one lets stray requests such
/// as `/favicon.ico` be told apart).
pub(crate) const CALLBACK_PATH: &str = "/oidc/callback";
/// The most of a request head read from the browser.
const MAX_HEAD_BYTES: usize = 16 * 1024;
/// How long one browser connection may take to send its request.
const READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How often the wait looks at the cancel token.
const CANCEL_POLL: Duration = Duration::from_millis(200);

/// The client's secrets for one sign-in: the PKCE verifier (sent only with the code exchange)
/// and the state (echoed back by the server, checked here).
pub(crate) struct Secrets {
    pub verifier: String,
    pub state: String,
}

impl Secrets {
    pub fn new() -> Result<Self> {
        Ok(Self { verifier: random_token()?, state: random_token()? })
    }

    /// base64url(SHA-256(verifier)), the S256 challenge.
    pub fn challenge(&self) -> String {
        URL_SAFE_NO_PAD.encode(Sha256::digest(self.verifier.as_bytes()))
    }
}

/// 32 random bytes as base64url: 43 characters, a valid PKCE verifier (RFC 7636 §4.1).
fn random_token() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| ServiceError::Invalid(format!("no randomness from the OS: {e}")))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// What one request to the loopback listener says.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Redirect {
    /// The sign-in's answer: the one-time code and the state it came with.
    Code { code: String, state: Option<String> },
    /// The sign-in failed and the redirect says why (an OAuth `error`).
    Error { error: String, description: Option<String> },
    /// Not the redirect (another path, another method, a redirect without a code): answered
    /// 404 and ignored.
    Other,
}

/// Reads the head of an HTTP request to the loopback listener. `Ok(None)`: the head is not
/// complete yet.
pub(crate) fn parse_redirect(head: &[u8]) -> std::result::Result<Option<Redirect>, String> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut request = httparse::Request::new(&mut headers);
    match request.parse(head) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => return Err(format!("not an HTTP request: {e}")),
    }
    let (Some(method), Some(target)) = (request.method, request.path) else {
        return Ok(Some(Redirect::Other));
    };
    // The target is origin-form (`/path?query`); a base makes it a URL to read.
    let Ok(url) = url::Url::parse("http://127.0.0.1").and_then(|base| base.join(target)) else {
        return Ok(Some(Redirect::Other));
    };
    if method != "GET" || url.path() != CALLBACK_PATH {
        return Ok(Some(Redirect::Other));
    }
    let param = |name: &str| url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned());
    Ok(Some(match (param("code"), param("error")) {
        (_, Some(error)) => Redirect::Error { error, description: param("error_description") },
        (Some(code), None) if !code.is_empty() => Redirect::Code { code, state: param("state") },
        _ => Redirect::Other,
    }))
}

/// The state that came back must be ours, compared in constant time (it is a secret of this
/// sign-in until it comes back).
pub(crate) fn state_matches(expected: &str, got: Option<&str>) -> bool {
    let Some(got) = got else { return false };
    let (a, b) = (expected.as_bytes(), got.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The page the browser shows after the redirect.
fn page(status: &str, title: &str, text: &str) -> Vec<u8> {
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>RevLens</title></head>\
         <body style=\"font-family: sans-serif; margin: 3em\"><h1>{title}</h1><p>{text}</p></body></html>"
    );
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nReferrer-Policy: no-referrer\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Reads one request head from the browser (bounded in size and time).
async fn read_redirect(stream: &mut TcpStream) -> std::result::Result<Redirect, String> {
    let mut head = Vec::with_capacity(1024);
    let mut buffer = [0u8; 2048];
    let read = async {
        loop {
            let n = stream.read(&mut buffer).await.map_err(|e| e.to_string())?;
            if n == 0 {
                return Err("the browser closed the connection".to_owned());
            }
            head.extend_from_slice(&buffer[..n]);
            if let Some(redirect) = parse_redirect(&head)? {
                return Ok(redirect);
            }
            if head.len() > MAX_HEAD_BYTES {
                return Err("the request is too large".to_owned());
            }
        }
    };
    tokio::time::timeout(READ_TIMEOUT, read).await.map_err(|_| "the browser sent nothing".to_owned())?
}

/// Waits on `listener` for the server's redirect and answers the browser; returns the one-time
/// code once its state checks out.
pub(crate) async fn wait_for_code(
    listener: &TcpListener,
    expected_state: &str,
    timeout: Duration,
    cancel: &CancelToken,
) -> Result<String> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if cancel.is_cancelled() {
            return Err(OidcError::Cancelled.into());
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(OidcError::TimedOut { secs: timeout.as_secs() }.into());
        }
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = tokio::time::sleep(CANCEL_POLL) => continue,
        };
        let Ok((mut stream, _)) = accepted else { continue };
        let (answer, outcome) = match read_redirect(&mut stream).await {
            // A stray request (a favicon, a broken connection) does not end the wait.
            Err(_) | Ok(Redirect::Other) => {
                let _ = stream.write_all(&page("404 Not Found", "Not found", "Nothing here.")).await;
                continue;
            }
            Ok(Redirect::Error { error, description }) => {
                let answer = page("400 Bad Request", "Sign-in failed", "You can close this tab and return to RevLens.");
                let why = match description {
                    Some(d) => format!("{error}: {d}"),
                    None => error,
                };
                (answer, Err(OidcError::Refused(why).into()))
            }
            Ok(Redirect::Code { code, state }) => {
                if state_matches(expected_state, state.as_deref()) {
                    let answer = page("200 OK", "Signed in", "You can close this tab and return to RevLens.");
                    (answer, Ok(code))
                } else {
                    let answer = page(
                        "400 Bad Request",
                        "Sign-in failed",
                        "This answer does not belong to the sign-in RevLens started.",
                    );
                    (answer, Err(OidcError::StateMismatch.into()))
                }
            }
        };
        let _ = stream.write_all(&answer).await;
        let _ = stream.shutdown().await;
        return outcome;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(target: &str) -> Vec<u8> {
        format!("GET {target} HTTP/1.1\r\nHost: 127.0.0.1:5000\r\nUser-Agent: test\r\n\r\n").into_bytes()
    }

    #[test]
    fn the_redirect_gives_its_code_and_state() {
        let redirect = parse_redirect(&get("/oidc/callback?code=abc%2Bdef&state=s-1")).unwrap();
        assert_eq!(redirect, Some(Redirect::Code { code: "abc+def".into(), state: Some("s-1".into()) }));
        let without_state = parse_redirect(&get("/oidc/callback?code=abc")).unwrap();
        assert_eq!(without_state, Some(Redirect::Code { code: "abc".into(), state: None }));
    }

    #[test]
    fn an_error_redirect_says_why() {
        let redirect = parse_redirect(&get("/oidc/callback?error=access_denied&error_description=no+thanks")).unwrap();
        assert_eq!(
            redirect,
            Some(Redirect::Error { error: "access_denied".into(), description: Some("no thanks".into()) })
        );
    }

    #[test]
    fn other_requests_are_not_the_redirect() {
        for head in [
            get("/favicon.ico"),
            get("/oidc/callback"),
            get("/oidc/callback?code="),
            get("/oidc/callback/x?code=abc"),
            b"POST /oidc/callback?code=abc HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
        ] {
            assert_eq!(parse_redirect(&head).unwrap(), Some(Redirect::Other), "{}", String::from_utf8_lossy(&head));
        }
    }

    #[test]
    fn a_partial_or_broken_head_is_told_apart() {
        assert_eq!(parse_redirect(b"GET /oidc/callback?code=abc HTTP/1.1\r\nHost: x\r\n").unwrap(), None);
        assert!(parse_redirect(b"\x00\x01 nonsense\r\n\r\n").is_err());
    }

    #[test]
    fn only_our_state_matches() {
        assert!(state_matches("abc", Some("abc")));
        assert!(!state_matches("abc", Some("abd")));
        assert!(!state_matches("abc", Some("abcd")));
        assert!(!state_matches("abc", Some("")));
        assert!(!state_matches("abc", None));
    }

    #[test]
    fn secrets_make_an_s256_pair() {
        let secrets = Secrets::new().unwrap();
        assert_eq!(secrets.verifier.len(), 43);
        assert_eq!(secrets.challenge(), URL_SAFE_NO_PAD.encode(Sha256::digest(secrets.verifier.as_bytes())));
        assert_eq!(secrets.challenge().len(), 43);
        let other = Secrets::new().unwrap();
        assert_ne!(secrets.verifier, other.verifier);
        assert_ne!(secrets.state, other.state);
    }

    #[tokio::test]
    async fn the_wait_answers_the_browser_and_checks_the_state() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let browser = tokio::spawn(async move {
            let mut answers = Vec::new();
            for target in ["/favicon.ico", "/oidc/callback?code=the-code&state=ours"] {
                let mut stream = TcpStream::connect(addr).await.unwrap();
                stream.write_all(&get(target)).await.unwrap();
                let mut answer = String::new();
                stream.read_to_string(&mut answer).await.unwrap();
                answers.push(answer);
            }
            answers
        });
        let code = wait_for_code(&listener, "ours", Duration::from_secs(10), &CancelToken::new()).await.unwrap();
        assert_eq!(code, "the-code");
        let answers = browser.await.unwrap();
        assert!(answers[0].starts_with("HTTP/1.1 404"), "{}", answers[0]);
        assert!(answers[1].starts_with("HTTP/1.1 200") && answers[1].contains("close this tab"), "{}", answers[1]);

        let wrong = tokio::spawn(async move {
            let mut stream = TcpStream::connect(addr).await.unwrap();
            stream.write_all(&get("/oidc/callback?code=c&state=theirs")).await.unwrap();
            let mut answer = String::new();
            stream.read_to_string(&mut answer).await.unwrap();
            answer
        });
        let error = wait_for_code(&listener, "ours", Duration::from_secs(10), &CancelToken::new()).await.unwrap_err();
        assert!(error.to_string().contains("state does not match"), "{error}");
        assert!(wrong.await.unwrap().starts_with("HTTP/1.1 400"));
    }

    #[tokio::test]
    async fn the_wait_ends_at_its_timeout_or_when_cancelled() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let error = wait_for_code(&listener, "s", Duration::from_millis(300), &CancelToken::new()).await.unwrap_err();
        assert!(error.to_string().contains("no sign-in came back"), "{error}");
        let cancel = CancelToken::new();
        cancel.cancel();
        let error = wait_for_code(&listener, "s", Duration::from_secs(60), &cancel).await.unwrap_err();
        assert!(error.to_string().contains("cancelled"), "{error}");
    }
}
