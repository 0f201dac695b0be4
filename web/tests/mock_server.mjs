// A development stand-in for `flowsentry demo`: serves web/dist and answers every endpoint of
// docs/api.md from an in-memory, seeded flow history (24 h, plus a few new flows every second)
// so the dashboard can be developed and its browser test run without the C++ server.
//
//   node tests/mock_server.mjs [--port 0] [--dist DIR]   (prints "listening on http://127.0.0.1:PORT")
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { dirname, extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const arg = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : dflt;
};
const port = Number(arg('--port', '0'));
const dist = arg('--dist', join(here, '..', 'dist'));
const MODEL_VERSION = 'xgb-mock0123abcd';
const THRESHOLD = 0.41;

// ---- seeded data ----
let seed = 12345;
const rnd = () => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
};
const pick = (items) => {
  const total = items.reduce((a, [, w]) => a + w, 0);
  let r = rnd() * total;
  for (const [v, w] of items) if ((r -= w) <= 0) return v;
  return items[items.length - 1][0];
};
const CATS = ['Generic', 'Exploits', 'Fuzzers', 'DoS', 'Reconnaissance', 'Analysis', 'Backdoor', 'Shellcode', 'Worms'];
const FEATURES = ['sttl', 'ct_state_ttl', 'sbytes', 'smean', 'dload', 'sload', 'ct_srv_dst', 'dttl', 'synack'];
const flows = [];
let offset = 0;

function makeFlow(t, attackBoost) {
  const attack = rnd() < 0.06 + attackBoost;
  const proto = attack ? pick([['udp', 5], ['tcp', 3], ['unas', 1], ['ospf', 0.5], ['sctp', 0.3]]) : pick([['tcp', 6], ['udp', 3], ['arp', 0.4], ['ospf', 0.1]]);
  const service = proto === 'tcp' ? pick([['-', 3], ['http', 3], ['ftp', 1], ['smtp', 1], ['ftp-data', 1], ['ssh', 0.3]]) : proto === 'udp' ? pick([['dns', 5], ['-', 2], ['snmp', 0.3]]) : '-';
  const state = proto === 'tcp' ? pick([['FIN', 6], ['CON', 1], ['REQ', 0.5], ['RST', 0.3]]) : pick([['INT', 5], ['CON', 2], ['REQ', 0.3]]);
  const score = attack ? Math.min(0.9999, 0.55 + 0.45 * Math.sqrt(rnd())) : Math.max(0.0001, Math.pow(rnd(), 4) * 0.6);
  const label = score >= THRESHOLD ? 1 : 0;
  const sttl = attack ? pick([[254, 6], [62, 2]]) : pick([[31, 6], [62, 2], [254, 0.2]]);
  const f = {
    source: 'generator',
    partition: 0,
    offset: offset++,
    stime: t,
    score: +score.toFixed(6),
    label,
    attack_cat: label ? pick(CATS.map((c, i) => [c, 9 - i])) : 'Normal',
    attack_cat_prob: label ? +(0.5 + 0.5 * rnd()).toFixed(3) : +(0.8 + 0.2 * rnd()).toFixed(3),
    proto,
    service,
    state,
    model_version: MODEL_VERSION,
    sload: +(attack ? 5e7 * rnd() : 2e6 * rnd()).toFixed(1),
    dload: +(attack ? 1e4 * rnd() : 4e6 * rnd()).toFixed(1),
    spkts: Math.round(2 + 40 * rnd()),
    dpkts: Math.round(attack ? 2 * rnd() : 40 * rnd()),
    sjit: +(60 * rnd()).toFixed(3),
    djit: +(40 * rnd()).toFixed(3),
    sttl,
    dttl: attack ? 0 : 29,
    dur: +(5 * rnd()).toFixed(6),
    tcprtt: proto === 'tcp' ? +(0.15 * rnd()).toFixed(6) : 0,
    synack: proto === 'tcp' ? +(0.08 * rnd()).toFixed(6) : 0,
    ackdat: proto === 'tcp' ? +(0.07 * rnd()).toFixed(6) : 0,
    ct_state_ttl: attack ? pick([[2, 6], [1, 1], [3, 0.5]]) : pick([[0, 5], [1, 2], [2, 0.3], [6, 0.1]]),
  };
  // Every other flow as the meter gives it (who talked to whom), like the real API: the keys are
  // absent on flows without identity. Derived from the offset so the random sequence is unchanged.
  if (f.offset % 2 === 0) {
    // A few dozen hosts talking to a handful of servers; most anomalies come from two scanners.
    const o = f.offset;
    const scanner = attack && o % 3 !== 0;
    f.srcip = scanner ? (o % 4 === 0 ? '10.0.0.66' : '172.16.5.9') : `10.0.${(o >> 3) % 4}.${((o * 13) % 50) + 2}`;
    f.sport = 40000 + (o % 20000);
    f.dstip = scanner ? `10.0.1.${(o % 24) + 1}` : pick([['192.168.1.10', 3], ['2001:db8::80', 2], ['10.0.2.2', 1], ['192.168.1.53', 2]]);
    f.dsport = scanner ? [22, 23, 80, 443, 445, 3389, 8080][o % 7] + (o % 5 === 0 ? 1000 + (o % 977) : 0) : proto === 'udp' ? 53 : service === 'http' ? 80 : 443;
    f.ltime = +(t + f.dur).toFixed(6);
  }
  f.sbytes = f.spkts * (attack ? 60 : 420);
  f.dbytes = f.dpkts * (attack ? 40 : 900);
  f.id = `${f.stime}_${f.partition}_${f.offset}_${Buffer.from(f.source).toString('hex')}`;
  if (label) {
    const feats = [...FEATURES].sort(() => rnd() - 0.5).slice(0, 3);
    f.top_features = feats.map((name, i) => ({ feature: name, value: f[name] ?? Math.round(100 * rnd()), contribution: +((i === 2 ? -0.4 : 2.4 - i) * (0.5 + rnd())).toFixed(3) }));
  }
  return f;
}

