//! The Team page: signing a workspace in to a sync server, syncing in the background,
//! conflicts to pick from, and share links to dashboards.
//!
//! Network work opens a connection to the store of its own, so the other commands go on
//! while a sync waits for the server. Tokens stay in the OS keychain (revlens-service).

use std::time::Duration;

use revlens_model::DocumentId;
use revlens_report::DashboardSnapshot;
use revlens_service::{AppShareLink, LoginRequest, OidcLoginRequest, Service, SyncStatus};
use revlens_store::{Document, DocumentKind, Workspace};
use revlens_sync::{Member, Role};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::dashboards::Dashboard;
use crate::revenue::RevenueArgs;
use crate::workspaces::WorkspaceArgs;
use crate::{ApiError, ApiResult, App, AppEvent, ErrorCode};

const CONFLICT_SUFFIX: &str = " (conflict)";
/// How long a single sign-on waits for the browser unless told otherwise (as the CLI).
const SSO_TIMEOUT_SECS: u32 = 300;

#[derive(Debug, Serialize, TS)]
pub struct TeamStatus {
    pub signed_in: bool,
    pub server_url: Option<String>,
    pub email: Option<String>,
    pub org_name: Option<String>,
    /// Local edits the server has not acknowledged yet.
    pub pending: u64,
    pub last_push_at: Option<String>,
    pub last_pull_at: Option<String>,
    pub conflicts: Vec<Conflict>,
}

/// A member of the org the workspace is signed in to.
#[derive(Debug, Serialize, TS)]
pub struct TeamMember {
    pub user_id: String,
    pub email: String,
    pub name: String,
    pub role: TeamRole,
    /// When they joined the org (RFC 3339).
    pub joined_at: String,
    /// The signed-in user.
    pub is_you: bool,
}

/// A member's role in the org (what each may do is the server's permission matrix).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum TeamRole {
    Owner,
    Admin,
    Analyst,
    Viewer,
}

impl From<Role> for TeamRole {
    fn from(role: Role) -> Self {
        match role {
            Role::Owner => TeamRole::Owner,
            Role::Admin => TeamRole::Admin,
            Role::Analyst => TeamRole::Analyst,
            Role::Viewer => TeamRole::Viewer,
        }
    }
}

impl From<TeamRole> for Role {
    fn from(role: TeamRole) -> Self {
        match role {
            TeamRole::Owner => Role::Owner,
            TeamRole::Admin => Role::Admin,
            TeamRole::Analyst => Role::Analyst,
            TeamRole::Viewer => Role::Viewer,
        }
    }
}

#[derive(Debug, Deserialize, TS)]
pub struct TeamMemberArgs {
    pub workspace: String,
    pub user_id: String,
}

#[derive(Debug, Deserialize, TS)]
pub struct SetRoleArgs {
    pub workspace: String,
    pub user_id: String,
    pub role: TeamRole,
}

