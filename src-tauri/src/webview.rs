//! WebKitGTK's defaults suit a web browser, not one local page of dashboards. GPU compositing
//! costs the web process about 115 MB here and is a known cause of blank windows with some
//! drivers, while the charts are 2D canvases that need none of it; the page and memory caches
//! hold pages that this app never revisits. `REVLENS_WEBKIT_GPU=1` keeps WebKit's own policy.

/// The environment variable that keeps WebKit's hardware acceleration (for diagnosis).
#[cfg(target_os = "linux")]
const GPU_VARIABLE: &str = "REVLENS_WEBKIT_GPU";

#[cfg(target_os = "linux")]
pub(crate) fn tune(window: &tauri::WebviewWindow) {
    use webkit2gtk::{CacheModel, HardwareAccelerationPolicy, SettingsExt, WebContextExt, WebViewExt};

    let keep_gpu = std::env::var_os(GPU_VARIABLE).is_some_and(|v| v == "1");
    let tuned = window.with_webview(move |webview| {
        let view = webview.inner();
        if let Some(settings) = WebViewExt::settings(&view) {
            if !keep_gpu {
                settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
            }
            settings.set_enable_webgl(false);
            settings.set_enable_page_cache(false);
        }
        if let Some(context) = view.context() {
            context.set_cache_model(CacheModel::DocumentViewer);
        }
    });
    if let Err(error) = tuned {
        eprintln!("revlens-desktop: the web view keeps WebKit's default settings: {error}");
    }
}

/// Other platforms' web views (WebView2, WKWebView) manage this themselves.
#[cfg(not(target_os = "linux"))]
pub(crate) fn tune(_window: &tauri::WebviewWindow) {}
