import { render } from '@testing-library/svelte';
import type { Component } from 'svelte';
import { vi } from 'vitest';
import type { MockBackend } from '../src/lib/backend/mock';
import { APP_CONTEXT_KEY, AppState } from '../src/lib/state.svelte';

/** A stand-in for an ECharts instance: records options and lets tests fire clicks. */
export interface FakeChart {
  options: unknown[];
  theme: string | null;
  handlers: Record<string, (params: unknown) => void>;
  disposed: boolean;
}

export const charts: FakeChart[] = [];

export function fakeInit(_el: HTMLElement, theme: string | null) {
  const chart: FakeChart = { options: [], theme, handlers: {}, disposed: false };
  charts.push(chart);
  return {
    setOption: (o: unknown) => chart.options.push(o),
    on: (name: string, h: (params: unknown) => void) => (chart.handlers[name] = h),
    resize: vi.fn(),
    dispose: () => (chart.disposed = true),
  };
}

export function appWith(backend: MockBackend, workspace = 'ws-demo'): AppState {
  const app = new AppState(backend);
  app.workspaces = [{ id: workspace, name: 'Demo', created_at: '2025-01-01T00:00:00Z', datasets: 1 }];
  app.workspaceId = workspace;
  app.ready = true;
  return app;
}

export function renderPage(page: Component, app: AppState) {
  return render(page, { context: new Map([[APP_CONTEXT_KEY, app]]) });
}
