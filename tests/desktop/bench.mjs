// Desktop bench (not a test): how fast the release app shows its first dashboard and how
// much memory it holds when idle. Run by scripts/bench-desktop.sh under Xvfb.
//
// Cold start = from the app process's creation (its start time in /proc, 10 ms ticks) to
// the first WebDriver poll (every 20 ms, one script round trip) that finds the Revenue
// page's MRR tile filled in. The first run starts on an empty REVLENS_HOME, so it also
// creates the demo workspace (the first start a user sees once); the others start on that
// home (every later start). The page's own navigation start (performance.timeOrigin)
// splits the time into "process → page loading" and "page → dashboard".
//
// Idle memory = ~10 s after the dashboard painted (last run): RSS and PSS of the app's
// process and every process below it (WebKit's web and network processes). PSS shares out
// pages mapped by several processes (the WebKit libraries), so its sum does not count them
// twice; RSS is the number `ps` and system monitors show.
//
// For scale, the same is measured for WebKitGTK's own MiniBrowser (Debian's libwebkit2gtk-4.1-0
// ships it) showing a one-line page, with WebKit's default compositing like the app:
// the floor of any app built on this web view on this machine.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { appProcesses, descendants, launchApp, sleep, waitFor } from './driver.mjs';

const binary = process.env.REVLENS_DESKTOP_BINARY;
const tauriDriver = process.env.TAURI_DRIVER ?? 'tauri-driver';
const runs = Number(process.env.RUNS ?? 5);
const idleSeconds = Number(process.env.IDLE_SECONDS ?? 10);
if (!binary) throw new Error('set REVLENS_DESKTOP_BINARY to the app binary');

const clockTicks = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());

/** Seconds since boot (the clock of a process's start time in /proc) and the wall clock, read together. */
function clocks() {
  return { uptimeMs: Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 1000, wallMs: Date.now() };
}

/**
 * When `pid` started, on the wall clock. The process's start time counts ticks since boot;
 * its age is compared with /proc/uptime read at `at` (not with btime, which drifts from the
 * wall clock on virtual machines that were paused).
 */
function processStartMs(pid, at) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is stat's field 3; starttime is field 22
  const startedUptimeMs = (Number(fields[19]) * 1000) / clockTicks;
  return at.wallMs - (at.uptimeMs - startedUptimeMs);
}

function memoryKb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rss = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0);
  const name = /^Name:\s+(.*)$/m.exec(status)?.[1] ?? '?';
  let pss = 0;
  try {
    pss = Number(/^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
  } catch {
    // no smaps_rollup on this kernel
  }
  return { pid, name, rss, pss };
}

const mb = (kb) => (kb / 1024).toFixed(1);
const total = (procs, key) => procs.reduce((sum, p) => sum + p[key], 0);

const miniBrowser = process.env.WEBKIT_MINIBROWSER ?? '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';

/** MiniBrowser on a one-line page, idle as long as the app: its processes' memory, or null without it. */
async function webKitFloor() {
  if (!existsSync(miniBrowser)) return null;
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'revlens-bench-webkit-'));
  const child = spawn(miniBrowser, ['--geometry=1280x800', 'data:text/html,<h1>RevLens</h1>'], {
    env: { ...process.env, HOME: scratch },
    stdio: 'ignore',
  });
  try {
    await sleep(idleSeconds * 1000 + 2000);
    return [child.pid, ...descendants(child.pid)].map(memoryKb);
  } finally {
    child.kill();
    await sleep(500);
    rmSync(scratch, { recursive: true, force: true });
  }
}
const results = [];
let memory = null;
const home = mkdtempSync(path.join(os.tmpdir(), 'revlens-bench-home-'));
try {
  for (let run = 0; run < runs; run += 1) {
    const session = await launchApp({ binary, tauriDriver, env: { REVLENS_HOME: home } });
    try {
      const { browser, driver, launchedAt } = session;
      const [, paintedAt] = await waitFor(
        () =>
          browser.execute(() => {
            const el = document.querySelector('[data-testid="tile-value-mrr"]');
            return el && el.textContent.trim() !== '' ? el.textContent.trim() : null;
          }),
        { timeoutMs: 120_000, intervalMs: 20, what: 'the MRR tile' },
      );
      const at = clocks();
      const procs = appProcesses(driver.pid, binary);
      if (!procs) throw new Error('the app process was not found under tauri-driver');
      const startedAt = processStartMs(procs.app, at);
      const pageOrigin = await browser.execute(() => performance.timeOrigin);
      const result = {
        run,
        firstStart: run === 0,
        processToDashboardMs: Math.round(paintedAt - startedAt),
        processToPageMs: Math.round(pageOrigin - startedAt),
        pageToDashboardMs: Math.round(paintedAt - pageOrigin),
        sessionToDashboardMs: Math.round(paintedAt - launchedAt),
      };
      results.push(result);
      console.log(
        `run ${run}${run === 0 ? ' (empty home: creates the demo)' : ''}: process start → dashboard ${result.processToDashboardMs} ms ` +
          `(→ page ${result.processToPageMs} ms, page → dashboard ${result.pageToDashboardMs} ms; ` +
          `WebDriver session request → dashboard ${result.sessionToDashboardMs} ms)`,
      );
      if (run === runs - 1) {
        await sleep(idleSeconds * 1000);
        const now = appProcesses(driver.pid, binary);
        memory = [now.app, ...now.children].map(memoryKb);
      }
    } finally {
      await session.close().catch(() => {});
    }
    await sleep(500);
  }
} finally {
  rmSync(home, { recursive: true, force: true });
}

const later = results.filter((r) => !r.firstStart).map((r) => r.processToDashboardMs).sort((a, b) => a - b);
const median = later.length ? later[Math.floor(later.length / 2)] : null;
console.log('');
console.log(`cold start to first dashboard (median of ${later.length} starts on the demo workspace): ${median} ms (target < 1000 ms)`);
console.log(`first start on an empty home (creates the demo workspace): ${results[0]?.processToDashboardMs} ms`);
if (memory) {
  for (const p of memory) console.log(`  ${p.name} (pid ${p.pid}): RSS ${mb(p.rss)} MiB, PSS ${mb(p.pss)} MiB`);
  console.log(
    `idle memory ${idleSeconds} s after the dashboard painted: RSS ${mb(total(memory, 'rss'))} MiB, ` +
      `PSS ${mb(total(memory, 'pss'))} MiB over ${memory.length} processes (target < 200 MB)`,
  );
}
const floor = await webKitFloor();
if (floor) {
  console.log(
    `for scale, WebKitGTK's MiniBrowser on a one-line page: RSS ${mb(total(floor, 'rss'))} MiB, ` +
      `PSS ${mb(total(floor, 'pss'))} MiB over ${floor.length} processes`,
  );
}
