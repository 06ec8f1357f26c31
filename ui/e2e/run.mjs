// End-to-end run of the RevLens UI in Debian's Chromium against `revlens serve`.
//
//   REVLENS_URL=http://127.0.0.1:PORT node e2e/run.mjs [--phase 1|2|all]
//
// Phase 1: the demo workspace's tiles appear; a new workspace; import a CSV whose customer
// column is renamed (mapped by hand); the KPI tiles show the expected values; the cohort
// heatmap; a drill-down from a bar; save a dashboard.
// Phase 2 (after the runner restarts the server on the same home): find the dashboard
// again, open it, export PNG and XLSX and check the downloaded files.
// `--phase all` (the default) runs both against one server, without the restart.
//
// Env: REVLENS_URL (required), CHROMIUM (default /usr/bin/chromium), E2E_CSV (default
// e2e/fixtures/renamed-column.csv), E2E_ARTIFACTS (default e2e/artifacts), E2E_HEADED=1.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));

// ─── Constants for the test runner (the Rust engineer supplies the exact values) ────────
/** The workspace phase 1 creates and phase 2 finds again. */
export const WORKSPACE = 'E2E import';
/** The dashboard phase 1 saves and phase 2 finds again. */
export const DASHBOARD = 'E2E board';
/** The CSV to import; its customer column is called "payer_ref" instead of customer_id. */
export const CSV = process.env.E2E_CSV ?? join(here, 'fixtures', 'renamed-column.csv');
/** The file's header that the customer_id mapping select must be set to by hand. */
export const RENAMED = { field: 'customer_id', header: 'payer_ref' };
/** The kind of data the CSV holds. */
export const KIND = 'subscriptions';
/**
 * EXPECTED tile values after the import (raw numbers as the backend sends them; percent
 * values are fractions). null = not checked beyond "is a number".
 * Hand-computed from DESIGN.md for fixtures/renamed-column.csv. The data runs from 2025-01
 * to 2025-06 (c6's end date, exclusive), so the tiles describe June: c1 100 + c2 200 +
 * c4 100 + c5 300 + c7 150 = 850 MRR from 5 customers (ARPA 170); c6 (80) churned on
 * Jun 1, so logo churn = 1 of May's 6 active customers and the quick ratio = 0 new ÷ 80
 * lost = 0; nobody is new in June (ARPA of new customers undefined); no customer is 12
 * months old (NRR undefined).
 */
export const EXPECTED = {
  mrr: 850,
  arr: 10200,
  active_customers: 5,
  arpa: 170,
  logo_churn: 1 / 6,
  quick_ratio: 0,
  new_mrr: 0,
  new_logos: 0,
};
/** The chart a drill-down is made from, and the chart exported as PNG in phase 2. */
export const DRILL_CHART = 'movements';
export const PNG_CHART = 'movements';
// ──────────────────────────────────────────────────────────────────────────────────────────

const TIMEOUT = Number(process.env.E2E_TIMEOUT_MS ?? 30_000);
const artifacts = resolve(process.env.E2E_ARTIFACTS ?? join(here, 'artifacts'));

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  if (i >= 0 && process.argv[i + 1]) return process.argv[i + 1];
  const eq = process.argv.find((a) => a.startsWith(`--${name}=`));
  return eq ? eq.slice(name.length + 3) : fallback;
}

const tid = (id) => `[data-testid="${id}"]`;

function step(name) {
  console.log(`• ${name}`);
}

async function shot(page, name) {
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
}

async function launch() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: process.env.E2E_HEADED !== '1',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const context = await browser.newContext({ viewport: { width: 1440, height: 1000 }, acceptDownloads: true });
  context.setDefaultTimeout(TIMEOUT);
  const page = await context.newPage();
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') console.log(`  console error: ${m.text()}`);
  });
  return { browser, page, pageErrors };
}

