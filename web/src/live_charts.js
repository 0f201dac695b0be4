// The live view's charts: score timeline, raw KPIs, proto/state mix, ct_state_ttl heatmap and
// the drift chart. Each render function takes API data plus the view state and only calls
// setOption on a reused chart instance.
import { axis, base, chart, colors } from './charts.js';
import { bursts, ema, fmtNum, fmtTime } from './util.js';

const ms = (t) => t * 1000;
const zoomTo = (view) => (view ? { startValue: ms(view.from), endValue: ms(view.to) } : {});

// Points come newest first from the API; everything here wants them oldest first.
export function sortPoints(points) {
  return [...points].sort((a, b) => a.t - b.t);
}

// Score timeline over the whole range; `view` (a part of it, or null to keep the user's zoom) is
// what the zoom shows. Returns the derived figures the tiles show.
export function renderTimeline(sorted, state, threshold, driftEvents, range, view) {
  const c = colors();
  const normal = [];
  const anomaly = [];
  for (const p of sorted) (p.score >= threshold ? anomaly : normal).push([ms(p.t), p.score]);
  const b = bursts(sorted, threshold, state.burstWindow, state.burstHits);
  const scoreEvents = (driftEvents || []).filter((e) => e.kind === 'score');
  const modelEvents = (driftEvents || []).filter((e) => e.kind === 'model_changed');
  const scatter = (name, data, color) => ({
    name,
    type: 'scatter',
    data,
    large: true,
    largeThreshold: 500, // both series in large mode: one path per series, not one element per point
    progressive: 5000,
    symbolSize: name === 'anomaly' ? 5 : 3,
    itemStyle: { color, opacity: name === 'anomaly' ? 0.9 : 0.45 },
    emphasis: { disabled: true },
  });
  const series = [
    scatter('normal', normal, c.normal),
    {
      ...scatter('anomaly', anomaly, c.anomaly),
      markLine: {
        silent: true,
        symbol: 'none',
        lineStyle: { color: c.anomaly, type: 'dashed', width: 1.5 },
        label: { formatter: `threshold ${threshold.toFixed(2)}`, color: c.anomaly, position: 'insideEndTop' },
        data: [{ yAxis: threshold }],
      },
    },
    {
      name: 'EMA',
      type: 'line',
      data: state.ema ? ema(sorted, state.alpha) : [],
      showSymbol: false,
      sampling: 'lttb',
      lineStyle: { color: c.ema, width: 2 },
      itemStyle: { color: c.ema },
      z: 5,
    },
    {
      name: 'bursts',
      type: 'line',
      data: [],
      itemStyle: { color: c.anomaly },
      markArea: {
        silent: true,
        itemStyle: { color: c.anomaly, opacity: 0.12 },
        label: { show: true, position: 'insideTop', color: c.anomaly, fontSize: 11 },
        data: b.intervals.map((iv) => [
          { xAxis: ms(iv.from) - 500, name: `burst ×${iv.peak}` },
          { xAxis: ms(iv.to) + 500 },
        ]),
      },
    },
    {
      name: 'drift',
      type: 'line',
      data: [],
      itemStyle: { color: c.ema },
      markLine: {
        silent: true,
        symbol: ['none', 'none'],
        lineStyle: { color: c.ema, type: 'solid', width: 1.5 },
        label: { show: scoreEvents.length <= 6, formatter: 'ADWIN', color: c.ema, position: 'end' },
        data: scoreEvents.map((e) => ({ xAxis: ms(e.time) })),
      },
    },
    {
      name: 'model',
      type: 'line',
      data: [],
      itemStyle: { color: c.muted },
      markLine: {
        silent: true,
        symbol: ['none', 'none'],
        lineStyle: { color: c.muted, type: 'dotted', width: 2 },
        label: { show: modelEvents.length <= 6, color: c.muted, position: 'insideEndTop', formatter: (p) => p.name },
        data: modelEvents.map((e) => ({ xAxis: ms(e.time), name: `model → ${(e.details && e.details.to) || ''}` })),
      },
    },
  ];
  chart('chart-timeline').setOption(
    {
      ...base(),
      legend: { ...base().legend, data: ['normal', 'anomaly', 'EMA', 'bursts', 'drift', 'model'] },
      tooltip: {
        trigger: 'item',
        confine: true,
        formatter: (p) => `${fmtTime(p.value[0] / 1000, true)}<br>${p.seriesName}: <b>${Number(p.value[1]).toFixed(4)}</b>`,
      },
      grid: { left: 44, right: 24, top: 30, bottom: 52 },
      xAxis: axis('time', { min: ms(range.from), max: ms(range.to) }),
      yAxis: axis('value', { min: 0, max: 1 }),
      dataZoom: [
        { type: 'inside', filterMode: 'none', ...zoomTo(view) },
        { type: 'slider', height: 16, bottom: 6, filterMode: 'none', showDataShadow: false, ...zoomTo(view) },
      ],
      series,
    },
    { replaceMerge: ['series'] },
  );
  return { anomalies: anomaly.length, points: sorted.length, bursts: b.intervals.length, hits: b.hits.length };
}