const start = Math.floor(Date.now() / 1000);
function addFlows(from, to, perSecond) {
  for (let t = from; t < to; t++) {
    const boost = Math.floor(t / 240) % 3 === 0 && t % 240 < 40 ? 0.4 : 0; // recurring attack bursts
    let n = perSecond;
    while (n > 0) {
      if (n >= 1 || rnd() < n) flows.push(makeFlow(t + rnd(), boost));
      n -= 1;
    }
  }
}
addFlows(start - 86400, start - 3600, 0.2);
addFlows(start - 3600, start, 6);
let last = start;
setInterval(() => {
  const now = Math.floor(Date.now() / 1000);
  addFlows(last, now, 6);
  last = now;
}, 1000).unref();

const drift = [];
for (let t = start - 86400 + 300; t < start; t += 300) {
  const over = rnd() < 0.15;
  for (const field of ['proto', 'state']) {
    const value = +(over ? 0.05 + 0.1 * rnd() : 0.05 * rnd()).toFixed(4);
    const details = { field, baseline: 'reference', over: value > 0.05, consecutive: value > 0.05 ? 1 : 0, flows: 5000 };
    drift.push({ time: t, kind: 'mix', measure: 'js', value, threshold: 0.05, details });
  }
  if (rnd() < 0.08) drift.push({ time: t + 17, kind: 'score', measure: 'adwin', value: 0.21, threshold: 0.002, details: { mean_before: 0.08, mean_after: 0.29, width_before: 4000, width_after: 600 } });
}
// A promotion and its rollback, drawn as markers on the timeline.
drift.push({ time: start - 7200, kind: 'model_changed', measure: 'promote', value: 1, threshold: THRESHOLD, details: { from: MODEL_VERSION, to: 'xgb-candidate01', by: 'alice', how: 'promote', trigger: 'poll' } });
drift.push({ time: start - 3600, kind: 'model_changed', measure: 'rollback', value: 1, threshold: THRESHOLD, details: { from: 'xgb-candidate01', to: MODEL_VERSION, by: 'alice', how: 'rollback', trigger: 'sighup' } });
const alerts = [];
for (let i = 0; i < 40; i++) {
  const created = start - 86400 + i * 2160 + 600;
  alerts.push({
    id: `a${i}`,
    type: i % 4 === 0 ? 'mix_drift' : 'burst',
    kind: i % 4 === 0 ? 'mix_drift' : 'burst',
    key: i % 4 === 0 ? 'mix_drift:proto:reference' : 'burst:udp/dns/INT',
    created,
    payload: i % 4 === 0
      ? { summary: 'proto mix drifted from the training reference', field: 'proto', baseline: 'reference', measure: 'js', value: 0.081, threshold: 0.05, top_categories: [{ category: 'udp', share: 0.55, baseline_share: 0.31, contribution: 0.03 }, { category: 'tcp', share: 0.3, baseline_share: 0.52, contribution: 0.02 }] }
      : { summary: `${5 + (i % 7)} anomalies in 60 s on udp/dns/INT`, hits_in_window: 5 + (i % 7) },
    delivery_status: i % 9 === 0 ? 'failed: HTTP 500 from webhook' : i % 5 === 0 ? 'pending' : 'sent',
    acknowledged: i % 3 === 0,
    snoozed_until: null,
  });
}
alerts.push({ id: 'scan', type: 'behaviour', kind: 'port_scan', key: 'behaviour:port_scan:10.0.0.66', created: start - 90, payload: { summary: 'port scan: 10.0.0.66 probed 200 ports of 10.0.0.2 in 2 s', hosts: { src: '10.0.0.66', dst: '10.0.0.2' } }, delivery_status: 'sent', acknowledged: false, snoozed_until: null });
alerts.push({ id: 'live', type: 'burst', kind: 'burst', key: 'burst:udp/-/INT', created: start - 30, payload: { summary: '9 anomalies in 60 s' }, delivery_status: 'sent', acknowledged: false, snoozed_until: null });

