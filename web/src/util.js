// Small pure helpers: formatting, EMA, burst windows, a minimal markdown renderer.

export const $ = (id) => document.getElementById(id);

export function esc(s) {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

export function fmtNum(v, digits = 2) {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  const a = Math.abs(v);
  if (a >= 1e9) return (v / 1e9).toFixed(1) + 'G';
  if (a >= 1e6) return (v / 1e6).toFixed(1) + 'M';
  if (a >= 1e4) return (v / 1e3).toFixed(1) + 'k';
  if (Number.isInteger(v)) return String(v);
  return v.toFixed(digits);
}

export function fmtPct(v) {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  return (100 * v).toFixed(v < 0.001 && v > 0 ? 3 : 2) + '%';
}

const pad = (n) => String(n).padStart(2, '0');
export function fmtTime(epochSeconds, withDate = false) {
  if (!epochSeconds && epochSeconds !== 0) return '—';
  const d = new Date(epochSeconds * 1000);
  const t = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return withDate ? `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${t}` : t;
}

// datetime-local value <-> epoch seconds (local time).
export function toLocalInput(epochSeconds) {
  const d = new Date(epochSeconds * 1000);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}
export function fromLocalInput(value) {
  const ms = new Date(value).getTime();
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : null;
}

// The part of `range` that holds data: [lo, hi] of `times` padded by 5 % of their span (at least
// `minPad` seconds), kept inside the range. A replay that lands all its flows within seconds
// would otherwise be a sliver at the edge of a 15 min axis.
export function dataExtent(range, times, minPad = 2) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const t of times) {
    if (!Number.isFinite(t)) continue;
    if (t < lo) lo = t;
    if (t > hi) hi = t;
  }
  if (lo > hi) return null;
  const pad = Math.max(minPad, 0.05 * (hi - lo));
  // Padding stays inside the window, the data itself never leaves the view: the newest KPI
  // bucket is drawn at its middle, which can be a few seconds after `now`.
  const from = Math.min(lo, Math.max(range.from, lo - pad));
  const to = Math.max(hi, Math.min(range.to, hi + pad));
  return to > from ? { from, to } : { from: lo - pad, to: hi + pad };
}

// What the time axes show: mode 'window' the whole range, 'data' the data's extent, 'auto' the
// extent when the data covers under a fifth of the range (else the range).
export function visibleRange(range, extent, mode) {
  if (!extent || mode === 'window') return range;
  if (mode === 'data') return extent;
  return extent.to - extent.from < 0.2 * (range.to - range.from) ? extent : range;
}

// An IPv4/IPv6 address or CIDR as typed in the host filter (the server checks it exactly).
export function looksLikeHost(s) {
  const v = String(s || '').trim();
  const m = /^([0-9a-fA-F:.]+)(?:\/(\d{1,3}))?$/.exec(v);
  if (!m) return false;
  const ip = m[1];
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) return ip.split('.').every((o) => Number(o) <= 255) && (!m[2] || Number(m[2]) <= 32);
  return ip.includes(':') && (!m[2] || Number(m[2]) <= 128);
}

// A link to a host's page (#/hosts/<ip>): the dashboard's pivot from any table.
export function hostLink(ip, port) {
  if (!ip) return '';
  const p = port === undefined || port === null || port === '' ? '' : `<span class="port">:${esc(port)}</span>`;
  return `<a class="host" href="#/hosts/${encodeURIComponent(ip)}" data-host="${esc(ip)}">${esc(ip)}</a>${p}`;
}

export function fmtBytes(v) {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let x = Number(v);
  let i = 0;
  while (Math.abs(x) >= 1000 && i < units.length - 1) {
    x /= 1000;
    i++;
  }
  return `${i ? x.toFixed(1) : x} ${units[i]}`;
}

