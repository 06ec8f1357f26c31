// Starts the real desktop app through tauri-driver (which drives WebKitWebDriver) and
// gives a WebdriverIO session on its window. Run under an X server (xvfb-run).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import net from 'node:net';
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
 * which launches `binary`. Returns { browser, driver, launchedAt, close() }.
 */
export async function launchApp({ binary, tauriDriver, env = {}, log = () => {} }) {
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
        'tauri:options': { application: binary },
        'wdio:enforceWebDriverClassic': true,
      },
    });
    const close = async () => {
      try {
        await browser.deleteSession();
      } finally {
        stopDriver();
      }
    };
    return { browser, driver, launchedAt, close, driverLog: () => driverLog };
  } catch (error) {
    stopDriver();
    error.message += driverLog ? `\n--- tauri-driver output ---\n${driverLog}` : '';
    throw error;
  }
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