// ---- queries ----
const WINDOWS = { '5m': 300, '15m': 900, '1h': 3600, '6h': 21600, '24h': 86400 };
class BadRequest extends Error {}
// As the real server: 400 names the parameter ({error, details: [{field, problem}]}).
class BadParam extends BadRequest {
  constructor(field, problem) {
    super(`${field}: ${problem}`);
    this.details = [{ field, problem }];
  }
}

function selection(q) {
  let to = Date.now() / 1000;
  let from;
  if (q.has('from') || q.has('to')) {
    from = Number(q.get('from'));
    to = Number(q.get('to'));
    if (!Number.isFinite(from) || !Number.isFinite(to) || to <= from) throw new BadRequest('from/to must be epoch seconds with from < to');
  } else {
    const w = q.get('window') || '15m';
    const secs = WINDOWS[w] ?? Number(w);
    if (!Number.isFinite(secs) || secs <= 0) throw new BadRequest(`window "${w}" is not one of 5m, 15m, 1h, 6h, 24h or a number of seconds`);
    from = to - secs;
  }
  const lists = {};
  for (const k of ['proto', 'service', 'state']) lists[k] = q.get(k) ? new Set(q.get(k).split(',')) : null;
  const rows = flows.filter((f) => f.stime >= from && f.stime < to && (!lists.proto || lists.proto.has(f.proto)) && (!lists.service || lists.service.has(f.service)) && (!lists.state || lists.state.has(f.state)));
  return { from, to, rows };
}

const limitOf = (q, dflt, max) => {
  const n = Number(q.get('limit') ?? dflt);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new BadRequest(`limit must be an integer in [1, ${max}]`);
  return n;
};

function bucketSeconds(span) {
  for (const b of [1, 5, 10, 30, 60, 300, 600]) if (span / b <= 360) return b;
  return 900;
}

function buckets(sel, fields) {
  const b = bucketSeconds(sel.to - sel.from);
  const map = new Map();
  for (const f of sel.rows) {
    const t = Math.floor(f.stime / b) * b;
    let e = map.get(t);
    if (!e) map.set(t, (e = { t, count: 0, anomalies: 0, sum: {} }));
    e.count++;
    e.anomalies += f.label;
    for (const k of fields) e.sum[k] = (e.sum[k] || 0) + f[k];
  }
  return { b, entries: [...map.values()].sort((x, y) => x.t - y.t) };
}

const CSV_COLUMNS = ['source', 'partition', 'offset', 'stime', 'score', 'label', 'attack_cat', 'proto', 'service', 'state', 'model_version', 'sload', 'dload', 'spkts', 'dpkts', 'sjit', 'djit', 'sttl', 'dttl', 'dur', 'tcprtt', 'synack', 'ackdat', 'ct_state_ttl', 'ltime', 'srcip', 'sport', 'dstip', 'dsport', 'sbytes', 'dbytes'];
const csvCell = (v) => (/[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v ?? ''));

