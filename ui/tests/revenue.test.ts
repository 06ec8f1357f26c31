import { fireEvent, screen, waitFor } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { demoBackend, revenueFixture } from '../src/lib/backend/fixtures';
import Revenue from '../src/lib/pages/Revenue.svelte';
import { appWith, charts, renderPage } from './helpers';

vi.mock('../src/lib/charts/echarts', async () => {
  const { fakeInit } = await import('./helpers');
  return { loadECharts: async () => fakeInit };
});

beforeEach(() => {
  charts.length = 0;
});

describe('Revenue page', () => {
  it("shows the backend's tile values, formatted, and its change vs the previous month", async () => {
    const backend = demoBackend();
    const app = appWith(backend);
    renderPage(Revenue, app);
    await app.refreshRevenue();
    await waitFor(() => expect(screen.getByTestId('tile-value-mrr')).toHaveTextContent('€14,025'));
    expect(screen.getByTestId('tile-value-mrr').dataset.value).toBe('14025');
    expect(screen.getByTestId('tile-value-nrr')).toHaveTextContent('104.0%');
    expect(screen.getByTestId('tile-value-active_customers')).toHaveTextContent('118');
    expect(screen.getByTestId('tile-change-mrr')).toHaveTextContent('+7.1%');
    expect(screen.getByTestId('tile-change-logo_churn')).toHaveClass('good');
    expect(screen.getByTestId('tile-mrr')).toHaveAttribute('title', expect.stringContaining('Monthly recurring revenue'));
    expect(backend.callsOf('revenue_dashboard')[0]).toEqual({
      workspace: 'ws-demo',
      filters: { from: null, to: null, segment: null, plan: null, country: null },
    });
  });

  it('renders every chart and drills into a clicked bar', async () => {
    const backend = demoBackend();
    const app = appWith(backend);
    renderPage(Revenue, app);
    await app.refreshRevenue();
    await waitFor(() => expect(screen.getByTestId('chart-movements')).toHaveAttribute('data-ready', 'true'));
    await waitFor(() => expect(screen.getByTestId('chart-mrr')).toHaveAttribute('data-ready', 'true'));
    expect(screen.getByTestId('chart-arr_composition')).toBeInTheDocument();
    expect(charts).toHaveLength(3);

    const movements = charts[1]!;
    movements.handlers.click!({ name: '2025-03', seriesId: 'churn', dataIndex: 2 });
    await waitFor(() => expect(screen.getByTestId('drilldown-table')).toBeInTheDocument());
    expect(backend.callsOf('drill_down')[0]).toMatchObject({ chart: 'movements', month: '2025-03', series: 'churn', workspace: 'ws-demo' });
    expect(screen.getByTestId('drilldown')).toHaveTextContent('MRR movements · 2025-03 · Churn');
    await fireEvent.click(screen.getByTestId('drilldown-close'));
    expect(screen.queryByTestId('drilldown')).toBeNull();
  });

  it('exports a chart and a table through the backend', async () => {
    const backend = demoBackend();
    const app = appWith(backend);
    renderPage(Revenue, app);
    await app.refreshRevenue();
    await fireEvent.click(await screen.findByTestId('export-mrr-png'));
    await fireEvent.click(screen.getByTestId('export-top_customers-xlsx'));
    await waitFor(() => expect(backend.exports).toHaveLength(2));
    expect(backend.callsOf('export_chart')[0]).toMatchObject({ chart: 'mrr', format: 'png' });
    expect(backend.callsOf('export_table')[0]).toMatchObject({ table: 'top_customers', format: 'xlsx' });
  });

  it('says what to do when there is no data', async () => {
    const backend = demoBackend().on('revenue_dashboard', () => ({
      ...revenueFixture(),
      tiles: [],
      charts: [],
      empty_reason: 'No subscriptions or transactions yet — import a file on the Data page',
    }));
    const app = appWith(backend);
    renderPage(Revenue, app);
    await app.refreshRevenue();
    expect(await screen.findByTestId('revenue-empty')).toHaveTextContent('No subscriptions or transactions yet');
  });

  it('puts a backend error in the banner, in words', async () => {
    const backend = demoBackend().on('revenue_dashboard', () => {
      throw Object.assign(new Error('The dataset file is missing'), { code: 'not_found' });
    });
    const app = appWith(backend);
    await app.refreshRevenue();
    expect(app.problems).toEqual([expect.objectContaining({ message: 'The dataset file is missing' })]);
  });
});
