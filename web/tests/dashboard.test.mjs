// The dashboard in a real browser: Debian's chromium driven by playwright-core against a real
// `flowsentry demo` (binary from FLOWSENTRY_BINARY) fed by the built-in attack generator.
// Set FLOWSENTRY_DASHBOARD_SERVER=mock to run against tests/mock_server.mjs instead (dev only).
//
//   FLOWSENTRY_BINARY=build/flowsentry node --test web/tests/dashboard.test.mjs
//
// Screenshots of the main views go to docs/screenshots/ (FLOWSENTRY_SCREENSHOTS=0 to skip).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');
const shots = join(repo, 'docs', 'screenshots');
const useMock = process.env.FLOWSENTRY_DASHBOARD_SERVER === 'mock';
const browserPath = process.env.FLOWSENTRY_CHROMIUM || '/usr/bin/chromium';
const WIDE = { width: 1440, height: 900 };
const NARROW = { width: 390, height: 844 };

let server = null;
let serverLog = '';
let tmp = null;
let base = '';
let browser = null;
let page = null;
const consoleErrors = [];

function freePort() {
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

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(what, fn, timeoutMs = 60000) {
  const end = Date.now() + timeoutMs;
  let last = null;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (server && server.exitCode !== null) break;
    await sleep(250);
  }
  const exited = server && server.exitCode !== null ? `the server exited with code ${server.exitCode} while waiting for ${what}` : `timed out waiting for ${what}`;
  throw new Error(`${exited}${last ? ` (${last.message})` : ''}\nserver output:\n${serverLog.slice(-4000)}`);
}

async function api(path) {
  const res = await fetch(base + path);
  if (!res.ok) throw new Error(`${path}: ${res.status}`);
  return res.json();
}

