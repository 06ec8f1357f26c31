// The command contract between the UI and the Rust command layer, written by hand until
// the generated `bindings.ts` (ts-rs) lands; then this file only re-exports from it.
// Field names are snake_case exactly as the Rust types serialise them.

export type DatasetKind = 'subscriptions' | 'transactions' | 'customers' | 'orders' | 'purchases';

export interface AppInfo {
  version: string;
  home: string;
  demo_workspace: string;
}

export interface WorkspaceInfo {
  id: string;
  name: string;
  created_at: string;
  datasets: number;
}

export interface FieldInfo {
  name: string;
  required: boolean;
  field_type: string;
  description: string;
}

export interface KindInfo {
  kind: DatasetKind;
  label: string;
  fields: FieldInfo[];
}

export interface VersionInfo {
  id: string;
  number: number;
  rows: number;
  skipped: number;
  imported_at: string;
  file_name: string;
  period: string | null;
}

export interface DatasetInfo {
  id: string;
  name: string;
  kind: DatasetKind;
  versions: VersionInfo[];
}

export interface StagedFile {
  path: string;
  file_name: string;
  size: number;
}

export type Mapping = Record<string, string | null>;

export interface Preview {
  file_name: string;
  format: string;
  sheets: string[];
  sheet: string | null;
  headers: string[];
  sample_rows: string[][];
  mapping: Mapping;
  mapping_source: string;
  warnings: string[];
}

export interface ImportSummary {
  dataset_id: string;
  version_id: string;
  name: string;
  kind: DatasetKind;
  version: number;
  rows: number;
  skipped: number;
  warnings: string[];
}

export interface RowProblem {
  line: number;
  column: string;
  value: string;
  expected: string;
}

/** `details` of an ApiError with code "invalid_rows". */
export interface InvalidRowsDetails {
  total: number;
  errors: RowProblem[];
}

export interface Filters {
  from: string | null;
  to: string | null;
  segment: string | null;
  plan: string | null;
  country: string | null;
}

export type ValueUnit =
  | { type: 'money'; currency: string | null }
  | { type: 'percent' }
  | { type: 'count' }
  | { type: 'ratio' };

export interface Series {
  key: string;
  name: string;
  values: (number | null)[];
}

export type ChartKind = 'line' | 'stacked_bar' | 'heatmap';

export interface ChartSpec {
  id: string;
  title: string;
  kind: ChartKind;
  x_labels: string[];
  y_labels: string[];
  series: Series[];
  unit: ValueUnit;
  definition: string;
}

export type CellValue = null | boolean | number | string;

export interface Column {
  key: string;
  label: string;
  unit: ValueUnit | null;
}

export interface TableData {
  id: string;
  title: string;
  columns: Column[];
  rows: CellValue[][];
  total_rows: number;
}

export interface Tile {
  id: string;
  label: string;
  value: number | null;
  previous: number | null;
  change: number | null;
  unit: ValueUnit;
  definition: string;
}

export interface FilterOptions {
  segment: string[];
  plan: string[];
  country: string[];
}

export interface RevenueDashboard {
  currency: string | null;
  months: string[];
  as_of: string;
  tiles: Tile[];
  charts: ChartSpec[];
  top_customers: TableData;
  filter_options: FilterOptions;
  empty_reason: string | null;
}

export type ChurnSource = 'provided' | 'computed' | 'unknown';

export interface ChurnCounts {
  provided: number;
  computed: number;
  unknown: number;
  churned_provided: number;
  churned_computed: number;
}

export interface ChurnView {
  as_of: string;
  counts: ChurnCounts;
  table: TableData;
}

export interface Assumptions {
  new_mrr_per_month: number;
  expansion_pct: number;
  contraction_pct: number;
  churn_pct: number;
}

export interface Scenario {
  id: string | null;
  name: string;
  months: number;
  assumptions: Assumptions;
}

export interface Dashboard {
  id: string | null;
  name: string;
  template: boolean;
  tiles: string[];
  filters: Filters;
}

export interface ExportFile {
  file_name: string;
  mime: string;
  base64: string;
}

export type AppEvent =
  | { job: string; kind: 'progress'; phase: string; done: number; total: number | null }
  | { job: string; kind: 'finished' }
  | { job: string; kind: 'failed'; message: string };

export interface ApiError {
  code: string;
  message: string;
  details?: unknown;
}

type Ws = { workspace: string };
type WsFilters = Ws & { filters: Filters };

/** Every command: its arguments and its result. */
export interface Commands {
  app_info: { args: Record<string, never>; result: AppInfo };
  ensure_demo: { args: Record<string, never>; result: WorkspaceInfo };
  list_workspaces: { args: Record<string, never>; result: WorkspaceInfo[] };
  create_workspace: { args: { name: string }; result: WorkspaceInfo };
  rename_workspace: { args: Ws & { name: string }; result: WorkspaceInfo };
  delete_workspace: { args: Ws; result: null };
  dataset_kinds: { args: Record<string, never>; result: KindInfo[] };
  list_datasets: { args: Ws; result: DatasetInfo[] };
  delete_dataset: { args: Ws & { dataset: string }; result: null };
  delete_version: { args: Ws & { version: string }; result: null };
  stage_path: { args: { path: string }; result: StagedFile };
  preview_file: {
    args: Ws & { path: string; kind: DatasetKind; sheet: string | null; mapping: Mapping | null };
    result: Preview;
  };
  import_file: {
    args: Ws & {
      path: string;
      kind: DatasetKind;
      name: string | null;
      sheet: string | null;
      mapping: Mapping | null;
      skip_invalid: boolean;
      save_mapping_as: string | null;
      job: string;
    };
    result: ImportSummary;
  };
  cancel_job: { args: { job: string }; result: null };
  revenue_dashboard: { args: WsFilters; result: RevenueDashboard };
  drill_down: { args: WsFilters & { chart: string; month: string; series: string | null }; result: TableData };
  cohorts: { args: WsFilters & { basis: 'logo' | 'revenue'; by: 'first_paid' | 'signup' }; result: ChartSpec };
  churn: {
    args: WsFilters & { source: ChurnSource | null; offset: number; limit: number };
    result: ChurnView;
  };
  list_scenarios: { args: Ws; result: Scenario[] };
  baseline_assumptions: { args: Ws; result: Assumptions };
  save_scenario: { args: Ws & { scenario: Scenario }; result: Scenario };
  delete_scenario: { args: Ws & { scenario: string }; result: null };
  project_scenarios: { args: Ws & { scenarios: string[]; months: number }; result: ChartSpec };
  list_dashboards: { args: Ws; result: Dashboard[] };
  save_dashboard: { args: Ws & { dashboard: Dashboard }; result: Dashboard };
  delete_dashboard: { args: Ws & { dashboard: string }; result: null };
  export_chart: { args: WsFilters & { chart: string; format: 'png' | 'svg' }; result: ExportFile };
  export_table: { args: WsFilters & { table: string; format: 'csv' | 'xlsx' }; result: ExportFile };
  export_dashboard: { args: Ws & { dashboard: Dashboard }; result: ExportFile };
}

export type CommandName = keyof Commands;
export type CommandArgs<K extends CommandName> = Commands[K]['args'];
export type CommandResult<K extends CommandName> = Commands[K]['result'];
