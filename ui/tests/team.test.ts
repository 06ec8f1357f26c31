import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiFailure } from '../src/lib/backend/backend';
import { demoBackend, emptyFilters, signedInFixture, signedOutFixture } from '../src/lib/backend/fixtures';
import SyncIndicator from '../src/lib/components/SyncIndicator.svelte';
import type { SyncResult, TeamStatus } from '../src/lib/contract';
import Team from '../src/lib/pages/Team.svelte';
import { AppState, SYNC_INTERVAL_MS } from '../src/lib/state.svelte';
import { appWith, renderPage } from './helpers';

const apps: AppState[] = [];
function tracked(app: AppState): AppState {
  apps.push(app);
  return app;
}

beforeEach(() => localStorage.clear());
afterEach(() => {
  for (const app of apps.splice(0)) app.dispose();
  vi.useRealTimers();
  vi.restoreAllMocks();
});

const noConflicts = (over: Partial<TeamStatus> = {}) => signedInFixture({ conflicts: [], ...over });
const synced = (over: Partial<SyncResult> = {}): SyncResult => ({ pushed: 0, pulled: 0, conflicts: 0, not_applied: [], status: noConflicts({ pending: 0 }), ...over });

describe('Team page', () => {
  it('signs in with the form, sends the arguments once and never keeps the password', async () => {
    const logs = (['log', 'info', 'debug', 'warn', 'error'] as const).map((m) => vi.spyOn(console, m).mockImplementation(() => {}));
    const backend = demoBackend();
    const app = tracked(appWith(backend));
    renderPage(Team, app);

    await fireEvent.input(await screen.findByTestId('team-server'), { target: { value: ' https://sync.example.com ' } });
    await fireEvent.input(screen.getByTestId('team-email'), { target: { value: 'ana@example.com' } });
    const password = screen.getByTestId('team-password') as HTMLInputElement;
    expect(password.type).toBe('password');

    // refused: the server's words in the banner, the password field emptied
    await fireEvent.input(password, { target: { value: 'wrong-secret' } });
    await fireEvent.click(screen.getByTestId('team-sign-in'));
    await waitFor(() => expect(app.problems.map((p) => p.code)).toEqual(['sync_server']));
    expect(app.problems[0]!.message).toContain('refused');
    expect(password.value).toBe('');
    expect(screen.getByTestId('team-sign-in')).toBeDisabled();

    await fireEvent.input(password, { target: { value: 'demo' } });
    await fireEvent.input(screen.getByTestId('team-org'), { target: { value: 'Acme Finance' } });
    await fireEvent.click(screen.getByTestId('team-sign-in'));
    const account = await screen.findByTestId('team-account');
    expect(backend.callsOf('team_sign_in')).toEqual([
      { workspace: 'ws-demo', server_url: 'https://sync.example.com', email: 'ana@example.com', password: 'wrong-secret', org: null },
      { workspace: 'ws-demo', server_url: 'https://sync.example.com', email: 'ana@example.com', password: 'demo', org: 'Acme Finance' },
    ]);
    expect(screen.queryByTestId('team-password')).toBeNull();
    expect(within(account).getByTestId('team-status-email')).toHaveTextContent('ana@example.com');
    expect(app.team?.signed_in).toBe(true);
    for (const spy of logs) expect(JSON.stringify(spy.mock.calls)).not.toMatch(/wrong-secret|"demo"/);
  });

  it('lists the members; an owner changes a role and removes a member after confirming', async () => {
    const backend = demoBackend().on('team_status', () => noConflicts());
    const app = tracked(appWith(backend));
    renderPage(Team, app);
    const list = await screen.findByTestId('team-members');
    const ann = await within(list).findByTestId('member-ann@example.com');
    const you = within(list).getByTestId('member-you@example.com');
    expect(you).toHaveTextContent('you');
    expect(within(you).queryByRole('combobox')).toBeNull();
    expect(within(you).queryByRole('button', { name: 'Remove' })).toBeNull();

    await fireEvent.change(within(ann).getByRole('combobox'), { target: { value: 'admin' } });
    await waitFor(() => expect(backend.callsOf('team_set_role')).toEqual([{ workspace: 'ws-demo', user_id: 'u-ann', role: 'admin' }]));
    await waitFor(() => expect(within(list).getByTestId('member-role-ann@example.com')).toHaveValue('admin'));

    await fireEvent.click(within(list).getByTestId('member-remove-bob@example.com'));
    expect(await screen.findByText(/Remove bob@example.com from/)).toBeInTheDocument();
    await fireEvent.click(screen.getByTestId('confirm-ok'));
    await waitFor(() => expect(within(list).queryByTestId('member-bob@example.com')).toBeNull());
    expect(backend.callsOf('team_remove_member')).toEqual([{ workspace: 'ws-demo', user_id: 'u-bob' }]);
  });

  it('leaves the org from your own row, once another member is owner, and signs the workspace out', async () => {
    const backend = demoBackend();
    const app = tracked(appWith(backend));
    await app.loadTeam();
    await app.backend.call('team_sign_in', { workspace: 'ws-demo', server_url: 'https://sync.example.com', email: 'you@example.com', password: 'demo', org: null }).then((t) => app.setTeam(t));
    renderPage(Team, app);
    const list = await screen.findByTestId('team-members');
    await within(list).findByTestId('member-ann@example.com');

    // The last owner may not leave: the server's words in the banner.
    await fireEvent.click(within(list).getByTestId('member-leave'));
    expect(await screen.findByText(/This workspace stops syncing/)).toBeInTheDocument();
    await fireEvent.click(screen.getByTestId('confirm-ok'));
    await waitFor(() => expect(app.problems.map((p) => p.message).join()).toContain('at least one owner'));
    expect(app.team?.signed_in).toBe(true);

    await fireEvent.change(within(list).getByTestId('member-role-ann@example.com'), { target: { value: 'owner' } });
    await waitFor(() => expect(backend.callsOf('team_set_role')).toHaveLength(1));
    await fireEvent.click(within(list).getByTestId('member-leave'));
    await fireEvent.click(await screen.findByTestId('confirm-ok'));
    await waitFor(() => expect(app.team?.signed_in).toBe(false));
    expect(backend.callsOf('team_remove_member')).toEqual([
      { workspace: 'ws-demo', user_id: 'u-you' },
      { workspace: 'ws-demo', user_id: 'u-you' },
    ]);
    expect(backend.callsOf('team_sign_out')).toHaveLength(1);
  });

  it('lists the changes a sync could not apply, in words', async () => {
    const problem = "version 1 of dataset 'subs' (subscriptions): the server has no file with SHA-256 ab12";
    const backend = demoBackend()
      .on('team_status', () => noConflicts())
      .on('team_sync', () => synced({ pulled: 1, not_applied: [problem] }));
    const app = tracked(appWith(backend));
    renderPage(Team, app);
    await fireEvent.click(await screen.findByTestId('team-sync'));
    const list = await screen.findByTestId('team-sync-not-applied');
    expect(list).toHaveTextContent(`Not applied yet (retried at the next sync): ${problem}`);
    expect(screen.getByTestId('team-sync-result')).toHaveTextContent('received 1 change');
  });

  it('shows the status and each conflict next to its original, and resolves one with the chosen side', async () => {
    let status = signedInFixture({
      pending: 3,
      conflicts: [
        { kind: 'dashboard', id: 'db-copy', name: 'Board review (conflict)', original_id: 'db-board' },
        { kind: 'scenario', id: 'sc-copy', name: 'Growth (conflict)', original_id: 'sc-growth' },
      ],
    });
    const backend = demoBackend()
      .on('team_status', () => status)
      .on('resolve_conflict', ({ copy }) => {
        status = { ...status, conflicts: status.conflicts.filter((c) => c.id !== copy) };
        return null;
      });
    const app = tracked(appWith(backend));
    renderPage(Team, app);

    const account = await screen.findByTestId('team-account');
    expect(within(account).getByTestId('team-status-server')).toHaveTextContent('https://sync.example.com');
    expect(within(account).getByTestId('team-status-org')).toHaveTextContent('Acme Finance');
    expect(within(account).getByTestId('team-status-pending')).toHaveTextContent('3 edits not sent yet');
    expect(within(account).getByTestId('team-status-pull')).toHaveTextContent('2025');

    const conflicts = screen.getByTestId('team-conflicts');
    expect(within(conflicts).getByTestId('conflict-keep-original-db-copy')).toHaveTextContent('Keep “Board review”');
    expect(within(conflicts).getByTestId('conflict-keep-copy-db-copy')).toHaveTextContent('Keep “Board review (conflict)”');
    expect(within(conflicts).getByTestId('conflict-keep-original-sc-copy')).toHaveTextContent('Keep “Growth”');

    const statusCalls = backend.callsOf('team_status').length;
    await fireEvent.click(within(conflicts).getByTestId('conflict-keep-copy-db-copy'));
    await waitFor(() => expect(screen.queryByTestId('conflict-db-copy')).toBeNull());
    expect(backend.callsOf('resolve_conflict')).toEqual([{ workspace: 'ws-demo', kind: 'dashboard', copy: 'db-copy', keep: 'copy' }]);
    expect(backend.callsOf('team_status').length).toBe(statusCalls + 1);
    expect(app.dataVersion).toBe(1);

    await fireEvent.click(screen.getByTestId('conflict-keep-original-sc-copy'));
    await waitFor(() => expect(screen.getByTestId('team-conflicts')).toHaveTextContent('No conflicts'));
    expect(backend.callsOf('resolve_conflict')[1]).toEqual({ workspace: 'ws-demo', kind: 'scenario', copy: 'sc-copy', keep: 'original' });
    expect(app.dataVersion).toBe(2);
  });

  it('shares a saved dashboard (not a template) for 7 days and shows the link', async () => {
    const writeText = vi.fn(async () => {});
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    const backend = demoBackend().on('team_status', () =>
      signedInFixture({ conflicts: [{ kind: 'dashboard', id: 'db-2', name: 'Board (conflict)', original_id: 'db-1' }] }),
    );
    for (const name of ['Board', 'Board (conflict)']) {
      await backend.call('save_dashboard', { workspace: 'ws-demo', dashboard: { id: null, name, template: false, tiles: ['mrr'], filters: emptyFilters } });
    }
    backend.on('share_dashboard', ({ dashboard, days }) => ({
      url: `https://sync.example.com/s/tok-${dashboard}`,
      app_url: `revlens://share/tok-${dashboard}`,
      expires_at: `2025-07-0${1 + days}T10:00:00Z`,
    }));
    renderPage(Team, tracked(appWith(backend)));

    const button = await screen.findByTestId('share-Board');
    expect(button).toHaveTextContent('Share for 7 days');
    expect(screen.queryByTestId('share-CFO')).toBeNull(); // a template
    expect(screen.queryByTestId('share-Board (conflict)')).toBeNull(); // a copy waiting for a pick
    await fireEvent.click(button);
    const url = await screen.findByTestId('share-url-Board');
    expect(backend.callsOf('share_dashboard')).toEqual([{ workspace: 'ws-demo', dashboard: 'db-1', days: 7 }]);
    expect(url).toHaveValue('https://sync.example.com/s/tok-db-1');
    expect(url).toHaveAttribute('readonly');
    expect(screen.getByTestId('share-app-url-Board')).toHaveTextContent('revlens://share/tok-db-1');
    await fireEvent.click(screen.getByTestId('share-copy-Board'));
    await waitFor(() => expect(screen.getByTestId('share-copy-Board')).toHaveTextContent('Copied'));
    expect(writeText).toHaveBeenCalledWith('https://sync.example.com/s/tok-db-1');
  });

  it('says what to do when there is nothing to share, and signs out only after confirmation', async () => {
    const backend = demoBackend().on('team_status', () => noConflicts());
    const app = tracked(appWith(backend));
    renderPage(Team, app);
    await waitFor(() => expect(screen.getByTestId('team-share')).toHaveTextContent(/No saved dashboards yet/));

    await fireEvent.click(screen.getByTestId('team-sign-out'));
    expect(backend.callsOf('team_sign_out')).toEqual([]);
    await fireEvent.click(await screen.findByTestId('confirm-ok'));
    await screen.findByTestId('team-sign-in');
    expect(backend.callsOf('team_sign_out')).toEqual([{ workspace: 'ws-demo' }]);
    expect(app.team?.signed_in).toBe(false);
  });

  it('shows a loading skeleton, then the sign-in form when signed out', async () => {
    let answer: (s: TeamStatus) => void = () => {};
    const backend = demoBackend().on('team_status', () => new Promise<TeamStatus>((r) => (answer = r)));
    renderPage(Team, tracked(appWith(backend)));
    expect(await screen.findByText('Loading the team status…')).toBeInTheDocument();
    answer(signedOutFixture);
    await screen.findByTestId('team-server');
    expect(screen.queryByTestId('team-conflicts')).toBeNull();
  });
});

