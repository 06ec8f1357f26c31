import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { demoBackend } from '../src/lib/backend/fixtures';
import Churn from '../src/lib/pages/Churn.svelte';
import Cohorts from '../src/lib/pages/Cohorts.svelte';
import Dashboards from '../src/lib/pages/Dashboards.svelte';
import Scenarios from '../src/lib/pages/Scenarios.svelte';
import WorkspaceSwitcher from '../src/lib/components/WorkspaceSwitcher.svelte';
import { AppState } from '../src/lib/state.svelte';
import { appWith, charts, renderPage } from './helpers';

vi.mock('../src/lib/charts/echarts', async () => {
  const { fakeInit } = await import('./helpers');
  return { loadECharts: async () => fakeInit };
});

beforeEach(() => {
  charts.length = 0;
  localStorage.clear();
});

describe('Cohorts page', () => {
  it('asks for the chosen basis and grouping and draws a heatmap', async () => {
    const backend = demoBackend();
    renderPage(Cohorts, appWith(backend));
    await waitFor(() => expect(screen.getByTestId('chart-cohorts')).toHaveAttribute('data-ready', 'true'));
    expect(backend.callsOf('cohorts').at(-1)).toMatchObject({ basis: 'logo', by: 'first_paid' });
    await fireEvent.click(screen.getByTestId('cohort-basis-revenue'));
    await fireEvent.click(screen.getByTestId('cohort-by-signup'));
    await waitFor(() => expect(backend.callsOf('cohorts').at(-1)).toMatchObject({ basis: 'revenue', by: 'signup' }));
    expect(screen.getByTestId('cohort-basis-revenue')).toHaveAttribute('aria-pressed', 'true');
    await fireEvent.click(screen.getByTestId('export-cohorts-svg'));
    await waitFor(() => expect(backend.callsOf('export_chart').at(-1)).toMatchObject({ chart: 'cohorts', format: 'svg', basis: 'revenue', by: 'signup' }));
  });
});

describe('Churn page', () => {
  it('shows the counts, pages the table through the backend and lists computed rows only on request', async () => {
    const backend = demoBackend();
    renderPage(Churn, appWith(backend));
    const table = await screen.findByTestId('churn-table');
    expect(table).toHaveAttribute('data-rows', '1000');
    expect(screen.getByTestId('churn-count-computed')).toHaveTextContent('900');
    expect(backend.callsOf('churn')[0]).toMatchObject({ source: null, offset: 0, limit: 200 });
    expect(within(table).getByText('cust-0000')).toBeInTheDocument();
    expect(table.querySelectorAll('.spacer [role="row"]').length).toBeLessThan(30);

    const viewport = table.querySelector('.viewport') as HTMLElement;
    viewport.scrollTop = 600 * 32;
    await fireEvent.scroll(viewport);
    await waitFor(() => expect(backend.callsOf('churn').some((c) => c.offset === 600)).toBe(true));
    await waitFor(() => expect(within(table).getByText('cust-0601')).toBeInTheDocument());

    await fireEvent.click(screen.getByTestId('churn-computed-only'));
    await waitFor(() => expect(screen.getByTestId('churn-table')).toHaveAttribute('data-rows', '900'));
    expect(backend.callsOf('churn').at(-1)).toMatchObject({ source: 'computed', offset: 0 });
  });
});

describe('Dashboards page', () => {
  it('lists the templates, opens one with its filters and saves the current view', async () => {
    const backend = demoBackend();
    const app = appWith(backend);
    await app.refreshRevenue();
    renderPage(Dashboards, app);
    const cfo = await screen.findByTestId('dashboard-CFO');
    expect(cfo).toHaveTextContent('template');
    await fireEvent.click(within(cfo).getByTestId('dashboard-open-CFO'));
    const view = await screen.findByTestId('dashboard-view');
    await waitFor(() => expect(within(view).getByTestId('tile-value-mrr')).toHaveTextContent('€14,025'));
    expect(within(view).getByTestId('chart-mrr')).toBeInTheDocument(); // "mrr_chart" is the MRR line
    expect(within(view).queryByTestId('chart-movements')).toBeNull();
    expect(within(view).queryByTestId('tile-new_mrr')).toBeNull();

    await app.setFilters({ plan: 'Pro' });
    await fireEvent.input(screen.getByTestId('dashboard-name'), { target: { value: 'Board' } });
    await fireEvent.click(screen.getByTestId('dashboard-save'));
    await screen.findByTestId('dashboard-Board');
    const saved = backend.callsOf('save_dashboard')[0]!.dashboard;
    expect(saved).toMatchObject({ id: null, name: 'Board', template: false, filters: { plan: 'Pro', from: null } });
    expect(saved.tiles).toEqual(['mrr', 'arr', 'nrr', 'logo_churn', 'mrr_chart', 'arr_composition', 'top_customers']);

    await fireEvent.click(screen.getByTestId('dashboard-export'));
    await waitFor(() => expect(backend.exports).toHaveLength(1));
    expect(backend.callsOf('export_dashboard')[0]!.dashboard.name).toBe('Board');
  });

  it('saves the current view as a team template, listed after the built-in ones, and deletes it', async () => {
    const backend = demoBackend();
    const app = appWith(backend);
    await app.refreshRevenue();
    renderPage(Dashboards, app);
    await screen.findByTestId('dashboard-CFO');
    expect(within(screen.getByTestId('dashboard-CFO')).queryByRole('button', { name: /Delete/ })).toBeNull();

    await fireEvent.input(screen.getByTestId('dashboard-name'), { target: { value: 'Weekly review' } });
    await fireEvent.click(screen.getByTestId('dashboard-as-template'));
    expect(screen.getByText(/a template syncs to your team/)).toBeInTheDocument();
    await fireEvent.click(screen.getByTestId('dashboard-save'));
    const item = await screen.findByTestId('dashboard-Weekly review');
    expect(backend.callsOf('save_dashboard')[0]!.dashboard).toMatchObject({ id: null, name: 'Weekly review', template: true });
    expect(item).toHaveTextContent('template');
    const names = within(screen.getByTestId('dashboard-list')).getAllByRole('listitem').map((li) => li.dataset.testid);
    expect(names.slice(0, 3)).toEqual(['dashboard-CFO', 'dashboard-Acquisition', 'dashboard-Weekly review']);
    expect(screen.getByTestId('dashboard-as-template')).not.toBeChecked();

    await fireEvent.click(within(item).getByRole('button', { name: 'Delete template Weekly review' }));
    expect(await screen.findByText(/for the whole team/)).toBeInTheDocument();
    await fireEvent.click(screen.getByTestId('confirm-ok'));
    await waitFor(() => expect(screen.queryByTestId('dashboard-Weekly review')).toBeNull());
    expect(backend.callsOf('delete_dashboard')).toHaveLength(1);
  });
});

