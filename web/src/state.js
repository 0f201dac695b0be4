// The view state lives in the URL query string so a view can be shared: every control reads
// from and writes to this object, and `writeUrl` mirrors it with history.replaceState.

export const WINDOWS = { '5m': 300, '15m': 900, '1h': 3600, '6h': 21600, '24h': 86400 };
export const REFRESH = [0, 2, 5, 10, 30];

export const defaults = {
  tab: 'live',
  window: '15m',
  from: null, // epoch seconds, custom window only
  to: null,
  refresh: 5,
  threshold: null, // null: the model's threshold from /api/v1/summary
  burstWindow: 60, // seconds
  burstHits: 5,
  proto: [],
  service: [],
  state: [],
  rows: 100,
  ema: true,
  alpha: 0.05,
  host: '', // address or CIDR: filters the flow tables
  zoom: 'auto', // time axes: 'auto' | 'data' | 'window' (see util.visibleRange)
  talkersBy: 'flows', // Hosts view switches
  talkersRole: 'any',
  anomalousRole: 'any',
};

export const HOST_ROLES = ['any', 'src', 'dst'];

const keys = {
  tab: 'tab', window: 'window', from: 'from', to: 'to', refresh: 'refresh', threshold: 'thr',
  burstWindow: 'bw', burstHits: 'bh', proto: 'proto', service: 'service', state: 'state',
  rows: 'rows', ema: 'ema', alpha: 'alpha', host: 'host', zoom: 'zoom', talkersBy: 'tby',
  talkersRole: 'trole', anomalousRole: 'arole',
};

const clampNum = (v, lo, hi, dflt) => {
  const n = Number(v);
  return Number.isFinite(n) ? Math.min(hi, Math.max(lo, n)) : dflt;
};

export function readUrl(search = location.search) {
  const q = new URLSearchParams(search);
  const s = structuredClone(defaults);
  const get = (k) => q.get(keys[k]);
  if (get('tab') === 'model' || get('tab') === 'feedback') s.tab = get('tab');
  const w = get('window');
  if (w && (w in WINDOWS || w === 'custom')) s.window = w;
  if (s.window === 'custom') {
    s.from = Number(get('from')) || null;
    s.to = Number(get('to')) || null;
    if (!s.from || !s.to || s.to <= s.from) {
      s.window = defaults.window;
      s.from = s.to = null;
    }
  }
  if (get('refresh') !== null) {
    const r = Number(get('refresh'));
    if (REFRESH.includes(r)) s.refresh = r;
  }
  if (get('threshold') !== null && get('threshold') !== '') s.threshold = clampNum(get('threshold'), 0, 1, null);
  if (get('burstWindow') !== null) s.burstWindow = clampNum(get('burstWindow'), 1, 86400, defaults.burstWindow);
  if (get('burstHits') !== null) s.burstHits = Math.round(clampNum(get('burstHits'), 1, 1e6, defaults.burstHits));
  for (const f of ['proto', 'service', 'state']) {
    const v = get(f);
    s[f] = v ? v.split(',').filter(Boolean) : [];
  }
  if (get('rows') !== null) s.rows = Math.round(clampNum(get('rows'), 1, 1000, defaults.rows));
  if (get('ema') !== null) s.ema = get('ema') !== '0';
  if (get('alpha') !== null) s.alpha = clampNum(get('alpha'), 0.001, 1, defaults.alpha);
  s.host = (get('host') || '').trim().slice(0, 64);
  if (['auto', 'data', 'window'].includes(get('zoom'))) s.zoom = get('zoom');
  if (['flows', 'bytes'].includes(get('talkersBy'))) s.talkersBy = get('talkersBy');
  if (HOST_ROLES.includes(get('talkersRole'))) s.talkersRole = get('talkersRole');
  if (HOST_ROLES.includes(get('anomalousRole'))) s.anomalousRole = get('anomalousRole');
  return s;
}

export function writeUrl(s) {
  const q = new URLSearchParams();
  for (const [k, name] of Object.entries(keys)) {
    const v = s[k];
    if (k === 'from' || k === 'to') {
      if (s.window === 'custom' && v) q.set(name, String(v));
      continue;
    }
    if (Array.isArray(v)) {
      if (v.length) q.set(name, v.join(','));
      continue;
    }
    if (v === null || v === undefined || (k === 'zoom' && v === 'manual')) continue;
    if (JSON.stringify(v) === JSON.stringify(defaults[k])) continue;
    q.set(name, typeof v === 'boolean' ? (v ? '1' : '0') : String(v));
  }
  const qs = q.toString();
  const url = location.pathname + (qs ? '?' + qs : '') + location.hash;
  if (url !== location.pathname + location.search + location.hash) history.replaceState(null, '', url);
}

// Query parameters for the API: window (or from/to) plus the filters.
export function apiParams(s, extra = {}) {
  const q = new URLSearchParams();
  if (s.window === 'custom') {
    q.set('from', String(s.from));
    q.set('to', String(s.to));
  } else {
    q.set('window', s.window);
  }
  for (const f of ['proto', 'service', 'state']) if (s[f].length) q.set(f, s[f].join(','));
  for (const [k, v] of Object.entries(extra)) q.set(k, String(v));
  return q;
}

export function windowSeconds(s) {
  return s.window === 'custom' ? s.to - s.from : WINDOWS[s.window];
}

// The page shown: the Hosts view lives in the hash (#/hosts, #/hosts/<ip>) so a host page can be
// linked (alert messages do) and browser back walks through pivots; Live and Model use ?tab=.
export function readRoute(s, hash = location.hash) {
  const m = /^#\/hosts(?:\/([^/?#]+))?\/?$/.exec(hash);
  if (!m) return { view: s.tab, ip: null };
  let ip = null;
  try {
    ip = m[1] ? decodeURIComponent(m[1]) : null;
  } catch (e) {
    ip = null; // a malformed escape: show the list
  }
  return { view: 'hosts', ip };
}
