// Fixed data for the mock backend: Vitest and `npm run dev` with `?mock`. These numbers
// stand in for the engine's answers; nothing here is a metric definition.
import type {
  CellValue,
  ChartSpec,
  Dashboard,
  DatasetInfo,
  Filters,
  KindInfo,
  PreviewView,
  RevenueDashboard,
  Scenario,
  SharedDashboard,
  TableData,
  TeamMember,
  TeamStatus,
  WorkspaceInfo,
} from '../contract';
import { ApiFailure } from './backend';
import { MockBackend } from './mock';

const money = { type: 'money', currency: 'EUR' } as const;
const months = ['2025-01', '2025-02', '2025-03', '2025-04', '2025-05', '2025-06'];

export const demoWorkspace: WorkspaceInfo = { id: 'ws-demo', name: 'Demo', created_at: '2025-07-01T10:00:00Z', datasets: 2 };

export const emptyFilters: Filters = { from: null, to: null, segment: null, plan: null, country: null };

export function revenueFixture(): RevenueDashboard {
  const mrr = [10000, 11200, 11900, 12650, 13100, 14025];
  return {
    currency: 'EUR',
    months,
    as_of: '2025-06',
    tiles: [
      { id: 'mrr', label: 'MRR', value: 14025, previous: 13100, change: 0.0706, unit: money, definition: 'Monthly recurring revenue on the last day of the month.' },
      { id: 'arr', label: 'ARR', value: 168300, previous: 157200, change: 0.0706, unit: money, definition: 'ARR = 12 × MRR.' },
      { id: 'active_customers', label: 'Active customers', value: 118, previous: 112, change: 0.0536, unit: { type: 'count' }, definition: 'Customers with MRR > 0.' },
      { id: 'arpa', label: 'ARPA', value: 118.86, previous: 116.96, change: 0.0162, unit: money, definition: 'ARPA = MRR ÷ active customers.' },
      { id: 'nrr', label: 'Net revenue retention', value: 1.04, previous: 1.02, change: 0.0196, unit: { type: 'percent' }, definition: "Today's MRR of the customers active 12 months ago ÷ their MRR then." },
      { id: 'logo_churn', label: 'Logo churn', value: 0.025, previous: 0.031, change: -0.1935, unit: { type: 'percent' }, definition: 'Churned logos in M ÷ active at end of M−1.' },
      { id: 'quick_ratio', label: 'Quick ratio', value: 3.2, previous: 2.8, change: 0.1429, unit: { type: 'ratio' }, definition: '(new + expansion + reactivation) ÷ (churn + contraction).' },
      { id: 'new_mrr', label: 'New MRR', value: 900, previous: 700, change: 0.2857, unit: money, definition: 'MRR of customers with their first MRR this month.' },
      { id: 'new_logos', label: 'New logos', value: 8, previous: 6, change: 0.3333, unit: { type: 'count' }, definition: 'Customers with their first MRR this month.' },
      { id: 'arpa_new', label: 'ARPA (new)', value: 112.5, previous: 116.67, change: -0.0357, unit: money, definition: 'New MRR ÷ new logos.' },
    ],
    charts: [
      { id: 'mrr', title: 'MRR', kind: 'line', x_labels: months, y_labels: [], series: [{ key: 'mrr', name: 'MRR', values: mrr }], unit: money, definition: 'Monthly recurring revenue on the last day of each month.' },
      {
        id: 'movements', title: 'MRR movements', kind: 'stacked_bar', x_labels: months, y_labels: [], unit: money,
        definition: 'New, reactivation, expansion, contraction and churn of each month against the month before.',
        series: [
          { key: 'new', name: 'New', values: [null, 900, 600, 800, 700, 900] },
          { key: 'reactivation', name: 'Reactivation', values: [null, 100, 0, 50, 0, 75] },
          { key: 'expansion', name: 'Expansion', values: [null, 400, 300, 200, 150, 300] },
          { key: 'contraction', name: 'Contraction', values: [null, -100, -50, -100, -200, -50] },
          { key: 'churn', name: 'Churn', values: [null, -100, -150, -200, -200, -300] },
        ],
      },
      {
        id: 'arr_composition', title: 'ARR composition', kind: 'stacked_bar', x_labels: months, y_labels: [], unit: money,
        definition: 'The movements annualised (× 12).',
        series: [
          { key: 'new', name: 'New', values: [null, 10800, 7200, 9600, 8400, 10800] },
          { key: 'expansion', name: 'Expansion', values: [null, 4800, 3600, 2400, 1800, 3600] },
          { key: 'churn', name: 'Churn', values: [null, -1200, -1800, -2400, -2400, -3600] },
        ],
      },
    ],
    top_customers: {
      id: 'top_customers', title: 'Top customers',
      columns: [
        { key: 'customer_id', label: 'Customer', unit: null },
        { key: 'mrr', label: 'MRR', unit: money },
        { key: 'plan', label: 'Plan', unit: null },
      ],
      rows: [['acme', 1200, 'Pro'], ['globex', 950, 'Pro'], ['initech', 400, 'Basic']],
      total_rows: 3,
    },
    filter_options: { segment: ['SMB', 'Enterprise'], plan: ['Basic', 'Pro'], country: [] },
    empty_reason: null,
  };
}