describe('Scenarios page', () => {
  it('fills the baseline, saves a scenario and compares it on one chart', async () => {
    const backend = demoBackend();
    renderPage(Scenarios, appWith(backend));
    await fireEvent.input(await screen.findByTestId('scenario-name'), { target: { value: 'Growth' } });
    await fireEvent.click(screen.getByTestId('scenario-baseline'));
    await waitFor(() => expect(screen.getByTestId('scenario-churn_pct')).toHaveValue(1.9));
    // Trailing averages have cents and hundredths of a percent: the form must take them.
    for (const key of ['new_mrr_per_month', 'expansion_pct', 'contraction_pct', 'churn_pct']) {
      expect((screen.getByTestId(`scenario-${key}`) as HTMLInputElement).checkValidity(), key).toBe(true);
    }
    await fireEvent.click(screen.getByTestId('scenario-save'));
    const item = await screen.findByTestId('scenario-Growth');
    expect(screen.getByTestId('scenario-summary-Growth')).toHaveTextContent(
      /^12 months · 24,392 new\/mo · \+3\.49% expansion · −1\.57% contraction · −1\.90% churn$/,
    );
    expect(backend.callsOf('save_scenario')[0]!.scenario).toMatchObject({ id: null, name: 'Growth', months: 12, assumptions: { new_mrr_per_month: 24391.59, churn_pct: 1.9 } });
    await fireEvent.click(within(item).getByRole('checkbox'));
    await fireEvent.click(screen.getByTestId('scenario-compare'));
    await waitFor(() => expect(screen.getByTestId('chart-scenarios')).toHaveAttribute('data-ready', 'true'));
    expect(backend.callsOf('project_scenarios')[0]).toMatchObject({ scenarios: ['sc-1'], months: 12 });
  });
});

describe('AppState and the workspace switcher', () => {
  it('ensures the demo workspace on start and opens it', async () => {
    const backend = demoBackend();
    const app = new AppState(backend);
    await app.start();
    expect(backend.calls.map((c) => c.name).slice(0, 3)).toEqual(['ensure_demo', 'list_workspaces', 'revenue_dashboard']);
    expect(app.workspaceId).toBe('ws-demo');
    expect(app.months).toContain('2025-06');
  });

  it('remembers the theme', () => {
    const app = new AppState(demoBackend());
    app.setTheme('dark');
    expect(localStorage.getItem('revlens.theme')).toBe('dark');
    expect(new AppState(demoBackend()).theme).toBe('dark');
  });

  it('creates a workspace through a dialog that Escape closes', async () => {
    const backend = demoBackend();
    const app = appWith(backend);
    renderPage(WorkspaceSwitcher, app);
    await fireEvent.click(screen.getByTestId('workspace-create'));
    const name = await screen.findByTestId('workspace-name');
    await fireEvent.keyDown(name, { key: 'Escape' });
    await waitFor(() => expect(screen.queryByTestId('workspace-name')).toBeNull());

    await fireEvent.click(screen.getByTestId('workspace-create'));
    await fireEvent.input(await screen.findByTestId('workspace-name'), { target: { value: 'Acme' } });
    await fireEvent.click(screen.getByTestId('workspace-submit'));
    await waitFor(() => expect(app.workspace?.name).toBe('Acme'));
    expect(backend.callsOf('create_workspace')).toEqual([{ name: 'Acme' }]);
  });

  it('deletes a workspace only after confirmation', async () => {
    const backend = demoBackend();
    const app = appWith(backend);
    renderPage(WorkspaceSwitcher, app);
    await fireEvent.click(screen.getByTestId('workspace-delete'));
    expect(backend.callsOf('delete_workspace')).toEqual([]);
    await fireEvent.click(await screen.findByTestId('confirm-ok'));
    await waitFor(() => expect(backend.callsOf('delete_workspace')).toEqual([{ workspace: 'ws-demo' }]));
  });
});
