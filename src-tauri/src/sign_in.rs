//! Single sign-on pages. `team_sign_in_sso` says in its job's `open_url` event which address
//! the browser must open; the shell remembers it for that job until the job ends, and the
//! window asks for it to be opened in the system browser (`open_sign_in_page`). The window
//! names a job, never an address, so it cannot make the shell open anything else.

use std::collections::HashMap;
use std::sync::Mutex;

use revlens_commands::{ApiError, AppEvent, ErrorCode};
use tauri::State;

use crate::commands::blocking;

/// The address each waiting sign-in's browser must open, by job id.
#[derive(Default)]
pub(crate) struct SignInPages(Mutex<HashMap<String, String>>);

impl SignInPages {
    /// Follows the job events on their way to the window.
    pub(crate) fn note(&self, event: &AppEvent) {
        let mut pages = self.0.lock().unwrap_or_else(|p| p.into_inner());
        match event {
            // The sync server's sign-in page: http(s) only, whatever the event says.
            AppEvent::OpenUrl { job, url } if url.starts_with("https://") || url.starts_with("http://") => {
                pages.insert(job.clone(), url.clone());
            }
            AppEvent::Finished { job } | AppEvent::Failed { job, .. } => {
                pages.remove(job);
            }
            _ => {}
        }
    }

    fn page(&self, job: &str) -> Option<String> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).get(job).cloned()
    }
}

/// Opens the page the sign-in `job` waits on in the system browser.
#[tauri::command]
pub async fn open_sign_in_page(pages: State<'_, SignInPages>, job: String) -> Result<(), ApiError> {
    let url = pages.page(&job).ok_or_else(|| {
        ApiError::new(ErrorCode::NotFound, "No sign-in waits for the browser any more (it ended or was cancelled).")
    })?;
    blocking(move || {
        webbrowser::open(&url).map_err(|e| {
            ApiError::new(
                ErrorCode::Internal,
                format!("The browser could not be opened ({e}); copy the address into your browser."),
            )
        })
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_is_kept_while_its_job_runs_and_only_if_it_is_http() {
        let pages = SignInPages::default();
        let url = "http://127.0.0.1:8080/v1/auth/oidc/org/start?state=s".to_owned();
        pages.note(&AppEvent::OpenUrl { job: "j".into(), url: url.clone() });
        pages.note(&AppEvent::OpenUrl { job: "k".into(), url: "file:///etc/passwd".into() });
        assert_eq!(pages.page("j"), Some(url));
        assert_eq!(pages.page("k"), None);
        pages.note(&AppEvent::Progress { job: "j".into(), phase: "x".into(), done: 1, total: None });
        assert!(pages.page("j").is_some());
        pages.note(&AppEvent::Failed { job: "j".into(), message: "cancelled".into() });
        assert_eq!(pages.page("j"), None);
    }
}
