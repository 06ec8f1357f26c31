fn main() {
    // The app's own commands get permissions (`allow-call` …) like a plugin's, so the
    // capability file lists exactly what the window may invoke.
    let commands =
        tauri_build::AppManifest::new().commands(&["call", "stage_upload", "write_export", "open_sign_in_page"]);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(commands)).expect("tauri-build: configuration");
}
