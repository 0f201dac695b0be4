// The Hosts view and the time axes in chromium, against `flowsentry demo` replaying flows metered
// from the committed capture corpus (a port scan, password guessing, a sweep, a beacon, web) at
// 5,000 flows/s: 15,000 flows land within ~3 s of a 15 min window, as a fast holdout replay does.
// The file has no times, so each flow is stamped when read.
// FLOWSENTRY_DASHBOARD_SERVER=mock runs the Hosts tests against tests/mock_server.mjs instead.
//
//   FLOWSENTRY_BINARY=build/flowsentry node --test web/tests/hosts.test.mjs
//
// Screenshots go to docs/screenshots/ (FLOWSENTRY_SCREENSHOTS=0 to skip).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NARROW, ServerProcess, WIDE, freePort, launchChromium, watchedPage } from './browser.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');
const shots = join(repo, 'docs', 'screenshots');
const corpus = join(repo, 'src', 'cli', 'tests', 'data', 'corpus');
const useMock = process.env.FLOWSENTRY_DASHBOARD_SERVER === 'mock';
const REPLAY_FLOWS = 15000;
const REPLAY_EPS = 5000;
const CAPTURES = ['scan-syn', 'guess-ssh', 'scan-horizontal', 'sweep-icmp', 'beacon-http', 'normal-web'];

let server = null;
let tmp = null;
let base = '';
let browser = null;
let page = null;
let hostRoutes = true;
const errors = [];

// Meters the captures with `flowsentry capture`, drops the time columns and repeats the rows to
// REPLAY_FLOWS: a flow file like the UNSW-NB15 holdout, with addresses.
async function replayFile(binary) {
  let header = null;
  const rows = [];
  for (const name of CAPTURES) {
    const out = join(tmp, `${name}.csv`);
    const r = spawnSync(binary, ['capture', '--pcap', join(corpus, `${name}.pcap`), '--out', out], { encoding: 'utf8' });
    assert.equal(r.status, 0, `capture ${name}: ${r.stderr}`);
    const [head, ...lines] = (await readFile(out, 'utf8')).trim().split('\n');
    header = head.split(',');
    rows.push(...lines.map((l) => l.split(',')));
  }
  const keep = header.map((c, i) => (c === 'stime' || c === 'ltime' ? -1 : i)).filter((i) => i >= 0);
  const lines = [keep.map((i) => header[i]).join(',')];
  for (let n = 0; n < REPLAY_FLOWS; n++) lines.push(keep.map((i) => rows[n % rows.length][i]).join(','));
  const file = join(tmp, 'replay.csv');
  await writeFile(file, lines.join('\n') + '\n');
  return file;
}

async function api(path) {
  const res = await fetch(base + path);
  if (!res.ok) throw new Error(`${path}: ${res.status}`);
  return res.json();
}

const flowsentry = (fn, arg) => page.evaluate(fn, arg);
const rowCount = (tableId) => page.locator(`#${tableId} tbody tr`).count();

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

async function screenshot(name, opts = {}) {
  if (process.env.FLOWSENTRY_SCREENSHOTS === '0') return;
  await mkdir(shots, { recursive: true });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.waitForTimeout(300); // let ECharts finish its frame after a resize
  await page.screenshot({ path: join(shots, `${name}.png`), ...opts });
}

async function openLive(query = '') {
  await page.goto(`${base}/?window=15m&refresh=0${query}`);
  await page.waitForFunction(() => window.__flowsentry && window.__flowsentry.refreshes >= 1, null, { timeout: 30000 });
}

async function hostsLoaded(n) {
  await page.waitForFunction((k) => (window.__flowsentry.hostsLoaded || 0) >= k, n, { timeout: 30000 });
}

const loads = () => flowsentry(() => window.__flowsentry.hostsLoaded || 0);

// Addresses of the src and dst cells of each row of a flow table.
async function rowHosts(tableId) {
  return flowsentry((id) => [...document.querySelectorAll(`#${id} tbody tr`)].map((tr) => [...tr.querySelectorAll('a.host')].map((a) => a.dataset.host)), tableId);
}

