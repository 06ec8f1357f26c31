// Generated from the Rust types by `cargo test -p revlens-commands` (UPDATE_BINDINGS=1 writes it). Do not edit.

/**
 * An error as the UI receives it: a stable code to branch on and a message in words.
 */
export type ApiError = { code: ErrorCode, message: string, details?: InvalidRows, };

/**
 * What long work tells the UI while a command runs. `job` is the id the UI gave the
 * command.
 */
export type AppEvent = { "kind": "progress", job: string, phase: string, done: number, total: number | null, } | { "kind": "open_url", job: string, url: string, } | { "kind": "finished", job: string, } | { "kind": "failed", job: string, message: string, };

export type AppInfo = { version: string, home: string, demo_workspace: string, };

/**
 * What a scenario assumes each month; percentages of the MRR of the month before.
 */
export type Assumptions = { 
/**
 * In the reporting currency.
 */
new_mrr_per_month: number, expansion_pct: number, contraction_pct: number, churn_pct: number, };

export type Basis = "logo" | "revenue";

/**
 * One cell; in JSON `null`, `true`, `1.5` or `"x"`.
 */
export type CellValue = null | boolean | number | string;

export type ChartFormat = "png" | "svg";

export type ChartKind = "line" | "stacked_bar" | "heatmap";

/**
 * One chart as the UI draws it (ECharts) and the exports render it.
 */
export type ChartSpec = { 
/**
 * `"mrr"`, `"movements"`, `"arr_composition"`, `"cohorts"`, `"scenarios"` …
 */
id: string, title: string, kind: ChartKind, 
/**
 * Months (`"2025-01"`) or cohort offsets (`"0"`, `"1"`, …).
 */
x_labels: Array<string>, 
/**
 * Heatmap rows (cohort names); empty for line and bar charts.
 */
y_labels: Array<string>, 
/**
 * Line/bar: one per series, values aligned with `x_labels`. Heatmap: one per row
 * (same order as `y_labels`), values per x label.
 */
series: Array<Series>, unit: ValueUnit, 
/**
 * The metric's definition, shown as a tooltip.
 */
definition: string, };

export type ChurnArgs = { workspace: string, filters: Filters, 
/**
 * Only the customers whose verdict has this source (the "computed only" list).
 */
source?: Source | null, offset: number, limit: number, };

export type ChurnCounts = { provided: number, computed: number, unknown: number, churned_provided: number, churned_computed: number, };

export type ChurnView = { as_of: string, counts: ChurnCounts, 
/**
 * customer_id, churned, churn_source, reason: one page of the listed customers.
 */
table: TableData, };

export type CohortGrouping = "first_paid" | "signup";

export type CohortsArgs = { workspace: string, filters: Filters, basis: Basis, by: CohortGrouping, };

export type Column = { key: string, label: string, 
/**
 * `None` is a text column.
 */
unit: ValueUnit | null, };

/**
 * A conflicted copy the server sent beside a local edit: the user keeps one of the two.
 */
export type Conflict = { kind: ConflictKind, 
/**
 * The copy (named "… (conflict)").
 */
id: string, name: string, 
/**
 * The local document it conflicts with, when it is still there.
 */
original_id: string | null, };

export type ConflictKind = "dashboard" | "scenario" | "template";

export type CreateWorkspaceArgs = { name: string, };

export type Dashboard = { 
/**
 * Null for the built-in templates and for dashboards not saved yet.
 */
id: string | null, name: string, 
/**
 * A template: built in (no id) or saved by the team.
 */
template: boolean, 
/**
 * KPI tile ids ("mrr", "arr", "active_customers", "arpa", "nrr", "logo_churn",
 * "quick_ratio", "new_mrr", "new_logos", "arpa_new") and chart or table ids
 * ("mrr_chart" — the MRR line —, "movements", "arr_composition", "top_customers",
 * "cohorts"), in order.
 */
tiles: Array<string>, filters: Filters, };

export type DashboardArgs = { workspace: string, dashboard: string, };

/**
 * What a dashboard showed: its KPI tiles, charts and tables, with the same values.
 */
export type DashboardSnapshot = { title: string, 
/**
 * The month or date the numbers are as of (`"2025-06"`), as the app shows it.
 */
as_of: string | null, 
/**
 * The reporting currency (`"EUR"`), when the numbers are money.
 */
currency: string | null, tiles: Array<SnapshotTile>, charts: Array<ChartSpec>, tables: Array<TableData>, };

