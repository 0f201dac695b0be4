// flowsentry dashboard entry point: owns the view state, the refresh loop and the data cache;
// the views render from the cache so a control that needs no new data (threshold, burst, EMA,
// theme) redraws without asking the server.
import { downloadCsv, getJson, postJson } from './api.js';
import { allCharts, disposeAll, resizeAll } from './charts.js';
import { bindControls, setFilterOptions, syncControls } from './controls.js';
import { renderHostPage, renderTopHosts } from './hosts_view.js';
import { kpiOffset, renderDriftChart, renderHeatmap, renderKpis, renderMix, renderTimeline, sortPoints, zoomTimeAxes } from './live_charts.js';
import { renderModel } from './model_view.js';
import { WINDOWS, apiParams, readRoute, readUrl, windowSeconds, writeUrl } from './state.js';
import { bindFlowTable, closeDrawer, drawerFlowNow, renderAlerts, renderDrawer, renderDriftEvents, renderFlowTable } from './tables.js';
import { alertFeedback, bindDrawerFeedback, bindFeedbackView, loadFeedbackView } from './feedback_view.js';
import { $, dataExtent, fmtNum, fmtPct, fmtTime, looksLikeHost, visibleRange } from './util.js';

const POINT_LIMIT = 10000;
const state = readUrl();
const cache = {
  summary: null, points: null, sorted: null, kpis: null, mixProto: null, mixState: null, heatmap: null, recent: null, top: null, drift: null, alerts: null, model: null,
  talkers: null, anomalous: null, host: null, hostFlows: null,
};
// With a host filter the anomaly tables come from /api/v1/flows; the top 10 by score is taken
// from this many of the host's newest anomalies.
const HOST_TOP_SCAN = 1000;
const debug = { refreshes: 0, errors: [], charts: allCharts, state, cache, derived: {} };
window.__flowsentry = debug;

let inflight = null;
let again = false;
let timer = null;
const options = { key: '', at: 0 };
let manualZoom = null; // {from, to} once the user zoomed the timeline himself

const view = () => readRoute(state).view;

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

// What the time axes show (see util.visibleRange): the timeline's points and the KPI buckets
// decide where the data is; the drift chart adds its events (`extra`).
function axisView(extra = []) {
  const r = range();
  if (state.zoom === 'manual' && manualZoom) return manualZoom;
  const times = [...extra];
  const sorted = cache.sorted || [];
  if (sorted.length) times.push(sorted[0].t, sorted[sorted.length - 1].t);
  const half = kpiOffset(cache.kpis);
  for (const p of (cache.kpis && cache.kpis.points) || []) times.push(p.t + half);
  return visibleRange(r, dataExtent(r, times), state.zoom);
}

function updateZoomButton() {
  const r = range();
  const v = axisView();
  const fitted = state.zoom !== 'manual' && (v.from > r.from + 1 || v.to < r.to - 1);
  $('btn-zoom').textContent = fitted ? 'Whole window' : 'Zoom to data';
  $('btn-zoom').dataset.fitted = String(fitted);
}

function toggleZoom() {
  state.zoom = $('btn-zoom').dataset.fitted === 'true' ? 'window' : 'data';
  manualZoom = null;
  writeUrl(state);
  renderView();
  if (cache.kpis) renderKpis(cache.kpis, axisView());
  if (cache.drift) renderDriftChart(cache.drift, range(), axisView(cache.drift.map((e) => e.time)));
}