// The time span (seconds) the axis of a chart shows and the data it holds.
const kpiAxis = (id) => chartOption(id, (o) => ({ min: o.xAxis[0].min / 1000, max: o.xAxis[0].max / 1000, ts: o.series.flatMap((s) => s.data.filter((d) => d[1] !== null).map((d) => d[0] / 1000)), symbols: o.series.every((s) => s.showSymbol) }));
const timelineZoom = () => chartOption('chart-timeline', (o) => ({ from: o.dataZoom[0].startValue / 1000, to: o.dataZoom[0].endValue / 1000, xmin: o.xAxis[0].min / 1000, xmax: o.xAxis[0].max / 1000 }));

describe('hosts view and time axes in chromium', { timeout: 300000 }, () => {
  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'flowsentry-hosts-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    if (useMock) {
      server = new ServerProcess(process.execPath, [join(here, 'mock_server.mjs'), '--port', String(port)], repo);
    } else {
      const binary = process.env.FLOWSENTRY_BINARY;
      assert.ok(binary, 'set FLOWSENTRY_BINARY to the flowsentry binary (or FLOWSENTRY_DASHBOARD_SERVER=mock)');
      const file = await replayFile(binary);
      const args = ['demo', '--port', String(port), '--db', join(tmp, 'demo.db'), '--eps', String(REPLAY_EPS), '--once', '--data', file];
      server = new ServerProcess(binary, args, repo);
    }
    await server.until('/readyz', async () => (await fetch(`${base}/readyz`)).ok);
    if (!useMock) {
      await server.until(`${REPLAY_FLOWS} stored flows`, async () => (await api('/api/v1/summary?window=15m')).flows >= REPLAY_FLOWS);
    }
    hostRoutes = (await fetch(`${base}/api/v1/hosts/top?window=15m`)).status !== 404;
    browser = await launchChromium();
    page = await watchedPage(browser, errors);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('the Raw KPI charts and the timeline show a replay of a few seconds at 5,000 flows/s', async (t) => {
    if (useMock) return t.skip('the mock has no replay');
    await openLive();
    const pts = await flowsentry(() => window.__flowsentry.cache.sorted.map((p) => p.t));
    const span = Math.max(...pts) - Math.min(...pts);
    console.log(`# ${REPLAY_FLOWS} flows at ${REPLAY_EPS}/s span ${span.toFixed(1)} s of the 15 min window`);
    assert.ok(span < 30, `the replay lands within seconds (${span} s)`);
    for (const id of ['chart-kpi-load', 'chart-kpi-pkts', 'chart-kpi-jit', 'chart-kpi-tcp']) {
      const a = await kpiAxis(id);
      assert.ok(a.ts.length > 0, `${id} has values`);
      assert.ok(a.symbols, `${id}: few buckets are drawn as symbols, not an invisible line`);
      assert.ok(a.max - a.min < 120, `${id}: the axis fits the data (${(a.max - a.min).toFixed(0)} s), not days`);
      for (const t0 of a.ts) assert.ok(t0 >= a.min && t0 <= a.max, `${id}: every value is on the axis`);
    }
    const z = await timelineZoom();
    assert.ok(z.to - z.from < 120, `the timeline zooms to the data (${(z.to - z.from).toFixed(0)} s)`);
    assert.ok(Math.min(...pts) >= z.from && Math.max(...pts) <= z.to, 'every point in view');
    assert.ok(z.xmax - z.xmin >= 899, 'the slider still spans the window');
    assert.equal(await page.locator('[data-testid=btn-zoom]').textContent(), 'Whole window');
    await screenshot('dashboard-replay-5k', { fullPage: true });

    await page.locator('[data-testid=btn-zoom]').click();
    const whole = await timelineZoom();
    assert.ok(whole.to - whole.from >= 899, 'whole window on request');
    const k = await kpiAxis('chart-kpi-load');
    assert.ok(k.max - k.min >= 899, 'the KPI axes follow');
    assert.match(page.url(), /zoom=window/);
    assert.equal(await page.locator('[data-testid=btn-zoom]').textContent(), 'Zoom to data');
    await page.locator('[data-testid=btn-zoom]').click();
    const back = await timelineZoom();
    assert.ok(back.to - back.from < 120, 'zoom to data again');
  });

  it("the Drift chart's legend stays off its axis title, wide and narrow", async () => {
    for (const size of [WIDE, NARROW]) {
      await page.setViewportSize(size);
      await openLive();
      await page.waitForTimeout(200);
      const boxes = await flowsentry(() => {
        const c = window.__flowsentry.charts()['chart-drift'];
        const names = new Set(c.getOption().series.map((s) => s.name));
        const rect = (e) => {
          const r = e.getBoundingRect().clone();
          r.applyTransform(e.getComputedTransform());
          return { x: r.x, y: r.y, w: r.width, h: r.height, text: e.style.text };
        };
        const texts = c.getZr().storage.getDisplayList(true).filter((e) => e.style && typeof e.style.text === 'string');
        return { title: texts.filter((e) => e.style.text === 'divergence').map(rect), legend: texts.filter((e) => names.has(e.style.text)).map(rect) };
      });
      assert.equal(boxes.title.length, 1, 'the axis has its title');
      assert.ok(boxes.legend.length > 0, 'the legend is drawn');
      const [a] = boxes.title;
      for (const b of boxes.legend) {
        const apart = a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y;
        assert.ok(apart, `at ${size.width} px the legend item "${b.text}" overlaps the axis title: ${JSON.stringify([a, b])}`);
      }
    }
    await page.setViewportSize(WIDE);
  });

  it('the Hosts view lists top talkers and top anomalous hosts', async (t) => {
    if (!hostRoutes) return t.skip('this server has no /api/v1/hosts routes yet');
    await openLive();
    await page.locator('[data-testid=tab-hosts]').click();
    await hostsLoaded(1);
    assert.match(page.url(), /#\/hosts$/);
    assert.ok((await rowCount('table-talkers')) > 0, 'top talkers listed');
    assert.ok((await rowCount('table-anomalous')) > 0, 'top anomalous hosts listed');
    const byFlows = await flowsentry(() => window.__flowsentry.cache.talkers.map((h) => h.flows));
    assert.deepEqual(byFlows, [...byFlows].sort((a, b) => b - a), 'ordered by flows');
    const anomalies = await flowsentry(() => window.__flowsentry.cache.anomalous.map((h) => h.anomalies));
    assert.deepEqual(anomalies, [...anomalies].sort((a, b) => b - a), 'ordered by anomalies');
    assert.ok(anomalies.every((n) => n > 0), 'only hosts with anomalies');

    let n = await loads();
    await page.locator('[data-testid=talkers-by]').selectOption('bytes');
    await hostsLoaded(n + 1);
    const byBytes = await flowsentry(() => window.__flowsentry.cache.talkers.map((h) => h.bytes));
    assert.deepEqual(byBytes, [...byBytes].sort((a, b) => b - a), 'ordered by bytes');
    assert.match(page.url(), /tby=bytes/);
    n = await loads();
    await page.locator('[data-testid=talkers-role]').selectOption('src');
    await hostsLoaded(n + 1);
    assert.match(page.url(), /trole=src/);
    assert.ok((await rowCount('table-talkers')) > 0, 'sources listed');
    await screenshot('hosts-light');
  });

  it('a click on a host in the anomalies table opens its page; back returns', async (t) => {
    if (!hostRoutes) return t.skip('this server has no /api/v1/hosts routes yet');
    await openLive();
    const link = page.locator('#table-recent tbody a.host').first();
    const ip = await link.getAttribute('data-host');
    assert.ok(ip, 'the anomalies table names hosts');
    const n = await loads();
    await link.click();
    await hostsLoaded(n + 1);
    assert.ok(page.url().endsWith(`#/hosts/${encodeURIComponent(ip)}`), `the host page is addressable: ${page.url()}`);
    assert.equal(await page.locator('[data-testid=host-title]').textContent(), ip);
    assert.ok(await page.locator('[data-testid=host-page]').isVisible());
    assert.ok(Number((await page.locator('[data-testid=host-flows]').textContent()).replace(/[^\d.]/g, '')) > 0, 'its flows are counted');
    const timeline = await chartOption('chart-host-timeline', (o) => o.series.map((s) => s.data.length));
    assert.ok(timeline.every((len) => len > 0), `timeline series have data: ${timeline}`);
    const graph = await chartOption('chart-host-peers', (o) => ({ nodes: o.series[0].data.map((d) => d.name), links: o.series[0].links.length }));
    assert.equal(graph.nodes[0], ip, 'the host is in the middle of its peer graph');
    assert.ok(graph.nodes.length >= 2 && graph.links === graph.nodes.length - 1, `peers in the graph: ${JSON.stringify(graph)}`);
    assert.ok((await rowCount('table-host-peers')) > 0, 'peers listed');
    assert.ok((await rowCount('table-host-ports')) > 0, 'ports listed');
    const flows = await rowHosts('table-host-flows');
    assert.ok(flows.length > 0, 'its flows listed');
    for (const hosts of flows) assert.ok(hosts.includes(ip), `each flow is from or to ${ip}: ${hosts}`);
    await screenshot('host-light', { fullPage: true });

    const peer = await page.locator('#table-host-peers tbody a.host').first().getAttribute('data-host');
    await page.locator('#table-host-peers tbody a.host').first().click();
    await page.waitForFunction((p) => document.getElementById('host-title').textContent === p, peer);
    await page.goBack();
    await page.waitForFunction((p) => document.getElementById('host-title').textContent === p, ip);
    await page.goBack();
    await page.waitForFunction(() => !document.getElementById('view-live').classList.contains('hidden'));
    assert.ok(!page.url().includes('#'), 'back to the Live view');
  });

  it('an alert naming a host links to its page, which lists the alert', async (t) => {
    if (!hostRoutes) return t.skip('this server has no /api/v1/hosts routes yet');
    await openLive();
    const link = page.locator('#table-alerts [data-testid=alert-hosts] a.host').first();
    assert.ok((await link.count()) > 0, 'an alert names its hosts (the replay has a port scan)');
    const ip = await link.getAttribute('data-host');
    const n = await loads();
    await link.click();
    await hostsLoaded(n + 1);
    assert.equal(await page.locator('[data-testid=host-title]').textContent(), ip);
    assert.ok((await rowCount('table-host-alerts')) > 0, `the host page lists the alerts naming ${ip}`);
    // Opened directly, as from a link in an alert message.
    await page.goto(`${base}/?refresh=0#/hosts/${encodeURIComponent(ip)}`);
    await hostsLoaded(1);
    assert.equal(await page.locator('[data-testid=host-title]').textContent(), ip);
  });

  it('the host filter narrows the flow tables to an address or a network', async (t) => {
    if (!hostRoutes) return t.skip('this server has no /api/v1/hosts routes yet');
    await openLive();
    const ip = await page.locator('#table-recent tbody a.host').first().getAttribute('data-host');
    const refreshed = async (value) => {
      const n = await flowsentry(() => window.__flowsentry.refreshes);
      await page.locator('[data-testid=ctl-host]').fill(value);
      await page.locator('[data-testid=ctl-host]').dispatchEvent('change');
      await page.waitForFunction((k) => window.__flowsentry.refreshes > k, n);
    };
    await refreshed(ip);
    assert.match(page.url(), new RegExp(`host=${encodeURIComponent(ip)}`));
    for (const table of ['table-recent', 'table-top']) {
      const rows = await rowHosts(table);
      assert.ok(rows.length > 0, `${table} has the host's anomalies`);
      for (const hosts of rows) assert.ok(hosts.includes(ip), `${table}: ${hosts} involves ${ip}`);
    }
    const scores = await flowsentry(() => window.__flowsentry.cache.top.map((f) => f.score));
    assert.deepEqual(scores, [...scores].sort((a, b) => b - a), 'top 10 ordered by score');
    // The CSV export honours the filter: the table's rows, each involving the host.
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-testid=csv-recent]').click()]);
    const [head, ...lines] = (await readFile(await download.path(), 'utf8')).trim().split(/\r?\n/);
    const [si, di] = ['srcip', 'dstip'].map((c) => head.split(',').indexOf(c));
    assert.equal(lines.length, await rowCount('table-recent'), 'the CSV has the rows of the table');
    for (const l of lines) assert.ok([si, di].some((i) => l.split(',')[i] === ip), `CSV row involves ${ip}: ${l}`);
    if (!ip.includes(':')) {
      const net = ip.split('.').slice(0, 3).join('.');
      await refreshed(`${net}.0/24`);
      for (const hosts of await rowHosts('table-recent')) assert.ok(hosts.some((h) => h.startsWith(`${net}.`)), `${hosts} in ${net}.0/24`);
    }
    await page.locator('[data-testid=ctl-host]').fill('not-an-address');
    await page.locator('[data-testid=ctl-host]').dispatchEvent('change');
    assert.ok(await page.locator('[data-testid=ctl-host]').evaluate((e) => e.classList.contains('invalid')), 'a bad filter is marked, not sent');
    await refreshed('');
    assert.doesNotMatch(page.url(), /host=/);
  });

  it('logs no console errors', () => {
    assert.deepEqual(errors, []);
  });
});
