// The model page (/api/v1/model): model card, validation/test metrics, ROC and PR curves,
// threshold trade-off and confusion matrices. Curves are drawn only when the metrics carry them
// (metrics.<split>.curves = {roc: [{fpr,tpr,threshold}], pr: [{recall,precision,threshold}]}).
import { axis, base, chart, colors, notAvailable } from './charts.js';
import { $, esc, fmtNum, renderMarkdown } from './util.js';

const METRIC_ROWS = [
  ['rows', (v) => fmtNum(v)],
  ['threshold', (v) => Number(v).toFixed(4)],
  ['auc', (v) => Number(v).toFixed(4)],
  ['accuracy', (v) => Number(v).toFixed(4)],
  ['precision', (v) => Number(v).toFixed(4)],
  ['recall', (v) => Number(v).toFixed(4)],
  ['f1', (v) => Number(v).toFixed(4)],
  ['fpr', (v) => (100 * v).toFixed(3) + '%'],
  ['fpr_at_recall_95', (v) => (100 * v).toFixed(3) + '%'],
  ['fpr_at_recall_97', (v) => (100 * v).toFixed(3) + '%'],
];

// [{x, y, threshold}] from either [{fpr,tpr,...}] objects or [[x, y, threshold?]] pairs.
function curvePoints(raw, xKey, yKey) {
  if (!Array.isArray(raw)) return [];
  return raw
    .map((p) => (Array.isArray(p) ? { x: p[0], y: p[1], threshold: p[2] } : { x: p[xKey], y: p[yKey], threshold: p.threshold }))
    .filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
}

function splits(metrics) {
  return ['validation', 'test'].filter((k) => metrics && metrics[k] && typeof metrics[k] === 'object');
}

function curveChart(id, metrics, key, xKey, yKey, xName, yName, diagonal) {
  const c = colors();
  const series = [];
  for (const split of splits(metrics)) {
    const curves = metrics[split].curves || {};
    const pts = curvePoints(curves[key], xKey, yKey);
    if (pts.length) {
      series.push({ name: split, type: 'line', showSymbol: false, data: pts.map((p) => [p.x, p.y]) });
    }
  }
  if (!series.length) {
    notAvailable(id, `${key.toUpperCase()} curve not available (the model metrics carry no curve points)`);
    return;
  }
  if (diagonal) series.push({ name: 'chance', type: 'line', showSymbol: false, data: [[0, 0], [1, 1]], lineStyle: { type: 'dashed', color: c.muted, width: 1 }, itemStyle: { color: c.muted } });
  chart(id).setOption(
    {
      ...base(),
      grid: { left: 48, right: 20, top: 30, bottom: 40 },
      xAxis: axis('value', { min: 0, max: 1, name: xName, nameLocation: 'middle', nameGap: 24, nameTextStyle: { color: c.muted } }),
      yAxis: axis('value', { min: 0, max: 1, name: yName, nameTextStyle: { color: c.muted } }),
      series,
    },
    { notMerge: true },
  );
}

function tradeoffChart(metrics) {
  const split = splits(metrics).find((s) => metrics[s].curves && (metrics[s].curves.roc || metrics[s].curves.pr));
  const id = 'chart-tradeoff';
  if (!split) {
    notAvailable(id, 'Threshold trade-off not available (no curve points in the model metrics)');
    return;
  }
  const curves = metrics[split].curves;
  const roc = curvePoints(curves.roc, 'fpr', 'tpr').filter((p) => Number.isFinite(p.threshold) && p.threshold <= 1);
  const pr = curvePoints(curves.pr, 'recall', 'precision').filter((p) => Number.isFinite(p.threshold) && p.threshold <= 1);
  if (!roc.length && !pr.length) {
    notAvailable(id, 'Threshold trade-off not available (curve points carry no thresholds)');
    return;
  }
  const c = colors();
  const by = (a) => [...a].sort((p, q) => p.threshold - q.threshold);
  const series = [
    { name: 'recall', type: 'line', showSymbol: false, data: by(roc).map((p) => [p.threshold, p.y]) },
    { name: 'FPR', type: 'line', showSymbol: false, data: by(roc).map((p) => [p.threshold, p.x]) },
    { name: 'precision', type: 'line', showSymbol: false, data: by(pr).map((p) => [p.threshold, p.y]) },
  ].filter((s) => s.data.length);
  const thr = metrics[split].threshold;
  if (Number.isFinite(thr)) {
    series[0].markLine = { silent: true, symbol: 'none', lineStyle: { type: 'dashed', color: c.anomaly }, label: { formatter: `model threshold ${thr.toFixed(3)}`, color: c.anomaly }, data: [{ xAxis: thr }] };
  }
  chart(id).setOption(
    {
      ...base(),
      grid: { left: 48, right: 20, top: 30, bottom: 40 },
      xAxis: axis('value', { min: 0, max: 1, name: `threshold (${split})`, nameLocation: 'middle', nameGap: 24, nameTextStyle: { color: c.muted } }),
      yAxis: axis('value', { min: 0, max: 1 }),
      series,
    },
    { notMerge: true },
  );
}