export type DatasetArgs = { workspace: string, dataset: string, };

export type DatasetInfo = { id: string, name: string, kind: DatasetKind, versions: Array<VersionInfo>, };

/**
 * The canonical dataset kinds of DESIGN.md.
 */
export type DatasetKind = "subscriptions" | "transactions" | "customers" | "orders" | "purchases";

export type DrillDownArgs = { workspace: string, filters: Filters, 
/**
 * The chart clicked: "mrr", "movements" or "arr_composition".
 */
chart: string, month: string, 
/**
 * The series clicked (a movement: new, expansion …); null for the MRR line.
 */
series: string | null, };

export type ErrorCode = "unknown_command" | "invalid_args" | "not_found" | "conflict" | "invalid_rows" | "cancelled" | "import_failed" | "metrics" | "invalid" | "not_signed_in" | "sync_server" | "share_link_unavailable" | "sso_not_configured" | "timed_out" | "internal";

export type ExportChartArgs = { workspace: string, filters: Filters, 
/**
 * "mrr", "movements", "arr_composition" or "cohorts".
 */
chart: string, format: ChartFormat, 
/**
 * Cohort options, for the cohorts chart.
 */
basis: Basis, by: CohortGrouping, };

export type ExportDashboardArgs = { workspace: string, dashboard: Dashboard, };

/**
 * A finished export: the UI saves it (a download in a browser, a save dialog in the app).
 */
export type ExportFile = { file_name: string, mime: string, base64: string, };

export type ExportTableArgs = { workspace: string, filters: Filters, 
/**
 * "top_customers", "mrr", "churn", "cohorts" or "drill_down" (with chart, month and series).
 */
table: string, format: TableFormat, chart?: string | null, month?: string | null, series?: string | null, };

export type FieldInfo = { name: string, required: boolean, field_type: string, 
/**
 * What the field means, as the metrics read it.
 */
meaning: string, 
/**
 * Header names the suggestion recognises, e.g. "customer id", "cust".
 */
synonyms: Array<string>, };

export type FilterValues = { segment: Array<string>, plan: Array<string>, country: Array<string>, };

/**
 * The filters of every dashboard. Months are `YYYY-MM`; null keeps everything.
 */
export type Filters = { from: string | null, to: string | null, segment: string | null, plan: string | null, country: string | null, };

export type ImportArgs = { workspace: string, path: string, kind: DatasetKind, name?: string | null, sheet?: string | null, mapping?: { [key in string]?: string | null } | null, skip_invalid: boolean, save_mapping_as?: string | null, 
/**
 * The id progress events carry and `cancel_job` takes; made by the UI.
 */
job: string, };

export type ImportResult = { dataset_id: string, version_id: string, name: string, kind: DatasetKind, version: number, rows: number, skipped: number, warnings: Array<string>, };

/**
 * The rows that failed validation: their problems, the first ones listed, all counted.
 */
export type InvalidRows = { 
/**
 * Rows with at least one problem.
 */
rows: number, 
/**
 * Problems in all: a row may have several.
 */
total: number, errors: Array<RowProblem>, };

export type JobArgs = { job: string, };

export type Keep = "copy" | "original";

export type KindInfo = { kind: DatasetKind, label: string, fields: Array<FieldInfo>, };

/**
 * Arguments of the commands that take none.
 */
export type NoArgs = Record<string, never>;

export type OpenShareLinkArgs = { 
/**
 * `revlens://share/{token}?server={server base URL, URL-encoded}`.
 */
link: string, };

export type PreviewArgs = { workspace: string, path: string, kind: DatasetKind, sheet?: string | null, 
/**
 * Corrections to the suggested mapping: field → header, or null to unmap.
 */
mapping?: { [key in string]?: string | null } | null, };

export type PreviewView = { file_name: string, 
/**
 * How the file is read, e.g. "CSV, utf-8, ';'" or "XLSX, sheet 'Orders'".
 */
format: string, sheets: Array<string>, sheet: string | null, header_line: number, headers: Array<string>, sample_rows: Array<Array<string>>, 
/**
 * Every canonical field of the kind → the header it is read from, or null.
 */
mapping: { [key in string]?: string | null }, mapping_source: string, warnings: Array<string>, };