// Round-trip times are microseconds on a LAN: two decimals would label every tick 0.00.
const kpiLabel = (v) => (v !== 0 && Math.abs(v) < 0.01 ? Number(v.toPrecision(2)).toExponential() : fmtNum(v));

// A few buckets (a replay of seconds) are single points: a line without symbols would draw
// nothing, so symbols show when there are few.
function kpiChart(id, points, defs, dual, view, half) {
  const c = colors();
  const label = { color: c.muted, formatter: kpiLabel };
  const yAxis = dual
    ? [axis('value', { name: defs[0].unit, nameTextStyle: { color: c.muted }, axisLabel: label }),
      axis('value', { name: defs[1].unit, nameTextStyle: { color: c.muted }, splitLine: { show: false }, axisLabel: label })]
    : [axis('value', { name: defs[0].unit, nameTextStyle: { color: c.muted }, axisLabel: label })];
  chart(id).setOption(
    {
      ...base(),
      grid: { left: 52, right: dual ? 56 : 16, top: 34, bottom: 24 },
      xAxis: axis('time', { min: ms(view.from), max: ms(view.to), splitNumber: 4 }),
      yAxis,
      series: defs.map((d, i) => ({
        name: d.name,
        type: 'line',
        yAxisIndex: dual ? i : 0,
        showSymbol: points.length <= 40,
        symbolSize: 5,
        sampling: 'lttb',
        connectNulls: false,
        lineStyle: { width: 1.6 },
        data: points.map((p) => [ms(p.t + half), p[d.key] ?? null]),
      })),
    },
    { replaceMerge: ['series', 'yAxis'] },
  );
}

// `view`: the time span the axes show, the same as the timeline's. A bucket's mean is drawn at
// the bucket's middle, where its flows are on average.
export function renderKpis(kpis, view) {
  const pts = kpis.points || [];
  const half = kpiOffset(kpis);
  kpiChart('chart-kpi-load', pts, [{ name: 'sload', key: 'sload', unit: 'sload bit/s' }, { name: 'dload', key: 'dload', unit: 'dload bit/s' }], true, view, half);
  kpiChart('chart-kpi-pkts', pts, [{ name: 'spkts', key: 'spkts', unit: 'packets' }, { name: 'dpkts', key: 'dpkts' }], false, view, half);
  kpiChart('chart-kpi-jit', pts, [{ name: 'sjit', key: 'sjit', unit: 'ms' }, { name: 'djit', key: 'djit' }], false, view, half);
  kpiChart('chart-kpi-tcp', pts, [{ name: 'tcprtt', key: 'tcprtt', unit: 's' }, { name: 'synack', key: 'synack' }, { name: 'ackdat', key: 'ackdat' }], false, view, half);
}

export function kpiOffset(kpis) {
  return Number.isFinite(kpis && kpis.bucket_seconds) ? kpis.bucket_seconds / 2 : 0;
}

// Moves the KPI and drift axes only (the user zoomed the timeline): no series rebuilt.
export function zoomTimeAxes(view) {
  for (const id of ['chart-kpi-load', 'chart-kpi-pkts', 'chart-kpi-jit', 'chart-kpi-tcp', 'chart-drift']) {
    const c = chart(id);
    const n = (c.getOption()?.xAxis || []).length;
    if (n) c.setOption({ xAxis: [{ min: ms(view.from), max: ms(view.to) }] });
  }
}

// 100 % stacked horizontal bars: per category, the share of its flows that are normal vs anomaly.
export function renderMix(id, mix) {
  const c = colors();
  const entries = [...(mix.entries || [])].reverse(); // top entry at the top of the chart
  const cats = entries.map((e) => String(e.value));
  const pct = (e, k) => {
    const total = (e.normal || 0) + (e.anomaly || 0);
    return total ? (100 * (e[k] || 0)) / total : 0;
  };
  const ser = (name, key, color) => ({
    name,
    type: 'bar',
    stack: 'share',
    barMaxWidth: 22,
    itemStyle: { color },
    data: entries.map((e) => ({ value: +pct(e, key).toFixed(2), count: e[key] || 0 })),
  });
  chart(id).setOption(
    {
      ...base(),
      tooltip: {
        trigger: 'axis',
        axisPointer: { type: 'shadow' },
        confine: true,
        formatter: (ps) =>
          `<b>${ps[0].name}</b><br>` + ps.map((p) => `${p.marker}${p.seriesName}: ${p.value}% (${fmtNum(p.data.count)} flows)`).join('<br>'),
      },
      grid: { left: 70, right: 20, top: 28, bottom: 24 },
      xAxis: axis('value', { max: 100, axisLabel: { color: c.muted, formatter: '{value}%' } }),
      yAxis: axis('category', { data: cats }),
      series: [ser('normal', 'normal', c.normal), ser('anomaly', 'anomaly', c.anomaly)],
    },
    { replaceMerge: ['series'] },
  );
}

