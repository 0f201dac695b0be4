// First paint of the dashboard over a long window, in Debian's chromium (playwright-core).
//   node web/bench/first_paint.mjs --url http://127.0.0.1:PORT --from EPOCH --to EPOCH [--runs 5]
// Opens the dashboard with a custom window and auto-refresh off, waits for its first complete
// refresh (every panel fetched and drawn) and prints navigation-to-paint, API and render times
// and the longest main-thread task, per run and as p50 / max.
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';

const { values: opt } = parseArgs({
  options: {
    url: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    runs: { type: 'string', default: '5' },
  },
});
if (!opt.url || !opt.from || !opt.to) {
  console.error('usage: first_paint.mjs --url URL --from EPOCH --to EPOCH [--runs N]');
  process.exit(2);
}

// A paint of an empty window proves nothing: the window must hold the flows.
const summary = await (await fetch(`${opt.url}/api/v1/summary?from=${opt.from}&to=${opt.to}`)).json();
if (!summary.flows) {
  console.error(`no flows in the window: ${JSON.stringify(summary)}`);
  process.exit(1);
}
console.log(`window holds ${summary.flows} flows (${summary.anomalies} anomalies)`);

const browser = await chromium.launch({
  executablePath: process.env.FLOWSENTRY_CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--no-first-run'],
});
const results = [];
try {
  for (let i = 0; i < Number(opt.runs); i++) {
    // A fresh context per run: nothing cached from the previous one.
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    await page.addInitScript(() => {
      window.__longtasks = [];
      new PerformanceObserver((l) => l.getEntries().forEach((e) => window.__longtasks.push(Math.round(e.duration))))
        .observe({ type: 'longtask', buffered: true });
    });
    const errors = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    const t0 = Date.now();
    await page.goto(`${opt.url}/?window=custom&from=${opt.from}&to=${opt.to}&refresh=0`);
    await page.waitForFunction(() => window.__flowsentry && window.__flowsentry.refreshes >= 1,
      null, { timeout: 60000 });
    const wall = Date.now() - t0;
    const r = await page.evaluate(() => ({
      timing: window.__flowsentry.timing,
      longest: Math.max(0, ...(window.__longtasks || [])),
      errors: window.__flowsentry.errors,
    }));
    if (errors.length || r.errors.length) throw new Error(`page errors: ${[...errors, ...r.errors]}`);
    // The page's own clock: from navigation start to every panel drawn.
    const paint = r.timing.page_ms;
    results.push({ paint, wall, api: r.timing.fetch_ms, render: r.timing.render_ms, longest: r.longest });
    console.log(`run ${i + 1}: first paint ${paint} ms after navigation start (API ${r.timing.fetch_ms} ms, render ${r.timing.render_ms} ms, longest task ${r.longest} ms; ${wall} ms including browser-side setup)`);
    await context.close();
  }
} finally {
  await browser.close();
}
const stat = (k) => {
  const v = results.map((r) => r[k]).sort((a, b) => a - b);
  return `p50 ${v[Math.floor((v.length - 1) / 2)]} ms, max ${v[v.length - 1]} ms`;
};
console.log(`first paint: ${stat('paint')}; with browser setup: ${stat('wall')}; API: ${stat('api')}; render: ${stat('render')}; longest task: ${stat('longest')}`);
