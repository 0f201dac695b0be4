// The mock server's host routes (docs/api.md): /api/v1/flows, /api/v1/hosts/top and
// /api/v1/hosts/{ip}, computed from the mock's flows and alerts. Addresses and CIDRs are parsed
// as the real server does (IPv4 or IPv6, a prefix length), and a bad one is a 400 naming its
// parameter.

// An address as a BigInt in the IPv6 space (IPv4 mapped to ::ffff:a.b.c.d), or null.
function parseAddress(text) {
  const s = String(text);
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (v4) {
    const o = v4.slice(1).map(Number);
    if (o.some((x) => x > 255)) return null;
    return { value: (0xffffn << 32n) | BigInt(((o[0] << 24) >>> 0) + (o[1] << 16) + (o[2] << 8) + o[3]), v4: true };
  }
  if (!/^[0-9a-fA-F:]+$/.test(s) || !s.includes(':')) return null;
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const part = (h) => (h ? h.split(':') : []);
  const head = part(halves[0]);
  const tail = halves.length === 2 ? part(halves[1]) : [];
  const fill = halves.length === 2 ? 8 - head.length - tail.length : 0;
  if (fill < 0 || (halves.length === 1 && head.length !== 8)) return null;
  const groups = [...head, ...Array(fill).fill('0'), ...tail];
  if (groups.length !== 8 || groups.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return null;
  return { value: groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n), v4: false };
}

// A matcher for `ip` or `ip/len`; throws BadRequest naming `param` when it is neither.
function hostMatcher(param, text, BadRequest) {
  const [addr, len, extra] = String(text).trim().split('/');
  const a = parseAddress(addr);
  const max = a && a.v4 ? 32 : 128;
  const bits = len === undefined ? max : /^\d{1,3}$/.test(len) ? Number(len) : NaN;
  if (!a || extra !== undefined || !(bits >= 0 && bits <= max)) {
    throw new BadRequest(`${param}: "${text}" is not an IPv4/IPv6 address or CIDR`);
  }
  const shift = BigInt(max - bits);
  const want = a.value >> shift;
  return (ip) => {
    if (!ip) return false;
    const b = parseAddress(ip);
    return Boolean(b) && b.v4 === a.v4 && b.value >> shift === want;
  };
}

function filterFlows(q, rows, BadRequest) {
  const m = {};
  for (const k of ['host', 'src', 'dst']) if (q.get(k)) m[k] = hostMatcher(k, q.get(k), BadRequest);
  let port = null;
  if (q.get('port')) {
    port = Number(q.get('port'));
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new BadRequest('port: must be an integer in [0, 65535]');
  }
  const anomalies = q.get('anomalies');
  if (anomalies !== null && anomalies !== 'true' && anomalies !== 'false') throw new BadRequest('anomalies: must be true or false');
  return rows.filter(
    (f) =>
      (!m.host || m.host(f.srcip) || m.host(f.dstip)) &&
      (!m.src || m.src(f.srcip)) &&
      (!m.dst || m.dst(f.dstip)) &&
      (port === null || f.sport === port || f.dsport === port) &&
      (anomalies === null || (anomalies === 'true') === (f.label === 1)),
  );
}

const flowId = (f) => `${f.source}:${f.partition}:${f.offset}`;
const bytesOf = (f) => (f.sbytes || 0) + (f.dbytes || 0);

function listFlows(q, ctx) {
  const limit = ctx.limitOf(q, 100, 1000);
  const rows = filterFlows(q, ctx.selection(q).rows, ctx.BadRequest).sort((a, b) => b.stime - a.stime || b.offset - a.offset);
  const cursor = Number(q.get('cursor') || 0);
  if (!Number.isInteger(cursor) || cursor < 0) throw new ctx.BadRequest('cursor: not a cursor of this list');
  const page = rows.slice(cursor, cursor + limit);
  const next = cursor + limit < rows.length ? String(cursor + limit) : null;
  return {
    flows: page.map((f) => ({ id: flowId(f), is_anomaly: f.label === 1, ...f })),
    next,
  };
}

