//! Saved dashboards: a name, the tiles and charts shown, and the filters. Templates come
//! first: the two built-in ones, then those the team saved (they sync like dashboards).

use revlens_model::DocumentId;
use revlens_store::{DocumentKind, StoreError};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::revenue::Filters;
use crate::workspaces::{parse_workspace_id, WorkspaceArgs};
use crate::{ApiError, ApiResult, App, ErrorCode};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct Dashboard {
    /// Null for the built-in templates and for dashboards not saved yet.
    pub id: Option<String>,
    pub name: String,
    /// A template: built in (no id) or saved by the team.
    pub template: bool,
    /// KPI tile ids ("mrr", "arr", "active_customers", "arpa", "nrr", "logo_churn",
    /// "quick_ratio", "new_mrr", "new_logos", "arpa_new") and chart or table ids
    /// ("mrr_chart" — the MRR line —, "movements", "arr_composition", "top_customers",
    /// "cohorts"), in order.
    pub tiles: Vec<String>,
    pub filters: Filters,
}

#[derive(Debug, Deserialize, TS)]
pub struct SaveDashboardArgs {
    pub workspace: String,
    pub dashboard: Dashboard,
}

#[derive(Debug, Deserialize, TS)]
pub struct DashboardArgs {
    pub workspace: String,
    pub dashboard: String,
}

#[derive(Serialize, Deserialize)]
struct Body {
    tiles: Vec<String>,
    filters: Filters,
}

/// Every id a dashboard may show.
pub(crate) const TILE_IDS: [&str; 10] =
    ["mrr", "arr", "active_customers", "arpa", "nrr", "logo_churn", "quick_ratio", "new_mrr", "new_logos", "arpa_new"];
pub(crate) const CHART_IDS: [&str; 5] = ["mrr_chart", "movements", "arr_composition", "top_customers", "cohorts"];

fn template(name: &str, tiles: &[&str]) -> Dashboard {
    Dashboard {
        id: None,
        name: name.into(),
        template: true,
        tiles: tiles.iter().map(|t| t.to_string()).collect(),
        filters: Filters::default(),
    }
}

pub(crate) fn templates() -> Vec<Dashboard> {
    vec![
        template("CFO", &["arr", "nrr", "movements", "top_customers"]),
        template("Acquisition", &["new_mrr", "new_logos", "arpa_new", "cohorts"]),
    ]
}

/// The store's kind for a dashboard or a template.
fn kind_of(template: bool) -> DocumentKind {
    if template {
        DocumentKind::Template
    } else {
        DocumentKind::Dashboard
    }
}

pub(crate) fn from_document(document: revlens_store::Document) -> ApiResult<Dashboard> {
    let body: Body = serde_json::from_value(document.body).map_err(|e| {
        ApiError::new(ErrorCode::Internal, format!("{} '{}' is unreadable: {e}", document.kind, document.name))
    })?;
    Ok(Dashboard {
        id: Some(document.id.to_string()),
        name: document.name,
        template: document.kind == DocumentKind::Template,
        tiles: body.tiles,
        filters: body.filters,
    })
}

fn parse_id(id: &str) -> ApiResult<DocumentId> {
    id.parse().map_err(|_| ApiError::invalid_args(format!("'{id}' is not a dashboard id")))
}

pub(crate) fn list(app: &App, args: WorkspaceArgs) -> ApiResult<Vec<Dashboard>> {
    let workspace = parse_workspace_id(&args.workspace)?;
    let service = app.service();
    let store = service.store();
    let mut all = templates();
    for document in store
        .documents(workspace, DocumentKind::Template)?
        .into_iter()
        .chain(store.documents(workspace, DocumentKind::Dashboard)?)
    {
        all.push(from_document(document)?);
    }
    Ok(all)
}

pub(crate) fn save(app: &App, args: SaveDashboardArgs) -> ApiResult<Dashboard> {
    let workspace = parse_workspace_id(&args.workspace)?;
    let d = args.dashboard;
    if templates().iter().any(|t| t.name.eq_ignore_ascii_case(d.name.trim())) {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            format!("'{}' is a built-in template: choose another name", d.name),
        ));
    }
    if d.tiles.is_empty() {
        return Err(ApiError::invalid_args("a dashboard shows at least one tile or chart"));
    }
    if let Some(unknown) = d.tiles.iter().find(|t| !TILE_IDS.contains(&t.as_str()) && !CHART_IDS.contains(&t.as_str()))
    {
        return Err(ApiError::invalid_args(format!("'{unknown}' is not a tile or chart")));
    }
    let id = d.id.as_deref().map(parse_id).transpose()?;
    let kind = kind_of(d.template);
    let mut body = serde_json::to_value(Body { tiles: d.tiles, filters: d.filters })
        .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
    // A shared dashboard keeps the snapshot its share page shows until it is shared again.
    if let Some(id) = id {
        let stored = app.service().store().document(workspace, kind, id)?;
        if let Some(snapshot) = stored.body.get("snapshot") {
            body["snapshot"] = snapshot.clone();
        }
    }
    let saved = app.service().store().save_document(workspace, kind, id, &d.name, &body)?;
    from_document(saved)
}

/// Deletes a saved dashboard or template (the built-in templates have no id to delete).
pub(crate) fn delete(app: &App, args: DashboardArgs) -> ApiResult<()> {
    let workspace = parse_workspace_id(&args.workspace)?;
    let id = parse_id(&args.dashboard)?;
    let service = app.service();
    let store = service.store();
    let kind = match store.document(workspace, DocumentKind::Template, id) {
        Ok(_) => DocumentKind::Template,
        Err(StoreError::NotFound { .. }) => DocumentKind::Dashboard,
        Err(e) => return Err(e.into()),
    };
    Ok(store.delete_document(workspace, kind, id)?)
}
