//! The RevLens desktop app: a thin Tauri 2 shell over the command list of
//! `revlens-commands`. The UI (`ui/`, `ui/src/lib/backend/tauri.ts`) sends every command
//! through one IPC command, `call`; files the user drops arrive through `stage_upload`;
//! exports are written where the save dialog said through `write_export`. Job events go
//! to the window as the Tauri event [`EVENT`]; the page a single sign-on waits on opens in the
//! system browser through `open_sign_in_page` ([`sign_in`]). `revlens://` share links (at launch, or from a
//! second launch) open the UI's Shared dashboard view ([`deep_link`]).

mod commands;
mod deep_link;
mod home;
mod sign_in;

use std::sync::Arc;

use revlens_commands::{ApiError, App, AppEvent, EventSink};
use tauri::webview::PageLoadEvent;
use tauri::{AppHandle, Emitter, Manager};
use tauri_plugin_deep_link::DeepLinkExt;

pub use home::home_dir;

/// The Tauri event that carries each [`AppEvent`] (its JSON is the payload).
pub const EVENT: &str = "revlens-event";

/// The app's state behind the IPC commands: the opened store, or why it could not be
/// opened, so every command answers with that error and the UI shows it.
pub(crate) struct Backend(Result<Arc<App>, ApiError>);

impl Backend {
    fn open(handle: &AppHandle) -> Self {
        let events = event_sink(handle.clone());
        let app = home_dir().and_then(|home| App::open(&home, events)).map(Arc::new);
        if let Err(error) = &app {
            eprintln!("revlens-desktop: the store cannot be opened: {error}");
        }
        Self(app)
    }

    pub(crate) fn app(&self) -> Result<Arc<App>, ApiError> {
        self.0.clone()
    }
}

fn event_sink(handle: AppHandle) -> EventSink {
    Arc::new(move |event: AppEvent| {
        if let Some(pages) = handle.try_state::<sign_in::SignInPages>() {
            pages.note(&event);
        }
        if let Err(error) = handle.emit(EVENT, &event) {
            eprintln!("revlens-desktop: event not delivered: {error}");
        }
    })
}

/// Builds and runs the app until its last window closes.
pub fn run() -> tauri::Result<()> {
    tauri::Builder::default()
        // First: a second launch (a revlens:// link clicked while the app runs) hands its
        // arguments to this instance, whose deep-link plugin turns a link into its event.
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            if let Some(window) = app.get_webview_window("main") {
                let _ = window.unminimize();
                let _ = window.set_focus();
            }
        }))
        .plugin(tauri_plugin_deep_link::init())
        .plugin(tauri_plugin_dialog::init())
        .manage(deep_link::Pending::default())
        .manage(sign_in::SignInPages::default())
        .on_page_load(|webview, payload| {
            if payload.event() == PageLoadEvent::Finished {
                deep_link::page_loaded(webview);
            }
        })
        .setup(|app| {
            let backend = Backend::open(app.handle());
            app.manage(backend);
            // Installed packages declare the scheme in their .desktop file; a binary run from
            // elsewhere (a build, an AppImage) registers it for the user here.
            #[cfg(target_os = "linux")]
            if let Err(error) = app.deep_link().register_all() {
                eprintln!("revlens-desktop: revlens:// links are not registered: {error}");
            }
            let handle = app.handle().clone();
            app.deep_link().on_open_url(move |event| {
                for url in event.urls() {
                    deep_link::open_now(&handle, url.as_str());
                }
            });
            if let Some(urls) = app.deep_link().get_current()? {
                for url in urls {
                    deep_link::open_at_start(app.handle(), url.as_str());
                }
            }
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::call,
            commands::stage_upload,
            commands::write_export,
            sign_in::open_sign_in_page
        ])
        .run(tauri::generate_context!())
}