// The user dragged or wheeled the timeline's zoom: the KPI axes follow it.
function followUserZoom() {
  const c = allCharts()['chart-timeline'];
  if (!c || c.__followed) return;
  c.__followed = true;
  c.on('datazoom', () => {
    const dz = c.getOption().dataZoom[0];
    if (!Number.isFinite(dz.startValue) || !Number.isFinite(dz.endValue)) return;
    manualZoom = { from: dz.startValue / 1000, to: dz.endValue / 1000 };
    state.zoom = 'manual';
    zoomTimeAxes(manualZoom);
    updateZoomButton();
  });
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
    const zoom = state.zoom === 'manual' ? null : axisView();
    debug.derived = renderTimeline(cache.sorted, state, thr, cache.drift, range(), zoom);
    followUserZoom();
    updateZoomButton();
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
    ['kpis', () => cache.kpis && renderKpis(cache.kpis, axisView())],
    ['mix', () => {
      if (cache.mixProto) renderMix('chart-mix-proto', cache.mixProto);
      if (cache.mixState) renderMix('chart-mix-state', cache.mixState);
    }],
    ['heatmap', () => cache.heatmap && renderHeatmap(cache.heatmap)],
    ['drift', () => {
      if (!cache.drift) return;
      renderDriftChart(cache.drift, range(), axisView(cache.drift.map((e) => e.time)));
      renderDriftEvents(cache.drift, cache.alerts || []);
      const n = cache.drift.length;
      $('drift-sub').textContent = `${n} event${n === 1 ? '' : 's'}`;
    }],
    ['tables', () => {
      $('host-filter-badge').textContent = state.host ? `host ${state.host}` : '';
      $('host-filter-badge').classList.toggle('hidden', !state.host);
      for (const id of ['csv-recent', 'csv-top']) {
        $(id).disabled = Boolean(state.host);
        $(id).title = state.host ? 'CSV export takes no host filter: clear it to export' : '';
      }
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
  if (view() !== 'live') return;
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
    recent: state.host
      ? getJson('/api/v1/flows', with_({ host: state.host, anomalies: true, limit: state.rows }), ctl.signal)
      : getJson('/api/v1/anomalies/recent', with_({ limit: state.rows }), ctl.signal),
    top: state.host
      ? getJson('/api/v1/flows', with_({ host: state.host, anomalies: true, limit: HOST_TOP_SCAN }), ctl.signal)
      : getJson('/api/v1/anomalies/top', with_({ limit: Math.min(10, state.rows) }), ctl.signal),
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
        cache.recent = v.flows || [];
        break;
      case 'top':
        cache.top = state.host ? [...(v.flows || [])].sort((a, b) => b.score - a.score).slice(0, Math.min(10, state.rows)) : v.flows || [];
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
  const v = view();
  if (state.refresh > 0 && v !== 'model' && v !== 'feedback') timer = setInterval(() => {
    if (document.hidden) return;
    if (view() === 'hosts') loadHosts();
    else refresh();
  }, state.refresh * 1000);
}

async function alertAction(id, act) {
  if (['tp', 'fp', 'expected', 'suppress'].includes(act)) {
    const alert = (cache.alerts || []).find((a) => a.id === id);
    try {
      if (alert) $('alerts-feedback-status').textContent = `Alert ${id}: ${await alertFeedback(alert, act)}`;
    } catch (e) {
      showError(`Alert ${id}: ${e.message}`);
    }
    if (cache.alerts) renderAlerts(cache.alerts, alertAction);
    return;
  }
  const path = `/api/v1/alerts/${encodeURIComponent(id)}/${act === 'ack' ? 'ack' : 'snooze'}`;
  const body = act === 'ack' ? { acknowledged: true } : { until: act === 'snooze' ? Math.floor(Date.now() / 1000) + 3600 : null };
  try {
    await postJson(path, body);
    const alerts = await getJson('/api/v1/alerts', apiParams(state, { limit: state.rows }));
    cache.alerts = alerts.alerts || [];
    renderAlerts(cache.alerts, alertAction);
    renderTiles(null);
    if (view() === 'hosts') loadHosts();
  } catch (e) {
    showError(`Alert ${id}: ${e.message}`);
  }
}

// ---- the Hosts view ----
let hostsInflight = null;

function hostsRange() {
  if (state.window === 'custom') return { from: state.from, to: state.to };
  const now = Date.now() / 1000;
  return { from: now - windowSeconds(state), to: now };
}

function renderHosts() {
  const { ip } = readRoute(state);
  if (ip && cache.host && cache.host.ip === ip) renderHostPage(cache.host, cache.hostFlows || [], hostsRange());
  if (!ip && cache.talkers) renderTopHosts('table-talkers', 'talkers-empty', cache.talkers, state.talkersBy);
  if (!ip && cache.anomalous) renderTopHosts('table-anomalous', 'anomalous-empty', cache.anomalous, 'anomalies');
}

// The list (top talkers, top anomalous hosts) or one host's page, whichever the route shows.
async function loadHosts() {
  const { ip } = readRoute(state);
  hostsInflight?.abort();
  const ctl = new AbortController();
  hostsInflight = ctl;
  const plain = (extra) => apiParams({ ...state, proto: [], service: [], state: [] }, extra);
  try {
    if (ip) {
      const [host, flows] = await Promise.all([
        getJson(`/api/v1/hosts/${encodeURIComponent(ip)}`, plain(), ctl.signal),
        getJson('/api/v1/flows', plain({ host: ip, limit: state.rows }), ctl.signal),
      ]);
      cache.host = { ...host, ip: host.ip || ip };
      cache.hostFlows = [...(flows.flows || [])].sort((a, b) => b.stime - a.stime);
    } else {
      const [talkers, anomalous] = await Promise.all([
        getJson('/api/v1/hosts/top', plain({ by: state.talkersBy, role: state.talkersRole, limit: 20 }), ctl.signal),
        getJson('/api/v1/hosts/top', plain({ by: 'anomalies', role: state.anomalousRole, limit: 20 }), ctl.signal),
      ]);
      cache.talkers = talkers.hosts || [];
      cache.anomalous = (anomalous.hosts || []).filter((h) => h.anomalies > 0);
    }
    showError('');
    renderHosts();
    $('last-refresh').textContent = `updated ${fmtTime(Date.now() / 1000)}`;
  } catch (e) {
    if (e.name === 'AbortError') return;
    showError(`Could not load ${ip ? `host ${ip}` : 'the hosts'}: ${e.message}`);
  } finally {
    if (hostsInflight === ctl) hostsInflight = null;
  }
  debug.hostsLoaded = (debug.hostsLoaded || 0) + 1;
}

function syncHostsControls() {
  const w = $('hosts-window');
  w.value = state.window;
  $('talkers-by').value = state.talkersBy;
  $('talkers-role').value = state.talkersRole;
  $('anomalous-role').value = state.anomalousRole;
}

function bindHostsControls() {
  $('hosts-window').addEventListener('change', () => {
    const w = $('hosts-window').value;
    if (!(w in WINDOWS)) return;
    state.window = w;
    writeUrl(state);
    loadHosts();
  });
  for (const [id, key] of [['talkers-by', 'talkersBy'], ['talkers-role', 'talkersRole'], ['anomalous-role', 'anomalousRole']]) {
    $(id).addEventListener('change', () => {
      state[key] = $(id).value;
      writeUrl(state);
      loadHosts();
    });
  }
  $('host-go').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const v = $('host-search').value.trim();
    const ok = looksLikeHost(v) && !v.includes('/');
    $('host-search').classList.toggle('invalid', !ok);
    if (ok) location.hash = `#/hosts/${encodeURIComponent(v)}`;
  });
  $('btn-hosts-refresh').addEventListener('click', () => loadHosts());
  $('host-filter-live').addEventListener('click', () => {
    state.host = readRoute(state).ip || '';
    setTab('live');
  });
}

