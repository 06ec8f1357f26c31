// The app's shared state: the backend, the current workspace and filters, the revenue
// dashboard they select, the theme, the route, the error banner and team sync.
import { getContext, setContext } from 'svelte';
import type { ExportFile, Filters, RevenueDashboard, SyncResult, TeamStatus, WorkspaceInfo } from './contract';
import { toApiFailure, type Backend } from './backend/backend';

export const ROUTES = ['revenue', 'cohorts', 'churn', 'data', 'scenarios', 'dashboards', 'team', 'shared'] as const;
export type Route = (typeof ROUTES)[number];
export type Theme = 'light' | 'dark';

export const NO_FILTERS: Filters = { from: null, to: null, segment: null, plan: null, country: null };

const THEME_KEY = 'revlens.theme';
const WORKSPACE_KEY = 'revlens.workspace';

/** How often a signed-in workspace syncs in the background. */
export const SYNC_INTERVAL_MS = 60_000;

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
  /** The current workspace's team sync status; null until loaded (or when it could not be). */
  team = $state<TeamStatus | null>(null);
  teamLoading = $state(false);
  /** A sync is running (background or "Sync now"). */
  syncing = $state(false);
  /** Why the last sync failed, in words; null after a good one. */
  syncError = $state<string | null>(null);

  private revenueSeq = 0;
  private problemSeq = 0;
  private teamSeq = 0;
  private syncTimer: ReturnType<typeof setInterval> | null = null;
  private syncRun: Promise<SyncResult | null> | null = null;

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
    this.setTeam(null);
    this.syncError = null;
    const revenue = this.refreshRevenue();
    void this.loadTeam({ quiet: true });
    await revenue;
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
      this.setTeam(null);
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

  /**
   * Loads the team status of the current workspace. `quiet` (the background load) keeps a
   * failure out of the banner: the Team page loads it again and says why.
   */
  async loadTeam({ quiet = false }: { quiet?: boolean } = {}): Promise<void> {
    const workspace = this.workspaceId;
    if (!workspace) return;
    const seq = ++this.teamSeq;
    this.teamLoading = true;
    try {
      const status = await this.backend.call('team_status', { workspace });
      if (seq === this.teamSeq && workspace === this.workspaceId) this.setTeam(status);
    } catch (e) {
      if (seq === this.teamSeq && workspace === this.workspaceId && !quiet) this.report(e);
    } finally {
      if (seq === this.teamSeq) this.teamLoading = false;
    }
  }

  /** A fresh status (after sign-in, sign-out, a sync): the background timer runs while signed in. */
  setTeam(status: TeamStatus | null): void {
    this.teamSeq++; // an older team_status answer must not overwrite this one
    this.teamLoading = false;
    this.team = status;
    if (status?.signed_in) {
      this.syncTimer ??= setInterval(() => void this.sync(), SYNC_INTERVAL_MS);
    } else {
      this.stopSync();
      this.syncError = null;
    }
  }

  /**
   * Pushes the local edits, then pulls the org's changes. Never two at once: a call while one
   * runs gets the running one. `manual` ("Sync now") puts a failure in the banner; the timer
   * only shows it in the indicator (and in the banner once, not every minute).
   */
  sync({ manual = false }: { manual?: boolean } = {}): Promise<SyncResult | null> {
    if (this.syncRun) return this.syncRun;
    const workspace = this.workspaceId;
    if (!workspace || !this.team?.signed_in) return Promise.resolve(null);
    this.syncRun = this.runSync(workspace, manual).finally(() => (this.syncRun = null));
    return this.syncRun;
  }

  private async runSync(workspace: string, manual: boolean): Promise<SyncResult | null> {
    this.syncing = true;
    try {
      const result = await this.backend.call('team_sync', { workspace });
      if (workspace !== this.workspaceId) return null;
      this.syncError = null;
      this.setTeam(result.status);
      if (result.pulled > 0) await this.dataChanged();
      return result;
    } catch (e) {
      if (workspace !== this.workspaceId) return null;
      const failure = toApiFailure(e);
      if (failure.code === 'not_signed_in') this.sessionEnded();
      else {
        if (manual || this.syncError === null) this.report(failure);
        this.syncError = failure.message;
      }
      return null;
    } finally {
      this.syncing = false;
    }
  }

  /**
   * A team command failed: `not_signed_in` flips the workspace to signed out (one message,
   * however many calls notice); anything else goes to the banner.
   */
  reportTeam(error: unknown): void {
    const failure = toApiFailure(error);
    if (failure.code === 'not_signed_in') this.sessionEnded();
    else this.report(failure);
  }

  private sessionEnded(): void {
    const told = this.team !== null && !this.team.signed_in; // already signed out: said once
    this.setTeam(this.team ? { ...this.team, signed_in: false } : null);
    if (!told) this.report({ code: 'not_signed_in', message: 'The team session ended — sign in again on the Team page.' });
  }

  private stopSync(): void {
    if (this.syncTimer !== null) clearInterval(this.syncTimer);
    this.syncTimer = null;
  }

  /** Stops the background work (the app is unmounted). */
  dispose(): void {
    this.stopSync();
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
