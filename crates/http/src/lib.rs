//! `revlens serve`: the same commands as the desktop app, over HTTP on 127.0.0.1, with
//! progress as server-sent events, and the built UI as static files — so the UI runs in
//! a browser (and browser tests drive it) exactly as in the app window.
//!
//! - `POST /api/call/{command}` with the JSON arguments → the JSON result, or
//!   `{"error": {"code", "message", "details"?}}` with a 4xx/5xx status;
//! - `POST /api/upload?name=FILE` with the file's bytes → a staged file the commands can read;
//! - `GET /api/events` → `text/event-stream`, one JSON [`AppEvent`] per message;
//! - everything else: the UI's files.
//!
//! Requests that change anything must carry `x-revlens: 1`: a web page of another origin
//! cannot send that header without a CORS preflight, which this server never allows.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Path as UrlPath, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::{Stream, StreamExt};
use revlens_commands::{ApiError, App, AppEvent, ErrorCode};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;
use tokio::sync::broadcast;
use tower_http::services::{ServeDir, ServeFile};

/// The header every mutating request carries (see the crate docs).
pub const CSRF_HEADER: &str = "x-revlens";

#[derive(Clone)]
struct Shared {
    app: Arc<App>,
    events: broadcast::Sender<AppEvent>,
}

/// Opens the app at `home` with its events going to the SSE stream.
pub fn open_app(home: &Path) -> Result<(Arc<App>, broadcast::Sender<AppEvent>), ApiError> {
    // A slow browser misses old progress events rather than holding the import back.
    let (events, _) = broadcast::channel(1024);
    let sender = events.clone();
    let app = App::open(home, Arc::new(move |event| drop(sender.send(event))))?;
    Ok((Arc::new(app), events))
}

/// The router: the API under `/api`, the UI's files from `ui_dir` for everything else.
pub fn router(app: Arc<App>, events: broadcast::Sender<AppEvent>, ui_dir: &Path) -> Router {
    let index = ui_dir.join("index.html");
    let api = Router::new()
        .route("/call/{command}", post(call))
        .route("/upload", post(upload))
        .route("/events", get(events_stream))
        .route_layer(middleware::from_fn(require_header))
        .layer(DefaultBodyLimit::disable());
    Router::new()
        .nest("/api", api)
        .fallback_service(ServeDir::new(ui_dir).fallback(ServeFile::new(index)))
        .with_state(Shared { app, events })
}

/// Serves until the process ends; `on_listening` learns the bound address (port 0 picks one).
pub async fn serve(
    app: Arc<App>,
    events: broadcast::Sender<AppEvent>,
    address: SocketAddr,
    ui_dir: PathBuf,
    on_listening: impl FnOnce(SocketAddr),
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(address).await?;
    on_listening(listener.local_addr()?);
    axum::serve(listener, router(app, events, &ui_dir)).await
}

async fn require_header(request: Request, next: Next) -> Response {
    let safe = request.method() == axum::http::Method::GET;
    if safe || request.headers().get(CSRF_HEADER).is_some_and(|v| v == "1") {
        return next.run(request).await;
    }
    error_response(ApiError::new(ErrorCode::InvalidArgs, format!("requests must carry the header {CSRF_HEADER}: 1")))
}

fn status(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::UnknownCommand
        | ErrorCode::NotFound
        | ErrorCode::ShareLinkUnavailable
        | ErrorCode::SsoNotConfigured => StatusCode::NOT_FOUND,
        ErrorCode::InvalidArgs | ErrorCode::Invalid => StatusCode::BAD_REQUEST,
        ErrorCode::Conflict | ErrorCode::Cancelled => StatusCode::CONFLICT,
        ErrorCode::InvalidRows | ErrorCode::ImportFailed | ErrorCode::Metrics => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::NotSignedIn => StatusCode::UNAUTHORIZED,
        ErrorCode::SyncServer => StatusCode::BAD_GATEWAY,
        ErrorCode::TimedOut => StatusCode::GATEWAY_TIMEOUT,
        ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

fn error_response(error: ApiError) -> Response {
    let code = if error.code == ErrorCode::InvalidArgs && error.message.contains(CSRF_HEADER) {
        StatusCode::FORBIDDEN
    } else {
        status(error.code)
    };
    (code, Json(json!({ "error": error }))).into_response()
}

async fn call(State(shared): State<Shared>, UrlPath(command): UrlPath<String>, body: Option<Json<Value>>) -> Response {
    let args = body.map_or(json!({}), |Json(args)| args);
    let app = shared.app.clone();
    match tokio::task::spawn_blocking(move || app.call(&command, args)).await {
        Ok(Ok(result)) => Json(result).into_response(),
        Ok(Err(error)) => error_response(error),
        Err(join) => error_response(ApiError::new(ErrorCode::Internal, format!("the command failed: {join}"))),
    }
}

#[derive(Deserialize)]
struct UploadQuery {
    name: String,
}

/// Streams the body into the home's uploads, so a large file never sits in memory.
async fn upload(State(shared): State<Shared>, Query(query): Query<UploadQuery>, _: HeaderMap, body: Body) -> Response {
    let result = async {
        let path = shared.app.new_upload_path(&query.name)?;
        let io = |e: std::io::Error| ApiError::new(ErrorCode::Internal, format!("{}: {e}", path.display()));
        let mut file = tokio::fs::File::create(&path).await.map_err(io)?;
        let mut stream = body.into_data_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| ApiError::new(ErrorCode::InvalidArgs, format!("upload interrupted: {e}")))?;
            file.write_all(&chunk).await.map_err(io)?;
        }
        file.flush().await.map_err(io)?;
        revlens_commands::staged_file(&path)
    }
    .await;
    match result {
        Ok(staged) => Json(staged).into_response(),
        Err(error) => error_response(error),
    }
}

async fn events_stream(State(shared): State<Shared>) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let receiver = shared.events.subscribe();
    let stream = futures_util::stream::unfold(receiver, |mut receiver| async move {
        loop {
            match receiver.recv().await {
                Ok(event) => {
                    let data = serde_json::to_string(&event).unwrap_or_default();
                    return Some((Ok(Event::default().data(data)), receiver));
                }
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}