/** Opens the app and waits for the demo workspace's revenue tiles. */
export async function openApp(page, base) {
  step(`open ${base}`);
  await page.goto(base);
  await page.locator(tid('tile-value-mrr')).waitFor();
  const mrr = await page.locator(tid('tile-value-mrr')).getAttribute('data-value');
  assert.ok(mrr !== null && mrr !== '' && Number.isFinite(Number(mrr)), `demo MRR tile has a number (got ${mrr})`);
  await shot(page, '01-revenue-demo');
}

async function noBanner(page, where) {
  const banner = page.locator(tid('error-banner'));
  if (await banner.count()) assert.fail(`${where}: error banner shows "${(await banner.innerText()).trim()}"`);
}

async function selectWorkspace(page, name) {
  await page.locator(tid('workspace-select')).selectOption({ label: name });
}

export async function phase1(page) {
  step(`create workspace "${WORKSPACE}"`);
  await page.locator(tid('workspace-create')).click();
  await page.locator(tid('workspace-name')).fill(WORKSPACE);
  await page.locator(tid('workspace-submit')).click();
  await page.waitForFunction(
    ([sel, name]) => document.querySelector(sel)?.selectedOptions[0]?.textContent === name,
    [tid('workspace-select'), WORKSPACE],
  );
  await noBanner(page, 'create workspace');

  step(`import ${CSV} with "${RENAMED.header}" mapped to ${RENAMED.field} by hand`);
  await page.locator(tid('nav-data')).click();
  await page.locator(tid('kind-select')).selectOption(KIND);
  await page.locator(tid('file-input')).setInputFiles(CSV);
  const mapping = page.locator(tid(`mapping-${RENAMED.field}`));
  await mapping.waitFor();
  await mapping.selectOption(RENAMED.header);
  await page.locator(tid('dataset-name')).fill('E2E subscriptions');
  await shot(page, '02-data-mapping');
  await page.locator(tid('import-button')).click();
  await page.locator(tid('import-done')).waitFor({ timeout: TIMEOUT * 2 });
  await noBanner(page, 'import');
  await shot(page, '03-data-imported');

  step('the KPI tiles show the expected values');
  await page.locator(tid('nav-revenue')).click();
  await page.locator(tid('tile-value-mrr')).waitFor();
  for (const [id, expected] of Object.entries(EXPECTED)) {
    const tile = page.locator(tid(`tile-value-${id}`));
    if (expected === null && !(await tile.count())) continue;
    const raw = await tile.getAttribute('data-value');
    if (expected === null) continue;
    assert.ok(raw !== null && raw !== '', `tile ${id} has a value`);
    const value = Number(raw);
    assert.ok(Math.abs(value - expected) <= 0.005 + Math.abs(expected) * 1e-9, `tile ${id}: expected ${expected}, got ${value} (shown "${await tile.innerText()}")`);
  }
  await shot(page, '04-revenue-imported');

  step(`drill into a bar of "${DRILL_CHART}"`);
  const chart = page.locator(`${tid(`chart-${DRILL_CHART}`)}[data-ready="true"]`);
  await chart.scrollIntoViewIfNeeded();
  await page.waitForTimeout(500); // the bars' entry animation
  const box = await chart.boundingBox();
  assert.ok(box, 'the chart has a box');
  let drilled = false;
  // The canvas has no DOM per bar: click across the plot until one lands on a bar.
  outer: for (let fy = 0.3; fy <= 0.85; fy += 0.1) {
    for (let fx = 0.12; fx <= 0.97; fx += 0.035) {
      await page.mouse.click(box.x + box.width * fx, box.y + box.height * fy);
      if (await page.locator(tid('drilldown')).count()) {
        drilled = true;
        break outer;
      }
    }
  }
  assert.ok(drilled, 'a click on a bar opens the drill-down panel');
  await page.locator(tid('drilldown-table')).waitFor();
  await noBanner(page, 'drill-down');
  await shot(page, '05-revenue-drilldown');

  step('cohort heatmap');
  await page.locator(tid('nav-cohorts')).click();
  await page.locator(`${tid('chart-cohorts')}[data-ready="true"]`).waitFor();
  await page.locator(tid('cohort-basis-revenue')).click();
  await page.locator(`${tid('cohort-basis-revenue')}[aria-pressed="true"]`).waitFor();
  await page.locator(`${tid('chart-cohorts')}[data-ready="true"]`).waitFor();
  await noBanner(page, 'cohorts');
  await shot(page, '06-cohorts');

  step('churn and scenarios render');
  await page.locator(tid('nav-churn')).click();
  await page.locator(tid('churn-computed-only')).waitFor();
  await page.waitForTimeout(300);
  await noBanner(page, 'churn');
  await shot(page, '07-churn');
  await page.locator(tid('nav-scenarios')).click();
  await page.locator(tid('scenario-baseline')).click();
  await page.waitForTimeout(300);
  await noBanner(page, 'scenarios');
  await shot(page, '08-scenarios');

  step(`save dashboard "${DASHBOARD}"`);
  await page.locator(tid('nav-dashboards')).click();
  await page.locator(tid('dashboard-name')).fill(DASHBOARD);
  await page.locator(tid('dashboard-save')).click();
  await page.locator(tid(`dashboard-${DASHBOARD}`)).waitFor();
  await noBanner(page, 'save dashboard');
  await shot(page, '09-dashboard-saved');
}

