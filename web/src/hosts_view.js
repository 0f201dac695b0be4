// The Hosts view: top talkers and top anomalous hosts (#/hosts), and one host's page
// (#/hosts/<ip>): summary, timeline, peer graph, peers, ports, attack categories, alerts and
// its flows. Every address is a link to its own page, so an analyst pivots host to host.
import { axis, base, chart, colors } from './charts.js';
import { alertHosts, renderFlowTable } from './tables.js';
import { $, dataExtent, esc, fmtBytes, fmtNum, fmtTime, hostLink, visibleRange } from './util.js';

const ms = (t) => t * 1000;
const PEERS_IN_GRAPH = 24;

// ---- the list ----
const HOST_COLUMNS = [
  { key: 'ip', label: 'host', fmt: (v) => hostLink(v) },
  { key: 'flows', label: 'flows', num: true, fmt: (v) => fmtNum(v) },
  { key: 'anomalies', label: 'anomalies', num: true, fmt: (v) => fmtNum(v) },
  { key: 'bytes', label: 'bytes', num: true, fmt: (v) => fmtBytes(v) },
  { key: 'max_score', label: 'max score', num: true, fmt: (v) => Number(v).toFixed(3) },
];

// One row per host; the column the list is ordered by is marked.
export function renderTopHosts(tableId, emptyId, hosts, by) {
  const table = $(tableId);
  table.querySelector('thead').innerHTML =
    '<tr>' + HOST_COLUMNS.map((c) => `<th class="${c.num ? 'num' : ''}${c.key === by ? ' sorted' : ''}">${c.label}</th>`).join('') + '</tr>';
  const rows = hosts.map((h) => {
    const tr = document.createElement('tr');
    tr.dataset.host = h.ip;
    tr.innerHTML = HOST_COLUMNS.map((c) => {
      const v = h[c.key];
      const text = v === null || v === undefined ? '' : c.fmt(v);
      return `<td class="${c.num ? 'num' : ''}${c.key === 'anomalies' && v > 0 ? ' bad' : ''}">${text}</td>`;
    }).join('');
    return tr;
  });
  table.querySelector('tbody').replaceChildren(...rows);
  $(emptyId).classList.toggle('hidden', hosts.length > 0);
}

// ---- one host ----
function renderSummary(ip, s = {}) {
  $('host-title').textContent = ip;
  $('host-flows').textContent = fmtNum(s.flows ?? 0);
  $('host-anomalies').textContent = fmtNum(s.anomalies ?? 0);
  $('host-anomalies').classList.toggle('bad', (s.anomalies ?? 0) > 0);
  $('host-bytes-out').textContent = fmtBytes(s.bytes_out ?? 0);
  $('host-bytes-in').textContent = fmtBytes(s.bytes_in ?? 0);
  $('host-first').textContent = s.first ? fmtTime(s.first) : '—';
  $('host-last').textContent = s.last ? fmtTime(s.last) : '—';
  $('host-first').title = s.first ? fmtTime(s.first, true) : '';
  $('host-last').title = s.last ? fmtTime(s.last, true) : '';
}

// Flows and anomalies per bucket as bars at the bucket's middle, the bucket's highest score as a
// line; the axis fits the host's activity when it is a small part of the window.
function renderHostTimeline(raw, bucket, range) {
  const c = colors();
  const half = Number.isFinite(bucket) ? bucket / 2 : 0;
  const pts = [...raw].sort((a, b) => a.t - b.t).map((p) => ({ ...p, t: p.t + half }));
  const view = visibleRange(range, dataExtent(range, pts.flatMap((p) => [p.t - half, p.t + half])), 'auto');
  const few = pts.length <= 40;
  chart('chart-host-timeline').setOption(
    {
      ...base(),
      tooltip: { trigger: 'axis', confine: true },
      grid: { left: 52, right: 52, top: 30, bottom: 28 },
      xAxis: axis('time', { min: ms(view.from), max: ms(view.to) }),
      yAxis: [
        axis('value', { name: 'flows', nameTextStyle: { color: c.muted }, axisLabel: { color: c.muted, formatter: (v) => fmtNum(v) } }),
        axis('value', { name: 'max score', min: 0, max: 1, splitLine: { show: false }, nameTextStyle: { color: c.muted } }),
      ],
      series: [
        { name: 'flows', type: 'bar', barMaxWidth: 14, itemStyle: { color: c.normal, opacity: 0.55 }, data: pts.map((p) => [ms(p.t), p.flows]) },
        { name: 'anomalies', type: 'bar', barMaxWidth: 14, barGap: '-100%', itemStyle: { color: c.anomaly }, data: pts.map((p) => [ms(p.t), p.anomalies]) },
        {
          name: 'max score',
          type: 'line',
          yAxisIndex: 1,
          showSymbol: few,
          symbolSize: 5,
          lineStyle: { color: c.ema, width: 1.6 },
          itemStyle: { color: c.ema },
          data: pts.map((p) => [ms(p.t), p.max_score ?? null]),
        },
      ],
    },
    { replaceMerge: ['series'] },
  );
}

let graphHost = null;

