// Tables and lists: anomalies (recent / top), alerts with acknowledge, snooze and feedback, drift
// events, and the flow detail drawer (with its feedback buttons, feedback_view.js). Rows are
// rebuilt with replaceChildren on the table body only.
import { axis, base, chart, colors } from './charts.js';
import { renderDrawerFeedback } from './feedback_view.js';
import { $, esc, fmtNum, fmtTime, hostLink } from './util.js';

const FLOW_COLUMNS = [
  { key: 'stime', label: 'time', fmt: (v) => fmtTime(v) },
  { key: 'score', label: 'score', num: true, fmt: (v) => `<span class="score-pill">${Number(v).toFixed(3)}</span>` },
  { key: 'attack_cat', label: 'attack_cat' },
  { key: 'srcip', label: 'src', fmt: (v) => hostLink(v) },
  { key: 'sport', label: 'sport', num: true },
  { key: 'dstip', label: 'dst', fmt: (v) => hostLink(v) },
  { key: 'dsport', label: 'dport', num: true },
  { key: 'proto', label: 'proto' },
  { key: 'service', label: 'service' },
  { key: 'state', label: 'state' },
  { key: 'sttl', label: 'sttl', num: true },
  { key: 'sload', label: 'sload', num: true, fmt: (v) => fmtNum(v) },
  { key: 'dload', label: 'dload', num: true, fmt: (v) => fmtNum(v) },
  { key: 'spkts', label: 'spkts', num: true },
];

// Flows shown in the tables, by table id, so a row click finds its flow.
const shown = new Map();

function flowHead(table) {
  const thead = table.querySelector('thead');
  if (thead.childElementCount) return;
  thead.innerHTML = '<tr>' + FLOW_COLUMNS.map((c) => `<th class="${c.num ? 'num' : ''}">${c.label}</th>`).join('') + '</tr>';
}

export function renderFlowTable(tableId, emptyId, flows) {
  const table = $(tableId);
  flowHead(table);
  shown.set(tableId, flows);
  const rows = flows.map((f, i) => {
    const tr = document.createElement('tr');
    tr.dataset.index = String(i);
    tr.innerHTML = FLOW_COLUMNS.map((c) => {
      const v = f[c.key];
      const text = v === null || v === undefined ? '' : c.fmt ? c.fmt(v) : esc(v);
      return `<td class="${c.num ? 'num' : ''}">${text}</td>`;
    }).join('');
    return tr;
  });
  table.querySelector('tbody').replaceChildren(...rows);
  $(emptyId).classList.toggle('hidden', flows.length > 0);
}

export function bindFlowTable(tableId) {
  $(tableId).querySelector('tbody').addEventListener('click', (ev) => {
    if (ev.target.closest('a')) return; // a host link pivots instead
    const tr = ev.target.closest('tr');
    if (!tr) return;
    const flow = (shown.get(tableId) || [])[Number(tr.dataset.index)];
    if (flow) openDrawer(flow);
  });
}

// ---- flow detail drawer ----
let drawerFlow = null;

export function drawerFlowNow() {
  return drawerFlow;
}

export function openDrawer(flow) {
  drawerFlow = flow;
  const d = $('drawer');
  d.classList.add('open');
  d.setAttribute('aria-hidden', 'false');
  renderDrawerFeedback(flow);
  renderDrawer();
}

export function closeDrawer() {
  drawerFlow = null;
  const d = $('drawer');
  d.classList.remove('open');
  d.setAttribute('aria-hidden', 'true');
}