export const kindsFixture: KindInfo[] = [
  {
    kind: 'subscriptions', label: 'Subscriptions',
    fields: [
      { name: 'customer_id', required: true, field_type: 'text', meaning: 'Who pays', synonyms: ['customer', 'cust id'] },
      { name: 'amount', required: true, field_type: 'decimal', meaning: 'Amount per interval', synonyms: ['price', 'mrr'] },
      { name: 'start_date', required: true, field_type: 'date', meaning: 'First day covered', synonyms: ['start'] },
      { name: 'end_date', required: false, field_type: 'date', meaning: 'First day no longer covered', synonyms: ['end', 'cancelled at'] },
      { name: 'plan', required: false, field_type: 'text', meaning: 'Plan name', synonyms: ['product'] },
    ],
  },
  {
    kind: 'customers', label: 'Customers',
    fields: [
      { name: 'customer_id', required: true, field_type: 'text', meaning: 'Customer id', synonyms: ['customer', 'cust id'] },
      { name: 'segment', required: false, field_type: 'text', meaning: 'Segment', synonyms: ['tier'] },
    ],
  },
];

export function previewFixture(fileName = 'subs.csv'): PreviewView {
  return {
    file_name: fileName,
    format: "CSV, UTF-8, ';'",
    header_line: 1,
    sheets: [],
    sheet: null,
    headers: ['client', 'amount', 'start_date', 'end_date'],
    sample_rows: [
      ['acme', '100', '2025-01-01', ''],
      ['globex', '50', '2025-02-01', '2025-05-01'],
    ],
    mapping: { customer_id: null, amount: 'amount', start_date: 'start_date', end_date: 'end_date', plan: null },
    mapping_source: 'suggested from the headers',
    warnings: [],
  };
}

export const datasetsFixture: DatasetInfo[] = [
  {
    id: 'ds-1', name: 'Subscriptions', kind: 'subscriptions',
    versions: [{ id: 'v-1', number: 1, rows: 420, skipped: 0, imported_at: '2025-07-01T10:00:00Z', file_name: 'subscriptions.csv', period: '2024-01 – 2025-06' }],
  },
];

export function cohortFixture(basis: 'logo' | 'revenue' = 'logo'): ChartSpec {
  const rows = ['2025-01', '2025-02', '2025-03', '2025-04'];
  return {
    id: 'cohorts', title: basis === 'logo' ? 'Logo retention by cohort' : 'Revenue retention by cohort', kind: 'heatmap',
    x_labels: ['0', '1', '2', '3'], y_labels: rows, unit: { type: 'percent' },
    definition: 'Share of the cohort active k months after its first paid month.',
    series: rows.map((r, i) => ({ key: r, name: r, values: ([1, 0.9, 0.82, 0.8] as (number | null)[]).map((v, k) => (k < 4 - i ? v : null)) })),
  };
}

export function churnTable(offset: number, limit: number, total: number, source: string | null): TableData {
  const rows: CellValue[][] = [];
  for (let i = offset; i < Math.min(total, offset + limit); i++) {
    const s: string = source ?? (['provided', 'computed', 'unknown'] as const)[i % 3] ?? 'unknown';
    rows.push([`cust-${String(i).padStart(4, '0')}`, s !== 'unknown' && i % 4 === 0, s, `${s}: fixture row ${i}`]);
  }
  return {
    id: 'churn', title: 'Churn by customer',
    columns: [
      { key: 'customer_id', label: 'Customer', unit: null },
      { key: 'churned', label: 'Churned', unit: null },
      { key: 'churn_source', label: 'Source', unit: null },
      { key: 'reason', label: 'Reason', unit: null },
    ],
    rows, total_rows: total,
  };
}

