// ECharts setup: only the chart types and components the dashboard uses (keeps the bundle
// small), one chart instance per container reused across refreshes, theme switching.
import * as echarts from 'echarts/core';
import { BarChart, GraphChart, HeatmapChart, LineChart, ScatterChart } from 'echarts/charts';
import {
  DataZoomComponent,
  GridComponent,
  LegendComponent,
  MarkAreaComponent,
  MarkLineComponent,
  MarkPointComponent,
  TitleComponent,
  TooltipComponent,
  VisualMapComponent,
} from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([
  BarChart, GraphChart, HeatmapChart, LineChart, ScatterChart, DataZoomComponent, GridComponent, LegendComponent,
  MarkAreaComponent, MarkLineComponent, MarkPointComponent, TitleComponent, TooltipComponent,
  VisualMapComponent, CanvasRenderer,
]);

export const palette = {
  light: {
    text: '#1c2430', muted: '#677385', grid: '#e8ecf1', axis: '#c5ccd6',
    normal: '#2f6fde', anomaly: '#d64545', ema: '#f0a202', ok: '#1f9d63', series: ['#2f6fde', '#d64545', '#1f9d63', '#f0a202', '#8e5cd9', '#13a8b8'],
  },
  dark: {
    text: '#e3e8ef', muted: '#8d9aac', grid: '#232d3a', axis: '#3a4656',
    normal: '#5b93f5', anomaly: '#f06b6b', ema: '#f5c04a', ok: '#3ccf8e', series: ['#5b93f5', '#f06b6b', '#3ccf8e', '#f5c04a', '#b08cf0', '#39c6d4'],
  },
};

export function theme() {
  return document.documentElement.dataset.theme === 'dark' ? 'dark' : 'light';
}
export function colors() {
  return palette[theme()];
}

// Common option pieces that follow the theme.
export function base() {
  const c = colors();
  return {
    backgroundColor: 'transparent',
    color: c.series,
    textStyle: { color: c.text, fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif' },
    animation: false,
    tooltip: { trigger: 'axis', confine: true },
    legend: { top: 0, textStyle: { color: c.muted }, itemWidth: 14, itemHeight: 8 },
    grid: { left: 52, right: 52, top: 30, bottom: 28, containLabel: false },
  };
}

export function axis(type, extra = {}) {
  const c = colors();
  return {
    type,
    axisLine: { lineStyle: { color: c.axis } },
    axisLabel: { color: c.muted, hideOverlap: true },
    splitLine: { show: type !== 'category', lineStyle: { color: c.grid } },
    ...extra,
  };
}

const charts = new Map(); // id -> {chart, el}

// The chart in container `id`, created on first use. Instances are reused on every refresh;
// they are only recreated when the theme changes.
export function chart(id) {
  let entry = charts.get(id);
  if (!entry) {
    const el = document.getElementById(id);
    if (el.querySelector('.na')) el.innerHTML = '';
    const c = echarts.init(el, theme() === 'dark' ? 'dark' : null, { renderer: 'canvas' });
    entry = { chart: c, el };
    charts.set(id, entry);
  }
  return entry.chart;
}

export function allCharts() {
  return Object.fromEntries([...charts].map(([id, e]) => [id, e.chart]));
}

// Drops every instance (theme change); the caller re-renders from its cached data.
export function disposeAll() {
  for (const { chart: c } of charts.values()) c.dispose();
  charts.clear();
}

export function resizeAll() {
  for (const { chart: c, el } of charts.values()) if (el.offsetParent !== null) c.resize();
}

// Shows a "not available" note in place of a chart.
export function notAvailable(id, text) {
  const entry = charts.get(id);
  if (entry) {
    entry.chart.dispose();
    charts.delete(id);
  }
  const el = document.getElementById(id);
  el.removeAttribute('_echarts_instance_');
  el.innerHTML = `<div class="na" data-testid="not-available">${text}</div>`;
}

export { echarts };