function confusion(metrics) {
  const split = splits(metrics).reverse().find((s) => metrics[s].confusion) ;
  const el = $('model-confusion');
  if (!split) {
    el.innerHTML = '<div class="na">not available</div>';
    return;
  }
  const m = metrics[split].confusion;
  el.innerHTML =
    `<div class="h">${esc(split)}</div><div class="h">predicted normal</div><div class="h">predicted attack</div>` +
    `<div class="h">normal</div><div class="good">${fmtNum(m.tn)}</div><div class="badc">${fmtNum(m.fp)}</div>` +
    `<div class="h">attack</div><div class="badc">${fmtNum(m.fn)}</div><div class="good">${fmtNum(m.tp)}</div>`;
}

function multiclassConfusion(metrics) {
  const split = splits(metrics).reverse().find((s) => metrics[s].multiclass && metrics[s].multiclass.confusion);
  const id = 'chart-mc-confusion';
  if (!split) {
    notAvailable(id, 'attack_cat confusion not available');
    return;
  }
  const mc = metrics[split].multiclass;
  const classes = mc.classes || mc.confusion.map((_, i) => String(i));
  const data = [];
  let max = 1;
  mc.confusion.forEach((row, i) => {
    const total = row.reduce((a, b) => a + b, 0) || 1;
    row.forEach((n, j) => {
      const share = +((100 * n) / total).toFixed(1);
      max = Math.max(max, share);
      data.push({ value: [j, classes.length - 1 - i, share], count: n });
    });
  });
  const c = colors();
  chart(id).setOption(
    {
      ...base(),
      tooltip: { trigger: 'item', confine: true, formatter: (p) => `truth ${esc(classes[classes.length - 1 - p.value[1]])}, predicted ${esc(classes[p.value[0]])}<br>${fmtNum(p.data.count)} (${p.value[2]}% of the row)` },
      grid: { left: 100, right: 20, top: 10, bottom: 80 },
      xAxis: axis('category', { data: classes, axisLabel: { color: c.muted, rotate: 40, interval: 0 } }),
      yAxis: axis('category', { data: [...classes].reverse(), axisLabel: { color: c.muted, interval: 0 } }),
      visualMap: { min: 0, max: 100, show: false, inRange: { color: document.documentElement.dataset.theme === 'dark' ? ['#1b2533', '#5b93f5'] : ['#f4f7fc', '#2f6fde'] } },
      series: [{ type: 'heatmap', data, label: { show: true, fontSize: 10, color: c.text, formatter: (p) => (p.data.count ? fmtNum(p.data.count) : '') } }],
    },
    { notMerge: true },
  );
}