export function renderDrawer() {
  const f = drawerFlow;
  if (!f) return;
  const prob = f.attack_cat_prob !== undefined && f.attack_cat_prob !== null ? ` (p = ${Number(f.attack_cat_prob).toFixed(2)})` : '';
  $('drawer-score').innerHTML =
    `<span class="big" data-testid="drawer-score">${Number(f.score).toFixed(4)}</span>` +
    `<span class="badge bad" data-testid="drawer-attack-cat">${esc(f.attack_cat || '—')}${esc(prob)}</span>` +
    `<span class="muted small">${esc(fmtTime(f.stime, true))} · ${esc(f.model_version || '')}</span>`;
  const skip = new Set(['top_features']);
  $('drawer-fields').innerHTML = Object.entries(f)
    .filter(([k]) => !skip.has(k))
    .map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(typeof v === 'object' ? JSON.stringify(v) : v)}</td></tr>`)
    .join('');
  const feats = Array.isArray(f.top_features) ? f.top_features : [];
  $('features-none').classList.toggle('hidden', feats.length > 0);
  $('chart-features').classList.toggle('hidden', feats.length === 0);
  if (!feats.length) return;
  const c = colors();
  const rows = [...feats].sort((a, b) => Math.abs(a.contribution) - Math.abs(b.contribution));
  chart('chart-features').resize();
  chart('chart-features').setOption(
    {
      ...base(),
      legend: { show: false },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, confine: true },
      grid: { left: 10, right: 40, top: 10, bottom: 40, containLabel: true },  // long feature names fit
      xAxis: axis('value', { name: 'contribution (log-odds)', nameLocation: 'middle', nameGap: 24, nameTextStyle: { color: c.muted } }),
      yAxis: axis('category', { data: rows.map((r) => `${r.feature} = ${fmtNum(Number(r.value))}`) }),
      series: [
        {
          name: 'contribution',
          type: 'bar',
          barMaxWidth: 18,
          data: rows.map((r) => ({ value: r.contribution, itemStyle: { color: r.contribution >= 0 ? c.anomaly : c.normal } })),
          label: { show: true, position: 'right', formatter: (p) => Number(p.value).toFixed(2), color: c.text },
        },
      ],
    },
    { replaceMerge: ['series'] },
  );
}

// ---- alerts ----
// The hosts an alert names: behaviour alerts carry payload.hosts = {src, dst}, each an address,
// a list of them or null; burst alerts may name their top sources and destinations the same way.
export function alertHosts(a) {
  const h = (a.payload && a.payload.hosts) || {};
  const out = [];
  for (const side of ['src', 'dst']) {
    const v = h[side];
    for (const ip of Array.isArray(v) ? v : [v]) {
      const s = typeof ip === 'string' ? ip : ip && typeof ip === 'object' ? ip.ip : null;
      if (s && !out.includes(s)) out.push(s);
    }
  }
  return out;
}

function hostsCell(a) {
  const hosts = alertHosts(a);
  const shown = hosts.slice(0, 3).map((ip) => hostLink(ip)).join(' ');
  return hosts.length > 3 ? `${shown} <span class="muted">+${hosts.length - 3}</span>` : shown;
}

function deliveryBadge(status) {
  const s = String(status || 'pending');
  const cls = s === 'sent' || s === 'delivered' ? 'ok' : s.startsWith('failed') ? 'bad' : 'warn';
  return `<span class="badge ${cls}" title="${esc(s)}">${esc(s.length > 24 ? s.slice(0, 24) + '…' : s)}</span>`;
}

export function renderAlerts(alerts, onAction) {
  const now = Date.now() / 1000;
  const rows = alerts.map((a) => {
    const tr = document.createElement('tr');
    tr.dataset.id = a.id;
    const snoozed = a.snoozed_until && a.snoozed_until > now;
    const state = a.acknowledged ? '<span class="badge ok">acknowledged</span>' : snoozed ? `<span class="badge warn">snoozed until ${esc(fmtTime(a.snoozed_until))}</span>` : '<span class="badge bad">open</span>';
    const summary = a.payload && a.payload.summary ? a.payload.summary : a.key;
    tr.innerHTML =
      `<td>${esc(fmtTime(a.created))}</td><td data-testid="alert-kind">${esc(a.kind || a.type)}</td><td>${esc(a.type)}</td><td class="key" title="${esc(summary)}">${esc(a.key)}</td><td data-testid="alert-hosts">${hostsCell(a)}</td>` +
      `<td>${deliveryBadge(a.delivery_status)}</td><td data-testid="alert-state">${state}</td>` +
      `<td>${a.acknowledged ? '' : '<button class="btn" data-act="ack">Ack</button>'}` +
      `${snoozed ? '<button class="btn" data-act="unsnooze">Unsnooze</button>' : '<button class="btn" data-act="snooze">Snooze 1 h</button>'}` +
      '<button class="btn" data-act="tp" title="True positive">TP</button><button class="btn" data-act="fp" title="False positive">FP</button>' +
      '<button class="btn" data-act="expected" title="Expected at this site">Expected</button>' +
      '<button class="btn" data-act="suppress" title="Drop alerts of this kind (and source) for 7 days">Suppress</button></td>';
    return tr;
  });
  $('table-alerts').querySelector('tbody').replaceChildren(...rows);
  $('alerts-empty').classList.toggle('hidden', alerts.length > 0);
  if (!$('table-alerts').dataset.bound) {
    $('table-alerts').dataset.bound = '1';
    $('table-alerts').addEventListener('click', (ev) => {
      const btn = ev.target.closest('button[data-act]');
      if (!btn) return;
      btn.disabled = true;
      onAction(btn.closest('tr').dataset.id, btn.dataset.act);
    });
  }
}

// ---- drift events ----
// The list shows what needs attention: ADWIN change points, mix measurements over their
// threshold, and drift alerts with the categories that drive them (payload.top_categories).
export function renderDriftEvents(events, alerts = []) {
  const list = $('drift-events');
  const notable = events
    .filter((e) => e.kind !== 'mix' || (e.details && e.details.over) || e.value > e.threshold)
    .map((e) => ({ time: e.time, kind: e.kind, field: e.details && e.details.field, baseline: e.details && e.details.baseline, measure: e.measure, value: e.value, threshold: e.threshold, details: e.details || {} }));
  for (const a of alerts) {
    if (a.type !== 'mix_drift' && a.type !== 'new_category') continue;
    const p = a.payload || {};
    notable.push({ time: a.created, kind: a.type, field: p.field, baseline: p.baseline, measure: p.measure || '', value: p.value, threshold: p.threshold, details: p, summary: p.summary });
  }
  const items = notable.sort((a, b) => b.time - a.time).slice(0, 40).map((e) => {
    const li = document.createElement('li');
    const d = e.details;
    let why = '';
    if (e.kind === 'score' && d.mean_before !== undefined) {
      why = `mean score ${Number(d.mean_before).toFixed(3)} → ${Number(d.mean_after).toFixed(3)}`;
    } else if (e.kind === 'new_category' && e.summary) {
      why = e.summary;
    } else if (e.kind === 'model_changed') {
      why = `${d.from || '—'} → ${d.to || '—'}` + (d.by ? ` by ${d.by}` : '') + (d.how ? ` (${d.how})` : '');
    }
    const cats = d.top_categories || d.drivers || [];
    const chips = cats
      .map((t) => `<span class="chip">${esc(t.category ?? t.value)} ${(100 * (t.share ?? 0)).toFixed(1)}% (was ${(100 * (t.baseline_share ?? 0)).toFixed(1)}%)</span>`)
      .join('');
    const what = [e.field, e.measure].filter(Boolean).join(' ');
    const vs = e.baseline ? ` vs ${e.baseline}` : '';
    const value = Number.isFinite(e.value) ? ` ${Number(e.value).toFixed(4)} <span class="muted">/ ${Number(e.threshold).toFixed(4)}</span>` : '';
    li.innerHTML =
      `<b>${esc(fmtTime(e.time))}</b> <span class="badge ${e.kind === 'mix' ? '' : 'warn'}">${esc(e.kind)}</span> ` +
      `${esc(what)}${esc(vs)}${e.kind === 'score' || e.kind === 'model_changed' ? '' : value} <span class="muted">${esc(why)}</span>${chips ? '<br>' + chips : ''}`;
    return li;
  });
  if (!items.length) {
    const li = document.createElement('li');
    li.className = 'muted';
    const n = events.length;
    li.textContent = n ? `No drift: ${n} measurement${n === 1 ? '' : 's'} in this window, all under their thresholds.` : 'No drift measurements in this window yet.';
    items.push(li);
  }
  list.replaceChildren(...items);
}