describe('Team page: single sign-on', () => {
  const page = 'https://login.example.com/authorize?client_id=revlens&state=s1';

  async function startSso(org: string) {
    await fireEvent.click(await screen.findByTestId('team-method-sso'));
    expect(screen.queryByTestId('team-password')).toBeNull();
    await fireEvent.input(screen.getByTestId('team-sso-server'), { target: { value: ' https://sync.example.com ' } });
    await fireEvent.input(screen.getByTestId('team-sso-org'), { target: { value: org } });
    await fireEvent.click(screen.getByTestId('team-sso-start'));
  }

  it('shows and opens the page the sign-in waits on, then the same signed-in status as a password', async () => {
    const writeText = vi.fn(async () => {});
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    let finish: (s: TeamStatus) => void = () => {};
    let announce: () => void = () => {};
    const backend = demoBackend().on(
      'team_sign_in_sso',
      ({ job }) =>
        new Promise<TeamStatus>((resolve) => {
          finish = resolve;
          announce = () => backend.emit({ kind: 'open_url', job, url: page });
        }),
    );
    const app = tracked(appWith(backend));
    renderPage(Team, app);
    expect(await screen.findByTestId('team-method-password')).toHaveAttribute('aria-pressed', 'true');
    await startSso(' org-123 ');

    // Before the server answered: waiting, no address yet.
    expect(await screen.findByTestId('team-sso-state')).toHaveTextContent('Asking the server');
    expect(screen.queryByTestId('team-sso-url')).toBeNull();
    const [args] = backend.callsOf('team_sign_in_sso');
    expect(args).toEqual({ workspace: 'ws-demo', server_url: 'https://sync.example.com', org: 'org-123', job: expect.any(String) });
    const job = args!.job;
    // Another job's event is not this sign-in's.
    backend.emit({ kind: 'open_url', job: 'someone-else', url: 'https://evil.example.com/' });
    expect(backend.signInPages).toEqual([]);

    announce();
    const url = await screen.findByTestId('team-sso-url');
    expect(url).toHaveValue(page);
    expect(url).toHaveAttribute('readonly');
    expect(screen.getByTestId('team-sso-state')).toHaveTextContent('Finish signing in in your browser');
    expect(backend.signInPages).toEqual([{ job, url: page }]); // opened at once
    await fireEvent.click(screen.getByTestId('team-sso-open'));
    expect(backend.signInPages).toEqual([{ job, url: page }, { job, url: page }]);
    await fireEvent.click(screen.getByTestId('team-sso-copy'));
    await waitFor(() => expect(screen.getByTestId('team-sso-copy')).toHaveTextContent('Copied'));
    expect(writeText).toHaveBeenCalledWith(page);
    expect(screen.getByTestId('team-method-password')).toBeDisabled();

    finish(signedInFixture({ conflicts: [], email: 'sso@example.com' }));
    const account = await screen.findByTestId('team-account');
    expect(within(account).getByTestId('team-status-email')).toHaveTextContent('sso@example.com');
    expect(within(account).getByTestId('team-status-org')).toHaveTextContent('Acme Finance');
    expect(screen.queryByTestId('team-sso-waiting')).toBeNull();
    expect(app.team?.signed_in).toBe(true);
    expect(app.problems).toEqual([]);
  });

  it('cancels a waiting sign-in through cancel_job and stays signed out, without an error banner', async () => {
    const backend = demoBackend();
    const app = tracked(appWith(backend));
    renderPage(Team, app);
    await startSso('org-123');
    await screen.findByTestId('team-sso-url');
    const job = backend.callsOf('team_sign_in_sso')[0]!.job;
    await fireEvent.click(screen.getByTestId('team-sso-cancel'));
    expect(await screen.findByTestId('team-sso-notice')).toHaveTextContent('Sign-in cancelled');
    expect(backend.callsOf('cancel_job')).toEqual([{ job }]);
    expect(screen.queryByTestId('team-sso-waiting')).toBeNull();
    expect(screen.getByTestId('team-sso-start')).toBeEnabled();
    expect(app.problems).toEqual([]);
    expect(app.team?.signed_in).toBe(false);
  });

  it('cancels a waiting sign-in when the page goes away', async () => {
    const backend = demoBackend();
    const { unmount } = renderPage(Team, tracked(appWith(backend)));
    await startSso('org-123');
    await screen.findByTestId('team-sso-url');
    const job = backend.callsOf('team_sign_in_sso')[0]!.job;
    unmount();
    expect(backend.callsOf('cancel_job')).toEqual([{ job }]);
    expect(backend.listenerCount).toBe(0);
  });

  it('says in words when the org has no single sign-on, or the browser never came back', async () => {
    const backend = demoBackend();
    const app = tracked(appWith(backend));
    renderPage(Team, app);
    await startSso('no-sso');
    await waitFor(() => expect(app.problems.map((p) => p.code)).toEqual(['sso_not_configured']));
    expect(app.problems[0]!.message).toContain('email and password');
    expect(screen.getByTestId('team-sso-start')).toBeEnabled();

    const timedOut = 'No sign-in came back from the browser within 300 s.';
    backend.on('team_sign_in_sso', () => Promise.reject(new ApiFailure({ code: 'timed_out', message: timedOut })));
    await fireEvent.click(screen.getByTestId('team-sso-start'));
    await waitFor(() => expect(app.problems.map((p) => p.message)).toContain(timedOut));
    expect(screen.queryByTestId('team-sso-waiting')).toBeNull();
    expect(app.team?.signed_in).toBe(false);
  });

  it('says so when the browser cannot be opened, and keeps the address to copy', async () => {
    const backend = demoBackend();
    backend.openSignInPage = () => Promise.reject(new ApiFailure({ code: 'internal', message: 'The browser could not be opened.' }));
    renderPage(Team, tracked(appWith(backend)));
    await startSso('org-123');
    expect(await screen.findByTestId('team-sso-open-problem')).toHaveTextContent('The browser could not be opened. Copy the address');
    expect((screen.getByTestId('team-sso-url') as HTMLInputElement).value).toMatch(/^https:\/\/login\.example\.com\/authorize\?/);
    await fireEvent.click(screen.getByTestId('team-sso-cancel'));
    await screen.findByTestId('team-sso-notice');
  });
});

