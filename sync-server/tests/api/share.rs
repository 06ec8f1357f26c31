use std::time::Duration;

use chrono::Utc;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{assert_error, json_ok, spawn_app, Session, TestApp};

async fn dashboard(app: &TestApp, who: &Session) {
    let body = json!({"name": "Board", "body": {"tiles": ["mrr"], "filters": {}}});
    let put = json!([{"mutation_id": 1, "kind": "dashboard", "id": "d1", "base_rev": 0, "body": body}]);
    json_ok(app.push(who, "c", put).await).await;
}

/// A dashboard's synced body with a snapshot (where the app puts it: in the dashboard's body),
/// hostile markup in every text it carries.
fn with_snapshot() -> serde_json::Value {
    let evil = "<script>alert(1)</script>";
    json!({
        "name": format!("Board {evil}"),
        "body": {"tiles": ["mrr", "nrr", "movements", "top_customers"], "filters": {}, "snapshot": {
            "title": format!("CFO {evil}"),
            "as_of": "2025-06",
            "currency": "EUR",
            "tiles": [
                {"id": "mrr", "label": format!("MRR {evil}"), "value": 12345.0, "previous": 9876.0, "change": 0.25,
                 "unit": {"type": "money", "currency": null}, "definition": format!("\"><img src=x onerror=alert(1)>")},
                {"id": "nrr", "label": "NRR", "value": 0.953, "previous": null, "change": null,
                 "unit": {"type": "percent"}, "definition": "Net revenue retention"},
                {"id": "active_customers", "label": "Active customers", "value": 1204.0, "previous": 1250.0,
                 "change": -0.0368, "unit": {"type": "count"}, "definition": ""}
            ],
            "charts": [
                {"id": "movements", "title": format!("Movements {evil}"), "kind": "stacked_bar",
                 "x_labels": ["2025-04", "2025-05", "2025-06"], "y_labels": [],
                 "series": [
                     {"key": "new", "name": "New MRR", "values": [100.0, 150.0, 120.0]},
                     {"key": "churn", "name": "Churn <b>", "values": [-40.0, null, -55.0]}
                 ],
                 "unit": {"type": "money", "currency": "EUR"}, "definition": format!("Movements {evil}")},
                {"id": "mrr_chart", "title": "MRR", "kind": "line", "x_labels": ["2025-05", "2025-06"], "y_labels": [],
                 "series": [{"key": "mrr", "name": "Total MRR", "values": [9876.0, 12345.0]}],
                 "unit": {"type": "money", "currency": null}, "definition": "Monthly recurring revenue"}
            ],
            "tables": [
                {"id": "top_customers", "title": "Top customers", "total_rows": 3,
                 "columns": [{"key": "name", "label": format!("Customer {evil}"), "unit": null},
                             {"key": "mrr", "label": "MRR", "unit": {"type": "money", "currency": null}}],
                 "rows": [["Acme <img src=x onerror=alert(1)>", 5000.0], ["Globex", 250.5]]}
            ]
        }}
    })
}

/// A new share link (its JSON answer) to `kind`/`id`, expiring at `expires_at`.
async fn create_link(app: &TestApp, who: &Session, kind: &str, id: &str, expires_at: Value) -> Value {
    let path = format!("/v1/orgs/{}/share-links", who.org_id);
    let link = json!({"kind": kind, "id": id, "expires_at": expires_at});
    json_ok(app.post(&path, Some(&who.access), link).await).await
}

/// The token of a new share link to `kind`/`id`.
async fn share(app: &TestApp, who: &Session, kind: &str, id: &str) -> String {
    let link = create_link(app, who, kind, id, json!(crate::helpers::later())).await;
    link["token"].as_str().unwrap().to_owned()
}

async fn open(app: &TestApp, token: &str) -> (StatusCode, String) {
    let response = app.request(Method::GET, &format!("/s/{token}"), None, None).await;
    let status = response.status();
    let headers = response.headers();
    assert!(headers["content-type"].to_str().unwrap().starts_with("text/html"));
    assert_eq!(headers["content-security-policy"], "default-src 'none'; style-src 'unsafe-inline'; img-src data:");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert_eq!(headers["cache-control"], "no-store");
    (status, response.text().await.unwrap())
}

