//! WebKitGTK's defaults suit a web browser, not one local page of dashboards: the page and
//! memory caches hold pages that this app never revisits, and WebGL is never used (the charts
//! are 2D canvases).
//!
//! GPU compositing stays on although turning it off (hardware acceleration policy "never")
//! saves about 115 MB of the web process here: in that mode WebKitWebDriver's screenshots stop
//! answering after a few pages (WebKitGTK 2.50), so the app could no longer be tested as shipped.

#[cfg(target_os = "linux")]
pub(crate) fn tune(window: &tauri::WebviewWindow) {
    use webkit2gtk::{CacheModel, SettingsExt, WebContextExt, WebViewExt};

    let tuned = window.with_webview(|webview| {
        let view = webview.inner();
        if let Some(settings) = WebViewExt::settings(&view) {
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