async function download(page, click, name) {
  const [dl] = await Promise.all([page.waitForEvent('download'), click()]);
  const path = join(artifacts, name);
  await dl.saveAs(path);
  return { bytes: readFileSync(path), suggested: dl.suggestedFilename() };
}

export async function phase2(page) {
  step(`find dashboard "${DASHBOARD}" in workspace "${WORKSPACE}" again`);
  await selectWorkspace(page, WORKSPACE);
  await page.locator(tid('nav-dashboards')).click();
  await page.locator(tid(`dashboard-${DASHBOARD}`)).waitFor();
  await page.locator(tid(`dashboard-open-${DASHBOARD}`)).click();
  const view = page.locator(tid('dashboard-view'));
  await view.locator(`${tid(`chart-${PNG_CHART}`)}[data-ready="true"]`).waitFor();
  await shot(page, '10-dashboard-reopened');

  step('export PNG');
  const png = await download(page, () => view.locator(tid(`export-${PNG_CHART}-png`)).click(), 'export-chart.png');
  assert.deepEqual([...png.bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], `PNG signature (${png.suggested})`);

  step('export XLSX workbook');
  const xlsx = await download(page, () => view.locator(tid('dashboard-export')).click(), 'export-dashboard.xlsx');
  assert.deepEqual([...xlsx.bytes.subarray(0, 4)], [0x50, 0x4b, 0x03, 0x04], `XLSX is a zip (${xlsx.suggested})`);
  assert.ok(xlsx.bytes.includes(Buffer.from('xl/workbook.xml')), 'the zip holds xl/workbook.xml');
  await noBanner(page, 'exports');
}

async function main() {
  const base = process.env.REVLENS_URL;
  assert.ok(base, 'set REVLENS_URL to the address of `revlens serve`');
  const phase = arg('phase', 'all');
  assert.ok(['1', '2', 'all'].includes(phase), `--phase 1, 2 or all (got ${phase})`);
  mkdirSync(artifacts, { recursive: true });

  const { browser, page, pageErrors } = await launch();
  try {
    await openApp(page, base);
    if (phase === '1' || phase === 'all') await phase1(page);
    if (phase === 'all') await openApp(page, base); // a fresh load, as after a restart
    if (phase === '2' || phase === 'all') await phase2(page);
    assert.deepEqual(pageErrors, [], 'no uncaught errors in the page');
    console.log(`e2e phase ${phase}: ok (screenshots in ${artifacts})`);
  } catch (e) {
    await shot(page, `failure-phase-${phase}`).catch(() => {});
    throw e;
  } finally {
    await browser.close();
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : e);
    process.exit(1);
  });
}