// Active and shadow: agreement, the anomalies each would have raised, both score distributions,
// and the command that promotes the shadow once the evidence is in.
function shadowPanel(model) {
  const el = $('shadow-summary');
  const cmp = model.comparison;
  if (!model.shadow || !cmp) {
    el.innerHTML = `<p>Active: <b>${esc(model.active || '')}</b>. No shadow model: <code>flowsentry models shadow VERSION</code> scores a candidate beside it on the same flows (never stored or alerted on).</p>`;
    notAvailable('chart-shadow', 'no shadow model');
    return;
  }
  const a = cmp.anomalies || {};
  const pct = (v) => (v === null || v === undefined ? '—' : (100 * v).toFixed(2) + '%');
  el.innerHTML =
    `<table class="kv"><tbody>` +
    `<tr><th>active</th><td>${esc(model.active)}</td><th>shadow</th><td>${esc(model.shadow)}</td></tr>` +
    `<tr><th>flows compared</th><td>${fmtNum(cmp.flows)}</td><th>label agreement</th><td data-testid="shadow-agreement">${pct(cmp.agreement)}</td></tr>` +
    `<tr><th>anomalies (active)</th><td>${fmtNum(a.active || 0)}</td><th>anomalies (shadow)</th><td>${fmtNum(a.shadow || 0)}</td></tr>` +
    `<tr><th>only active</th><td>${fmtNum(a.only_active || 0)}</td><th>only shadow</th><td>${fmtNum(a.only_shadow || 0)}</td></tr>` +
    `</tbody></table>` +
    `<p class="muted small">Promote on evidence: <code>flowsentry models promote ${esc(model.shadow)}</code> (workers switch without a restart; <code>flowsentry models rollback</code> undoes it).</p>`;
  const h = model.histograms || cmp.histograms || {};
  const bins = h.bins || [];
  const labels = bins.slice(0, -1).map((b) => Number(b).toFixed(2));
  chart('chart-shadow').setOption(
    {
      ...base(),
      grid: { left: 56, right: 20, top: 30, bottom: 40 },
      xAxis: axis('category', { data: labels, name: 'score', nameLocation: 'middle', nameGap: 24 }),
      yAxis: axis('value', { type: 'log', name: 'flows' }),
      series: [
        { name: 'active', type: 'bar', data: (h.active || []).map((v) => v || null) },
        { name: 'shadow', type: 'bar', data: (h.shadow || []).map((v) => v || null) },
      ],
    },
    { notMerge: true },
  );
}

export function renderModel(model) {
  const metrics = model.metrics || {};
  if (model.meta && model.meta.model_version) $('model-version').textContent = model.meta.model_version;
  $('model-card').innerHTML = model.model_card ? renderMarkdown(model.model_card) : '<p class="muted">No model card.</p>';
  const cols = splits(metrics);
  let html = `<thead><tr><th>metric</th>${cols.map((s) => `<th>${esc(s)}</th>`).join('')}</tr></thead><tbody>`;
  for (const [key, fmt] of METRIC_ROWS) {
    if (!cols.some((s) => metrics[s][key] !== undefined)) continue;
    html += `<tr><th>${esc(key)}</th>${cols.map((s) => `<td>${metrics[s][key] === undefined ? '—' : esc(fmt(metrics[s][key]))}</td>`).join('')}</tr>`;
  }
  const mcRow = (k) => cols.some((s) => metrics[s].multiclass && metrics[s].multiclass[k] !== undefined)
    ? `<tr><th>attack_cat ${k}</th>${cols.map((s) => `<td>${metrics[s].multiclass && metrics[s].multiclass[k] !== undefined ? Number(metrics[s].multiclass[k]).toFixed(4) : '—'}</td>`).join('')}</tr>` : '';
  html += mcRow('accuracy') + mcRow('macro_f1');
  const meta = model.meta || {};
  for (const k of ['model_version', 'created', 'threshold_rule', 'train_rows', 'validation_rows']) {
    if (meta[k] !== undefined) html += `<tr><th>${esc(k)}</th><td colspan="${Math.max(1, cols.length)}">${esc(meta[k])}</td></tr>`;
  }
  $('model-metrics').innerHTML = html + '</tbody>';
  confusion(metrics);
  curveChart('chart-roc', metrics, 'roc', 'fpr', 'tpr', 'false positive rate', 'TPR', true);
  curveChart('chart-pr', metrics, 'pr', 'recall', 'precision', 'recall', 'precision', false);
  tradeoffChart(metrics);
  multiclassConfusion(metrics);
  shadowPanel(model);
}
