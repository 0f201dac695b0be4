// flowsentry dashboard entry point: owns the view state, the refresh loop and the data cache;
// the views render from the cache so a control that needs no new data (threshold, burst, EMA,
// theme) redraws without asking the server.
import { downloadCsv, getJson, postJson } from './api.js';
import { allCharts, disposeAll, resizeAll } from './charts.js';
import { bindControls, setFilterOptions, syncControls } from './controls.js';
import { renderDriftChart, renderHeatmap, renderKpis, renderMix, renderTimeline, sortPoints } from './live_charts.js';
import { renderModel } from './model_view.js';
import { apiParams, readUrl, windowSeconds, writeUrl } from './state.js';
import { bindFlowTable, closeDrawer, renderAlerts, renderDrawer, renderDriftEvents, renderFlowTable } from './tables.js';
import { $, fmtNum, fmtPct, fmtTime } from './util.js';

const POINT_LIMIT = 10000;
const state = readUrl();
const cache = { summary: null, points: null, sorted: null, kpis: null, mixProto: null, mixState: null, heatmap: null, recent: null, top: null, drift: null, alerts: null, model: null };
const debug = { refreshes: 0, errors: [], charts: allCharts, state, cache, derived: {} };
window.__flowsentry = debug;

let inflight = null;
let again = false;
let timer = null;
const options = { key: '', at: 0 };

function threshold() {
  if (state.threshold !== null) return state.threshold;
  return cache.summary && Number.isFinite(cache.summary.threshold) ? cache.summary.threshold : 0.5;
}

// The time range the view covers: the server's answer when there is one, else computed.
function range() {
  if (state.window === 'custom') return { from: state.from, to: state.to };
  const s = cache.summary;
  if (s && Number.isFinite(s.from) && Number.isFinite(s.to)) return { from: s.from, to: s.to };
  const now = Date.now() / 1000;
  return { from: now - windowSeconds(state), to: now };
}

function showError(message) {
  const b = $('error-banner');
  b.textContent = message || '';
  b.classList.toggle('hidden', !message);
  $('status-dot').className = 'status-dot ' + (message ? 'err' : 'ok');
}

// ---- rendering from the cache ----
function renderTiles(derived) {
  const s = cache.summary;
  if (s) {
    $('tile-fps').textContent = fmtNum(s.flows_per_second, 1);
    $('tile-flows').textContent = `${fmtNum(s.flows)} flows in window`;
    $('tile-rate').textContent = fmtPct(s.anomaly_rate);
    const unalerted = s.anomaly_alerts === 'off_uncalibrated';
    $('tile-rate-sub').textContent = `${fmtNum(s.anomalies)} at model threshold ${Number(s.threshold).toFixed(2)}` +
      (unalerted ? ' · not alerted: model not calibrated for this site' : '');
    $('tile-rate-sub').title = unalerted
      ? 'The model was trained on UNSW-NB15 and flags much normal traffic of other networks. Run flowsentry calibrate on known-good traffic of this site; behaviour detectors alert meanwhile.'
      : '';
    $('tile-latency').textContent = s.latency_p95_ms === null || s.latency_p95_ms === undefined ? '—' : fmtNum(s.latency_p95_ms, 1);
    const drift = s.drift_status === 'drift';
    $('tile-drift').textContent = drift ? 'drift' : 'ok';
    $('tile-drift').className = 'tile-value ' + (drift ? 'bad' : 'ok');
    const nDrift = (cache.drift || []).length;
    $('tile-drift-sub').textContent = `${nDrift} event${nDrift === 1 ? '' : 's'} in window`;
    $('tile-alerts').textContent = fmtNum(s.alerts_in_window);
    const open = (cache.alerts || []).filter((a) => !a.acknowledged).length;
    $('tile-alerts-sub').textContent = `${open} open`;
    $('model-version').textContent = s.model_version || '';
  }
  if (derived) {
    $('tile-count').textContent = fmtNum(derived.anomalies);
    const thinned = cache.summary && cache.summary.flows > derived.points;
    $('tile-count-sub').textContent = `of ${fmtNum(derived.points)} ${thinned ? 'sampled ' : ''}points, ≥ ${threshold().toFixed(2)}`;
    $('tile-bursts').textContent = fmtNum(derived.bursts);
    $('tile-bursts-sub').textContent = `≥ ${state.burstHits} hits in ${state.burstWindow} s`;
  }
}

