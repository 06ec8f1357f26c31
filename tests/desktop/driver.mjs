// Starts the real desktop app through tauri-driver (which drives WebKitWebDriver) and
// gives a WebdriverIO session on its window. Run under an X server (xvfb-run).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { remote } from 'webdriverio';

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A TCP port nobody listens on right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port, child, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`tauri-driver exited with code ${child.exitCode}`);
    const open = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    await sleep(50);
  }
  throw new Error(`tauri-driver did not listen on port ${port} within ${timeoutMs} ms`);
}

/**
 * Starts tauri-driver with `env` (the app inherits it: REVLENS_HOME …) and opens a session,
 * which launches `binary` with `args` (its command line: a `revlens://` link …).
 * Returns { browser, driver, launchedAt, close() }.
 */
export async function launchApp({ binary, tauriDriver, env = {}, args = [], log = () => {} }) {
  if (!existsSync(binary)) throw new Error(`no app binary at ${binary}`);
  const port = await freePort();
  const nativePort = await freePort();
  const driver = spawn(tauriDriver, ['--port', String(port), '--native-port', String(nativePort)], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let driverLog = '';
  driver.stdout.on('data', (d) => (driverLog += d));
  driver.stderr.on('data', (d) => (driverLog += d));
  const stopDriver = () => {
    if (driver.exitCode === null) driver.kill('SIGTERM');
  };
  try {
    await waitForPort(port, driver, 15_000);
    log(`tauri-driver on port ${port} (WebKitWebDriver on ${nativePort})`);
    const launchedAt = Date.now();
    const browser = await remote({
      hostname: '127.0.0.1',
      port,
      logLevel: 'warn',
      connectionRetryTimeout: 120_000,
      capabilities: {
        'tauri:options': { application: binary, args },
        'wdio:enforceWebDriverClassic': true,
      },
    });
    const close = async () => {
      // What ran below tauri-driver (WebKitWebDriver, the app, WebKit's processes): any of
      // them still there once the session and the driver are gone is killed, so a failed
      // step leaves nothing behind (and a later launch is not taken for a second instance).
      const tree = descendants(driver.pid).map((pid) => [pid, exeOf(pid)]);
      try {
        await browser.deleteSession();
      } finally {
        stopDriver();
        await stopAll(tree);
      }
    };
    return { browser, driver, launchedAt, close, driverLog: () => driverLog };
  } catch (error) {
    stopDriver();
    error.message += driverLog ? `\n--- tauri-driver output ---\n${driverLog}` : '';
    throw error;
  }
}

/** Waits up to 5 s for each [pid, exe] to end, then kills those still running the same exe. */
async function stopAll(tree) {
  const running = () => tree.filter(([pid, exe]) => exe && exeOf(pid) === exe);
  const deadline = Date.now() + 5_000;
  while (running().length && Date.now() < deadline) await sleep(100);
  for (const [pid] of running()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // it ended meanwhile
    }
  }
}

/** Named steps, each logged with its time; `counts` says how many passed and failed. */
export function stepper(log) {
  const counts = { passed: 0, failed: 0 };
  async function step(name, fn) {
    const started = Date.now();
    try {
      await fn();
      counts.passed += 1;
      log(`ok   ${name} (${Date.now() - started} ms)`);
    } catch (error) {
      counts.failed += 1;
      log(`FAIL ${name}: ${error.stack ?? error}`);
      throw error;
    }
  }
  return { step, counts };
}

/** A screenshot that shows something: a PNG, the window's size, more than a few bytes. */
export async function checkedScreenshot(browser, file, log = () => {}) {
  await browser.saveScreenshot(file);
  const png = readFileSync(file);
  assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG', `${file} is not a PNG`);
  const width = png.readUInt32BE(16);
  const height = png.readUInt32BE(20);
  assert.ok(width >= 400 && height >= 300, `${file} is only ${width}x${height}`);
  // A blank or single-colour window compresses to a few KB; a rendered page does not.
  assert.ok(png.length > 20_000, `${file} is only ${png.length} bytes: the page looks empty`);
  log(`screenshot ${path.relative(process.cwd(), file)} (${width}x${height}, ${png.length} bytes)`);
}

/** Polls `probe` every `intervalMs` until it returns a truthy value; returns [value, when]. */
export async function waitFor(probe, { timeoutMs, intervalMs = 100, what }) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value) return [value, Date.now()];
    } catch (error) {
      lastError = error;
    }
    await sleep(intervalMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${lastError.message})` : ''}`);
}

/** The text of the first element matching `selector`, or '' while there is none. */
export async function textOf(browser, selector) {
  const el = await browser.$(selector);
  if (!(await el.isExisting())) return '';
  return (await el.getText()).trim();
}

function children(pid) {
  const out = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {
      // the process ended meanwhile
    }
  }
  return out;
}

/** Every process below `pid`, depth first. */
export function descendants(pid) {
  const all = [];
  const stack = children(pid);
  while (stack.length) {
    const p = stack.pop();
    all.push(p);
    stack.push(...children(p));
  }
  return all;
}

export function exeOf(pid) {
  try {
    return readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return '';
  }
}

/** The app's process (found under tauri-driver by its executable) and the processes below it. */
export function appProcesses(driverPid, binary) {
  const app = descendants(driverPid).find((p) => exeOf(p) === binary);
  if (!app) return null;
  return { app, children: descendants(app) };
}
