// Helpers for the browser tests: a server process (flowsentry or the mock) on a free port, Debian's
// chromium through playwright-core, and polling with the server's output in the failure message.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { chromium } from 'playwright-core';

export const WIDE = { width: 1440, height: 900 };
export const NARROW = { width: 390, height: 844 };
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.unref();
    s.on('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

// A child process whose last output is kept for failure messages.
export class ServerProcess {
  constructor(cmd, args, cwd) {
    this.log = '';
    this.child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (d) => {
      this.log = (this.log + d.toString()).slice(-20000);
    };
    this.child.stdout.on('data', keep);
    this.child.stderr.on('data', keep);
  }

  get exited() {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  async stop() {
    if (this.exited) return;
    const gone = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    await Promise.race([gone, sleep(10000)]);
    if (!this.exited) this.child.kill('SIGKILL');
  }

  // Polls `fn` until it returns something truthy; fails early when the server exits.
  async until(what, fn, timeoutMs = 60000) {
    const end = Date.now() + timeoutMs;
    let last = null;
    while (Date.now() < end && !this.exited) {
      try {
        const v = await fn();
        if (v) return v;
      } catch (e) {
        last = e;
      }
      await sleep(250);
    }
    const why = this.exited ? `the server exited (${this.child.exitCode ?? this.child.signalCode}) while waiting for ${what}` : `timed out waiting for ${what}`;
    throw new Error(`${why}${last ? ` (${last.message})` : ''}\nserver output:\n${this.log.slice(-4000)}`);
  }
}

export function launchChromium() {
  return chromium.launch({
    executablePath: process.env.FLOWSENTRY_CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}

// A page that records console errors, failed requests and any request leaving the server.
export async function watchedPage(browser, errors) {
  const context = await browser.newContext({ viewport: WIDE, deviceScaleFactor: 1 });
  await context.route(/^(?!http:\/\/127\.0\.0\.1:)(https?|wss?):/, (route) => {
    errors.push(`external request: ${route.request().url()}`);
    route.abort();
  });
  const page = await context.newPage();
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('requestfailed', (r) => {
    const why = r.failure()?.errorText || '';
    if (!why.includes('ERR_ABORTED')) errors.push(`request failed: ${r.url()} ${why}`);
  });
  return page;
}
