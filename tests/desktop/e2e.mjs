// The desktop app end to end: a fresh REVLENS_HOME, the real release binary under Xvfb,
// driven through tauri-driver and WebKitWebDriver. First start creates the demo workspace;
// the Revenue page shows its KPI tiles; Cohorts shows the heatmap; the IPC commands answer
// with ApiError objects on failure and take raw bytes for uploads. Screenshots of each page
// go to tests/desktop/artifacts/.
//
//   REVLENS_DESKTOP_BINARY=/abs/path/revlens-desktop TAURI_DRIVER=/abs/path/tauri-driver \
//     xvfb-run -a node tests/desktop/e2e.mjs
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkedScreenshot, launchApp, stepper, textOf, waitFor } from './driver.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const artifacts = path.join(here, 'artifacts');
const binary = process.env.REVLENS_DESKTOP_BINARY;
const tauriDriver = process.env.TAURI_DRIVER ?? 'tauri-driver';
assert.ok(binary, 'set REVLENS_DESKTOP_BINARY to the app binary');

const log = (msg) => console.log(`e2e: ${msg}`);
const { step, counts } = stepper(log);
const screenshot = (browser, name) => checkedScreenshot(browser, path.join(artifacts, `${name}.png`), log);

mkdirSync(artifacts, { recursive: true });
const home = mkdtempSync(path.join(os.tmpdir(), 'revlens-e2e-home-'));
let session;
try {
  session = await launchApp({ binary, tauriDriver, env: { REVLENS_HOME: home }, log });
  const { browser } = session;

  await step('first start: the Revenue page shows the MRR tile of the demo workspace', async () => {
    const [mrr] = await waitFor(() => textOf(browser, '[data-testid="tile-value-mrr"]'), {
      timeoutMs: 90_000,
      what: 'a non-empty [data-testid="tile-value-mrr"]',
    });
    assert.ok(await browser.$('[data-testid="tile-mrr"]').isDisplayed(), 'the MRR tile is not displayed');
    assert.match(mrr, /\d/, `the MRR tile shows "${mrr}"`);
    log(`MRR tile: ${mrr}`);
    assert.equal(await browser.getTitle(), 'RevLens');
    assert.ok(existsSync(path.join(home, 'revlens.db')), 'the store was not created in REVLENS_HOME');
  });
  await step('screenshot of the Revenue page', () => screenshot(browser, 'revenue'));

  await step('Cohorts: the heatmap is drawn', async () => {
    await browser.$('[data-testid="nav-cohorts"]').click();
    await waitFor(() => browser.$('[data-testid="chart-cohorts"][data-ready="true"]').isExisting(), {
      timeoutMs: 30_000,
      what: '[data-testid="chart-cohorts"][data-ready="true"]',
    });
    // ECharts draws on a canvas: it must have a size (the CSP lets the UI's styles through).
    const [canvas] = await waitFor(
      () =>
        browser.execute(() => {
          const c = document.querySelector('[data-testid="chart-cohorts"] canvas');
          return c && c.width > 100 && c.height > 100 ? { width: c.width, height: c.height } : null;
        }),
      { timeoutMs: 10_000, what: 'the cohort heatmap canvas' },
    );
    log(`cohort heatmap canvas ${canvas.width}x${canvas.height}`);
  });
  await step('screenshot of the Cohorts page', () => screenshot(browser, 'cohorts'));

  // The other pages, each once it shows its content: a number, a list or a form.
  const pages = [
    { route: 'churn', ready: '[data-testid="churn-count-computed"]', what: 'the computed churn count' },
    { route: 'data', ready: '[data-testid="datasets"] [data-testid^="dataset-"]', what: 'a demo dataset in the list' },
    { route: 'scenarios', ready: '[data-testid="scenario-baseline"]', what: 'the scenario baseline' },
    { route: 'dashboards', ready: '[data-testid="dashboard-CFO"]', what: 'the CFO template' },
    { route: 'team', ready: '[data-testid="team-server"]', what: 'the sign-in form' },
  ];
  for (const page of pages) {
    await step(`${page.route}: the page shows ${page.what}`, async () => {
      await browser.$(`[data-testid="nav-${page.route}"]`).click();
      await waitFor(() => browser.$(page.ready).isDisplayed().catch(() => false), {
        timeoutMs: 30_000,
        what: page.ready,
      });
    });
    await step(`screenshot of the ${page.route} page`, () => screenshot(browser, page.route));
  }

  await step('IPC: a failing command rejects with an ApiError object', async () => {
    const outcome = await browser.executeAsync((done) => {
      window.__TAURI_INTERNALS__.invoke('call', { name: 'no_such_command', args: {} }).then(
        (value) => done({ resolved: value }),
        (error) => done({ rejected: error }),
      );
    });
    assert.equal(outcome.rejected?.code, 'unknown_command', JSON.stringify(outcome));
    assert.equal(typeof outcome.rejected.message, 'string');
    const badArgs = await browser.executeAsync((done) => {
      window.__TAURI_INTERNALS__.invoke('call', { name: 'list_datasets', args: { nope: 1 } }).then(
        (value) => done({ resolved: value }),
        (error) => done({ rejected: error }),
      );
    });
    assert.equal(badArgs.rejected?.code, 'invalid_args', JSON.stringify(badArgs));
  });

  await step('IPC: stage_upload keeps the raw body under the URL-decoded file name', async () => {
    const staged = await browser.executeAsync((done) => {
      const bytes = new TextEncoder().encode('customer_id,amount\nc1,10\n');
      window.__TAURI_INTERNALS__
        .invoke('stage_upload', bytes, { headers: { 'x-file-name': encodeURIComponent('Umsätze 2025.csv') } })
        .then(
          (value) => done({ resolved: value }),
          (error) => done({ rejected: error }),
        );
    });
    assert.ok(staged.resolved, JSON.stringify(staged));
    assert.equal(staged.resolved.file_name, 'Umsätze 2025.csv');
    assert.equal(staged.resolved.size, 25);
    assert.ok(staged.resolved.path.startsWith(home), staged.resolved.path);
    assert.equal(readFileSync(staged.resolved.path, 'utf8'), 'customer_id,amount\nc1,10\n');
  });
} catch (error) {
  if (!counts.failed) {
    counts.failed += 1;
    log(`FAIL ${error.stack ?? error}`);
  }
  if (session) log(`tauri-driver output:\n${session.driverLog()}`);
} finally {
  await session?.close().catch(() => {});
  if (!counts.failed) rmSync(home, { recursive: true, force: true });
  else log(`the app's home is kept for a look: ${home}`);
}
console.log(`${counts.passed} passed, ${counts.failed} failed`);
process.exit(counts.failed ? 1 : 0);