/// A conflicted copy the server sent beside a local edit: the user keeps one of the two.
#[derive(Debug, Serialize, TS)]
pub struct Conflict {
    pub kind: ConflictKind,
    /// The copy (named "… (conflict)").
    pub id: String,
    pub name: String,
    /// The local document it conflicts with, when it is still there.
    pub original_id: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ConflictKind {
    Dashboard,
    Scenario,
    Template,
}

#[derive(Debug, Deserialize, TS)]
pub struct SignInArgs {
    pub workspace: String,
    pub server_url: String,
    pub email: String,
    pub password: String,
    /// The org's name or id, when the user belongs to several.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub org: Option<String>,
}

/// A sign-in through the org's single sign-on (OIDC) in the browser.
#[derive(Debug, Deserialize, TS)]
pub struct SsoSignInArgs {
    pub workspace: String,
    pub server_url: String,
    /// The org's id (the server keeps single sign-on settings per org id).
    pub org: String,
    /// The id the `open_url` event carries and `cancel_job` takes; made by the UI.
    pub job: String,
    /// How long to wait for the browser to come back (default 300 s).
    #[serde(default)]
    #[ts(optional = nullable)]
    pub timeout_secs: Option<u32>,
}

#[derive(Debug, Serialize, TS)]
pub struct SyncResult {
    /// Local edits the server applied (merged ones included).
    pub pushed: u64,
    /// Changes from the server applied here.
    pub pulled: u64,
    /// Conflicted copies this sync brought (they stay listed in `status` until resolved).
    pub conflicts: u64,
    /// Changes from the server that could not be applied here, each in words (a dataset whose
    /// file is missing on the server, damaged, or does not import); retried at the next sync.
    pub not_applied: Vec<String>,
    pub status: TeamStatus,
}

#[derive(Debug, Deserialize, TS)]
pub struct ShareDashboardArgs {
    pub workspace: String,
    pub dashboard: String,
    pub days: u32,
}

#[derive(Debug, Serialize, TS)]
pub struct ShareResult {
    pub url: String,
    /// Opens the shared dashboard in the app.
    pub app_url: String,
    pub expires_at: String,
}

#[derive(Debug, Deserialize, TS)]
pub struct OpenShareLinkArgs {
    /// `revlens://share/{token}?server={server base URL, URL-encoded}`.
    pub link: String,
}

/// What a share link shows, read-only, fetched from its server without signing in.
#[derive(Debug, Serialize, TS)]
pub struct SharedDashboard {
    /// The server the link named.
    pub server_url: String,
    pub org_name: String,
    /// `dashboard`, or another kind shared from the CLI (`mapping`, `scenario`): those have no
    /// snapshot.
    pub kind: String,
    pub name: String,
    /// The object's revision on the server.
    pub rev: i64,
    /// The numbers as they were when the dashboard was shared; `None` when the object has no
    /// snapshot (or one this version cannot read: `note` says which).
    pub snapshot: Option<DashboardSnapshot>,
    pub note: Option<String>,
}

#[derive(Debug, Deserialize, TS)]
pub struct ResolveConflictArgs {
    pub workspace: String,
    pub kind: ConflictKind,
    /// The conflicted copy.
    pub copy: String,
    pub keep: Keep,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Keep {
    /// The copy's content replaces the local document's.
    Copy,
    /// The local document stays as it is.
    Original,
}

fn document_kind(kind: ConflictKind) -> DocumentKind {
    match kind {
        ConflictKind::Dashboard => DocumentKind::Dashboard,
        ConflictKind::Scenario => DocumentKind::Scenario,
        ConflictKind::Template => DocumentKind::Template,
    }
}

fn base_name(name: &str) -> Option<&str> {
    let at = name.find(CONFLICT_SUFFIX)?;
    Some(&name[..at])
}

impl App {
    /// A connection of its own to the store, for work that waits on the network.
    fn network_service(&self) -> ApiResult<Service> {
        Ok(Service::open(self.home())?)
    }

