//! The two small pages the account mails link to: choose a new password, confirm a new email
//! address. The token is in the URL fragment, which the browser never sends to the server; the
//! page's script posts it to the JSON API.

use axum::http::header;
use axum::response::{Html, IntoResponse};

/// Headers of both pages: nothing cached, no referrer, only this page's own script and styles,
/// requests to this server only, never framed.
const HEADERS: [(header::HeaderName, &str); 4] = [
    (header::CACHE_CONTROL, "no-store"),
    (header::REFERRER_POLICY, "no-referrer"),
    (
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; \
         form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
    ),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
];

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem;color:#222}\
input,button{font:inherit;padding:.4rem;margin:.3rem 0;width:100%;box-sizing:border-box}\
#out{margin-top:1rem}";

/// The shared script: reads `#token=…`, posts `{token, …fields}` to `api`, says the outcome.
const SCRIPT: &str = r#"
const token = new URLSearchParams(location.hash.slice(1)).get('token') || '';
history.replaceState(null, '', location.pathname);
const out = document.getElementById('out');
async function submit(api, body, done) {
  out.textContent = '…';
  try {
    const r = await fetch(api, {method: 'POST', headers: {'content-type': 'application/json'},
                                body: JSON.stringify(Object.assign({token}, body))});
    if (r.ok) { out.textContent = done; document.getElementById('form').hidden = true; return; }
    const e = await r.json().catch(() => null);
    out.textContent = e && e.error ? e.error.message : 'Something went wrong (' + r.status + ').';
  } catch (err) { out.textContent = 'The server cannot be reached.'; }
}
if (!token) { out.textContent = 'This link is incomplete: open the whole link from the mail.'; }
"#;

fn page(title: &str, body: &str, script: &str) -> impl IntoResponse {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{title}</title>\
         <style>{STYLE}</style></head><body><h1>{title}</h1>{body}<p id=\"out\" role=\"status\"></p>\
         <script>{SCRIPT}{script}</script></body></html>"
    );
    (HEADERS, Html(html))
}

/// The page a password-reset mail links to (`/reset-password#token=…`).
#[utoipa::path(get, path = "/reset-password", tag = "pages",
    responses((status = 200, content_type = "text/html", description = "a form for the new password")))]
pub async fn reset_password() -> impl IntoResponse {
    page(
        "Choose a new password",
        "<form id=\"form\"><label>New password (at least 10 characters)\
         <input id=\"password\" type=\"password\" autocomplete=\"new-password\" minlength=\"10\" required></label>\
         <button>Set the password</button></form>",
        "document.getElementById('form').addEventListener('submit', ev => { ev.preventDefault();\
         submit('v1/auth/password-reset/confirm', {password: document.getElementById('password').value},\
         'Your password is set. Sign in again with it in RevLens.'); });",
    )
}

/// The page an email-change confirmation links to (`/confirm-email#token=…`).
#[utoipa::path(get, path = "/confirm-email", tag = "pages",
    responses((status = 200, content_type = "text/html", description = "a button that confirms the new address")))]
pub async fn confirm_email() -> impl IntoResponse {
    page(
        "Confirm your new email address",
        "<form id=\"form\"><button>Confirm</button></form>",
        "document.getElementById('form').addEventListener('submit', ev => { ev.preventDefault();\
         submit('v1/me/email/confirm', {}, 'Your email address is changed.'); });",
    )
}