/** The built-in templates, as the Rust command lists them: without an id. */
export const templatesFixture: Dashboard[] = [
  { id: null, name: 'CFO', template: true, tiles: ['mrr', 'arr', 'nrr', 'logo_churn', 'mrr_chart', 'arr_composition', 'top_customers'], filters: emptyFilters },
  { id: null, name: 'Acquisition', template: true, tiles: ['new_mrr', 'new_logos', 'arpa_new', 'movements'], filters: emptyFilters },
];

export const signedOutFixture: TeamStatus = {
  signed_in: false, server_url: null, email: null, org_name: null, pending: 0, last_push_at: null, last_pull_at: null, conflicts: [],
};

/** A signed-in status with one conflicted dashboard copy beside its original. */
export function signedInFixture(over: Partial<TeamStatus> = {}): TeamStatus {
  return {
    signed_in: true, server_url: 'https://sync.example.com', email: 'ana@example.com', org_name: 'Acme Finance', pending: 2,
    last_push_at: '2025-07-01T09:58:00Z', last_pull_at: '2025-07-01T09:58:01Z',
    conflicts: [{ kind: 'dashboard', id: 'db-copy', name: 'Board review (conflict)', original_id: 'db-board' }],
    ...over,
  };
}

/** A mock backend that answers every command with the fixtures above; keeps saved things in memory. */
export function demoBackend(): MockBackend {
  const workspaces: WorkspaceInfo[] = [demoWorkspace];
  const scenarios: Scenario[] = [];
  const dashboards: Dashboard[] = [...templatesFixture];
  let n = 0;
  const id = (p: string) => `${p}-${++n}`;
  // Team sync: signed out until team_sign_in; the sign-in brings a dashboard edited on both sides.
  let team: TeamStatus = { ...signedOutFixture };
  const ssoJobs = new Map<string, () => void>();
  // The org's members once signed in: the user (an owner) and two teammates.
  const members: TeamMember[] = [
    { user_id: 'u-you', email: 'you@example.com', name: 'You', role: 'owner', joined_at: '2026-01-05T09:00:00Z', is_you: true },
    { user_id: 'u-ann', email: 'ann@example.com', name: 'Ann', role: 'analyst', joined_at: '2026-02-01T09:00:00Z', is_you: false },
    { user_id: 'u-bob', email: 'bob@example.com', name: '', role: 'viewer', joined_at: '2026-03-01T09:00:00Z', is_you: false },
  ];
  const keepAnOwner = (m: TeamMember) => {
    if (m.role === 'owner' && members.filter((x) => x.role === 'owner').length === 1) {
      throw new ApiFailure({ code: 'sync_server', message: 'sync server: an org keeps at least one owner' });
    }
  };
  const member = (user_id: string) => {
    const found = members.find((m) => m.user_id === user_id);
    if (!found) throw new ApiFailure({ code: 'sync_server', message: 'sync server: not_found: no such member' });
    return found;
  };
  const requireSignIn = () => {
    if (!team.signed_in) throw new ApiFailure({ code: 'not_signed_in', message: 'This workspace is not signed in to a sync server.' });
  };
  const edited = () => {
    if (team.server_url) team = { ...team, pending: team.pending + 1 };
  };
  const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
  const backend = new MockBackend({
    app_info: () => ({ version: '0.0.0-mock', home: '/mock', demo_workspace: demoWorkspace.id }),
    ensure_demo: () => demoWorkspace,
    list_workspaces: () => [...workspaces],
    create_workspace: ({ name }) => {
      const ws = { id: id('ws'), name, created_at: new Date().toISOString(), datasets: 0 };
      workspaces.push(ws);
      return ws;
    },
    rename_workspace: ({ workspace, name }) => {
      const ws = workspaces.find((w) => w.id === workspace)!;
      ws.name = name;
      return ws;
    },
    delete_workspace: ({ workspace }) => {
      workspaces.splice(workspaces.findIndex((w) => w.id === workspace), 1);
      return null;
    },
    dataset_kinds: () => kindsFixture,
    list_datasets: () => datasetsFixture,
    delete_dataset: () => null,
    delete_version: () => null,
    stage_path: ({ path }) => ({ path, file_name: path.split('/').pop() ?? path, size: 1 }),
    preview_file: ({ path }) => previewFixture(path.split('/').pop()),
    import_file: async ({ name, kind }) => ({ dataset_id: 'ds-2', version_id: 'v-2', name: name ?? 'Imported', kind, version: 1, rows: 2, skipped: 0, warnings: [] }),
    cancel_job: ({ job }) => {
      ssoJobs.get(job)?.();
      ssoJobs.delete(job);
      return null;
    },
    revenue_dashboard: () => revenueFixture(),
    drill_down: ({ month }) => ({ ...revenueFixture().top_customers, id: 'drill_down', title: `Customers in ${month}` }),
    cohorts: ({ basis }) => cohortFixture(basis),
    churn: ({ offset, limit, source }) => ({
      as_of: '2025-06',
      counts: { provided: 40, computed: 900, unknown: 60, churned_provided: 5, churned_computed: 120 },
      table: churnTable(offset, limit, source === 'computed' ? 900 : 1000, source ?? null),
    }),
    list_scenarios: () => [...scenarios],
    baseline_assumptions: () => ({ new_mrr_per_month: 24391.59, expansion_pct: 3.49, contraction_pct: 1.57, churn_pct: 1.9 }),
    save_scenario: ({ scenario }) => {
      const saved = { ...scenario, id: scenario.id ?? id('sc') };
      const i = scenarios.findIndex((s) => s.id === saved.id);
      if (i >= 0) scenarios[i] = saved;
      else scenarios.push(saved);
      edited();
      return saved;
    },
    delete_scenario: ({ scenario }) => {
      scenarios.splice(scenarios.findIndex((s) => s.id === scenario), 1);
      return null;
    },
    project_scenarios: ({ scenarios: ids, months: m }) => ({
      id: 'scenarios', title: 'Projected MRR', kind: 'line', y_labels: [], unit: money, definition: 'MRR projected from each scenario.',
      x_labels: Array.from({ length: m }, (_, i) => `+${i + 1}`),
      series: ['Baseline', ...ids].map((s, j) => ({ key: s, name: scenarios.find((x) => x.id === s)?.name ?? s, values: Array.from({ length: m }, (_, i) => 14000 + (i + 1) * (300 + 50 * j)) })),
    }),
    list_dashboards: () => [...dashboards],
    save_dashboard: ({ dashboard }) => {
      const saved = { ...dashboard, id: dashboard.id ?? id('db') };
      const at = dashboards.findIndex((d) => d.id === saved.id);
      // Templates stay together, before the dashboards, as the Rust command lists them.
      if (at >= 0) dashboards[at] = saved;
      else if (saved.template) dashboards.splice(dashboards.filter((d) => d.template).length, 0, saved);
      else dashboards.push(saved);
      edited();
      return saved;
    },
    delete_dashboard: ({ dashboard }) => {
      dashboards.splice(dashboards.findIndex((d) => d.id === dashboard), 1);
      return null;
    },
    export_chart: ({ chart, format }) => ({ file_name: `${chart}.${format}`, mime: format === 'png' ? 'image/png' : 'image/svg+xml', base64: png }),
    export_table: ({ table, format }) => ({ file_name: `${table}.${format}`, mime: 'text/csv', base64: btoa('a,b\n1,2\n') }),
    export_dashboard: ({ dashboard }) => ({ file_name: `${dashboard.name}.xlsx`, mime: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', base64: btoa('PK') }),
    team_status: () => team,
    team_sign_in: ({ server_url, email, password, org }) => {
      if (password !== 'demo') throw new ApiFailure({ code: 'sync_server', message: `${server_url} refused the sign-in: wrong email or password (the mock's password is "demo").` });
      const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();
      const status = signedInFixture({ server_url, email, org_name: org || 'Acme Finance', last_push_at: minutesAgo(3), last_pull_at: minutesAgo(3) });
      const board = { id: 'db-board', name: 'Board review', template: false, tiles: ['mrr', 'arr', 'nrr', 'mrr_chart'], filters: emptyFilters };
      if (!dashboards.some((d) => d.id === board.id)) dashboards.push(board, { ...board, id: 'db-copy', name: 'Board review (conflict)', tiles: ['mrr', 'arr'] });
      team = status;
      return team;
    },
    team_sign_in_sso: ({ server_url, org, job }) => {
      if (org.trim() === 'no-sso') {
        throw new ApiFailure({ code: 'sso_not_configured', message: `The org '${org}' on ${server_url} has no single sign-on set up. Sign in with your email and password instead.` });
      }
      // The "browser" signs in 1.5 s after the page opened, unless the job is cancelled first.
      return new Promise<TeamStatus>((resolve, reject) => {
        const timer = setTimeout(() => {
          ssoJobs.delete(job);
          team = signedInFixture({ server_url, email: 'ana@example.com', conflicts: [] });
          resolve(team);
        }, 1500);
        ssoJobs.set(job, () => {
          clearTimeout(timer);
          reject(new ApiFailure({ code: 'cancelled', message: 'The sign-in was cancelled.' }));
        });
        backend.emit({ kind: 'open_url', job, url: `https://login.example.com/authorize?client_id=revlens&state=mock-${job}` });
      });
    },
    team_sync: async () => {
      requireSignIn();
      await new Promise((r) => setTimeout(r, 300));
      const now = new Date().toISOString();
      const pushed = team.pending;
      team = { ...team, pending: 0, last_push_at: now, last_pull_at: now };
      return { pushed, pulled: 0, conflicts: 0, not_applied: [], status: team };
    },
    // As the signed-in owner (tests may stub team_status as signed in without signing in).
    team_members: () => members.map((m) => ({ ...m })),
    team_set_role: ({ user_id, role }) => {
      const m = member(user_id);
      if (role !== 'owner') keepAnOwner(m);
      m.role = role;
      return { ...m };
    },
    team_remove_member: ({ user_id }) => {
      const m = member(user_id);
      keepAnOwner(m);
      members.splice(members.indexOf(m), 1);
      return null;
    },
    team_sign_out: () => {
      team = { ...team, signed_in: false };
      return team;
    },
    resolve_conflict: ({ copy, keep }) => {
      const conflict = team.conflicts.find((c) => c.id === copy);
      if (!conflict) throw new ApiFailure({ code: 'not_found', message: `No conflicted copy "${copy}".` });
      const at = dashboards.findIndex((d) => d.id === copy);
      const theCopy = dashboards[at];
      if (theCopy) {
        dashboards.splice(at, 1);
        const original = dashboards.find((d) => d.id === conflict.original_id);
        if (keep === 'copy' && original) original.tiles = [...theCopy.tiles];
      }
      team = { ...team, conflicts: team.conflicts.filter((c) => c.id !== copy) };
      return null;
    },
    share_dashboard: ({ dashboard, days }) => {
      requireSignIn();
      const token = `${dashboard}-${Math.random().toString(36).slice(2, 10)}`;
      const server = team.server_url ?? 'https://sync.example.com';
      return {
        url: `${server}/s/${token}`,
        app_url: `revlens://share/${token}?${new URLSearchParams({ server }).toString()}`,
        expires_at: new Date(Date.now() + days * 86_400_000).toISOString(),
      };
    },
    open_share_link: ({ link }) => openShareLinkFixture(link),
  });
  return backend;
}

/**
 * What `open_share_link` answers in the mock: links whose token starts with `revoked` are gone,
 * `offline` servers are unreachable, anything not `revlens://share/{token}?server=http(s)://…`
 * is refused; the rest show the revenue fixture's MRR, ARR and NRR tiles, MRR chart and top customers.
 */
export function openShareLinkFixture(link: string): SharedDashboard {
  const match = /^revlens:\/\/share\/([A-Za-z0-9_-]{3,128})\?server=([^&#]+)$/.exec(link.trim());
  const server = match ? decodeURIComponent(match[2]!) : '';
  if (!match || !/^https?:\/\/[^/?#@]+/.test(server)) {
    throw new ApiFailure({ code: 'invalid', message: 'this is not a RevLens share link; it looks like revlens://share/…?server=…' });
  }
  if (server.includes('offline')) throw new ApiFailure({ code: 'sync_server', message: `cannot reach the sync server ${server}` });
  if (match[1]!.startsWith('revoked')) {
    throw new ApiFailure({ code: 'share_link_unavailable', message: 'this share link has expired, was revoked, or what it shared was deleted' });
  }
  const revenue = revenueFixture();
  if (match[1]!.startsWith('mapping')) {
    return { server_url: server, org_name: 'Acme Finance', kind: 'mapping', name: 'Stripe export', rev: 2, snapshot: null, note: 'This mapping has no snapshot to show.' };
  }
  return {
    server_url: server,
    org_name: 'Acme Finance',
    kind: 'dashboard',
    name: 'Board review',
    rev: 3,
    note: null,
    snapshot: {
      title: 'Board review',
      as_of: revenue.as_of,
      currency: revenue.currency,
      tiles: revenue.tiles.filter((t) => ['mrr', 'arr', 'nrr'].includes(t.id)),
      charts: revenue.charts.filter((c) => c.id === 'mrr'),
      tables: [revenue.top_customers],
    },
  };
}

/** The demo backend for `npm run dev` with `?mock`: exports download as in a browser. */
export async function devBackend(): Promise<MockBackend> {
  const { HttpBackend } = await import('./http');
  const backend = demoBackend();
  const http = new HttpBackend();
  backend.saveExport = async (file) => {
    backend.exports.push(file);
    await http.saveExport(file);
  };
  return backend;
}
