// A `revlens://share/{token}?server=…` link opens the desktop app on the Shared view, as when
// a user clicks it. The real sync server runs on a loopback port with an owner made by its
// admin command; `revlens serve` (the app's commands over HTTP, tokens in a keyring file)
// signs in, imports a small CSV, saves a dashboard and shares it, as the app's Share button
// does. The release binary then starts with the link as its only argument on a home that
// never signed in, and shows the dashboard's name and the tile values the server's
// `GET /v1/share/{token}` has. Revoked, the same link shows why it does not open. Every
// process started here is stopped at the end, whatever failed.
//
//   REVLENS_DESKTOP_BINARY=/abs/revlens-desktop TAURI_DRIVER=/abs/tauri-driver \
//   REVLENS_CLI_BINARY=/abs/revlens REVLENS_SYNC_SERVER_BINARY=/abs/revlens-sync-server \
//     xvfb-run -a node tests/desktop/share-link.mjs
// REVLENS_UI_DIR names the built UI `revlens serve` needs (default: the repository's ui/dist).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  appProcesses,
  checkedScreenshot,
  exeOf,
  freePort,
  launchApp,
  sleep,
  stepper,
  textOf,
  waitFor,
} from './driver.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const artifacts = path.join(here, 'artifacts');
const binary = process.env.REVLENS_DESKTOP_BINARY;
const tauriDriver = process.env.TAURI_DRIVER ?? 'tauri-driver';
const cli = process.env.REVLENS_CLI_BINARY;
const syncServer = process.env.REVLENS_SYNC_SERVER_BINARY;
const uiDir = process.env.REVLENS_UI_DIR ?? path.resolve(here, '../../ui/dist');
assert.ok(binary, 'set REVLENS_DESKTOP_BINARY to the app binary');
assert.ok(cli, 'set REVLENS_CLI_BINARY to the revlens CLI binary');
assert.ok(syncServer, 'set REVLENS_SYNC_SERVER_BINARY to the revlens-sync-server binary');
for (const file of [binary, cli, syncServer, path.join(uiDir, 'index.html')]) {
  assert.ok(existsSync(file), `${file} is missing`);
}

const EMAIL = 'owner@example.com';
const PASSWORD = 'correct horse battery staple';
const ORG = 'Acme';
const DASHBOARD = 'Board for the share link';
const TILES = ['mrr', 'arr', 'active_customers', 'mrr_chart', 'top_customers'];

const log = (msg) => console.log(`share-link: ${msg}`);
const { step, counts } = stepper(log);

/** The servers started here, stopped in `finally` (and on Ctrl-C); the app's session. */
const started = [];
let session;

/** Starts a long-running process; resolves once `ready(line)` matches a line of its output. */
function startServer(name, command, args, { env = {}, ready, timeoutMs = 30_000 }) {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const entry = { name, child, output: '' };
  started.push(entry);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${name} was not ready within ${timeoutMs} ms:\n${entry.output}`)),
      timeoutMs,
    );
    let pending = '';
    const onData = (data) => {
      entry.output += data;
      pending += data;
      const lines = pending.split('\n');
      pending = lines.pop();
      for (const line of lines) {
        const found = ready(line);
        if (found) {
          clearTimeout(timer);
          resolve(found);
        }
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (data) => (entry.output += data));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${name} ended (${signal ?? `code ${code}`}) before it was ready:\n${entry.output}`));
    });
  });
}

/** SIGTERM to each server still running, SIGKILL after 5 s. */
async function stopServers() {
  await Promise.all(
    started.map(({ child }) => {
      if (child.exitCode !== null || child.signalCode !== null) return null;
      return new Promise((resolve) => {
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      });
    }),
  );
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    log(`${signal}: stopping what was started`);
    void Promise.all([session?.close().catch(() => {}), stopServers()]).finally(() => process.exit(1));
  });
}