    fn team_status(&self, workspace: &str) -> ApiResult<TeamStatus> {
        let workspace = self.workspace(workspace)?;
        let status: SyncStatus = self.service().sync_status(Some(&workspace.name))?;
        let mut conflicts = Vec::new();
        for kind in [ConflictKind::Dashboard, ConflictKind::Scenario, ConflictKind::Template] {
            let documents = self.service().store().documents(workspace.id, document_kind(kind))?;
            for copy in documents.iter().filter(|d| base_name(&d.name).is_some()) {
                let base = base_name(&copy.name).unwrap_or_default();
                let original = documents.iter().find(|d| d.name == base).map(|d| d.id.to_string());
                conflicts.push(Conflict {
                    kind,
                    id: copy.id.to_string(),
                    name: copy.name.clone(),
                    original_id: original,
                });
            }
        }
        Ok(TeamStatus {
            signed_in: status.signed_in,
            server_url: status.server_url,
            email: status.email,
            org_name: status.org_name,
            pending: status.pending,
            last_push_at: status.last_push_at,
            last_pull_at: status.last_pull_at,
            conflicts,
        })
    }
}

pub(crate) fn status(app: &App, args: WorkspaceArgs) -> ApiResult<TeamStatus> {
    app.team_status(&args.workspace)
}

pub(crate) fn sign_in(app: &App, args: SignInArgs) -> ApiResult<TeamStatus> {
    let workspace = app.workspace(&args.workspace)?;
    let request = LoginRequest {
        server_url: args.server_url,
        email: args.email,
        password: args.password,
        org: args.org.filter(|o| !o.trim().is_empty()),
    };
    app.network_service()?.sync_login(Some(&workspace.name), &request)?;
    app.team_status(&args.workspace)
}

/// Signs in through the org's single sign-on: the address the browser must open goes out as an
/// `open_url` event of the job; the call returns once the browser came back (or the job was
/// cancelled, or the wait timed out). Blocks, on a connection of its own, like an import.
pub(crate) fn sign_in_sso(app: &App, args: SsoSignInArgs) -> ApiResult<TeamStatus> {
    let workspace = app.workspace(&args.workspace)?;
    let org = args.org.trim();
    if org.is_empty() {
        return Err(ApiError::invalid_args("single sign-on needs the org's id (your team's admin has it)"));
    }
    let request = OidcLoginRequest {
        server_url: args.server_url.clone(),
        org: org.to_owned(),
        timeout: Duration::from_secs(args.timeout_secs.unwrap_or(SSO_TIMEOUT_SECS).into()),
    };
    let job = args.job.as_str();
    app.run_job(job, |cancel| {
        let mut open = |url: &str| app.emit(AppEvent::OpenUrl { job: job.to_owned(), url: url.to_owned() });
        app.network_service()?.sync_login_oidc(Some(&workspace.name), &request, &mut open, cancel)?;
        app.team_status(&args.workspace)
    })
}

/// Pushes the pending edits, then pulls the org's changes.
pub(crate) fn sync(app: &App, args: WorkspaceArgs) -> ApiResult<SyncResult> {
    let workspace = app.workspace(&args.workspace)?;
    let open_before = app.team_status(&args.workspace)?.conflicts.len();
    let service = app.network_service()?;
    let pushed = service.sync_push(Some(&workspace.name))?;
    let pulled = service.sync_pull(Some(&workspace.name))?;
    let status = app.team_status(&args.workspace)?;
    Ok(SyncResult {
        pushed: pushed.applied + pushed.merged,
        pulled: pulled.updated + pulled.deleted,
        conflicts: status.conflicts.len().saturating_sub(open_before) as u64,
        not_applied: pulled.not_applied.into_iter().map(|n| n.error).collect(),
        status,
    })
}

pub(crate) fn sign_out(app: &App, args: WorkspaceArgs) -> ApiResult<TeamStatus> {
    let workspace = app.workspace(&args.workspace)?;
    app.network_service()?.sync_logout(Some(&workspace.name))?;
    app.team_status(&args.workspace)
}

/// The org's members, with their roles; the signed-in user is marked.
pub(crate) fn members(app: &App, args: WorkspaceArgs) -> ApiResult<Vec<TeamMember>> {
    let workspace = app.workspace(&args.workspace)?;
    let service = app.network_service()?;
    let you = signed_in_email(&service, &workspace)?;
    let members = service.team_members(Some(&workspace.name))?;
    Ok(members.into_iter().map(|m| team_member(m, you.as_deref())).collect())
}

/// Gives a member another role; the server refuses what the caller's role does not allow.
pub(crate) fn set_role(app: &App, args: SetRoleArgs) -> ApiResult<TeamMember> {
    let workspace = app.workspace(&args.workspace)?;
    let service = app.network_service()?;
    let you = signed_in_email(&service, &workspace)?;
    let member = service.team_set_role(Some(&workspace.name), &args.user_id, args.role.into())?;
    Ok(team_member(member, you.as_deref()))
}

pub(crate) fn remove_member(app: &App, args: TeamMemberArgs) -> ApiResult<()> {
    let workspace = app.workspace(&args.workspace)?;
    Ok(app.network_service()?.team_remove_member(Some(&workspace.name), &args.user_id)?)
}

/// The signed-in user's email (from the store), to mark their row among the members.
fn signed_in_email(service: &Service, workspace: &Workspace) -> ApiResult<Option<String>> {
    Ok(service.store().sync_account(workspace.id)?.map(|account| account.email))
}

fn team_member(member: Member, you: Option<&str>) -> TeamMember {
    TeamMember {
        is_you: you.is_some_and(|you| you.eq_ignore_ascii_case(&member.user.email)),
        user_id: member.user.id,
        email: member.user.email,
        name: member.user.name,
        role: member.role.into(),
        joined_at: member.joined_at.to_rfc3339(),
    }
}

pub(crate) fn resolve_conflict(app: &App, args: ResolveConflictArgs) -> ApiResult<()> {
    let workspace = app.workspace(&args.workspace)?;
    let kind = document_kind(args.kind);
    let id: DocumentId =
        args.copy.parse().map_err(|_| ApiError::invalid_args(format!("'{}' is not an id", args.copy)))?;
    let service = app.service();
    let store = service.store();
    let copy = store.document(workspace.id, kind, id)?;
    let Some(base) = base_name(&copy.name) else {
        return Err(ApiError::invalid_args(format!("'{}' is not a conflicted copy", copy.name)));
    };
    if args.keep == Keep::Copy {
        let original: Option<Document> = store.documents(workspace.id, kind)?.into_iter().find(|d| d.name == base);
        // The copy's content under the original's id and name (a new document if it is gone).
        store.delete_document(workspace.id, kind, copy.id)?;
        store.save_document(workspace.id, kind, original.map(|d| d.id), base, &copy.body)?;
    } else {
        store.delete_document(workspace.id, kind, copy.id)?;
    }
    Ok(())
}

/// Attaches a snapshot of the dashboard's numbers, syncs it, and makes a share link.
pub(crate) fn share_dashboard(app: &App, args: ShareDashboardArgs) -> ApiResult<ShareResult> {
    let workspace = app.workspace(&args.workspace)?;
    let id: DocumentId = args
        .dashboard
        .parse()
        .map_err(|_| ApiError::invalid_args(format!("'{}' is not a dashboard id", args.dashboard)))?;
    let document = app.service().store().document(workspace.id, DocumentKind::Dashboard, id)?;
    let dashboard: Dashboard = crate::dashboards::from_document(document.clone())?;
    let revenue = crate::revenue::dashboard(
        app,
        RevenueArgs { workspace: args.workspace.clone(), filters: dashboard.filters.clone() },
    )?;
    if let Some(reason) = revenue.empty_reason {
        return Err(ApiError::new(ErrorCode::Metrics, reason));
    }
    let shown = |id: &str| dashboard.tiles.iter().any(|t| t == id);
    let snapshot = DashboardSnapshot {
        title: dashboard.name.clone(),
        as_of: Some(revenue.as_of.clone()),
        currency: revenue.currency.clone(),
        tiles: revenue.tiles.into_iter().filter(|t| shown(&t.id)).collect(),
        charts: revenue.charts.into_iter().filter(|c| shown(if c.id == "mrr" { "mrr_chart" } else { &c.id })).collect(),
        tables: if shown("top_customers") { vec![revenue.top_customers] } else { Vec::new() },
    };
    let mut body = document.body.clone();
    body["snapshot"] =
        serde_json::to_value(&snapshot).map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
    app.service().store().save_document(workspace.id, DocumentKind::Dashboard, Some(id), &document.name, &body)?;
    let service = app.network_service()?;
    service.sync_push(Some(&workspace.name))?;
    let link = service.share_document(Some(&workspace.name), DocumentKind::Dashboard, id, args.days)?;
    // The server the app signed in to (its API URL; the browser URL may be another host).
    let server = service
        .sync_status(Some(&workspace.name))?
        .server_url
        .ok_or_else(|| ApiError::new(ErrorCode::NotSignedIn, "the workspace is not signed in to a sync server"))?;
    Ok(ShareResult {
        app_url: AppShareLink::new(&server, &link.token)?.to_string(),
        url: link.url,
        expires_at: link.expires_at.to_rfc3339(),
    })
}

/// Opens a `revlens://share/…?server=…` link: checks it, fetches what it shares from its server
/// (no sign-in) and gives the dashboard's snapshot.
pub(crate) fn open_share_link(_app: &App, args: OpenShareLinkArgs) -> ApiResult<SharedDashboard> {
    let link = AppShareLink::parse(&args.link)?;
    let shared = revlens_service::open_app_share_link(&link)?;
    let kind = shared.kind.as_str().to_owned();
    // The app keeps the snapshot in the dashboard's body (`{"name", "body": {…, "snapshot"}}`);
    // one at the top of the synced body is read too, like the server's page does.
    let raw = shared.body.pointer("/body/snapshot").or_else(|| shared.body.get("snapshot"));
    let (snapshot, note) = match raw {
        Some(value) if kind == "dashboard" => match serde_json::from_value::<DashboardSnapshot>(value.clone()) {
            Ok(snapshot) => (Some(snapshot), None),
            Err(_) => {
                (None, Some("This dashboard's snapshot could not be read by this version of RevLens.".to_owned()))
            }
        },
        _ => (None, Some(format!("This {kind} has no snapshot to show."))),
    };
    Ok(SharedDashboard {
        server_url: link.server,
        org_name: shared.org_name,
        kind,
        name: shared.name,
        rev: shared.rev,
        snapshot,
        note,
    })
}
