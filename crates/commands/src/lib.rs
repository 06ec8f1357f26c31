//! The desktop app's commands, defined once. Each command has typed arguments and a typed
//! result; [`App::call`] dispatches a command by name with JSON arguments, and
//! [`typescript_bindings`] writes the TypeScript types of every argument and result, so
//! the UI (`ui/src/lib/bindings.ts`) and the two front doors — the Tauri shell and
//! `revlens serve` — share one list.
//!
//! Long work (imports, a single sign-on waiting for the browser) runs on the caller's thread
//! with its own connection to the store and reports progress (or the address the browser must
//! open) through the [`AppEvent`] sink the front door gives [`App::open`]; the UI can cancel it
//! by job id.

mod analysis;
mod bindings;
mod dashboards;
mod data;
mod error;
mod events;
mod exports;
mod revenue;
mod scenarios;
mod team;
mod workspaces;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use revlens_model::CancelToken;
use revlens_service::Service;
use serde_json::Value;

pub use bindings::typescript_bindings;
pub use data::{staged_file, StagedFile};
pub use error::{ApiError, ApiResult, ErrorCode, InvalidRows, RowProblem};
pub use events::AppEvent;
pub use exports::{write_export, ExportFile};

/// Where events go: the Tauri shell emits them to the window, `revlens serve` to its
/// server-sent event stream.
pub type EventSink = Arc<dyn Fn(AppEvent) + Send + Sync>;

/// The app's state behind every command: the store, the running jobs, the event sink.
pub struct App {
    home: PathBuf,
    service: Mutex<Service>,
    jobs: Mutex<HashMap<String, CancelToken>>,
    events: EventSink,
}

impl App {
    /// Opens (or creates) the RevLens home at `home`.
    pub fn open(home: &Path, events: EventSink) -> ApiResult<Self> {
        let service = Service::open(home)?;
        Ok(Self { home: home.to_path_buf(), service: Mutex::new(service), jobs: Mutex::default(), events })
    }

    pub fn home(&self) -> &Path {
        &self.home
    }

    /// Runs the command `name` with its JSON arguments. Blocking: front doors call it off
    /// their UI or I/O threads.
    pub fn call(&self, name: &str, args: Value) -> ApiResult<Value> {
        dispatch(self, name, args)
    }

    fn service(&self) -> MutexGuard<'_, Service> {
        // A panic while holding the lock left no half-written state behind (the store
        // commits in transactions), so the service stays usable.
        self.service.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn emit(&self, event: AppEvent) {
        (self.events)(event);
    }
}

/// Declares the command list once: the dispatcher and the TypeScript `Commands` map are
/// both generated from it.
macro_rules! commands {
    ($($name:ident($args:ty) -> $result:ty = $handler:path;)*) => {
        /// Every command's name.
        pub const COMMANDS: &[&str] = &[$(stringify!($name)),*];

        fn dispatch(app: &App, name: &str, args: Value) -> ApiResult<Value> {
            match name {
                $(stringify!($name) => {
                    let args: $args = serde_json::from_value(args)
                        .map_err(|e| ApiError::invalid_args(format!("{}: {e}", stringify!($name))))?;
                    let result: $result = $handler(app, args)?;
                    serde_json::to_value(result)
                        .map_err(|e| ApiError::new(ErrorCode::Internal, format!("{}: {e}", stringify!($name))))
                })*
                other => Err(ApiError::new(ErrorCode::UnknownCommand, format!("no command '{other}'"))),
            }
        }

        pub(crate) fn visit_command_types(visitor: &mut bindings::Collector) {
            $(
                visitor.command::<$args, $result>(stringify!($name));
            )*
        }
    };
}