function topHosts(q, ctx) {
  const by = q.get('by') || 'anomalies';
  const role = q.get('role') || 'any';
  if (!['anomalies', 'flows', 'bytes'].includes(by)) throw new ctx.BadRequest('by: must be anomalies, flows or bytes');
  if (!['src', 'dst', 'any'].includes(role)) throw new ctx.BadRequest('role: must be src, dst or any');
  const limit = ctx.limitOf(q, 10, 1000);
  const hosts = new Map();
  const add = (ip, f) => {
    if (!ip) return;
    const h = hosts.get(ip) || { ip, flows: 0, anomalies: 0, bytes: 0, max_score: 0 };
    h.flows++;
    h.anomalies += f.label;
    h.bytes += bytesOf(f);
    h.max_score = Math.max(h.max_score, f.score);
    hosts.set(ip, h);
  };
  for (const f of ctx.selection(q).rows) {
    if (role !== 'dst') add(f.srcip, f);
    if (role !== 'src' && f.dstip !== f.srcip) add(f.dstip, f);
  }
  const list = [...hosts.values()].sort((a, b) => b[by] - a[by] || b.flows - a.flows || (a.ip < b.ip ? -1 : 1));
  return { hosts: list.slice(0, limit) };
}

function hostPage(ip, q, ctx) {
  const is = hostMatcher('ip', ip, ctx.BadRequest);
  const sel = ctx.selection(q);
  const rows = sel.rows.filter((f) => is(f.srcip) || is(f.dstip));
  const summary = { flows: rows.length, anomalies: 0, bytes_out: 0, bytes_in: 0, first: null, last: null };
  const span = sel.to - sel.from;
  const bucket = [1, 5, 10, 30, 60, 300, 600].find((b) => span / b <= 360) || 900;
  const timeline = new Map();
  const peers = new Map();
  const ports = new Map();
  const cats = new Map();
  for (const f of rows) {
    const out = is(f.srcip);
    summary.anomalies += f.label;
    summary.bytes_out += out ? f.sbytes || 0 : f.dbytes || 0;
    summary.bytes_in += out ? f.dbytes || 0 : f.sbytes || 0;
    summary.first = summary.first === null ? f.stime : Math.min(summary.first, f.stime);
    summary.last = summary.last === null ? f.stime : Math.max(summary.last, f.stime);
    const t = Math.floor(f.stime / bucket) * bucket;
    const b = timeline.get(t) || { t, flows: 0, anomalies: 0, max_score: 0 };
    b.flows++;
    b.anomalies += f.label;
    b.max_score = Math.max(b.max_score, f.score);
    timeline.set(t, b);
    const peer = out ? f.dstip : f.srcip;
    const p = peers.get(peer) || { ip: peer, flows: 0, anomalies: 0, bytes: 0 };
    p.flows++;
    p.anomalies += f.label;
    p.bytes += bytesOf(f);
    peers.set(peer, p);
    const port = out ? f.dsport : f.sport;
    const pk = `${port}/${f.proto}`;
    const pp = ports.get(pk) || { port, proto: f.proto, flows: 0, anomalies: 0 };
    pp.flows++;
    pp.anomalies += f.label;
    ports.set(pk, pp);
    if (f.label) cats.set(f.attack_cat, (cats.get(f.attack_cat) || 0) + 1);
  }
  const named = (a) => {
    const h = (a.payload && a.payload.hosts) || {};
    return [h.src, h.dst].flat().some((x) => typeof x === 'string' && is(x));
  };
  return {
    ip,
    summary,
    timeline: [...timeline.values()].sort((a, b) => a.t - b.t),
    peers: [...peers.values()].sort((a, b) => b.flows - a.flows).slice(0, 50),
    ports: [...ports.values()].sort((a, b) => b.flows - a.flows).slice(0, 50),
    categories: [...cats].map(([attack_cat, count]) => ({ attack_cat, count })).sort((a, b) => b.count - a.count),
    alerts: ctx.alerts.filter((a) => a.created >= sel.from && a.created < sel.to && named(a)).sort((a, b) => b.created - a.created),
  };
}

// The answer for a host route, or null when `path` is not one.
export function hostRoutes(path, q, ctx) {
  if (path === '/api/v1/flows') return listFlows(q, ctx);
  if (path === '/api/v1/hosts/top') return topHosts(q, ctx);
  const m = /^\/api\/v1\/hosts\/([^/]+)$/.exec(path);
  if (m) return hostPage(decodeURIComponent(m[1]), q, ctx);
  return null;
}