// Exponential moving average over points sorted by time: [[tMs, ema], ...].
export function ema(sortedPoints, alpha) {
  const out = new Array(sortedPoints.length);
  let m = null;
  for (let i = 0; i < sortedPoints.length; i++) {
    const p = sortedPoints[i];
    m = m === null ? p.score : alpha * p.score + (1 - alpha) * m;
    out[i] = [p.t * 1000, m];
  }
  return out;
}

// Burst hits: an anomaly (score >= threshold) at time t is a hit when the anomalies in
// (t - windowSeconds, t] number at least minHits. Consecutive hits that overlap merge into one
// burst interval [start, end] where start is the first anomaly of the window that fired.
// Input points sorted by time ascending. Returns {hits: [{t, count}], intervals: [{from, to, peak}]}.
export function bursts(sortedPoints, threshold, windowSeconds, minHits) {
  const times = [];
  for (const p of sortedPoints) if (p.score >= threshold) times.push(p.t);
  const hits = [];
  const intervals = [];
  let lo = 0;
  for (let i = 0; i < times.length; i++) {
    while (times[i] - times[lo] >= windowSeconds) lo++;
    const count = i - lo + 1;
    if (count < minHits) continue;
    hits.push({ t: times[i], count });
    const start = times[lo];
    const last = intervals[intervals.length - 1];
    if (last && start <= last.to) {
      last.to = times[i];
      last.peak = Math.max(last.peak, count);
    } else {
      intervals.push({ from: start, to: times[i], peak: count });
    }
  }
  return { hits, intervals };
}

// A small markdown subset (headings, lists, tables, code, bold/italic, paragraphs): enough for
// the model card, escaped first so the card cannot inject markup.
export function renderMarkdown(md) {
  const lines = String(md || '').replace(/\r/g, '').split('\n');
  const inline = (s) =>
    esc(s)
      .replace(/`([^`]+)`/g, '<code>$1</code>')
      .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
      .replace(/(^|[^*])\*([^*]+)\*/g, '$1<em>$2</em>');
  const out = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (/^```/.test(line)) {
      const code = [];
      i++;
      while (i < lines.length && !/^```/.test(lines[i])) code.push(lines[i++]);
      i++;
      out.push(`<pre><code>${esc(code.join('\n'))}</code></pre>`);
      continue;
    }
    const h = /^(#{1,6})\s+(.*)$/.exec(line);
    if (h) {
      out.push(`<h${h[1].length}>${inline(h[2])}</h${h[1].length}>`);
      i++;
      continue;
    }
    if (/^\s*\|/.test(line)) {
      const rows = [];
      while (i < lines.length && /^\s*\|/.test(lines[i])) rows.push(lines[i++]);
      const cells = (r) => r.trim().replace(/^\|/, '').replace(/\|$/, '').split('|').map((c) => c.trim());
      const body = rows.filter((r) => !/^\s*\|[\s:|-]+\|\s*$/.test(r));
      const [head, ...rest] = body;
      let html = '<table><thead><tr>' + cells(head).map((c) => `<th>${inline(c)}</th>`).join('') + '</tr></thead><tbody>';
      for (const r of rest) html += '<tr>' + cells(r).map((c) => `<td>${inline(c)}</td>`).join('') + '</tr>';
      out.push(html + '</tbody></table>');
      continue;
    }
    if (/^\s*([-*]|\d+\.)\s+/.test(line)) {
      const items = [];
      while (i < lines.length && /^\s*([-*]|\d+\.)\s+/.test(lines[i])) items.push(lines[i++].replace(/^\s*([-*]|\d+\.)\s+/, ''));
      out.push('<ul>' + items.map((it) => `<li>${inline(it)}</li>`).join('') + '</ul>');
      continue;
    }
    if (line.trim() === '') {
      i++;
      continue;
    }
    const para = [];
    while (i < lines.length && lines[i].trim() !== '' && !/^(#|```|\s*\||\s*([-*]|\d+\.)\s)/.test(lines[i])) para.push(lines[i++]);
    if (para.length === 0) para.push(lines[i++]);
    out.push(`<p>${inline(para.join(' '))}</p>`);
  }
  return out.join('\n');
}
