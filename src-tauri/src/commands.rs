//! The IPC commands (and `open_sign_in_page` in [`crate::sign_in`]). Each runs its work on the blocking pool, never on the main
//! (UI) thread, and fails with an [`ApiError`] the UI can show.

use std::path::PathBuf;

use revlens_commands::{ApiError, ErrorCode, ExportFile, StagedFile};
use serde_json::Value;
use tauri::ipc::{InvokeBody, Request};
use tauri::State;

use crate::Backend;

/// The header that names a file sent to `stage_upload` (URL-encoded).
const FILE_NAME_HEADER: &str = "x-file-name";

/// Runs one command of the command list by name with its JSON arguments.
#[tauri::command]
pub async fn call(backend: State<'_, Backend>, name: String, args: Value) -> Result<Value, ApiError> {
    let app = backend.app()?;
    blocking(move || app.call(&name, args)).await
}

/// Keeps a file the user dropped on the window: the raw request body is its bytes, the
/// `x-file-name` header its URL-encoded name.
#[tauri::command]
pub async fn stage_upload(backend: State<'_, Backend>, request: Request<'_>) -> Result<StagedFile, ApiError> {
    let app = backend.app()?;
    let InvokeBody::Raw(bytes) = request.body() else {
        return Err(ApiError::invalid_args("stage_upload: send the file's bytes as the raw request body"));
    };
    let name = file_name(request.headers().get(FILE_NAME_HEADER).map(|value| value.as_bytes()))?;
    let bytes = bytes.clone();
    blocking(move || app.stage_upload(&name, &bytes)).await
}

/// Writes a finished export to the path the save dialog returned.
#[tauri::command]
pub async fn write_export(path: PathBuf, file: ExportFile) -> Result<(), ApiError> {
    blocking(move || revlens_commands::write_export(&path, &file)).await
}

pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tauri::async_runtime::spawn_blocking(work)
        .await
        .map_err(|error| ApiError::new(ErrorCode::Internal, format!("the command stopped unexpectedly: {error}")))?
}

fn file_name(header: Option<&[u8]>) -> Result<String, ApiError> {
    let header = header.ok_or_else(|| {
        ApiError::invalid_args(format!("stage_upload: the '{FILE_NAME_HEADER}' header must name the file"))
    })?;
    let name = percent_encoding::percent_decode(header)
        .decode_utf8()
        .map_err(|_| ApiError::invalid_args(format!("stage_upload: '{FILE_NAME_HEADER}' is not URL-encoded UTF-8")))?;
    Ok(name.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_name_header_is_url_decoded() {
        assert_eq!(file_name(Some(b"Ums%C3%A4tze%202025.csv")).ok().as_deref(), Some("Umsätze 2025.csv"));
        assert_eq!(file_name(None).map_err(|e| e.code), Err(ErrorCode::InvalidArgs));
        assert_eq!(file_name(Some(b"%FF")).map_err(|e| e.code), Err(ErrorCode::InvalidArgs));
    }
}