function renderView() {
  const thr = threshold();
  syncControls(state, thr);
  if (cache.sorted) {
    debug.derived = renderTimeline(cache.sorted, state, thr, cache.drift, range());
    $('timeline-sub').textContent = `${fmtNum(cache.sorted.length)} points · ${fmtTime(range().from)} – ${fmtTime(range().to)}`;
  }
  renderTiles(cache.sorted ? debug.derived : null);
}

// Each panel is drawn in its own task, so a refresh never blocks input for the whole redraw;
// a newer render supersedes one still in progress.
let renderGeneration = 0;
const nextTask = () => new Promise((r) => setTimeout(r, 0));

async function renderData() {
  const generation = ++renderGeneration;
  const times = {};
  const steps = [
    ['timeline', () => renderView()],
    ['kpis', () => cache.kpis && renderKpis(cache.kpis)],
    ['mix', () => {
      if (cache.mixProto) renderMix('chart-mix-proto', cache.mixProto);
      if (cache.mixState) renderMix('chart-mix-state', cache.mixState);
    }],
    ['heatmap', () => cache.heatmap && renderHeatmap(cache.heatmap)],
    ['drift', () => {
      if (!cache.drift) return;
      renderDriftChart(cache.drift, range());
      renderDriftEvents(cache.drift, cache.alerts || []);
      const n = cache.drift.length;
      $('drift-sub').textContent = `${n} event${n === 1 ? '' : 's'}`;
    }],
    ['tables', () => {
      if (cache.recent) renderFlowTable('table-recent', 'recent-empty', cache.recent);
      if (cache.top) renderFlowTable('table-top', 'top-empty', cache.top);
      if (cache.alerts) renderAlerts(cache.alerts, alertAction);
    }],
  ];
  for (const [name, fn] of steps) {
    if (generation !== renderGeneration) return false;
    const t = performance.now();
    fn();
    times[name] = Math.round(performance.now() - t);
    await nextTask();
  }
  debug.renderTimes = times;
  return true;
}

// ---- loading ----
// A timer tick while a refresh is running waits for it; a control change (`restart`) cancels
// it, since its answers are for the old view.
async function refresh(restart = false) {
  if (state.tab !== 'live') return;
  if (inflight) {
    if (!restart) {
      again = true;
      return;
    }
    inflight.abort();
  }
  const ctl = new AbortController();
  inflight = ctl;
  const t0 = performance.now();
  const p = apiParams(state);
  const plain = apiParams({ ...state, proto: [], service: [], state: [] }, { k: 30 });
  const with_ = (extra) => apiParams(state, extra);
  const jobs = {
    summary: getJson('/api/v1/summary', p, ctl.signal),
    points: getJson('/api/v1/points', with_({ limit: POINT_LIMIT }), ctl.signal),
    kpis: getJson('/api/v1/kpis', p, ctl.signal),
    mixProto: getJson('/api/v1/mix', with_({ column: 'proto', k: 8 }), ctl.signal),
    mixState: getJson('/api/v1/mix', with_({ column: 'state', k: 8 }), ctl.signal),
    heatmap: getJson('/api/v1/heatmap', p, ctl.signal),
    recent: getJson('/api/v1/anomalies/recent', with_({ limit: state.rows }), ctl.signal),
    top: getJson('/api/v1/anomalies/top', with_({ limit: Math.min(10, state.rows) }), ctl.signal),
    drift: getJson('/api/v1/drift', with_({ limit: 500 }), ctl.signal),
    alerts: getJson('/api/v1/alerts', with_({ limit: state.rows }), ctl.signal),
  };
  // The filter menus list the values seen in the window without filters; they change slowly,
  // so they are asked for when the window changes and then every 30 s.
  const optKey = plain.toString();
  if (optKey !== options.key || Date.now() - options.at > 30000) {
    options.key = optKey;
    options.at = Date.now();
    for (const column of ['proto', 'service', 'state']) {
      jobs[`opt:${column}`] = getJson('/api/v1/mix', new URLSearchParams({ ...Object.fromEntries(plain), column }), ctl.signal);
    }
  }
  const names = Object.keys(jobs);
  const results = await Promise.allSettled(Object.values(jobs));
  if (ctl.signal.aborted) {
    options.at = 0;
    return;
  }
  inflight = null;
  const t1 = performance.now();
  const errors = [];
  results.forEach((r, i) => {
    const name = names[i];
    if (r.status === 'rejected') {
      if (r.reason && r.reason.name !== 'AbortError') errors.push(r.reason.message || String(r.reason));
      return;
    }
    const v = r.value;
    switch (name) {
      case 'points':
        cache.points = v.points || [];
        cache.sorted = sortPoints(cache.points);
        break;
      case 'recent':
      case 'top':
        cache[name] = v.flows || [];
        break;
      case 'drift':
        cache.drift = v.events || [];
        break;
      case 'alerts':
        cache.alerts = v.alerts || [];
        break;
      case 'opt:proto':
      case 'opt:service':
      case 'opt:state': {
        const column = name.slice(4);
        setFilterOptions(state, column, (v.entries || []).map((e) => String(e.value)));
        break;
      }
      default:
        cache[name] = v;
    }
  });
  debug.errors = errors;
  showError(errors.length ? `Could not load: ${errors.join('; ')}` : '');
  const t2 = performance.now();
  await renderData();
  debug.timing = { fetch_ms: Math.round(t1 - t0), render_ms: Math.round(performance.now() - t2), page_ms: Math.round(performance.now()) };
  $('last-refresh').textContent = `updated ${fmtTime(Date.now() / 1000)}`;
  debug.refreshes++;
  if (again) {
    again = false;
    refresh();
  }
}