describe('Background sync', () => {
  it('loads the team status with the workspace', async () => {
    const backend = demoBackend();
    const app = tracked(new AppState(backend));
    await app.start();
    await vi.waitFor(() => expect(app.team).not.toBeNull());
    expect(backend.callsOf('team_status')).toEqual([{ workspace: 'ws-demo' }]);
    expect(app.team?.signed_in).toBe(false);
  });

  it('runs team_sync every minute only while signed in, never two at once, and reloads pages after a pull', async () => {
    vi.useFakeTimers();
    const backend = demoBackend().on('team_status', () => signedOutFixture);
    const app = tracked(appWith(backend));
    await app.loadTeam();
    await vi.advanceTimersByTimeAsync(3 * SYNC_INTERVAL_MS);
    expect(backend.callsOf('team_sync')).toHaveLength(0);

    let finish: (r: SyncResult) => void = () => {};
    backend.on('team_status', () => noConflicts()).on('team_sync', () => new Promise<SyncResult>((r) => (finish = r)));
    await app.loadTeam();
    await vi.advanceTimersByTimeAsync(SYNC_INTERVAL_MS - 1);
    expect(backend.callsOf('team_sync')).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(backend.callsOf('team_sync')).toEqual([{ workspace: 'ws-demo' }]);
    expect(app.syncing).toBe(true);

    // still running: neither the timer nor "Sync now" starts another one
    const manual = app.sync({ manual: true });
    await vi.advanceTimersByTimeAsync(2 * SYNC_INTERVAL_MS);
    expect(backend.callsOf('team_sync')).toHaveLength(1);

    finish(synced({ pushed: 2, pulled: 3 }));
    expect(await manual).toMatchObject({ pushed: 2, pulled: 3 });
    expect(app.syncing).toBe(false);
    expect(app.team?.pending).toBe(0);
    expect(app.dataVersion).toBe(1);

    backend.on('team_sync', () => synced());
    await vi.advanceTimersByTimeAsync(SYNC_INTERVAL_MS);
    expect(backend.callsOf('team_sync')).toHaveLength(2);
    expect(app.dataVersion).toBe(1); // nothing pulled: nothing to reload

    // signed out: the timer stops
    app.setTeam(signedOutFixture);
    await vi.advanceTimersByTimeAsync(3 * SYNC_INTERVAL_MS);
    expect(backend.callsOf('team_sync')).toHaveLength(2);
  });

  it('flips to signed out on not_signed_in with one message, and stops syncing', async () => {
    vi.useFakeTimers();
    const backend = demoBackend()
      .on('team_status', () => noConflicts())
      .on('team_sync', () => Promise.reject(new ApiFailure({ code: 'not_signed_in', message: 'The session ended.' })));
    const app = tracked(appWith(backend));
    await app.loadTeam();
    await vi.advanceTimersByTimeAsync(SYNC_INTERVAL_MS);
    expect(app.team?.signed_in).toBe(false);
    expect(app.problems.map((p) => p.code)).toEqual(['not_signed_in']);
    // another command noticing the same thing adds no second message
    app.reportTeam(new ApiFailure({ code: 'not_signed_in', message: 'The session ended.' }));
    await vi.advanceTimersByTimeAsync(5 * SYNC_INTERVAL_MS);
    expect(backend.callsOf('team_sync')).toHaveLength(1);
    expect(app.problems).toHaveLength(1);
  });

  it('shows a failing background sync once in the banner, not every minute', async () => {
    vi.useFakeTimers();
    const backend = demoBackend()
      .on('team_status', () => noConflicts())
      .on('team_sync', () => Promise.reject(new ApiFailure({ code: 'sync_server', message: 'The server is unreachable.' })));
    const app = tracked(appWith(backend));
    await app.loadTeam();
    await vi.advanceTimersByTimeAsync(3 * SYNC_INTERVAL_MS);
    expect(backend.callsOf('team_sync')).toHaveLength(3);
    expect(app.syncError).toBe('The server is unreachable.');
    expect(app.problems).toHaveLength(1);
    await app.sync({ manual: true }); // "Sync now" always says why
    expect(app.problems).toHaveLength(2);

    backend.on('team_sync', () => synced());
    await vi.advanceTimersByTimeAsync(SYNC_INTERVAL_MS);
    expect(app.syncError).toBeNull();
  });
});