// ---- pages ----
// Shows the page of the current URL: Live, Model, Feedback (?tab=) or Hosts (#/hosts[/ip]).
function show() {
  const route = readRoute(state);
  for (const v of ['live', 'hosts', 'model', 'feedback']) $(`view-${v}`).classList.toggle('hidden', route.view !== v);
  for (const b of document.querySelectorAll('.tabs button')) b.setAttribute('aria-selected', String(b.dataset.tab === route.view));
  closeDrawer();
  if (route.view === 'model') {
    if (cache.model) renderModel(cache.model);
    else loadModel();
  } else if (route.view === 'feedback') {
    loadFeedbackView(showError);
  } else if (route.view === 'hosts') {
    $('hosts-list').classList.toggle('hidden', Boolean(route.ip));
    $('host-page').classList.toggle('hidden', !route.ip);
    syncHostsControls();
    loadHosts();
  } else {
    syncControls(state, threshold());
    refresh(true);
  }
  schedule();
  requestAnimationFrame(resizeAll);
}

// Hosts is a hash route (a new history entry, so back returns); Live and Model drop the hash.
function setTab(tab) {
  if (tab === 'hosts') {
    if (location.hash !== '#/hosts') location.hash = '#/hosts';
    else show();
    return;
  }
  state.tab = tab;
  if (location.hash) history.pushState(null, '', location.pathname + location.search);
  writeUrl(state);
  show();
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
  if (cache.model && view() === 'model') renderModel(cache.model);
  if (view() === 'hosts') renderHosts();
}

function csv(kind) {
  if (state.host) return; // the buttons are off: the CSV routes take no host filter
  const limit = kind === 'top' ? Math.min(10, state.rows) : state.rows;
  downloadCsv(`/api/v1/anomalies/${kind}`, apiParams(state, { limit, format: 'csv' }), `flowsentry-anomalies-${kind}.csv`).catch((e) => showError(e.message));
}

function init() {
  bindControls(state, (kind) => {
    if (kind === 'data' && state.zoom === 'manual') state.zoom = 'auto';
    writeUrl(state);
    if (kind === 'data') refresh(true);
    else if (kind === 'timer') schedule();
    else renderView();
  });
  bindFlowTable('table-recent');
  bindFlowTable('table-top');
  bindFlowTable('table-host-flows');
  bindHostsControls();
  $('btn-zoom').addEventListener('click', toggleZoom);
  // Back and forward through pivots (hash links, pushState): show what the URL says now.
  window.addEventListener('popstate', () => {
    state.tab = readUrl().tab;
    show();
  });
  $('drawer-close').addEventListener('click', closeDrawer);
  bindDrawerFeedback(drawerFlowNow, showError);
  bindFeedbackView(showError);
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
  show();
}

init();