function startServer(port) {
  let cmd;
  let args;
  if (useMock) {
    cmd = process.execPath;
    args = [join(here, 'mock_server.mjs'), '--port', String(port)];
  } else {
    cmd = process.env.FLOWSENTRY_BINARY;
    assert.ok(cmd, 'set FLOWSENTRY_BINARY to the flowsentry binary (or FLOWSENTRY_DASHBOARD_SERVER=mock)');
    args = ['demo', '--port', String(port), '--db', join(tmp, 'demo.db'), '--eps', '2000', '--data', process.env.FLOWSENTRY_DEMO_DATA || 'generator:attack'];
    // Default: models/default from the repository root (the working directory).
    if (process.env.FLOWSENTRY_DEMO_MODEL) args.push('--model', process.env.FLOWSENTRY_DEMO_MODEL);
  }
  const child = spawn(cmd, args, { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
  const keep = (d) => {
    serverLog = (serverLog + d.toString()).slice(-20000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  return child;
}

// ---- page helpers ----
const flowsentry = (fn, arg) => page.evaluate(fn, arg);

async function refreshes() {
  return flowsentry(() => window.__flowsentry.refreshes);
}

// Runs `action`, then waits for the refresh it caused to finish.
async function andRefresh(action) {
  const n = await refreshes();
  await action();
  await page.waitForFunction((k) => window.__flowsentry.refreshes > k, n, { timeout: 30000 });
}

async function seriesLengths(chartId) {
  return flowsentry((id) => {
    const c = window.__flowsentry.charts()[id];
    if (!c) return null;
    return Object.fromEntries(c.getOption().series.map((s) => [s.name, (s.data || []).length]));
  }, chartId);
}

async function chartOption(chartId, pick) {
  return flowsentry(
    ([id, src]) => {
      const c = window.__flowsentry.charts()[id];
      // eslint-disable-next-line no-new-func
      return c ? new Function('o', `return (${src})(o)`)(c.getOption()) : null;
    },
    [chartId, pick.toString()],
  );
}

async function tableColumn(tableId, header) {
  return flowsentry(
    ([id, name]) => {
      const t = document.getElementById(id);
      const idx = [...t.querySelectorAll('thead th')].findIndex((th) => th.textContent.trim() === name);
      return [...t.querySelectorAll('tbody tr')].map((tr) => tr.children[idx].textContent.trim());
    },
    [tableId, header],
  );
}

const rowCount = (tableId) => page.locator(`#${tableId} tbody tr`).count();
const tileNumber = async (id) => {
  const text = (await page.locator(`#${id}`).textContent()).trim();
  const m = /^([\d.]+)([kMG]?)$/.exec(text);
  assert.ok(m, `tile ${id} shows a number, got "${text}"`);
  return Number(m[1]) * { '': 1, k: 1e3, M: 1e6, G: 1e9 }[m[2]];
};

async function setFilter(column, value) {
  await page.locator(`[data-testid=filter-${column}-summary]`).click();
  await andRefresh(() => page.locator(`[data-testid=filter-${column}-option][value="${value}"]`).check());
  await page.keyboard.press('Escape');
  await page.locator('body').click({ position: { x: 5, y: 300 } });
}

async function clearFilter(column) {
  await page.locator(`[data-testid=filter-${column}-summary]`).click();
  await andRefresh(() => page.locator(`[data-testid=filter-${column}-clear]`).click());
  await page.locator('body').click({ position: { x: 5, y: 300 } });
}

async function filterOptions(column) {
  return page.locator(`[data-testid=filter-${column}-option]`).evaluateAll((els) => els.map((e) => e.value));
}

async function setNumber(testid, value) {
  const input = page.locator(`[data-testid=${testid}]`);
  await input.fill(String(value));
  await input.dispatchEvent('change');
}

async function screenshot(name, opts = {}) {
  if (process.env.FLOWSENTRY_SCREENSHOTS === '0') return;
  await mkdir(shots, { recursive: true });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.waitForTimeout(300); // let ECharts finish its frame after a resize
  await page.screenshot({ path: join(shots, `${name}.png`), ...opts });
}

// A fixed past window so the tables and the CSV export see exactly the same flows.
async function fixedWindowUrl(extra = '') {
  const s = await api('/api/v1/summary?window=5m');
  const to = Math.floor(s.to) - 5; // flows still in the pipeline would change the answers
  const from = to - 300;
  return `${base}/?window=custom&from=${from}&to=${to}&refresh=0${extra}`;
}

describe('dashboard in chromium', { timeout: 560000 }, () => {
  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'flowsentry-web-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    server = startServer(port);
    await until('/readyz', async () => (await fetch(`${base}/readyz`)).ok);
    // Enough scored traffic, anomalies among it, before the browser looks.
    await until('stored anomalies', async () => {
      const s = await api('/api/v1/summary?window=15m');
      return s.flows >= 2000 && s.anomalies >= 20;
    });
    browser = await chromium.launch({
      executablePath: browserPath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
    const context = await browser.newContext({ viewport: WIDE, acceptDownloads: true, deviceScaleFactor: 1 });
    // Main-thread tasks over 50 ms, to report how long a refresh blocks the page.
    await context.addInitScript(() => {
      window.__longtasks = [];
      new PerformanceObserver((l) => l.getEntries().forEach((e) => window.__longtasks.push(Math.round(e.duration)))).observe({ type: 'longtask', buffered: true });
    });
    page = await context.newPage();
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
    page.on('pageerror', (e) => consoleErrors.push(String(e)));
    page.on('requestfailed', (r) => {
      const why = r.failure()?.errorText || '';
      if (!why.includes('ERR_ABORTED')) consoleErrors.push(`request failed: ${r.url()} ${why}`);
    });
    // Nothing may be loaded from anywhere but the server under test.
    await context.route(/^(?!http:\/\/127\.0\.0\.1:)(https?|wss?):/, (route) => {
      consoleErrors.push(`external request: ${route.request().url()}`);
      route.abort();
    });
  });

  after(async () => {
    await browser?.close();
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      await Promise.race([new Promise((r) => server.once('exit', r)), sleep(10000)]);
      if (server.exitCode === null) server.kill('SIGKILL');
    }
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('serves the dashboard and its assets from the server', async () => {
    const html = await (await fetch(`${base}/`)).text();
    assert.match(html, /<title>flowsentry<\/title>/);
    for (const asset of ['/assets/app.js', '/assets/app.css']) {
      const res = await fetch(base + asset);
      assert.equal(res.status, 200, asset);
      assert.ok((await res.arrayBuffer()).byteLength > 1000, `${asset} is not empty`);
    }
    assert.doesNotMatch(html, /https?:\/\/(?!127\.0\.0\.1)/, 'index.html references nothing external');
  });

  it('first paint of a 24-hour window with every panel filled', async () => {
    const t0 = Date.now();
    await page.goto(`${base}/?window=24h&refresh=0`);
    await page.waitForFunction(() => window.__flowsentry && window.__flowsentry.refreshes >= 1, null, { timeout: 30000 });
    const timing = await flowsentry(() => window.__flowsentry.timing);
    const longest = await flowsentry(() => Math.max(0, ...window.__longtasks));
    await andRefresh(() => page.locator('[data-testid=btn-refresh]').click());
    const refreshLongest = await flowsentry(() => Math.max(0, ...window.__longtasks));
    console.log(`# longest main-thread task: ${longest} ms during the first paint, ${refreshLongest} ms including a refresh`);
    console.log(`# 24 h window, first paint ${Date.now() - t0} ms after navigation; API ${timing.fetch_ms} ms, render ${timing.render_ms} ms, ${(await seriesLengths('chart-timeline')).normal} + anomalies points`);
    assert.deepEqual(await flowsentry(() => window.__flowsentry.errors), []);

    const tl = await seriesLengths('chart-timeline');
    assert.ok(tl.normal + tl.anomaly > 0, `timeline has points: ${JSON.stringify(tl)}`);
    assert.ok(tl.anomaly > 0, 'timeline shows anomalies');
    assert.equal(tl.EMA, tl.normal + tl.anomaly, 'the EMA line has one value per point');

    for (const id of ['chart-kpi-load', 'chart-kpi-pkts', 'chart-kpi-jit', 'chart-kpi-tcp']) {
      const s = await chartOption(id, (o) => o.series.map((x) => ({ name: x.name, n: x.data.length, nonNull: x.data.filter((d) => d[1] !== null).length })));
      assert.ok(s.length >= 2, `${id} has its series`);
      for (const x of s) assert.ok(x.nonNull > 0, `${id} ${x.name} has values`);
    }
    const loadAxes = await chartOption('chart-kpi-load', (o) => o.yAxis.length);
    assert.equal(loadAxes, 2, 'sload/dload on a dual axis');

    for (const id of ['chart-mix-proto', 'chart-mix-state']) {
      const cats = await chartOption(id, (o) => o.yAxis[0].data);
      assert.ok(cats.length > 0, `${id} has categories`);
      const sums = await chartOption(id, (o) => o.series[0].data.map((d, i) => d.value + o.series[1].data[i].value));
      for (const s of sums) assert.ok(Math.abs(s - 100) < 0.1, `${id} bars are 100 % stacked (${s})`);
    }
    const heat = await chartOption('chart-heatmap', (o) => o.series[0].data.length);
    assert.ok(heat > 0, 'heatmap has cells');

    assert.ok((await rowCount('table-recent')) > 0, 'recent anomalies table has rows');
    const top = await rowCount('table-top');
    assert.ok(top > 0 && top <= 10, `top-10 table has 1..10 rows (${top})`);
    const scores = (await tableColumn('table-top', 'score')).map(Number);
    assert.deepEqual(scores, [...scores].sort((a, b) => b - a), 'top-10 is ordered by score');

    assert.ok((await tileNumber('tile-fps')) > 0, 'flows/s tile');
    assert.match(await page.locator('#tile-rate').textContent(), /%$/);
    assert.match(await page.locator('#tile-drift').textContent(), /^(ok|drift)$/);
    assert.ok((await tileNumber('tile-alerts')) >= 0, 'alerts tile');
    assert.notEqual((await page.locator('#tile-latency').textContent()).trim(), '', 'latency tile');
    assert.ok((await page.locator('#drift-events li').count()) > 0, 'drift panel lists events or says there are none');
    assert.ok((await rowCount('table-alerts')) > 0, 'alerts panel has alerts (the attack generator causes bursts)');
    assert.match(await page.locator('#table-alerts tbody tr [data-testid=alert-kind]').first().textContent(), /^[a-z_]+$/, 'alerts show their kind');

    await screenshot('dashboard-light', { fullPage: true });
  });

  it('keeps the view in the URL and restores it', async () => {
    await page.goto(`${base}/?window=1h&refresh=0&thr=0.7&bw=30&bh=3&rows=25&ema=0`);
    await page.waitForFunction(() => window.__flowsentry.refreshes >= 1);
    assert.equal(await page.locator('[data-testid=ctl-window]').inputValue(), '1h');
    assert.equal(await page.locator('[data-testid=ctl-threshold]').inputValue(), '0.70');
    assert.equal(await page.locator('[data-testid=ctl-burst-window]').inputValue(), '30');
    assert.equal(await page.locator('[data-testid=ctl-rows]').inputValue(), '25');
    assert.equal(await page.locator('[data-testid=ctl-ema]').isChecked(), false);
    assert.ok((await rowCount('table-recent')) <= 25, 'the row cap limits the table');
    const tl = await seriesLengths('chart-timeline');
    assert.equal(tl.EMA, 0, 'EMA off: no EMA line');
    await andRefresh(() => page.locator('[data-testid=ctl-window]').selectOption('5m'));
    assert.match(page.url(), /window=5m/);
    await page.locator('[data-testid=ctl-ema]').check();
    assert.match(page.url(), /thr=0\.7/);
    assert.doesNotMatch(page.url(), /ema=0/);
    const tl2 = await seriesLengths('chart-timeline');
    assert.ok(tl2.EMA > 0, 'EMA on: the line is back');
  });

  it('the threshold control changes the anomaly count and the burst markers follow', async () => {
    await page.goto(await fixedWindowUrl());
    await page.waitForFunction(() => window.__flowsentry.refreshes >= 1);
    const counted = (thr) => flowsentry((t) => window.__flowsentry.cache.sorted.filter((p) => p.score >= t).length, thr);
    await setNumber('ctl-threshold', 0.05);
    const low = await tileNumber('tile-count');
    assert.equal(low, await counted(0.05));
    await setNumber('ctl-threshold', 0.95);
    const high = await tileNumber('tile-count');
    assert.equal(high, await counted(0.95));
    assert.ok(low > high, `lower threshold, more anomalies (${low} > ${high})`);
    const line = await chartOption('chart-timeline', (o) => o.series.find((s) => s.name === 'anomaly').markLine.data[0].yAxis);
    assert.equal(line, 0.95, 'the threshold line moves');
    assert.match(page.url(), /thr=0\.95/);

    await setNumber('ctl-threshold', 0.5);
    await setNumber('ctl-burst-window', 300);
    await setNumber('ctl-burst-hits', 1);
    const many = await tileNumber('tile-bursts');
    assert.ok(many >= 1, 'one hit per window: bursts everywhere');
    const areas = await chartOption('chart-timeline', (o) => o.series.find((s) => s.name === 'bursts').markArea.data.length);
    assert.equal(areas, many, 'each burst is marked on the timeline');
    await setNumber('ctl-burst-hits', 100000);
    assert.equal(await tileNumber('tile-bursts'), 0, 'an unreachable minimum: no bursts');
  });

  it('each filter changes what is shown', async () => {
    await page.goto(await fixedWindowUrl('&rows=200'));
    await page.waitForFunction(() => window.__flowsentry.refreshes >= 1);
    const flows = async () => (await flowsentry(() => window.__flowsentry.cache.summary.flows));

    const all = await flows();
    const protos = await filterOptions('proto');
    assert.ok(protos.length >= 2, `several protos to filter on: ${protos}`);
    const proto = protos.includes('udp') ? 'udp' : protos[0];
    await setFilter('proto', proto);
    assert.deepEqual(await chartOption('chart-mix-proto', (o) => o.yAxis[0].data), [proto], 'proto mix shows only the chosen proto');
    assert.ok((await flows()) < all, 'fewer flows with a proto filter');
    for (const v of await tableColumn('table-recent', 'proto')) assert.equal(v, proto);
    assert.match(page.url(), new RegExp(`proto=${proto}`));
    await screenshot('dashboard-filtered');
    await clearFilter('proto');
    assert.equal(await flows(), all, 'clearing the filter restores the flows');

    const services = await filterOptions('service');
    assert.ok(services.length >= 2, `several services to filter on: ${services}`);
    const recentServices = await tableColumn('table-recent', 'service');
    const service = services.find((s) => recentServices.includes(s)) || services[0];
    await setFilter('service', service);
    assert.ok((await flows()) < all, 'fewer flows with a service filter');
    for (const v of await tableColumn('table-recent', 'service')) assert.equal(v, service);
    await clearFilter('service');

    const states = await filterOptions('state');
    assert.ok(states.length >= 2, `several states to filter on: ${states}`);
    const state = states[0];
    await setFilter('state', state);
    assert.deepEqual(await chartOption('chart-mix-state', (o) => o.yAxis[0].data), [state], 'state mix shows only the chosen state');
    assert.ok((await flows()) < all, 'fewer flows with a state filter');
    for (const v of await tableColumn('table-recent', 'state')) assert.equal(v, state);
    await clearFilter('state');
  });

  it('the CSV downloads have the rows of the tables', async () => {
    await page.goto(await fixedWindowUrl('&rows=20'));
    await page.waitForFunction(() => window.__flowsentry.refreshes >= 1);
    for (const [button, table] of [['csv-recent', 'table-recent'], ['csv-top', 'table-top']]) {
      const rows = await rowCount(table);
      assert.ok(rows > 0, `${table} has rows`);
      const [download] = await Promise.all([page.waitForEvent('download'), page.locator(`[data-testid=${button}]`).click()]);
      const text = await readFile(await download.path(), 'utf8');
      const lines = text.trim().split(/\r?\n/);
      const header = lines[0].split(',');
      assert.ok(header.includes('score') && header.includes('proto'), `CSV header: ${lines[0]}`);
      assert.equal(lines.length, rows + 1, `${button}: header + ${rows} rows`);
      const si = header.indexOf('score');
      const csvScores = lines.slice(1).map((l) => Number(l.split(',')[si]).toFixed(3));
      assert.deepEqual(csvScores, await tableColumn(table, 'score'), `${button}: the same flows as the table`);
    }
  });

  it('an anomaly opens its detail with the explanation', async () => {
    await page.locator('#table-top tbody tr td').first().click(); // the time cell: address cells link to host pages
    await page.waitForSelector('#drawer.open');
    const score = await page.locator('[data-testid=drawer-score]').textContent();
    assert.ok(Number(score) > 0, `the score is shown (${score})`);
    assert.notEqual((await page.locator('[data-testid=drawer-attack-cat]').textContent()).trim(), '');
    assert.ok((await page.locator('#drawer-fields tr').count()) > 10, 'the raw flow fields are shown');
    const bars = await chartOption('chart-features', (o) => ({ n: o.series[0].data.length, labels: o.yAxis[0].data }));
    assert.ok(bars && bars.n > 0, 'top features as a bar chart');
    assert.equal(bars.n, bars.labels.length);
    await screenshot('detail-light');
    await page.locator('[data-testid=drawer-close]').click();
  });

  it('acknowledges and snoozes alerts', async () => {
    await page.goto(`${base}/?window=24h&refresh=0`);
    await page.waitForFunction(() => window.__flowsentry.refreshes >= 1);
    const open = page.locator('#table-alerts tbody tr', { has: page.locator('button[data-act=ack]') });
    assert.ok((await open.count()) > 0, 'an open alert to acknowledge');
    const id = await open.first().getAttribute('data-id');
    await open.first().locator('button[data-act=ack]').click();
    await page.waitForFunction((i) => window.__flowsentry.cache.alerts.find((a) => a.id === i)?.acknowledged === true, id);
    const stored = (await api('/api/v1/alerts?window=24h&limit=1000')).alerts.find((a) => a.id === id);
    assert.equal(stored.acknowledged, true, 'the acknowledgement is stored');
    // What a page on another site can make a browser send without a preflight: refused.
    const plain = await fetch(`${base}/api/v1/alerts/${encodeURIComponent(id)}/ack`, {
      method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: '{"acknowledged": false}',
    });
    assert.equal(plain.status, 415, 'a text/plain POST is refused');
    const still = (await api('/api/v1/alerts?window=24h&limit=1000')).alerts.find((a) => a.id === id);
    assert.equal(still.acknowledged, true, 'the refused POST changed nothing');
    const row = page.locator(`#table-alerts tbody tr[data-id="${id}"]`);
    await row.locator('button[data-act=snooze]').click();
    await page.waitForFunction((i) => (window.__flowsentry.cache.alerts.find((a) => a.id === i)?.snoozed_until || 0) > Date.now() / 1000, id);
    assert.match(await row.locator('[data-testid=alert-state]').textContent(), /acknowledged|snoozed/);
  });

  it('labels an anomaly and an alert, and the Feedback page lists and deletes them', async () => {
    await page.goto(`${base}/?window=24h&refresh=0`);
    await page.waitForFunction(() => window.__flowsentry.refreshes >= 1);
    await page.locator('#table-top tbody tr td').first().click();
    await page.waitForSelector('#drawer.open');
    await page.locator('[data-testid=fb-note]').fill('lab scanner');
    await page.locator('[data-testid=fb-fp]').click();
    await page.waitForFunction(() => /false positive/.test(document.getElementById('fb-status').textContent));
    await page.locator('[data-testid=drawer-close]').click();
    const alertRow = page.locator('#table-alerts tbody tr').first();
    await alertRow.locator('button[data-act=suppress]').click();
    await page.waitForFunction(() => /Rule \d+/.test(document.getElementById('alerts-feedback-status').textContent));
    const fb = (await api('/api/v1/feedback')).feedback;
    assert.equal(fb[0].label, 'false_positive');
    assert.equal(fb[0].note, 'lab scanner');
    assert.ok((await api('/api/v1/suppressions')).suppressions.length > 0, 'the rule is stored');
    await page.locator('#tab-feedback').click();
    await page.waitForSelector('#table-rules tbody tr');
    assert.ok((await page.locator('#table-feedback tbody tr').count()) > 0, 'feedback listed');
    const rules = await page.locator('#table-rules tbody tr').count();
    await page.locator('#table-rules tbody tr button[data-del]').first().click();
    await page.waitForFunction((n) => document.querySelectorAll('#table-rules tbody tr').length === n - 1, rules);
  });

  it('auto-refresh fetches again on its own', async () => {
    await page.goto(`${base}/?window=5m&refresh=2`);
    // Generous: a refresh takes seconds on a loaded 2-core machine; the point is that it repeats.
    await page.waitForFunction(() => window.__flowsentry.refreshes >= 3, null, { timeout: 60000 });
    await page.locator('[data-testid=ctl-refresh]').selectOption('0');
    const n = await refreshes();
    await page.waitForTimeout(2500);
    assert.ok((await refreshes()) <= n + 1, 'refresh off: no more refreshes');
  });

  it('the model page shows card, metrics, curves or a clear note', async () => {
    await page.goto(`${base}/?tab=model`);
    await page.waitForFunction(() => window.__flowsentry.modelLoaded >= 1);
    assert.ok((await page.locator('#model-card').textContent()).trim().length > 20, 'model card rendered');
    assert.ok((await page.locator('#model-metrics tbody tr').count()) >= 5, 'metrics table');
    for (const id of ['chart-roc', 'chart-pr', 'chart-tradeoff', 'chart-mc-confusion']) {
      const drawn = await flowsentry((c) => Boolean(window.__flowsentry.charts()[c]), id);
      const note = await page.locator(`#${id} [data-testid=not-available]`).count();
      assert.ok(drawn || note === 1, `${id}: a chart or "not available"`);
    }
    // The committed model records its ROC and PR curves: they must be drawn, not noted.
    for (const id of ['chart-roc', 'chart-pr']) {
      const points = await chartOption(id, (o) => Math.max(...o.series.map((x) => (x.data || []).length)));
      assert.ok(points > 10, `${id} draws the recorded curve (${points} points)`);
    }
    // Active and shadow: the versions, and with a shadow its agreement and both histograms.
    const shadowText = await page.locator('#shadow-summary').textContent();
    assert.match(shadowText, /shadow/i, 'the shadow panel says whether a shadow model runs');
    if (await page.locator('[data-testid=shadow-agreement]').count()) {
      assert.match(await page.locator('[data-testid=shadow-agreement]').textContent(), /%$/);
      const bars = await chartOption('chart-shadow', (o) => o.series.map((x) => x.name).join(','));
      assert.equal(bars, 'active,shadow');
    }
    await screenshot('model-light', { fullPage: true });
  });

  it('dark theme is remembered, and the narrow layout works', async () => {
    await page.goto(`${base}/?window=1h&refresh=0`);
    await page.waitForFunction(() => window.__flowsentry.refreshes >= 1);
    await page.locator('[data-testid=theme-toggle]').click();
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
    const tl = await seriesLengths('chart-timeline');
    assert.ok(tl.normal + tl.anomaly > 0, 'charts redrawn after the theme switch');
    await page.reload();
    await page.waitForFunction(() => window.__flowsentry.refreshes >= 1);
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark', 'theme remembered');
    await screenshot('dashboard-dark', { fullPage: true });
    await page.locator('#table-top tbody tr td').first().click(); // the time cell: address cells link to host pages
    await page.waitForSelector('#drawer.open');
    await screenshot('detail-dark');
    await page.locator('[data-testid=drawer-close]').click();
    await page.locator('[data-testid=tab-model]').or(page.locator('#tab-model')).click();
    await page.waitForFunction(() => window.__flowsentry.modelLoaded >= 1);
    await screenshot('model-dark', { fullPage: true });
    await page.locator('#tab-live').click();

    await page.setViewportSize(NARROW);
    await page.waitForTimeout(400);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `no horizontal scrolling at 390 px (overflow ${overflow}px)`);
    const width = await page.locator('#chart-timeline canvas').first().evaluate((c) => c.getBoundingClientRect().width);
    assert.ok(width > 300 && width <= 390, `the timeline fits the narrow screen (${width}px)`);
    await screenshot('dashboard-narrow-dark');
    await page.locator('[data-testid=theme-toggle]').click();
    await screenshot('dashboard-narrow-light');
    await page.setViewportSize(WIDE);
  });

  it('logs no console errors', () => {
    assert.deepEqual(consoleErrors, []);
  });
});
