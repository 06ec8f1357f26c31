//! `revlens://` links: the UI's Shared dashboard view opens them (`#/shared?link=…`), and
//! the `open_share_link` command checks them. The shell only hands them over: at start from
//! the launch arguments (the deep-link plugin's current URLs), later from the plugin's event
//! (a second launch forwards its URL to this one through the single-instance plugin).
//!
//! The hand-over is a route change evaluated in the window rather than an event: a link at
//! start arrives before the UI listens to anything, while the hash is read when it mounts.

use std::sync::Mutex;

use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use tauri::{AppHandle, Manager, Runtime, Webview};

/// Longer links are not RevLens links (a token is 43 characters, a server URL short).
const MAX_LINK_LEN: usize = 4096;

/// The UI route that opens `link`, or `None` when it is not a `revlens://` link at all (the
/// command checks the rest). Percent-encoded throughout, so the script that sets it is inert.
pub(crate) fn route_for(link: &str) -> Option<String> {
    let link = link.trim();
    if link.len() > MAX_LINK_LEN || !link.starts_with("revlens://") {
        return None;
    }
    Some(format!("#/shared?link={}", utf8_percent_encode(link, NON_ALPHANUMERIC)))
}

/// The script that moves the window to `route` (a JSON string literal is a JS string literal).
fn navigate_script(route: &str) -> Option<String> {
    serde_json::to_string(route).ok().map(|route| format!("window.location.hash = {route};"))
}

/// A link that came before the window's page finished loading.
#[derive(Default)]
pub(crate) struct Pending(Mutex<Option<String>>);

/// A link the app was started with: applied when the main window's page has loaded (setup
/// runs before the event loop, so before any page load).
pub(crate) fn open_at_start<R: Runtime>(app: &AppHandle<R>, link: &str) {
    if let Some(route) = checked(link) {
        *app.state::<Pending>().0.lock().unwrap_or_else(|p| p.into_inner()) = Some(route);
    }
}

/// A link from a second launch (or the OS, while the app runs): the window goes to it now.
pub(crate) fn open_now<R: Runtime>(app: &AppHandle<R>, link: &str) {
    let Some(route) = checked(link) else { return };
    let Some(window) = app.get_webview_window("main") else {
        *app.state::<Pending>().0.lock().unwrap_or_else(|p| p.into_inner()) = Some(route);
        return;
    };
    if let Some(script) = navigate_script(&route) {
        if let Err(error) = window.eval(script) {
            eprintln!("revlens-desktop: cannot open the link: {error}");
        }
    }
    let _ = window.unminimize();
    let _ = window.set_focus();
}

fn checked(link: &str) -> Option<String> {
    let route = route_for(link);
    if route.is_none() {
        eprintln!("revlens-desktop: ignored a link that is not revlens://");
    }
    route
}

/// When the main window's page has loaded: the link that came before, if any.
pub(crate) fn page_loaded<R: Runtime>(webview: &Webview<R>) {
    if webview.label() != "main" {
        return;
    }
    let route = webview.state::<Pending>().0.lock().unwrap_or_else(|p| p.into_inner()).take();
    if let Some(script) = route.as_deref().and_then(navigate_script) {
        if let Err(error) = webview.eval(script) {
            eprintln!("revlens-desktop: cannot open the link: {error}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_revlens_links_become_routes_and_they_are_encoded() {
        let link = "revlens://share/abc_-1?server=https%3A%2F%2Fsync.example.com";
        assert_eq!(
            route_for(&format!(" {link}\n")).as_deref(),
            Some(
                "#/shared?link=revlens%3A%2F%2Fshare%2Fabc%5F%2D1%3Fserver%3Dhttps%253A%252F%252Fsync%2Eexample%2Ecom"
            )
        );
        assert_eq!(route_for("https://sync.example.com/s/abc"), None);
        assert_eq!(route_for("javascript:alert(1)"), None);
        assert_eq!(route_for(&format!("revlens://{}", "a".repeat(MAX_LINK_LEN))), None);
        // Quotes and script in a link stay inside the string.
        let route = route_for("revlens://share/x\";alert(1);//'</script>").unwrap();
        assert!(route.bytes().all(|b| b.is_ascii_alphanumeric() || b"#/?=%".contains(&b)), "{route}");
        assert_eq!(navigate_script("#/a\"b").unwrap(), "window.location.hash = \"#/a\\\"b\";");
    }
}