/** Runs the CLI to the end; its stdout, or an error with its stderr. */
function runCli(args, { env = {}, input } = {}) {
  const result = spawnSync(cli, args, { env: { ...process.env, ...env }, input, encoding: 'utf8', timeout: 60_000 });
  if (result.status !== 0) {
    const why = result.error ?? `exit ${result.status}`;
    throw new Error(`${path.basename(cli)} ${args.join(' ')}: ${why}\n${result.stderr}`);
  }
  return result.stdout;
}

/** A command of `revlens serve`, as the UI's HttpBackend sends it. */
async function call(base, name, args) {
  const response = await fetch(`${base}/api/call/${name}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-revlens': '1' },
    body: JSON.stringify(args),
  });
  const text = await response.text();
  assert.ok(response.ok, `${name}: ${response.status} ${text}`);
  return text === '' ? null : JSON.parse(text);
}

/** Waits for the Shared view to settle: the dashboard, or the card that says why not. */
async function sharedOutcome(browser) {
  const [outcome] = await waitFor(
    async () => {
      if (await browser.$('[data-testid="shared-view"]').isExisting()) return 'view';
      if (await browser.$('[data-testid="shared-problem"]').isExisting()) return 'problem';
      return null;
    },
    { timeoutMs: 60_000, what: '[data-testid="shared-view"] or [data-testid="shared-problem"]' },
  );
  return outcome;
}

mkdirSync(artifacts, { recursive: true });
const scratch = mkdtempSync(path.join(os.tmpdir(), 'revlens-share-e2e-'));
const keyring = path.join(scratch, 'keyring.json');
const ownerHome = path.join(scratch, 'owner-home');
// The desktop's home: made here, never signed in anywhere.
const desktopHome = path.join(scratch, 'desktop-home');
try {
  let serverUrl;
  await step('the sync server runs on a loopback port with an owner made by its admin command', async () => {
    const data = path.join(scratch, 'sync-data');
    const admin = spawnSync(
      syncServer,
      ['--data-dir', data, 'admin', 'create-owner', '--email', EMAIL, '--org', ORG, '--password-stdin'],
      { input: `${PASSWORD}\n`, encoding: 'utf8', timeout: 60_000 },
    );
    assert.equal(admin.status, 0, `create-owner: ${admin.error ?? ''}${admin.stderr}`);
    assert.match(admin.stdout, /^created org \S+ with owner \S+/, admin.stdout);
    const port = await freePort();
    await startServer('revlens-sync-server', syncServer, ['--bind', `127.0.0.1:${port}`, '--data-dir', data], {
      env: { RUST_LOG: 'info' },
      // A JSON log line per event; "listening" says it accepts connections.
      ready: (line) => line.includes('"listening"'),
    });
    serverUrl = `http://127.0.0.1:${port}`;
    const health = await fetch(`${serverUrl}/healthz`);
    assert.equal(health.status, 200, `GET /healthz: ${health.status}`);
    log(`sync server ${serverUrl}`);
  });

  let link;
  let token;
  await step('revlens serve signs in, imports a CSV, saves a dashboard and shares it', async () => {
    const base = await startServer(
      'revlens serve',
      cli,
      ['serve', '--home', ownerHome, '--port', '0', '--ui-dir', uiDir],
      {
        env: { REVLENS_KEYRING: `mock-file:${keyring}` },
        ready: (line) => line.match(/serving (http:\/\/127\.0\.0\.1:\d+)\//)?.[1],
      },
    );
    log(`revlens serve ${base}`);
    const workspace = (await call(base, 'create_workspace', { name: ORG })).id;
    const signIn = { workspace, server_url: serverUrl, email: EMAIL, password: PASSWORD };
    const status = await call(base, 'team_sign_in', signIn);
    assert.equal(status.signed_in, true, JSON.stringify(status));
    const csv = path.join(scratch, 'subscriptions.csv');
    writeFileSync(csv, 'customer_id,amount,start_date\nA,100.00,2025-01-01\nB,50.00,2025-02-01\nC,25.50,2025-03-01\n');
    await call(base, 'import_file', { workspace, path: csv, kind: 'subscriptions', job: 'share-link-e2e' });
    const dashboard = { id: null, name: DASHBOARD, template: false, tiles: TILES, filters: {} };
    const saved = await call(base, 'save_dashboard', { workspace, dashboard });
    const shared = await call(base, 'share_dashboard', { workspace, dashboard: saved.id, days: 7 });
    link = shared.app_url;
    token = new URL(shared.url).pathname.split('/').pop();
    assert.equal(link, `revlens://share/${token}?server=${encodeURIComponent(serverUrl)}`);
    log(`app link ${link.replace(token, '<token>')}`);
  });

  let expected;
  await step("the server's GET /v1/share/{token} has the dashboard and its tiles", async () => {
    const response = await fetch(`${serverUrl}/v1/share/${token}`);
    assert.equal(response.status, 200, `GET /v1/share/{token}: ${response.status}`);
    const object = await response.json();
    // The app stores the snapshot in the dashboard's body: on the wire it is body.body.snapshot.
    const snapshot = object.body?.body?.snapshot ?? object.body?.snapshot;
    assert.ok(snapshot, `no snapshot in ${JSON.stringify(object)}`);
    assert.equal(object.name, DASHBOARD);
    assert.ok(snapshot.tiles.length >= 3, `tiles: ${JSON.stringify(snapshot.tiles)}`);
    expected = { object, snapshot, title: snapshot.title.trim() ? snapshot.title : object.name };
    log(`tiles: ${snapshot.tiles.map((t) => `${t.id}=${t.value}`).join(', ')}`);
  });

  await step('the app started with the link shows the shared dashboard on a home never signed in', async () => {
    session = await launchApp({ binary, tauriDriver, env: { REVLENS_HOME: desktopHome }, args: [link], log });
    const { browser } = session;
    assert.equal(await sharedOutcome(browser), 'view', `the Shared view shows: ${await textOf(browser, 'main')}`);
    const hash = await browser.execute(() => window.location.hash);
    assert.ok(hash.startsWith('#/shared?link='), hash);
    assert.equal(await textOf(browser, '[data-testid="shared-title"]'), expected.title);
    const meta = await textOf(browser, '[data-testid="shared-meta"]');
    for (const part of [expected.object.org_name, `revision ${expected.object.rev}`, serverUrl]) {
      assert.ok(meta.includes(part), `"${meta}" lacks "${part}"`);
    }
    const shown = await browser.execute(() =>
      [...document.querySelectorAll('[data-testid="shared-view"] [data-testid^="tile-value-"]')].map((el) => ({
        id: el.dataset.testid.slice('tile-value-'.length),
        value: el.dataset.value,
        text: el.textContent.trim(),
      })),
    );
    assert.deepEqual(
      shown.map((t) => t.id),
      expected.snapshot.tiles.map((t) => t.id),
      'the tiles shown are not the snapshot tiles',
    );
    for (const tile of expected.snapshot.tiles) {
      const got = shown.find((t) => t.id === tile.id);
      assert.equal(got.value, tile.value === null ? '' : String(tile.value), `tile ${tile.id}`);
      // The text is the value formatted: its digits are those of the number (cents may be added).
      const digits = got.text.replace(/[^\d.]/g, '');
      const matches = tile.value !== null && Number(digits) === tile.value;
      assert.ok(matches, `tile ${tile.id}: "${got.text}" for ${tile.value}`);
    }
    log(`tiles shown: ${shown.map((t) => `${t.id} "${t.text}"`).join(', ')}`);
    // Never signed in: the home's workspaces know no server.
    const workspaces = await browser.executeAsync((done) => {
      window.__TAURI_INTERNALS__.invoke('call', { name: 'list_workspaces', args: {} }).then(done, (e) => done({ e }));
    });
    assert.ok(Array.isArray(workspaces), JSON.stringify(workspaces));
    for (const ws of workspaces) {
      const status = await browser.executeAsync((workspace, done) => {
        const args = { workspace };
        window.__TAURI_INTERNALS__.invoke('call', { name: 'team_status', args }).then(done, (e) => done({ e }));
      }, ws.id);
      assert.equal(status.signed_in, false, JSON.stringify(status));
    }
  });
  await step("the snapshot's charts are drawn and its tables have its rows", async () => {
    const { browser } = session;
    assert.ok(expected.snapshot.charts.length && expected.snapshot.tables.length, 'the dashboard has a chart and a table');
    for (const chart of expected.snapshot.charts) {
      await waitFor(() => browser.$(`[data-testid="chart-${chart.id}"][data-ready="true"] canvas`).isExisting(), {
        timeoutMs: 30_000,
        what: `the chart ${chart.id} drawn`,
      });
    }
    for (const table of expected.snapshot.tables) {
      const rows = await browser.$$(`[data-testid="shared-table-${table.id}"] tbody tr`).length;
      assert.equal(rows, Math.max(table.rows.length, 1), `table ${table.id}`);
      const first = await textOf(browser, `[data-testid="shared-table-${table.id}"] tbody tr td`);
      assert.equal(first, String(table.rows[0]?.[0] ?? 'No rows.'), `table ${table.id}'s first cell`);
    }
    // The charts grow in for 300 ms (ui/src/lib/charts/option.ts): the screenshot shows them drawn.
    await sleep(500);
  });
  await step('screenshot of the Shared view', () =>
    checkedScreenshot(session.browser, path.join(artifacts, 'shared.png'), log),
  );
  await step('the app closes: no process of it is left', async () => {
    const running = appProcesses(session.driver.pid, binary);
    assert.ok(running, 'the app process was not found under tauri-driver');
    await session.close();
    session = undefined;
    // A second launch while this one runs would hand its link over and exit.
    for (const pid of [running.app, ...running.children]) assert.equal(exeOf(pid), '', `process ${pid} still runs`);
  });

  await step('revoked, the same link opens the app on a card that says why', async () => {
    const links = JSON.parse(
      runCli(['--home', ownerHome, 'share', 'list', '-w', ORG, '--format', 'json'], {
        env: { REVLENS_KEYRING: `mock-file:${keyring}` },
      }),
    );
    assert.equal(links.length, 1, JSON.stringify(links));
    runCli(['--home', ownerHome, 'share', 'revoke', '-w', ORG, links[0].id], {
      env: { REVLENS_KEYRING: `mock-file:${keyring}` },
    });
    const gone = await fetch(`${serverUrl}/v1/share/${token}`);
    assert.equal(gone.status, 404, `GET /v1/share/{token} after the revocation: ${gone.status}`);

    session = await launchApp({ binary, tauriDriver, env: { REVLENS_HOME: desktopHome }, args: [link], log });
    const { browser } = session;
    assert.equal(await sharedOutcome(browser), 'problem', 'a revoked link still shows the dashboard');
    const problem = await textOf(browser, '[data-testid="shared-problem"]');
    assert.match(problem, /This link does not open/, problem);
    assert.match(problem, /expired, was revoked/, problem);
    assert.ok(!(await browser.$('[data-testid="shared-view"]').isExisting()), 'the dashboard is shown too');
    log(`problem card: ${problem.split('\n').slice(0, 2).join(' / ')}`);
  });
} catch (error) {
  if (!counts.failed) {
    counts.failed += 1;
    log(`FAIL ${error.stack ?? error}`);
  }
  if (session) log(`tauri-driver output:\n${session.driverLog()}`);
  for (const { name, output } of started) log(`${name} output (its end):\n${output.split('\n').slice(-40).join('\n')}`);
} finally {
  await session?.close().catch(() => {});
  await stopServers();
  if (!counts.failed) rmSync(scratch, { recursive: true, force: true });
  else log(`the homes and the server's data are kept for a look: ${scratch}`);
}
console.log(`${counts.passed} passed, ${counts.failed} failed`);
process.exit(counts.failed ? 1 : 0);