/// Nothing from the body became markup: every tag is one the page or plotters writes, and no
/// tag carries an event handler or a link but the app's.
fn assert_inert(page: &str) {
    const TAGS: &[&str] = &[
        "!doctype", "html", "head", "meta", "title", "style", "body", "h1", "h2", "p", "a", "section", "div", "figure",
        "footer", "table", "thead", "tbody", "tr", "th", "td", "svg", "rect", "circle", "line", "polyline", "polygon",
        "text",
    ];
    for tag in page.split('<').skip(1) {
        let tag = &tag[..tag.find('>').expect("a closed tag")];
        let name = tag.trim_start_matches('/').split_whitespace().next().unwrap_or("").trim_end_matches('/');
        assert!(TAGS.contains(&name.to_lowercase().as_str()), "<{tag}> in {page}");
        // The attribute names: what is outside the double-quoted values (which hold no quote).
        let names: String = tag.to_lowercase().split('"').step_by(2).collect::<Vec<_>>().join(" ");
        assert!(!names.split_whitespace().any(|a| a.starts_with("on")), "<{tag}>");
        assert!(!names.contains("href") || tag.contains("href=\"revlens://share/"), "<{tag}>");
    }
}

#[tokio::test]
async fn a_dashboard_snapshot_shows_its_tiles_charts_and_tables() {
    let app = spawn_app().await;
    let ann = app.owner("ann@example.com", "Acme").await;
    let put = json!([{"mutation_id": 1, "kind": "dashboard", "id": "d1", "base_rev": 0, "body": with_snapshot()}]);
    json_ok(app.push(&ann, "c", put).await).await;
    let token = share(&app, &ann, "dashboard", "d1").await;

    let (status, page) = open(&app, &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_inert(&page);
    // The title, escaped; the org and the date.
    assert!(page.contains("<h1>CFO &lt;script&gt;alert(1)&lt;/script&gt;</h1>"), "{page}");
    assert!(page.contains("Acme") && page.contains("as of 2025-06"));
    // Tiles formatted by unit, money in the snapshot's currency, with their change.
    assert!(page.contains("MRR &lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(page.contains("EUR 12,345") && page.contains("+25%") && page.contains("vs EUR 9,876"), "{page}");
    assert!(page.contains("95.3%") && page.contains("1,204") && page.contains("-3.7%"), "{page}");
    assert!(page.contains("title=\"&quot;&gt;&lt;img src=x onerror=alert(1)&gt;\""), "{page}");
    // Each chart as inline SVG drawn on the server, with its series names.
    assert_eq!(page.matches("<svg").count(), 2, "{page}");
    assert!(page.contains("New MRR") && page.contains("Churn &lt;b&gt;") && page.contains("Total MRR"));
    assert!(page.contains("Movements &lt;script&gt;alert(1)&lt;/script&gt;"));
    // The table.
    assert!(page.contains("<th>Customer &lt;script&gt;alert(1)&lt;/script&gt;</th>"), "{page}");
    assert!(page.contains("Acme &lt;img src=x onerror=alert(1)&gt;") && page.contains("EUR 5,000"));
    assert!(page.contains("EUR 250.50"), "{page}");
    // The app's link.
    // The app's link, naming this server.
    let server = app.address.replace(':', "%3A").replace('/', "%2F");
    assert!(page.contains(&format!("href=\"revlens://share/{token}?server={server}\"")), "{page}");
}

#[tokio::test]
async fn objects_without_a_snapshot_get_their_name_and_kind() {
    let app = spawn_app().await;
    let ann = app.owner("ann@example.com", "Acme").await;
    let mapping = json!({"name": "Stripe <script>x</script>", "kind": "subscriptions", "header_signature": "a,b",
        "fields": {}});
    let scenario = json!({"name": "Price rise", "body": {"growth": 0.1}});
    let broken = json!({"name": "Half board", "body": {"snapshot": {"title": 3}}});
    let top = json!({"name": "Top", "snapshot": {"title": "Top board", "tiles": [{"id": "arr", "label": "ARR",
        "value": 1480000.0, "unit": {"type": "money", "currency": "USD"}}]}});
    let put = json!([
        {"mutation_id": 1, "kind": "dashboard", "id": "d1", "base_rev": 0,
         "body": {"name": "Board", "body": {"tiles": ["mrr"], "filters": {}}}},
        {"mutation_id": 2, "kind": "mapping", "id": "m1", "base_rev": 0, "body": mapping},
        {"mutation_id": 3, "kind": "scenario", "id": "s1", "base_rev": 0, "body": scenario},
        {"mutation_id": 4, "kind": "dashboard", "id": "d2", "base_rev": 0, "body": broken},
        {"mutation_id": 5, "kind": "dashboard", "id": "d3", "base_rev": 0, "body": top},
    ]);
    json_ok(app.push(&ann, "c", put).await).await;
    for (kind, id, name) in [
        ("dashboard", "d1", "Board"),
        ("mapping", "m1", "Stripe &lt;script&gt;x&lt;/script&gt;"),
        ("scenario", "s1", "Price rise"),
        ("dashboard", "d2", "Half board"),
    ] {
        let token = share(&app, &ann, kind, id).await;
        let (status, page) = open(&app, &token).await;
        assert_eq!(status, StatusCode::OK);
        assert_inert(&page);
        assert!(page.contains(&format!("<h1>{name}</h1>")), "{page}");
        assert!(page.contains(&format!("Acme · {kind} · revision 1")), "{page}");
        assert!(page.contains("Open it in RevLens"), "{page}");
        assert!(!page.contains("<svg"));
        assert!(page.contains(&format!("revlens://share/{token}")));
    }
    // A snapshot at the top of the synced body is read too.
    let (_, page) = open(&app, &share(&app, &ann, "dashboard", "d3").await).await;
    assert!(page.contains("<h1>Top board</h1>") && page.contains("USD 1,480,000"), "{page}");
}

#[tokio::test]
async fn create_open_list_revoke() {
    let app = spawn_app().await;
    let ann = app.owner("ann@example.com", "Acme").await;
    dashboard(&app, &ann).await;
    let path = format!("/v1/orgs/{}/share-links", ann.org_id);
    let link = create_link(&app, &ann, "dashboard", "d1", json!(crate::helpers::later())).await;
    let token = link["token"].as_str().unwrap();
    assert_eq!(link["url"], format!("{}/s/{token}", app.address));

    let (status, page) = open(&app, token).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("<h1>Board</h1>") && page.contains("Acme"), "{page}");

    let list = json_ok(app.get(&path, &ann.access).await).await;
    assert_eq!(list[0]["object_id"], "d1");
    assert!(list[0].get("token").is_none());
    assert!(!list.to_string().contains(token));

    let revoke = format!("{path}/{}", link["id"].as_str().unwrap());
    assert_eq!(app.delete(&revoke, &ann.access).await.status(), StatusCode::NO_CONTENT);
    let (status, page) = open(&app, token).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The same page for every unusable link, naming nothing of the object.
    assert!(!page.contains("Acme") && !page.contains("Board") && !page.contains("revlens://"), "{page}");
    assert_eq!(open(&app, "made-up-token").await, (StatusCode::NOT_FOUND, page));
    assert_error(app.delete(&revoke, &ann.access).await, StatusCode::NOT_FOUND, "not_found").await;
}

#[tokio::test]
async fn links_expire_and_follow_their_object() {
    let app = spawn_app().await;
    let ann = app.owner("ann@example.com", "Acme").await;
    dashboard(&app, &ann).await;
    let path = format!("/v1/orgs/{}/share-links", ann.org_id);
    let soon = Utc::now() + chrono::Duration::milliseconds(3000);
    let link = create_link(&app, &ann, "dashboard", "d1", json!(soon)).await;
    let token = link["token"].as_str().unwrap();
    assert_eq!(open(&app, token).await.0, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(3200)).await;
    assert_eq!(open(&app, token).await.0, StatusCode::NOT_FOUND);

    // A deleted object's links stop opening.
    let link = create_link(&app, &ann, "dashboard", "d1", json!(crate::helpers::later())).await;
    json_ok(
        app.push(
            &ann,
            "c",
            json!([{"mutation_id": 2, "kind": "dashboard", "id": "d1", "base_rev": 1, "deleted": true}]),
        )
        .await,
    )
    .await;
    assert_eq!(open(&app, link["token"].as_str().unwrap()).await.0, StatusCode::NOT_FOUND);

    // Links are for live objects, with a future expiry.
    let missing = json!({"kind": "dashboard", "id": "nope", "expires_at": crate::helpers::later()});
    assert_error(app.post(&path, Some(&ann.access), missing).await, StatusCode::NOT_FOUND, "not_found").await;
    let past = json!({"kind": "dashboard", "id": "d1", "expires_at": "2001-01-01T00:00:00Z"});
    assert_error(app.post(&path, Some(&ann.access), past).await, StatusCode::BAD_REQUEST, "validation").await;
}

/// `GET /v1/share/{token}`, checking the headers every answer carries.
async fn open_json(app: &TestApp, token: &str) -> reqwest::Response {
    let response = app.request(Method::GET, &format!("/v1/share/{token}"), None, None).await;
    let headers = response.headers();
    assert!(headers["content-type"].to_str().unwrap().starts_with("application/json"), "{headers:?}");
    if response.status() == StatusCode::OK {
        assert_eq!(headers["cache-control"], "no-store");
        assert_eq!(headers["referrer-policy"], "no-referrer");
    }
    response
}

#[tokio::test]
async fn the_json_form_gives_the_snapshot_without_sign_in_and_is_audited() {
    let app = spawn_app().await;
    let ann = app.owner("ann@example.com", "Acme").await;
    let put = json!([{"mutation_id": 1, "kind": "dashboard", "id": "d1", "base_rev": 0, "body": with_snapshot()}]);
    json_ok(app.push(&ann, "c", put).await).await;
    let token = share(&app, &ann, "dashboard", "d1").await;

    let shared = json_ok(open_json(&app, &token).await).await;
    assert_eq!(shared["kind"], "dashboard");
    assert_eq!(shared["name"], "Board <script>alert(1)</script>");
    assert_eq!(shared["org_name"], "Acme");
    assert_eq!(shared["rev"], 1);
    // The body as synced, the snapshot's numbers untouched (JSON, not markup: no escaping).
    let snapshot = &shared["body"]["body"]["snapshot"];
    assert_eq!(snapshot["tiles"][0]["value"], 12345.0);
    assert_eq!(snapshot["charts"][0]["series"][1]["values"], json!([-40.0, null, -55.0]));
    assert_eq!(snapshot["tables"][0]["rows"][1], json!(["Globex", 250.5]));
    // Nothing of the org's ids or of the link's token in the answer.
    assert!(!shared.to_string().contains(&token) && !shared.to_string().contains(&ann.org_id));

    let rows = json_ok(app.get(&format!("/v1/orgs/{}/audit", ann.org_id), &ann.access).await).await;
    let opens: Vec<&serde_json::Value> =
        rows.as_array().unwrap().iter().filter(|r| r["action"] == "share_link.open").collect();
    assert_eq!(opens.len(), 1, "{rows}");
    assert_eq!(opens[0]["object_id"], "d1");
    assert_eq!(opens[0]["client_addr"], "127.0.0.1");
    assert!(opens[0]["actor_user_id"].is_null());

    // Any object kind: a mapping's body comes as it is, named from it.
    let mapping = json!({"name": "Stripe", "kind": "subscriptions", "header_signature": "a,b", "fields": {}});
    let put = json!([{"mutation_id": 2, "kind": "mapping", "id": "m1", "base_rev": 0, "body": mapping}]);
    json_ok(app.push(&ann, "c", put).await).await;
    let shared = json_ok(open_json(&app, &share(&app, &ann, "mapping", "m1").await).await).await;
    assert_eq!((&shared["kind"], &shared["name"], &shared["body"]), (&json!("mapping"), &json!("Stripe"), &mapping));
}

#[tokio::test]
async fn the_json_form_is_a_404_for_revoked_expired_deleted_and_made_up_links() {
    let app = spawn_app().await;
    let ann = app.owner("ann@example.com", "Acme").await;
    dashboard(&app, &ann).await;
    let path = format!("/v1/orgs/{}/share-links", ann.org_id);

    assert_error(open_json(&app, "made-up-token").await, StatusCode::NOT_FOUND, "not_found").await;

    // Revoked.
    let link = create_link(&app, &ann, "dashboard", "d1", json!(crate::helpers::later())).await;
    let token = link["token"].as_str().unwrap();
    assert_eq!(json_ok(open_json(&app, token).await).await["name"], "Board");
    let revoke = format!("{path}/{}", link["id"].as_str().unwrap());
    assert_eq!(app.delete(&revoke, &ann.access).await.status(), StatusCode::NO_CONTENT);
    assert_error(open_json(&app, token).await, StatusCode::NOT_FOUND, "not_found").await;

    // Expired.
    let soon = Utc::now() + chrono::Duration::milliseconds(3000);
    let link = create_link(&app, &ann, "dashboard", "d1", json!(soon)).await;
    let token = link["token"].as_str().unwrap();
    assert_eq!(open_json(&app, token).await.status(), StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(3200)).await;
    assert_error(open_json(&app, token).await, StatusCode::NOT_FOUND, "not_found").await;

    // Its object deleted.
    let token = share(&app, &ann, "dashboard", "d1").await;
    assert_eq!(open_json(&app, &token).await.status(), StatusCode::OK);
    let delete = json!([{"mutation_id": 2, "kind": "dashboard", "id": "d1", "base_rev": 1, "deleted": true}]);
    json_ok(app.push(&ann, "c", delete).await).await;
    assert_error(open_json(&app, &token).await, StatusCode::NOT_FOUND, "not_found").await;

    // A 404 opens nothing: only the three good opens are audited.
    let rows = json_ok(app.get(&format!("/v1/orgs/{}/audit", ann.org_id), &ann.access).await).await;
    let opens = rows.as_array().unwrap().iter().filter(|r| r["action"] == "share_link.open").count();
    assert_eq!(opens, 3, "{rows}");
}