// The host in the middle, its busiest peers around it: size by flows, red when a flow between
// them was an anomaly. A click on a peer opens its page.
function renderPeerGraph(ip, peers) {
  const c = colors();
  const top = peers.filter((p) => p.ip !== ip).slice(0, PEERS_IN_GRAPH);
  const maxFlows = Math.max(1, ...top.map((p) => p.flows || 0));
  const rel = (p) => Math.sqrt((p.flows || 0) / maxFlows);
  const nodes = [{ name: ip, x: 0, y: 0, symbolSize: 30, value: null, itemStyle: { color: c.ema }, label: { show: true, fontWeight: 'bold' } }];
  top.forEach((p, i) => {
    const angle = (2 * Math.PI * i) / Math.max(1, top.length) - Math.PI / 2;
    nodes.push({
      name: p.ip,
      x: 100 * Math.cos(angle),
      y: 100 * Math.sin(angle),
      symbolSize: 8 + 22 * rel(p),
      peer: p,
      itemStyle: { color: p.anomalies > 0 ? c.anomaly : c.normal },
      label: { show: top.length <= 16 },
    });
  });
  const links = top.map((p) => ({ source: ip, target: p.ip, lineStyle: { width: 1 + 4 * rel(p), color: p.anomalies > 0 ? c.anomaly : c.axis, opacity: 0.7 } }));
  graphHost = ip;
  const g = chart('chart-host-peers');
  g.setOption(
    {
      ...base(),
      legend: { show: false },
      tooltip: {
        trigger: 'item',
        confine: true,
        formatter: (p) => {
          const peer = p.data && p.data.peer;
          if (p.dataType !== 'node' || !peer) return esc(p.name || '');
          return `<b>${esc(peer.ip)}</b><br>${fmtNum(peer.flows)} flows · ${fmtNum(peer.anomalies)} anomalies · ${fmtBytes(peer.bytes)}`;
        },
      },
      series: [
        {
          name: 'peers',
          type: 'graph',
          layout: 'none',
          roam: true,
          data: nodes,
          links,
          label: { position: 'right', fontSize: 11, color: c.text },
          emphasis: { focus: 'adjacency' },
        },
      ],
    },
    { replaceMerge: ['series'] },
  );
  if (!g.__pivots) {
    g.__pivots = true;
    g.on('click', (p) => {
      if (p.dataType === 'node' && p.name && p.name !== graphHost) location.hash = `#/hosts/${encodeURIComponent(p.name)}`;
    });
  }
  $('host-peers-none').classList.toggle('hidden', top.length > 0);
}

function fillTable(tableId, rows, cells) {
  $(tableId).querySelector('tbody').replaceChildren(
    ...rows.map((r) => {
      const tr = document.createElement('tr');
      tr.innerHTML = cells(r);
      return tr;
    }),
  );
}

function renderLists(host) {
  const peers = host.peers || [];
  fillTable('table-host-peers', peers, (p) =>
    `<td>${hostLink(p.ip)}</td><td class="num">${fmtNum(p.flows)}</td><td class="num${p.anomalies > 0 ? ' bad' : ''}">${fmtNum(p.anomalies)}</td><td class="num">${fmtBytes(p.bytes)}</td>`);
  fillTable('table-host-ports', host.ports || [], (p) =>
    `<td class="num">${esc(p.port)}</td><td>${esc(p.proto ?? '')}</td><td class="num">${fmtNum(p.flows)}</td><td class="num${p.anomalies > 0 ? ' bad' : ''}">${fmtNum(p.anomalies)}</td>`);
  const cats = host.categories || [];
  const most = Math.max(1, ...cats.map((x) => x.count || 0));
  fillTable('table-host-cats', cats, (x) =>
    `<td>${esc(x.attack_cat)}</td><td class="num">${fmtNum(x.count)}</td><td class="bar-cell"><span class="bar" style="width:${Math.round((100 * (x.count || 0)) / most)}%"></span></td>`);
  $('host-cats-none').classList.toggle('hidden', cats.length > 0);
  $('host-ports-none').classList.toggle('hidden', (host.ports || []).length > 0);
}

// The alerts naming the host (the API gives each one's id, kind, time, payload, acknowledged);
// acknowledging stays on the Live view's list.
function renderHostAlerts(alerts) {
  fillTable('table-host-alerts', alerts, (a) => {
    const p = a.payload || {};
    const hosts = alertHosts(a).map((h) => hostLink(h)).join(' ');
    const state = a.acknowledged ? '<span class="badge ok">acknowledged</span>' : '<span class="badge bad">open</span>';
    return `<td>${esc(fmtTime(a.created))}</td><td data-testid="alert-kind">${esc(a.kind || a.type)}</td>` +
      `<td>${esc(p.severity || '')}</td><td class="summary" title="${esc(p.summary || '')}">${esc(p.summary || a.key || '')}</td><td>${hosts}</td><td>${state}</td>`;
  });
  $('host-alerts-empty').classList.toggle('hidden', alerts.length > 0);
}

// `host`: the /api/v1/hosts/{ip} answer; `flows`: the host's flows in the window.
export function renderHostPage(host, flows, range) {
  const ip = host.ip;
  renderSummary(ip, host.summary);
  renderHostTimeline(host.timeline || [], host.bucket_seconds, range);
  renderPeerGraph(ip, host.peers || []);
  renderLists(host);
  renderHostAlerts(host.alerts || []);
  renderFlowTable('table-host-flows', 'host-flows-empty', flows);
  $('host-window').textContent = `${fmtTime(range.from, true)} – ${fmtTime(range.to)}`;
}