export type ProjectArgs = { workspace: string, 
/**
 * Saved scenario ids, drawn beside the baseline.
 */
scenarios: Array<string>, months: number, };

export type RenameWorkspaceArgs = { workspace: string, name: string, };

export type ResolveConflictArgs = { workspace: string, kind: ConflictKind, 
/**
 * The conflicted copy.
 */
copy: string, keep: Keep, };

export type RevenueArgs = { workspace: string, filters: Filters, };

export type RevenueDashboard = { currency: string | null, 
/**
 * Every month of the data, for the date range pickers.
 */
months: Array<string>, 
/**
 * The month the tiles describe: the end of the range.
 */
as_of: string, tiles: Array<SnapshotTile>, 
/**
 * "mrr", "movements", "arr_composition".
 */
charts: Array<ChartSpec>, top_customers: TableData, filter_options: FilterValues, 
/**
 * Why the dashboard is empty, in words (no billing data, nothing matches the filters).
 */
empty_reason: string | null, };

export type RowProblem = { line: number, column: string, value: string, expected: string, };

export type SaveDashboardArgs = { workspace: string, dashboard: Dashboard, };

export type SaveScenarioArgs = { workspace: string, scenario: Scenario, };

export type Scenario = { 
/**
 * Null until saved.
 */
id: string | null, name: string, months: number, assumptions: Assumptions, };

export type ScenarioArgs = { workspace: string, scenario: string, };

export type Series = { key: string, name: string, 
/**
 * `None` is no value: a gap in a line, nothing in a bar or heatmap cell.
 */
values: Array<number | null>, };

export type SetRoleArgs = { workspace: string, user_id: string, role: TeamRole, };

export type ShareDashboardArgs = { workspace: string, dashboard: string, days: number, };

export type ShareResult = { url: string, 
/**
 * Opens the shared dashboard in the app.
 */
app_url: string, expires_at: string, };

/**
 * What a share link shows, read-only, fetched from its server without signing in.
 */
export type SharedDashboard = { 
/**
 * The server the link named.
 */
server_url: string, org_name: string, 
/**
 * `dashboard`, or another kind shared from the CLI (`mapping`, `scenario`): those have no
 * snapshot.
 */
kind: string, name: string, 
/**
 * The object's revision on the server.
 */
rev: number, 
/**
 * The numbers as they were when the dashboard was shared; `None` when the object has no
 * snapshot (or one this version cannot read: `note` says which).
 */
snapshot: DashboardSnapshot | null, note: string | null, };

export type SignInArgs = { workspace: string, server_url: string, email: string, password: string, 
/**
 * The org's name or id, when the user belongs to several.
 */
org?: string | null, };

/**
 * One KPI tile as the app shows it.
 */
export type SnapshotTile = { id: string, label: string, value: number | null, previous: number | null, 
/**
 * (value − previous) ÷ |previous|; null when either is missing or previous is 0.
 */
change: number | null, unit: ValueUnit, 
/**
 * The metric's definition.
 */
definition: string, };

export type Source = "provided" | "computed" | "unknown";

/**
 * A sign-in through the org's single sign-on (OIDC) in the browser.
 */
export type SsoSignInArgs = { workspace: string, server_url: string, 
/**
 * The org's id (the server keeps single sign-on settings per org id).
 */
org: string, 
/**
 * The id the `open_url` event carries and `cancel_job` takes; made by the UI.
 */
job: string, 
/**
 * How long to wait for the browser to come back (default 300 s).
 */
timeout_secs?: number | null, };

export type StagePathArgs = { path: string, };

/**
 * A file the backend can read: a local path, or an upload copied into the home.
 */
export type StagedFile = { path: string, file_name: string, size: number, };

export type SyncResult = { 
/**
 * Local edits the server applied (merged ones included).
 */
pushed: number, 
/**
 * Changes from the server applied here.
 */
pulled: number, 
/**
 * Conflicted copies this sync brought (they stay listed in `status` until resolved).
 */
conflicts: number, 
/**
 * Changes from the server that could not be applied here, each in words (a dataset whose
 * file is missing on the server, damaged, or does not import); retried at the next sync.
 */
not_applied: Array<string>, status: TeamStatus, };

/**
 * A table, or one page of a longer one (`total_rows` counts all its rows).
 */
export type TableData = { id: string, title: string, columns: Array<Column>, rows: Array<Array<CellValue>>, total_rows: number, };