// ---- hosts: addresses and CIDRs as 128-bit numbers, IPv4 mapped to ::ffff:a.b.c.d ----
function addressValue(text) {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(text)) {
    const parts = text.split('.').map(Number);
    if (parts.some((p) => p > 255)) return null;
    return (0xffffn << 32n) | BigInt(((parts[0] << 24) >>> 0) + (parts[1] << 16) + (parts[2] << 8) + parts[3]);
  }
  if (!/^[0-9a-fA-F:]+$/.test(text) || text.split('::').length > 2) return null;
  const [head, tail] = text.includes('::') ? text.split('::') : [text, null];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  if (tail === null && h.length !== 8) return null;
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  if (groups.length !== 8 || groups.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return null;
  return groups.reduce((a, g) => (a << 16n) | BigInt(parseInt(g, 16)), 0n);
}
function rangeParam(q, name) {
  if (!q.has(name)) return null;
  const text = q.get(name);
  const [addr, bits, extra] = text.split('/');
  const v = addressValue(addr);
  const v4 = !addr.includes(':');
  const max = v4 ? 32 : 128;
  if (v === null || extra !== undefined) throw new BadParam(name, `'${text}' is not an address or CIDR: the address does not parse`);
  if (bits === undefined) return [v, v];
  const n = Number(bits);
  if (!/^\d+$/.test(bits) || n > max) throw new BadParam(name, `'${text}' is not an address or CIDR: the prefix length must be 0 to ${max}`);
  const hostBits = BigInt(max - n);
  const lo = (v >> hostBits) << hostBits;
  return [lo, lo | ((1n << hostBits) - 1n)];
}
const inRange = (ip, r) => {
  if (!r) return true;
  const v = ip == null ? null : addressValue(ip);
  return v !== null && v >= r[0] && v <= r[1];
};
const listed = (f) => ({ srcip: null, sport: null, dstip: null, dsport: null, ltime: null, ...f, is_anomaly: f.label === 1 });
function hostRows(rows, byHost) {
  const map = new Map();
  for (const [ip, f] of byHost(rows)) {
    const e = map.get(ip) || { ip, flows: 0, anomalies: 0, bytes: 0, max_score: 0 };
    e.flows++;
    e.anomalies += f.label;
    e.bytes += f.sbytes + f.dbytes;
    e.max_score = Math.max(e.max_score, f.score);
    map.set(ip, e);
  }
  return [...map.values()];
}

const shadowHist = { bins: Array.from({ length: 21 }, (_, i) => i / 20), active: [812, 90, 40, 22, 15, 10, 8, 6, 5, 5, 4, 4, 5, 6, 8, 12, 20, 40, 90, 310], shadow: [790, 100, 45, 25, 16, 11, 9, 7, 6, 5, 5, 5, 6, 7, 9, 14, 22, 44, 95, 290] };
const model = {
  active: MODEL_VERSION,
  shadow: 'xgb-candidate02',
  agreement: 0.9731,
  histograms: shadowHist,
  comparison: { active: MODEL_VERSION, shadow: 'xgb-candidate02', flows: 1507, agreement: 0.9731, attack_cat_agreement: 0.95, anomalies: { active: 520, shadow: 507, only_active: 27, only_shadow: 14 }, histograms: shadowHist },
  meta: { model_version: MODEL_VERSION, created: '2026-11-20T10:00:00Z', threshold: THRESHOLD, threshold_rule: 'FPR <= 2% on validation', train_rows: 140272, validation_rows: 35069, classes: ['Normal', ...CATS] },
  metrics: {},
  reference: { proto: { tcp: 0.52, udp: 0.31 } },
  model_card: '# Model card: ' + MODEL_VERSION + '\n\nGradient-boosted trees (XGBoost) scoring UNSW-NB15 flows.\n\n## Intended use\n- Flag anomalous network flows for an analyst.\n- **Not** a blocking firewall.\n\n## Metrics\n| split | AUC | F1 |\n|---|---|---|\n| validation | 0.986 | 0.94 |\n| test | 0.979 | 0.91 |\n\n`threshold` = 0.41 (FPR <= 2%).\n',
};
for (const [split, auc] of [['validation', 0.986], ['test', 0.979]]) {
  const roc = [];
  const pr = [];
  for (let i = 0; i <= 50; i++) {
    const thr = 1 - i / 50;
    const fpr = Math.pow(i / 50, 3);
    const tpr = Math.min(1, Math.pow(i / 50, 0.08));
    roc.push({ fpr: +fpr.toFixed(4), tpr: +tpr.toFixed(4), threshold: +thr.toFixed(3) });
    pr.push({ recall: +tpr.toFixed(4), precision: +(tpr / (tpr + fpr * 0.8 + 1e-9)).toFixed(4), threshold: +thr.toFixed(3) });
  }
  const classes = ['Normal', ...CATS];
  model.metrics[split] = {
    rows: split === 'test' ? 82332 : 35069, auc, accuracy: 0.93, precision: 0.95, recall: 0.92, f1: 0.935, fpr: 0.02, threshold: THRESHOLD, fpr_at_recall_95: 0.061, fpr_at_recall_97: 0.09,
    confusion: { tp: 41000, fp: 700, tn: 36300, fn: 4332 },
    multiclass: { accuracy: 0.81, macro_f1: 0.52, classes, confusion: classes.map((_, i) => classes.map((__, j) => (i === j ? 2000 - i * 150 : Math.round(((i * 7 + j * 3) % 11) * 13)))) },
    curves: { roc, pr },
  };
}