async function loadModel() {
  try {
    cache.model = await getJson('/api/v1/model');
    renderModel(cache.model);
    showError('');
  } catch (e) {
    showError(`Could not load the model: ${e.message}`);
  }
  debug.modelLoaded = (debug.modelLoaded || 0) + 1;
}

function schedule() {
  clearInterval(timer);
  timer = null;
  if (state.refresh > 0 && state.tab === 'live') timer = setInterval(() => {
    if (!document.hidden) refresh();
  }, state.refresh * 1000);
}

async function alertAction(id, act) {
  const path = `/api/v1/alerts/${encodeURIComponent(id)}/${act === 'ack' ? 'ack' : 'snooze'}`;
  const body = act === 'ack' ? { acknowledged: true } : { until: act === 'snooze' ? Math.floor(Date.now() / 1000) + 3600 : null };
  try {
    await postJson(path, body);
    const alerts = await getJson('/api/v1/alerts', apiParams(state, { limit: state.rows }));
    cache.alerts = alerts.alerts || [];
    renderAlerts(cache.alerts, alertAction);
    renderTiles(null);
  } catch (e) {
    showError(`Alert ${id}: ${e.message}`);
  }
}

function setTab(tab) {
  state.tab = tab;
  writeUrl(state);
  $('view-live').classList.toggle('hidden', tab !== 'live');
  $('view-model').classList.toggle('hidden', tab !== 'model');
  for (const b of document.querySelectorAll('.tabs button')) b.setAttribute('aria-selected', String(b.dataset.tab === tab));
  if (tab === 'model') {
    if (cache.model) renderModel(cache.model);
    else loadModel();
  } else {
    refresh();
  }
  schedule();
  requestAnimationFrame(resizeAll);
}

function toggleTheme() {
  const next = document.documentElement.dataset.theme === 'dark' ? 'light' : 'dark';
  document.documentElement.dataset.theme = next;
  try {
    localStorage.setItem('flowsentry.theme', next);
  } catch (e) {
    /* private mode: the theme just is not remembered */
  }
  // ECharts themes are fixed at init: recreate the charts and draw them from the cache.
  disposeAll();
  renderData();
  renderDrawer();
  if (cache.model && state.tab === 'model') renderModel(cache.model);
}

function csv(kind) {
  const limit = kind === 'top' ? Math.min(10, state.rows) : state.rows;
  downloadCsv(`/api/v1/anomalies/${kind}`, apiParams(state, { limit, format: 'csv' }), `flowsentry-anomalies-${kind}.csv`).catch((e) => showError(e.message));
}

function init() {
  bindControls(state, (kind) => {
    writeUrl(state);
    if (kind === 'data') refresh(true);
    else if (kind === 'timer') schedule();
    else renderView();
  });
  bindFlowTable('table-recent');
  bindFlowTable('table-top');
  $('drawer-close').addEventListener('click', closeDrawer);
  document.addEventListener('keydown', (e) => e.key === 'Escape' && closeDrawer());
  $('theme-toggle').addEventListener('click', toggleTheme);
  $('btn-refresh').addEventListener('click', () => refresh(true));
  $('csv-recent').addEventListener('click', () => csv('recent'));
  $('csv-top').addEventListener('click', () => csv('top'));
  for (const b of document.querySelectorAll('.tabs button')) b.addEventListener('click', () => setTab(b.dataset.tab));
  let resizeTimer = null;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(resizeAll, 120);
  });
  document.addEventListener('visibilitychange', () => !document.hidden && state.refresh > 0 && refresh());
  syncControls(state, state.threshold);
  writeUrl(state);
  setTab(state.tab);
}

init();
