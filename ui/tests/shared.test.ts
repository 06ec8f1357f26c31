import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { demoBackend, revenueFixture } from '../src/lib/backend/fixtures';
import Shared from '../src/lib/pages/Shared.svelte';
import Team from '../src/lib/pages/Team.svelte';
import { sharedHash, sharedLinkFromHash } from '../src/lib/share-link';
import { APP_CONTEXT_KEY, routeFromHash } from '../src/lib/state.svelte';
import { render } from '@testing-library/svelte';
import { appWith, charts } from './helpers';
import { AppState } from '../src/lib/state.svelte';
import App from '../src/App.svelte';

vi.mock('../src/lib/charts/echarts', async () => {
  const { fakeInit } = await import('./helpers');
  return { loadECharts: async () => fakeInit };
});

const LINK = 'revlens://share/tok-db-1_x?server=https%3A%2F%2Fsync.example.com';

function renderShared(app: AppState, link: string | null) {
  return render(Shared, { props: { link }, context: new Map([[APP_CONTEXT_KEY, app]]) });
}

beforeEach(() => {
  charts.length = 0;
  localStorage.clear();
  location.hash = '';
});

describe('share link routes', () => {
  it('carry the revlens:// link through the hash, encoded, and back', () => {
    const hash = sharedHash(` ${LINK} `);
    expect(hash).toBe(`#/shared?link=${encodeURIComponent(LINK)}`);
    expect(routeFromHash(hash)).toBe('shared');
    expect(sharedLinkFromHash(hash)).toBe(LINK);
    expect(sharedLinkFromHash('#/shared')).toBeNull();
    expect(sharedLinkFromHash('#/shared?link=%20')).toBeNull();
  });
});

describe('Shared dashboard view', () => {
  it("opens the link with the backend and shows the snapshot's tiles, chart and table, read-only", async () => {
    const backend = demoBackend();
    const app = appWith(backend);
    renderShared(app, LINK);

    const view = await screen.findByTestId('shared-view');
    expect(backend.callsOf('open_share_link')).toEqual([{ link: LINK }]);
    expect(within(view).getByTestId('shared-title')).toHaveTextContent('Board review');
    expect(within(view).getByTestId('shared-meta')).toHaveTextContent(
      `Acme Finance · dashboard · revision 3 · as of ${revenueFixture().as_of} · from https://sync.example.com`,
    );
    // The snapshot's numbers, formatted like the Revenue page's tiles.
    expect(screen.getByTestId('tile-value-mrr')).toHaveTextContent('€14,025');
    expect(screen.getByTestId('tile-value-nrr')).toHaveTextContent('104.0%');
    expect(screen.queryByTestId('tile-active_customers')).toBeNull();
    // The chart is drawn, without export buttons (nothing to export from: it is not this workspace's).
    await waitFor(() => expect(charts.length).toBe(1));
    expect(screen.queryByTestId('export-mrr-png')).toBeNull();
    expect(screen.queryByRole('button', { name: /export/i })).toBeNull();
    const table = screen.getByTestId('shared-table-top_customers');
    expect(within(table).getAllByRole('row').length).toBeGreaterThan(1);
    // Read-only: nothing to save, share or edit.
    expect(screen.queryByRole('button', { name: /save|share|delete/i })).toBeNull();
    // No workspace command ran: the link is all the view needs.
    expect(backend.calls.map((c) => c.name)).toEqual(['open_share_link']);
  });

  it('says in words why a link does not open, and offers to open another', async () => {
    const backend = demoBackend();
    const app = appWith(backend);
    const view = renderShared(app, 'revlens://share/revoked-1?server=https%3A%2F%2Fsync.example.com');
    expect(await screen.findByTestId('shared-problem')).toHaveTextContent('expired, was revoked');
    expect(app.problems).toEqual([]); // the banner is for the workspace; this is the link's own problem

    await view.rerender({ link: 'revlens://share/tok?server=https%3A%2F%2Foffline.example.com' });
    await waitFor(() => expect(screen.getByTestId('shared-problem')).toHaveTextContent('Cannot reach the sync server https://offline.example.com'));

    await view.rerender({ link: 'https://sync.example.com/s/tok' });
    await waitFor(() => expect(screen.getByTestId('shared-problem')).toHaveTextContent('not a RevLens share link'));

    await fireEvent.input(screen.getByTestId('shared-open-input'), { target: { value: LINK } });
    await fireEvent.click(screen.getByTestId('shared-open-button'));
    expect(sharedLinkFromHash(location.hash)).toBe(LINK);
  });

  it('shows the note of an object shared without a snapshot', async () => {
    renderShared(appWith(demoBackend()), 'revlens://share/mapping-1?server=http%3A%2F%2F127.0.0.1%3A8080');
    expect(await screen.findByTestId('shared-note')).toHaveTextContent('This mapping has no snapshot to show.');
    expect(screen.getByTestId('shared-meta')).toHaveTextContent('from http://127.0.0.1:8080');
    expect(screen.queryByTestId('tile-mrr')).toBeNull();
  });

  it('without a link shows only the form', async () => {
    const backend = demoBackend();
    renderShared(appWith(backend), null);
    expect(screen.getByTestId('shared-open-button')).toBeDisabled();
    expect(backend.calls).toEqual([]);
  });
});