describe('Sync indicator', () => {
  it('says off, idle, syncing, error or conflicts, links to the Team page and announces politely', async () => {
    const app = tracked(appWith(demoBackend()));
    renderPage(SyncIndicator, app);
    const indicator = screen.getByTestId('sync-indicator');
    expect(indicator).toHaveAttribute('data-state', 'off');
    expect(indicator).toHaveAttribute('href', '#/team');
    expect(screen.getByRole('status')).toHaveAttribute('aria-live', 'polite');

    app.setTeam(noConflicts({ pending: 3 }));
    await waitFor(() => expect(indicator).toHaveAttribute('data-state', 'idle'));
    expect(indicator).toHaveTextContent('3 edits waiting');

    app.setTeam(noConflicts({ pending: 0, last_push_at: null, last_pull_at: new Date(Date.now() - 2 * 60_000 - 5_000).toISOString() }));
    await waitFor(() => expect(indicator).toHaveTextContent('Synced 2 min ago'));
    expect(screen.getByRole('status')).toHaveTextContent('');

    app.syncing = true;
    await waitFor(() => expect(indicator).toHaveAttribute('data-state', 'syncing'));

    app.syncing = false;
    app.syncError = 'The server is unreachable.';
    await waitFor(() => expect(indicator).toHaveAttribute('data-state', 'error'));
    expect(indicator).toHaveTextContent('Sync failed');
    expect(screen.getByRole('status')).toHaveTextContent('Team sync failed');

    app.syncError = null;
    app.setTeam(signedInFixture({ conflicts: [...signedInFixture().conflicts, { kind: 'scenario', id: 'sc-copy', name: 'Growth (conflict)', original_id: null }] }));
    await waitFor(() => expect(indicator).toHaveAttribute('data-state', 'conflicts'));
    expect(indicator).toHaveTextContent('2 conflicts');
  });
});