use analysis::{ChurnArgs, ChurnView, CohortsArgs};
use dashboards::{Dashboard, DashboardArgs, SaveDashboardArgs};
use data::{
    DatasetArgs, DatasetInfo, ImportArgs, ImportResult, KindInfo, PreviewArgs, PreviewView, StagePathArgs, VersionArgs,
};
use exports::{ExportChartArgs, ExportDashboardArgs, ExportTableArgs};
use revenue::{DrillDownArgs, RevenueDashboard};
use revlens_report::{ChartSpec, TableData};
use scenarios::{Assumptions, ProjectArgs, SaveScenarioArgs, Scenario, ScenarioArgs};
use team::{
    OpenShareLinkArgs, ResolveConflictArgs, SetRoleArgs, ShareDashboardArgs, ShareResult, SharedDashboard, SignInArgs,
    SsoSignInArgs, SyncResult, TeamMember, TeamMemberArgs, TeamStatus,
};
use workspaces::{AppInfo, CreateWorkspaceArgs, NoArgs, RenameWorkspaceArgs, WorkspaceArgs, WorkspaceInfo};

commands! {
    app_info(NoArgs) -> AppInfo = workspaces::app_info;
    ensure_demo(NoArgs) -> WorkspaceInfo = workspaces::ensure_demo;
    list_workspaces(NoArgs) -> Vec<WorkspaceInfo> = workspaces::list;
    create_workspace(CreateWorkspaceArgs) -> WorkspaceInfo = workspaces::create;
    rename_workspace(RenameWorkspaceArgs) -> WorkspaceInfo = workspaces::rename;
    delete_workspace(WorkspaceArgs) -> () = workspaces::delete;
    dataset_kinds(NoArgs) -> Vec<KindInfo> = data::kinds;
    list_datasets(WorkspaceArgs) -> Vec<DatasetInfo> = data::list;
    delete_dataset(DatasetArgs) -> () = data::delete_dataset;
    delete_version(VersionArgs) -> () = data::delete_version;
    stage_path(StagePathArgs) -> StagedFile = data::stage_path;
    preview_file(PreviewArgs) -> PreviewView = data::preview;
    import_file(ImportArgs) -> ImportResult = data::import;
    cancel_job(events::JobArgs) -> () = events::cancel;
    revenue_dashboard(revenue::RevenueArgs) -> RevenueDashboard = revenue::dashboard;
    drill_down(DrillDownArgs) -> TableData = revenue::drill_down;
    cohorts(CohortsArgs) -> ChartSpec = analysis::cohorts;
    churn(ChurnArgs) -> ChurnView = analysis::churn;
    list_scenarios(WorkspaceArgs) -> Vec<Scenario> = scenarios::list;
    baseline_assumptions(WorkspaceArgs) -> Assumptions = scenarios::baseline;
    save_scenario(SaveScenarioArgs) -> Scenario = scenarios::save;
    delete_scenario(ScenarioArgs) -> () = scenarios::delete;
    project_scenarios(ProjectArgs) -> ChartSpec = scenarios::project;
    list_dashboards(WorkspaceArgs) -> Vec<Dashboard> = dashboards::list;
    save_dashboard(SaveDashboardArgs) -> Dashboard = dashboards::save;
    delete_dashboard(DashboardArgs) -> () = dashboards::delete;
    export_chart(ExportChartArgs) -> ExportFile = exports::chart;
    export_table(ExportTableArgs) -> ExportFile = exports::table;
    export_dashboard(ExportDashboardArgs) -> ExportFile = exports::dashboard;
    team_status(WorkspaceArgs) -> TeamStatus = team::status;
    team_sign_in(SignInArgs) -> TeamStatus = team::sign_in;
    team_sign_in_sso(SsoSignInArgs) -> TeamStatus = team::sign_in_sso;
    team_sync(WorkspaceArgs) -> SyncResult = team::sync;
    team_sign_out(WorkspaceArgs) -> TeamStatus = team::sign_out;
    team_members(WorkspaceArgs) -> Vec<TeamMember> = team::members;
    team_set_role(SetRoleArgs) -> TeamMember = team::set_role;
    team_remove_member(TeamMemberArgs) -> () = team::remove_member;
    resolve_conflict(ResolveConflictArgs) -> () = team::resolve_conflict;
    share_dashboard(ShareDashboardArgs) -> ShareResult = team::share_dashboard;
    open_share_link(OpenShareLinkArgs) -> SharedDashboard = team::open_share_link;
}