// ct_state_ttl × label: colour = share of that label's flows with this ct_state_ttl, the count
// is printed in each cell.
export function renderHeatmap(heat) {
  const c = colors();
  const cells = [...(heat.cells || [])].sort((a, b) => Number(a.ct_state_ttl) - Number(b.ct_state_ttl));
  const xs = cells.map((cell) => String(cell.ct_state_ttl));
  const totals = { normal: 0, anomaly: 0 };
  for (const cell of cells) {
    totals.normal += cell.normal || 0;
    totals.anomaly += cell.anomaly || 0;
  }
  const data = [];
  cells.forEach((cell, i) => {
    ['normal', 'anomaly'].forEach((label, j) => {
      const n = cell[label] || 0;
      data.push({ value: [i, j, totals[label] ? +((100 * n) / totals[label]).toFixed(1) : 0], count: n });
    });
  });
  chart('chart-heatmap').setOption(
    {
      ...base(),
      tooltip: {
        trigger: 'item',
        confine: true,
        formatter: (p) => `ct_state_ttl ${xs[p.value[0]]}, ${p.value[1] ? 'anomaly' : 'normal'}<br>${fmtNum(p.data.count)} flows (${p.value[2]}% of the label)`,
      },
      legend: { show: false },
      grid: { left: 70, right: 20, top: 10, bottom: 60 },
      xAxis: axis('category', { data: xs, name: 'ct_state_ttl', nameLocation: 'middle', nameGap: 24, nameTextStyle: { color: c.muted } }),
      yAxis: axis('category', { data: ['normal', 'anomaly'] }),
      visualMap: {
        min: 0,
        max: 100,
        show: true,
        orient: 'horizontal',
        left: 'center',
        bottom: 0,
        itemHeight: 120,
        itemWidth: 10,
        text: ['100%', '0%'],
        textStyle: { color: c.muted },
        inRange: { color: document.documentElement.dataset.theme === 'dark' ? ['#1b2533', '#3f6fc4', '#8fb6ff'] : ['#f1f5fb', '#8db2f0', '#1f55b8'] },
      },
      series: [
        {
          name: 'flows',
          type: 'heatmap',
          data,
          label: { show: xs.length <= 16, formatter: (p) => fmtNum(p.data.count), fontSize: 11 },
          itemStyle: { borderColor: 'transparent', borderWidth: 2 },
        },
      ],
    },
    { replaceMerge: ['series'] },
  );
}

// Drift: mix measures (KL/L1/JS/PSI) over time per field with their thresholds, ADWIN score
// change points as vertical lines.
export function renderDriftChart(events, range, view = range) {
  const c = colors();
  const groups = new Map();
  for (const e of events) {
    if (e.kind !== 'mix') continue;
    const d = e.details || {};
    const name = `${d.field || d.column || 'mix'} ${e.measure}${d.baseline ? ` vs ${d.baseline === 'reference' ? 'ref' : 'prev'}` : ''}`;
    if (!groups.has(name)) groups.set(name, { data: [], threshold: e.threshold });
    groups.get(name).data.push([ms(e.time), e.value]);
  }
  const series = [...groups].map(([name, g], i) => ({
    name,
    type: 'line',
    showSymbol: g.data.length <= 80,
    symbolSize: 5,
    data: g.data.sort((a, b) => a[0] - b[0]),
    markLine: {
      silent: true,
      symbol: 'none',
      lineStyle: { type: 'dashed', width: 1 },
      label: { show: i === 0, formatter: 'threshold', fontSize: 10, position: 'insideEndTop' },
      data: [{ yAxis: g.threshold }],
    },
  }));
  const adwin = events.filter((e) => e.kind === 'score');
  series.push({
    name: 'ADWIN change',
    type: 'line',
    data: [],
    itemStyle: { color: c.ema },
    markLine: {
      silent: true,
      symbol: 'none',
      lineStyle: { color: c.ema, width: 1.5 },
      label: { show: false },
      data: adwin.map((e) => ({ xAxis: ms(e.time) })),
    },
  });
  // One legend row that pages (many field/measure pairs wrap otherwise, over the plot), and the
  // axis title along the axis, where no legend can reach it.
  chart('chart-drift').setOption(
    {
      ...base(),
      legend: { ...base().legend, type: 'scroll', left: 8, right: 8, pageIconSize: 10, pageTextStyle: { color: c.muted } },
      grid: { left: 58, right: 16, top: 32, bottom: 24 },
      xAxis: axis('time', { min: ms(view.from), max: ms(view.to) }),
      yAxis: axis('value', { name: 'divergence', nameLocation: 'middle', nameGap: 42, nameTextStyle: { color: c.muted } }),
      series,
    },
    { replaceMerge: ['series'] },
  );
}
