use revlens_model::WorkspaceId;
use revlens_service::DEMO_WORKSPACE;
use revlens_store::Workspace;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{ApiError, ApiResult, App};

/// Arguments of the commands that take none.
#[derive(Debug, Default, Deserialize, TS)]
pub struct NoArgs {}

#[derive(Debug, Serialize, TS)]
pub struct AppInfo {
    pub version: String,
    pub home: String,
    pub demo_workspace: String,
}

#[derive(Clone, Debug, Serialize, TS)]
pub struct WorkspaceInfo {
    pub id: String,
    pub name: String,
    pub created_at: String,
    pub datasets: u32,
}

#[derive(Debug, Deserialize, TS)]
pub struct WorkspaceArgs {
    pub workspace: String,
}

#[derive(Debug, Deserialize, TS)]
pub struct CreateWorkspaceArgs {
    pub name: String,
}

#[derive(Debug, Deserialize, TS)]
pub struct RenameWorkspaceArgs {
    pub workspace: String,
    pub name: String,
}

pub(crate) fn parse_workspace_id(id: &str) -> ApiResult<WorkspaceId> {
    id.parse().map_err(|_| ApiError::invalid_args(format!("'{id}' is not a workspace id")))
}

impl App {
    /// The workspace of a command's `workspace` argument.
    pub(crate) fn workspace(&self, id: &str) -> ApiResult<Workspace> {
        Ok(self.service().store().workspace_by_id(parse_workspace_id(id)?)?)
    }

    fn workspace_info(&self, workspace: Workspace) -> ApiResult<WorkspaceInfo> {
        let datasets = self.service().store().datasets(workspace.id)?.len() as u32;
        Ok(WorkspaceInfo {
            id: workspace.id.to_string(),
            name: workspace.name,
            created_at: workspace.created_at,
            datasets,
        })
    }
}

pub(crate) fn app_info(app: &App, _: NoArgs) -> ApiResult<AppInfo> {
    Ok(AppInfo {
        version: env!("CARGO_PKG_VERSION").into(),
        home: app.home().display().to_string(),
        demo_workspace: DEMO_WORKSPACE.into(),
    })
}

pub(crate) fn ensure_demo(app: &App, _: NoArgs) -> ApiResult<WorkspaceInfo> {
    let workspace = app.service().create_demo_workspace()?;
    app.workspace_info(workspace)
}

pub(crate) fn list(app: &App, _: NoArgs) -> ApiResult<Vec<WorkspaceInfo>> {
    let workspaces = app.service().store().workspaces()?;
    workspaces.into_iter().map(|w| app.workspace_info(w)).collect()
}

pub(crate) fn create(app: &App, args: CreateWorkspaceArgs) -> ApiResult<WorkspaceInfo> {
    let workspace = {
        let service = app.service();
        if service.store().find_workspace(&args.name)?.is_some() {
            return Err(ApiError::new(
                crate::ErrorCode::Conflict,
                format!("a workspace named '{}' already exists", args.name.trim()),
            ));
        }
        service.store().create_workspace(&args.name)?
    };
    app.workspace_info(workspace)
}

pub(crate) fn rename(app: &App, args: RenameWorkspaceArgs) -> ApiResult<WorkspaceInfo> {
    let id = parse_workspace_id(&args.workspace)?;
    app.service().store().rename_workspace(id, &args.name)?;
    app.workspace_info(app.workspace(&args.workspace)?)
}

pub(crate) fn delete(app: &App, args: WorkspaceArgs) -> ApiResult<()> {
    let id = parse_workspace_id(&args.workspace)?;
    Ok(app.service().store().delete_workspace(id)?)
}