export type TableFormat = "csv" | "xlsx";

/**
 * A member of the org the workspace is signed in to.
 */
export type TeamMember = { user_id: string, email: string, name: string, role: TeamRole, 
/**
 * When they joined the org (RFC 3339).
 */
joined_at: string, 
/**
 * The signed-in user.
 */
is_you: boolean, };

export type TeamMemberArgs = { workspace: string, user_id: string, };

/**
 * A member's role in the org (what each may do is the server's permission matrix).
 */
export type TeamRole = "owner" | "admin" | "analyst" | "viewer";

export type TeamStatus = { signed_in: boolean, server_url: string | null, email: string | null, org_name: string | null, 
/**
 * Local edits the server has not acknowledged yet.
 */
pending: number, last_push_at: string | null, last_pull_at: string | null, conflicts: Array<Conflict>, };

/**
 * What a number means. `Percent` values are fractions (0.953 is 95.3 %).
 */
export type ValueUnit = { "type": "money", currency: string | null, } | { "type": "percent" } | { "type": "count" } | { "type": "ratio" };

export type VersionArgs = { workspace: string, version: string, };

export type VersionInfo = { id: string, number: number, rows: number, skipped: number, imported_at: string, file_name: string, period: string | null, };

export type WorkspaceArgs = { workspace: string, };

export type WorkspaceInfo = { id: string, name: string, created_at: string, datasets: number, };

/** Every command: its arguments and its result. */
export type Commands = {
  app_info: { args: NoArgs; result: AppInfo };
  ensure_demo: { args: NoArgs; result: WorkspaceInfo };
  list_workspaces: { args: NoArgs; result: Array<WorkspaceInfo> };
  create_workspace: { args: CreateWorkspaceArgs; result: WorkspaceInfo };
  rename_workspace: { args: RenameWorkspaceArgs; result: WorkspaceInfo };
  delete_workspace: { args: WorkspaceArgs; result: null };
  dataset_kinds: { args: NoArgs; result: Array<KindInfo> };
  list_datasets: { args: WorkspaceArgs; result: Array<DatasetInfo> };
  delete_dataset: { args: DatasetArgs; result: null };
  delete_version: { args: VersionArgs; result: null };
  stage_path: { args: StagePathArgs; result: StagedFile };
  preview_file: { args: PreviewArgs; result: PreviewView };
  import_file: { args: ImportArgs; result: ImportResult };
  cancel_job: { args: JobArgs; result: null };
  revenue_dashboard: { args: RevenueArgs; result: RevenueDashboard };
  drill_down: { args: DrillDownArgs; result: TableData };
  cohorts: { args: CohortsArgs; result: ChartSpec };
  churn: { args: ChurnArgs; result: ChurnView };
  list_scenarios: { args: WorkspaceArgs; result: Array<Scenario> };
  baseline_assumptions: { args: WorkspaceArgs; result: Assumptions };
  save_scenario: { args: SaveScenarioArgs; result: Scenario };
  delete_scenario: { args: ScenarioArgs; result: null };
  project_scenarios: { args: ProjectArgs; result: ChartSpec };
  list_dashboards: { args: WorkspaceArgs; result: Array<Dashboard> };
  save_dashboard: { args: SaveDashboardArgs; result: Dashboard };
  delete_dashboard: { args: DashboardArgs; result: null };
  export_chart: { args: ExportChartArgs; result: ExportFile };
  export_table: { args: ExportTableArgs; result: ExportFile };
  export_dashboard: { args: ExportDashboardArgs; result: ExportFile };
  team_status: { args: WorkspaceArgs; result: TeamStatus };
  team_sign_in: { args: SignInArgs; result: TeamStatus };
  team_sign_in_sso: { args: SsoSignInArgs; result: TeamStatus };
  team_sync: { args: WorkspaceArgs; result: SyncResult };
  team_sign_out: { args: WorkspaceArgs; result: TeamStatus };
  team_members: { args: WorkspaceArgs; result: Array<TeamMember> };
  team_set_role: { args: SetRoleArgs; result: TeamMember };
  team_remove_member: { args: TeamMemberArgs; result: null };
  resolve_conflict: { args: ResolveConflictArgs; result: null };
  share_dashboard: { args: ShareDashboardArgs; result: ShareResult };
  open_share_link: { args: OpenShareLinkArgs; result: SharedDashboard };
};

export type CommandName = keyof Commands;
