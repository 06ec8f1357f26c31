// The app's shared state: the backend, the current workspace and filters, the revenue
// dashboard they select, the theme, the route and the error banner.
import { getContext, setContext } from 'svelte';
import type { ExportFile, Filters, RevenueDashboard, WorkspaceInfo } from './contract';
import { toApiFailure, type Backend } from './backend/backend';

export const ROUTES = ['revenue', 'cohorts', 'churn', 'data', 'scenarios', 'dashboards'] as const;
export type Route = (typeof ROUTES)[number];
export type Theme = 'light' | 'dark';

export const NO_FILTERS: Filters = { from: null, to: null, segment: null, plan: null, country: null };

const THEME_KEY = 'revlens.theme';
const WORKSPACE_KEY = 'revlens.workspace';

export interface Problem {
  id: number;
  code: string;
  message: string;
}

function storage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

export function routeFromHash(hash: string): Route {
  const name = hash.replace(/^#\/?/, '').split(/[/?]/)[0] ?? '';
  return (ROUTES as readonly string[]).includes(name) ? (name as Route) : 'revenue';
}

export function initialTheme(): Theme {
  const saved = storage()?.getItem(THEME_KEY);
  if (saved === 'light' || saved === 'dark') return saved;
  if (typeof matchMedia === 'function' && matchMedia('(prefers-color-scheme: dark)').matches) return 'dark';
  return 'light';
}

export class AppState {
  readonly backend: Backend;
  theme = $state<Theme>('light');
  route = $state<Route>('revenue');
  workspaces = $state<WorkspaceInfo[]>([]);
  workspaceId = $state<string | null>(null);
  filters = $state<Filters>({ ...NO_FILTERS });
  revenue = $state<RevenueDashboard | null>(null);
  revenueLoading = $state(false);
  /** Every month seen in this workspace, so narrowing the range never hides the other months. */
  months = $state<string[]>([]);
  /** Bumped after anything that changes the data (imports, deletions): pages reload on it. */
  dataVersion = $state(0);
  problems = $state<Problem[]>([]);
  ready = $state(false);

  private revenueSeq = 0;
  private problemSeq = 0;

  constructor(backend: Backend) {
    this.backend = backend;
    this.theme = initialTheme();
  }

  get workspace(): WorkspaceInfo | null {
    return this.workspaces.find((w) => w.id === this.workspaceId) ?? null;
  }

  /** First run: make sure the demo workspace exists, then open the last used workspace. */
  async start(): Promise<void> {
    try {
      const demo = await this.backend.call('ensure_demo', {});
      this.workspaces = await this.backend.call('list_workspaces', {});
      const saved = storage()?.getItem(WORKSPACE_KEY);
      const pick = this.workspaces.find((w) => w.id === saved) ?? this.workspaces.find((w) => w.id === demo.id) ?? this.workspaces[0];
      if (pick) await this.selectWorkspace(pick.id);
    } catch (e) {
      this.report(e);
    } finally {
      this.ready = true;
    }
  }

  async selectWorkspace(id: string): Promise<void> {
    this.workspaceId = id;
    storage()?.setItem(WORKSPACE_KEY, id);
    this.filters = { ...NO_FILTERS };
    this.months = [];
    this.revenue = null;
    await this.refreshRevenue();
  }

  async createWorkspace(name: string): Promise<void> {
    const ws = await this.backend.call('create_workspace', { name });
    this.workspaces = [...this.workspaces, ws];
    await this.selectWorkspace(ws.id);
  }

  async renameWorkspace(name: string): Promise<void> {
    if (!this.workspaceId) return;
    const ws = await this.backend.call('rename_workspace', { workspace: this.workspaceId, name });
    this.workspaces = this.workspaces.map((w) => (w.id === ws.id ? ws : w));
  }

  async deleteWorkspace(): Promise<void> {
    if (!this.workspaceId) return;
    await this.backend.call('delete_workspace', { workspace: this.workspaceId });
    this.workspaces = await this.backend.call('list_workspaces', {});
    const next = this.workspaces[0];
    if (next) await this.selectWorkspace(next.id);
    else {
      this.workspaceId = null;
      this.revenue = null;
    }
  }

  async setFilters(filters: Partial<Filters>): Promise<void> {
    this.filters = { ...this.filters, ...filters };
    await this.refreshRevenue();
  }

  /** Something changed the data: reload the dashboard and let pages reload theirs. */
  async dataChanged(): Promise<void> {
    this.dataVersion++;
    try {
      this.workspaces = await this.backend.call('list_workspaces', {});
    } catch (e) {
      this.report(e);
    }
    await this.refreshRevenue();
  }

  async refreshRevenue(): Promise<void> {
    const workspace = this.workspaceId;
    if (!workspace) return;
    const seq = ++this.revenueSeq;
    this.revenueLoading = true;
    try {
      const result = await this.backend.call('revenue_dashboard', { workspace, filters: { ...this.filters } });
      if (seq !== this.revenueSeq) return;
      this.revenue = result;
      this.months = [...this.months, ...result.months].filter((m, i, all) => all.indexOf(m) === i).sort();
    } catch (e) {
      if (seq === this.revenueSeq) this.report(e);
    } finally {
      if (seq === this.revenueSeq) this.revenueLoading = false;
    }
  }

  setTheme(theme: Theme): void {
    this.theme = theme;
    storage()?.setItem(THEME_KEY, theme);
  }

  navigate(route: Route): void {
    this.route = route;
    if (typeof location !== 'undefined' && routeFromHash(location.hash) !== route) location.hash = `#/${route}`;
  }

  /** Shows an error in the banner, in words. Never swallow one. */
  report(error: unknown): void {
    const failure = toApiFailure(error);
    this.problems = [...this.problems, { id: ++this.problemSeq, code: failure.code, message: failure.message }];
  }

  dismiss(id: number): void {
    this.problems = this.problems.filter((p) => p.id !== id);
  }

  /** Runs an export command and hands the file to the backend's save. */
  async export(make: () => Promise<ExportFile>): Promise<void> {
    try {
      await this.backend.saveExport(await make());
    } catch (e) {
      this.report(e);
    }
  }
}

const KEY = Symbol('revlens.app');

export function provideApp(app: AppState): AppState {
  setContext(KEY, app);
  return app;
}

export function useApp(): AppState {
  const app = getContext<AppState | undefined>(KEY);
  if (!app) throw new Error('useApp() outside <App>: provide an AppState with provideApp()');
  return app;
}

export const APP_CONTEXT_KEY = KEY;
