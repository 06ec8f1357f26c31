//! The RevLens desktop app: a thin Tauri 2 shell over the command list of
//! `revlens-commands`. The UI (`ui/`, `ui/src/lib/backend/tauri.ts`) sends every command
//! through one IPC command, `call`; files the user drops arrive through `stage_upload`;
//! exports are written where the save dialog said through `write_export`. Job events go
//! to the window as the Tauri event [`EVENT`].

mod commands;
mod home;

use std::sync::Arc;

use revlens_commands::{ApiError, App, AppEvent, EventSink};
use tauri::{AppHandle, Emitter, Manager};

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
        if let Err(error) = handle.emit(EVENT, &event) {
            eprintln!("revlens-desktop: event not delivered: {error}");
        }
    })
}

/// Builds and runs the app until its last window closes.
pub fn run() -> tauri::Result<()> {
    tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .setup(|app| {
            let backend = Backend::open(app.handle());
            app.manage(backend);
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![commands::call, commands::stage_upload, commands::write_export])
        .run(tauri::generate_context!())
}