function json(res, status, body) {
  const s = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(s) });
  res.end(s);
}

async function readBody(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null');
  } catch (e) {
    throw new BadRequest('body is not valid JSON');
  }
}

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.png': 'image/png', '.svg': 'image/svg+xml' };

// Feedback and suppression rules given through the dashboard, newest first.
const feedback = [];
const rules = [];
let feedbackSeq = 0;

async function handle(req, res) {
  const url = new URL(req.url, 'http://x');
  const q = url.searchParams;
  const path = url.pathname;
  if (path === '/healthz') return json(res, 200, { status: 'ok' });
  if (path === '/readyz') return json(res, 200, { ready: true, model_version: MODEL_VERSION, store: 'mock' });
  if (path === '/api/v1/summary') {
    const sel = selection(q);
    const anomalies = sel.rows.reduce((a, f) => a + f.label, 0);
    const span = Math.max(1, Math.min(sel.to, Date.now() / 1000) - sel.from);
    const inWin = alerts.filter((a) => a.created >= sel.from && a.created < sel.to).length;
    const driftNow = drift.some((e) => e.time >= sel.from && e.time < sel.to && e.value > e.threshold);
    return json(res, 200, { from: sel.from, to: sel.to, flows: sel.rows.length, anomalies, anomaly_rate: sel.rows.length ? anomalies / sel.rows.length : 0, flows_per_second: sel.rows.length / span, latency_p95_ms: 12.5, drift_status: driftNow ? 'drift' : 'ok', alerts_in_window: inWin, model_version: MODEL_VERSION, threshold: THRESHOLD, received: offset, rejected: 3 });
  }
  if (path === '/api/v1/series') {
    const { b, entries } = buckets(selection(q), ['score']);
    return json(res, 200, { bucket_seconds: b, points: entries.map((e) => ({ t: e.t, count: e.count, anomalies: e.anomalies, avg_score: e.sum.score / e.count })) });
  }
  if (path === '/api/v1/points') {
    const limit = limitOf(q, 5000, 100000);
    const rows = selection(q).rows.sort((a, b) => b.stime - a.stime);
    const step = Math.max(1, rows.length / limit);
    const points = [];
    for (let i = 0; i < rows.length && points.length < limit; i += step) {
      const f = rows[Math.floor(i)];
      points.push({ t: f.stime, score: f.score, label: f.label });
    }
    return json(res, 200, { points });
  }
  if (path === '/api/v1/kpis') {
    const fields = ['sload', 'dload', 'spkts', 'dpkts', 'sjit', 'djit', 'tcprtt', 'synack', 'ackdat'];
    const { b, entries } = buckets(selection(q), fields);
    return json(res, 200, { bucket_seconds: b, points: entries.map((e) => ({ t: e.t, count: e.count, ...Object.fromEntries(fields.map((k) => [k, e.sum[k] / e.count])) })) });
  }
  if (path === '/api/v1/mix') {
    const column = q.get('column') || 'proto';
    if (!['proto', 'state', 'service'].includes(column)) throw new BadRequest(`column must be proto, state or service, not "${column}"`);
    const k = Number(q.get('k') || 8);
    const map = new Map();
    for (const f of selection(q).rows) {
      const e = map.get(f[column]) || { value: f[column], normal: 0, anomaly: 0 };
      e[f.label ? 'anomaly' : 'normal']++;
      map.set(f[column], e);
    }
    const all = [...map.values()].sort((a, b) => b.normal + b.anomaly - (a.normal + a.anomaly));
    const entries = all.slice(0, k);
    if (all.length > k) entries.push(all.slice(k).reduce((o, e) => ({ value: 'other', normal: o.normal + e.normal, anomaly: o.anomaly + e.anomaly }), { value: 'other', normal: 0, anomaly: 0 }));
    return json(res, 200, { column, entries });
  }
  if (path === '/api/v1/heatmap') {
    const map = new Map();
    for (const f of selection(q).rows) {
      const e = map.get(f.ct_state_ttl) || { ct_state_ttl: f.ct_state_ttl, normal: 0, anomaly: 0 };
      e[f.label ? 'anomaly' : 'normal']++;
      map.set(f.ct_state_ttl, e);
    }
    return json(res, 200, { cells: [...map.values()].sort((a, b) => a.ct_state_ttl - b.ct_state_ttl) });
  }
  const anomalies = /^\/api\/v1\/anomalies\/(recent|top)$/.exec(path);
  if (anomalies) {
    const limit = limitOf(q, anomalies[1] === 'top' ? 10 : 100, 10000);
    const host = rangeParam(q, 'host');
    const rows = selection(q).rows.filter((f) => f.label === 1 && (!host || inRange(f.srcip, host) || inRange(f.dstip, host)));
    rows.sort(anomalies[1] === 'top' ? (a, b) => b.score - a.score : (a, b) => b.stime - a.stime);
    const out = rows.slice(0, limit);
    if (q.get('format') === 'csv' || (req.headers.accept || '').includes('text/csv')) {
      const body = [CSV_COLUMNS.join(','), ...out.map((f) => CSV_COLUMNS.map((c) => csvCell(f[c])).join(','))].join('\n') + '\n';
      res.writeHead(200, { 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': `attachment; filename="anomalies-${anomalies[1]}.csv"` });
      return res.end(body);
    }
    return json(res, 200, { flows: out });
  }
  if (path === '/api/v1/flows') {
    const host = rangeParam(q, 'host');
    const src = rangeParam(q, 'src');
    const dst = rangeParam(q, 'dst');
    const port = q.has('port') ? Number(q.get('port')) : null;
    if (port !== null && !(Number.isInteger(port) && port >= 0 && port <= 65535)) throw new BadParam('port', 'expected an integer from 0 to 65535');
    const an = q.get('anomalies');
    if (an !== null && an !== 'true' && an !== 'false') throw new BadParam('anomalies', 'expected true or false');
    const limit = limitOf(q, 100, 1000);
    let rows = selection(q).rows.filter((f) => (!host || inRange(f.srcip, host) || inRange(f.dstip, host)) && inRange(f.srcip, src) && inRange(f.dstip, dst) && (port === null || f.sport === port || f.dsport === port) && (an === null || f.label === (an === 'true' ? 1 : 0)));
    rows.sort((a, b) => b.stime - a.stime || b.offset - a.offset);
    const cursor = q.get('cursor');
    if (cursor) {
      const at = rows.findIndex((f) => f.id === cursor);
      if (at < 0) throw new BadParam('cursor', "not a cursor this API returned as 'next'");
      rows = rows.slice(at + 1);
    }
    const page = rows.slice(0, limit);
    return json(res, 200, { flows: page.map(listed), next: rows.length > limit ? page[page.length - 1].id : null });
  }
  const flowId = /^\/api\/v1\/flows\/([^/]+)$/.exec(path);
  if (flowId) {
    const f = flows.find((x) => x.id === decodeURIComponent(flowId[1]));
    return f ? json(res, 200, listed(f)) : json(res, 404, { error: `no stored flow with id ${flowId[1]}` });
  }
  if (path === '/api/v1/hosts/top') {
    const by = q.get('by') || 'anomalies';
    const role = q.get('role') || 'any';
    if (!['anomalies', 'flows', 'bytes'].includes(by)) throw new BadParam('by', 'expected one of anomalies, flows, bytes');
    if (!['any', 'src', 'dst'].includes(role)) throw new BadParam('role', 'expected one of any, src, dst');
    const limit = limitOf(q, 20, 1000);
    const hosts = hostRows(selection(q).rows, function* (rows) {
      for (const f of rows) {
        if (role !== 'dst' && f.srcip) yield [f.srcip, f];
        if (role !== 'src' && f.dstip) yield [f.dstip, f];
      }
    });
    const second = by === 'flows' ? 'anomalies' : 'flows';
    hosts.sort((a, b) => b[by] - a[by] || b[second] - a[second] || (a.ip < b.ip ? -1 : 1));
    return json(res, 200, { by, role, hosts: hosts.slice(0, limit) });
  }
  const hostIp = /^\/api\/v1\/hosts\/([^/]+)$/.exec(path);
  if (hostIp) {
    const ip = decodeURIComponent(hostIp[1]);
    const v = addressValue(ip);
    if (v === null) throw new BadParam('ip', `'${ip}' is not an address`);
    const limit = limitOf(q, 20, 1000);
    const sel = selection(q);
    const mine = sel.rows.filter((f) => inRange(f.srcip, [v, v]) || inRange(f.dstip, [v, v]));
    const isSrc = (f) => inRange(f.srcip, [v, v]);
    const isDst = (f) => inRange(f.dstip, [v, v]);
    const b = bucketSeconds(sel.to - sel.from);
    const timeline = new Map();
    for (const f of mine) {
      const t = Math.floor(f.stime / b) * b;
      const e = timeline.get(t) || { t, flows: 0, anomalies: 0, max_score: 0 };
      e.flows++;
      e.anomalies += f.label;
      e.max_score = Math.max(e.max_score, f.score);
      timeline.set(t, e);
    }
    const peers = hostRows(mine, function* (rows) {
      for (const f of rows) {
        if (isSrc(f) && f.dstip) yield [f.dstip, f];
        if (isDst(f) && f.srcip) yield [f.srcip, f];
      }
    }).sort((a, b2) => b2.flows - a.flows || b2.anomalies - a.anomalies).slice(0, limit);
    const ports = new Map();
    for (const f of mine) {
      if (f.dsport == null) continue;
      const k = `${f.dsport}/${f.proto}`;
      const e = ports.get(k) || { port: f.dsport, proto: f.proto, flows: 0, anomalies: 0 };
      e.flows++;
      e.anomalies += f.label;
      ports.set(k, e);
    }
    const cats = new Map();
    for (const f of mine) if (f.label) cats.set(f.attack_cat, (cats.get(f.attack_cat) || 0) + 1);
    const pattern = new RegExp(`(^|[^0-9a-fA-F.:])${ip.replace(/[.]/g, '\\.')}($|[^0-9a-fA-F:]|\\.($|[^0-9a-fA-F.:]))`);
    const summary = {
      flows: mine.length,
      anomalies: mine.reduce((a, f) => a + f.label, 0),
      bytes_out: mine.reduce((a, f) => a + (isSrc(f) ? f.sbytes : 0) + (isDst(f) ? f.dbytes : 0), 0),
      bytes_in: mine.reduce((a, f) => a + (isSrc(f) ? f.dbytes : 0) + (isDst(f) ? f.sbytes : 0), 0),
      first: mine.length ? Math.min(...mine.map((f) => f.stime)) : null,
      last: mine.length ? Math.max(...mine.map((f) => f.ltime ?? f.stime)) : null,
    };
    return json(res, 200, {
      ip,
      bucket_seconds: b,
      summary,
      timeline: [...timeline.values()].sort((x, y) => x.t - y.t),
      peers,
      ports: [...ports.values()].sort((x, y) => y.flows - x.flows || y.anomalies - x.anomalies || x.port - y.port).slice(0, limit),
      categories: [...cats.entries()].map(([attack_cat, count]) => ({ attack_cat, count })).sort((x, y) => y.count - x.count),
      alerts: alerts.filter((a) => a.created >= sel.from && a.created < sel.to && pattern.test(JSON.stringify(a.payload))).sort((x, y) => y.created - x.created).slice(0, 50).map(({ id, type, kind, created, payload, acknowledged }) => ({ id, type, kind, created, payload, acknowledged })),
    });
  }
  if (path === '/api/v1/drift') {
    const sel = selection(q);
    const limit = limitOf(q, 100, 10000);
    return json(res, 200, { events: drift.filter((e) => e.time >= sel.from && e.time < sel.to).sort((a, b) => b.time - a.time).slice(0, limit) });
  }
  if (path === '/api/v1/alerts') {
    const sel = selection(q);
    const limit = limitOf(q, 100, 10000);
    return json(res, 200, { alerts: alerts.filter((a) => a.created >= sel.from && a.created < sel.to).sort((a, b) => b.created - a.created).slice(0, limit) });
  }
  const act = /^\/api\/v1\/alerts\/([^/]+)\/(ack|snooze)$/.exec(path);
  if (act) {
    if (req.method !== 'POST') return json(res, 405, { error: 'use POST' });
    // As the real server: a POST must be JSON (a cross-site form or text/plain post is refused).
    const type = (req.headers['content-type'] || '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/json') {
      return json(res, 415, { error: 'expected Content-Type: application/json', details: [{ field: 'Content-Type', problem: `got '${req.headers['content-type'] || ''}'` }] });
    }
    const a = alerts.find((x) => x.id === decodeURIComponent(act[1]));
    if (!a) return json(res, 404, { error: `no alert ${act[1]}` });
    const body = await readBody(req);
    if (act[2] === 'ack') a.acknowledged = body?.acknowledged !== false;
    else a.snoozed_until = body?.until ?? null;
    return json(res, 200, { ok: true });
  }
  const fb = /^\/api\/v1\/(flows|alerts)\/([^/]+)\/feedback$/.exec(path);
  if (fb) {
    if (req.method !== 'POST') return json(res, 405, { error: 'use POST' });
    const body = await readBody(req);
    if (!['true_positive', 'false_positive', 'benign_expected'].includes(body?.label)) {
      return json(res, 400, { error: 'bad body', details: [{ field: '/label', problem: 'expected true_positive, false_positive or benign_expected' }] });
    }
    const target = decodeURIComponent(fb[2]);
    const entry = { id: ++feedbackSeq, flow_id: fb[1] === 'flows' ? target : null, alert_id: fb[1] === 'alerts' ? target : null, label: body.label, attack_cat: body.attack_cat ?? null, analyst: body.analyst || '', note: body.note || '', created: Date.now() / 1000 };
    feedback.unshift(entry);
    return json(res, 201, entry);
  }
  if (path === '/api/v1/feedback') return json(res, 200, { feedback: feedback.slice(0, limitOf(q, 100, 1000)), next: null });
  if (path === '/api/v1/suppressions') {
    if (req.method === 'POST') {
      const body = await readBody(req);
      const rule = { id: ++feedbackSeq, kind: null, src: null, dst: null, service: null, port: null, note: '', ...body, created: Date.now() / 1000 };
      rule.expires = body?.expires ?? rule.created + 90 * 86400;
      rules.unshift(rule);
      return json(res, 201, rule);
    }
    return json(res, 200, { suppressions: rules.slice(0, limitOf(q, 100, 1000)) });
  }
  const del = /^\/api\/v1\/(feedback|suppressions)\/([0-9]+)$/.exec(path);
  if (del) {
    if (req.method !== 'DELETE') return json(res, 405, { error: 'use DELETE' });
    const list = del[1] === 'feedback' ? feedback : rules;
    const at = list.findIndex((x) => x.id === Number(del[2]));
    if (at < 0) return json(res, 404, { error: `no ${del[1]} ${del[2]}` });
    list.splice(at, 1);
    return json(res, 200, { ok: true });
  }
  if (path === '/api/v1/model') return json(res, 200, model);
  if (path.startsWith('/api/')) return json(res, 404, { error: `no endpoint ${path}` });

  // The dashboard.
  const file = path === '/' ? 'index.html' : normalize(path).replace(/^\/+/, '');
  if (file.includes('..')) return json(res, 404, { error: 'not found' });
  try {
    const body = await readFile(join(dist, file));
    res.writeHead(200, { 'Content-Type': TYPES[extname(file)] || 'application/octet-stream' });
    return res.end(body);
  } catch (e) {
    return json(res, 404, { error: `not found: ${path}` });
  }
}

const server = createServer((req, res) => {
  handle(req, res).catch((e) => json(res, e instanceof BadRequest ? 400 : 500, e.details ? { error: 'bad query parameter', details: e.details } : { error: e.message }));
});
server.listen(port, '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => server.close(() => process.exit(0)));