describe('Team page: open a share link', () => {
  it('goes to the Shared view with the pasted link, signed in or not', async () => {
    const backend = demoBackend();
    const app = appWith(backend);
    render(Team, { context: new Map([[APP_CONTEXT_KEY, app]]) });
    const form = await screen.findByTestId('team-open-share-form');
    expect(within(form).getByTestId('team-open-share-form-button')).toBeDisabled();
    await fireEvent.input(within(form).getByTestId('team-open-share-form-input'), { target: { value: `  ${LINK}` } });
    await fireEvent.click(within(form).getByTestId('team-open-share-form-button'));
    expect(routeFromHash(location.hash)).toBe('shared');
    expect(sharedLinkFromHash(location.hash)).toBe(LINK);
    expect((within(form).getByTestId('team-open-share-form-input') as HTMLInputElement).value).toBe('');
  });

  it("shows a share's app link, which names its server", async () => {
    const backend = demoBackend();
    const app = appWith(backend);
    render(Team, { context: new Map([[APP_CONTEXT_KEY, app]]) });
    await fireEvent.input(await screen.findByTestId('team-server'), { target: { value: 'https://sync.example.com' } });
    await fireEvent.input(screen.getByTestId('team-email'), { target: { value: 'ana@example.com' } });
    await fireEvent.input(screen.getByTestId('team-password'), { target: { value: 'demo' } });
    await fireEvent.click(screen.getByTestId('team-sign-in'));
    const buttons = await screen.findAllByRole('button', { name: /Share for 7 days/ });
    await fireEvent.click(buttons[0]!);
    const appLinks = await screen.findAllByTestId(/^share-app-url-/);
    const href = appLinks[0]!.getAttribute('href') ?? '';
    expect(href).toMatch(/^revlens:\/\/share\/[^?]+\?server=https%3A%2F%2Fsync\.example\.com$/);
    // and the mock opens what it made
    const opened = await backend.call('open_share_link', { link: href });
    expect(opened.server_url).toBe('https://sync.example.com');
  });
});

describe('the app shell', () => {
  it('opens the Shared view from the route, also when the hash changes later (a deep link)', async () => {
    location.hash = sharedHash(LINK);
    const backend = demoBackend();
    const app = new AppState(backend);
    const view = render(App, { props: { app } });
    expect(await screen.findByTestId('shared-view')).toBeInTheDocument();
    expect(backend.callsOf('open_share_link')).toEqual([{ link: LINK }]);
    expect(screen.queryByTestId('nav-shared')).toBeNull(); // a view, not a page of the side bar
    // The workspace's filters do not apply to a shared snapshot: they are not offered.
    expect(screen.queryByTestId('filter-from')).toBeNull();

    // What the desktop shell does with a link from a second launch: a new route.
    const other = 'revlens://share/mapping-2?server=https%3A%2F%2Fsync.example.com';
    location.hash = sharedHash(other);
    window.dispatchEvent(new HashChangeEvent('hashchange'));
    expect(await screen.findByTestId('shared-note')).toHaveTextContent('This mapping has no snapshot to show.');
    expect(backend.callsOf('open_share_link').at(-1)).toEqual({ link: other });
    location.hash = '#/revenue';
    window.dispatchEvent(new HashChangeEvent('hashchange'));
    expect(await screen.findByTestId('filter-from')).toBeInTheDocument();
    view.unmount();
    app.dispose();
  });
});
