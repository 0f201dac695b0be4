// The control bar: binds every input to the view state and calls onChange(kind) where kind is
// 'data' (the server must be asked again) or 'view' (recompute from the data already loaded).
import { $, esc, fromLocalInput, looksLikeHost, toLocalInput } from './util.js';

const FILTERS = ['proto', 'service', 'state'];
const menuKeys = {};

function multiSummary(column, selected) {
  return `${column} ${selected.length ? `<span class="count">(${selected.length})</span>` : '<span class="muted">all</span>'}`;
}

// Rebuilds a filter menu when its list of values changed (selected values always stay listed).
export function setFilterOptions(state, column, values) {
  const all = [...new Set([...values.filter((v) => v !== 'other' && v !== ''), ...state[column]])];
  const key = all.join('\u0001');
  const root = $(`ctl-${column}`);
  if (menuKeys[column] === key && root.firstChild) {
    syncFilter(state, column);
    return;
  }
  menuKeys[column] = key;
  const open = root.querySelector('details')?.open;
  root.innerHTML =
    `<details${open ? ' open' : ''}><summary data-testid="filter-${column}-summary">${multiSummary(column, state[column])}</summary><div class="menu">` +
    all.map((v) => `<label><input type="checkbox" value="${esc(v)}" data-testid="filter-${column}-option"${state[column].includes(v) ? ' checked' : ''}> ${esc(v)}</label>`).join('') +
    (all.length ? '' : '<span class="muted small">no values in this window</span>') +
    `<button class="btn small clear" data-testid="filter-${column}-clear">all</button></div></details>`;
}

function syncFilter(state, column) {
  const root = $(`ctl-${column}`);
  for (const box of root.querySelectorAll('input[type=checkbox]')) box.checked = state[column].includes(box.value);
  const summary = root.querySelector('summary');
  if (summary) summary.innerHTML = multiSummary(column, state[column]);
}

export function syncControls(state, threshold) {
  $('ctl-window').value = state.window;
  $('custom-range').classList.toggle('hidden', state.window !== 'custom');
  if (state.window === 'custom') {
    $('ctl-from').value = toLocalInput(state.from);
    $('ctl-to').value = toLocalInput(state.to);
  }
  $('ctl-refresh').value = String(state.refresh);
  if (threshold !== null && threshold !== undefined && document.activeElement !== $('ctl-threshold')) {
    $('ctl-threshold').value = threshold.toFixed(2);
    $('ctl-threshold-range').value = String(threshold);
  }
  $('ctl-burst-window').value = String(state.burstWindow);
  $('ctl-burst-hits').value = String(state.burstHits);
  $('ctl-rows').value = String(state.rows);
  if (document.activeElement !== $('ctl-host')) $('ctl-host').value = state.host;
  $('ctl-host').classList.remove('invalid');
  $('ctl-ema').checked = state.ema;
  $('ctl-alpha').value = String(state.alpha);
  $('ctl-alpha').disabled = !state.ema;
  for (const f of FILTERS) syncFilter(state, f);
}

export function bindControls(state, onChange) {
  const num = (id, lo, hi, apply, kind) => {
    $(id).addEventListener('change', () => {
      const v = Number($(id).value);
      if (!Number.isFinite(v) || v < lo || v > hi) return;
      apply(v);
      onChange(kind);
    });
  };
  $('ctl-window').addEventListener('change', () => {
    const w = $('ctl-window').value;
    if (w === 'custom') {
      const now = Math.floor(Date.now() / 1000);
      state.to = state.to || now;
      state.from = state.from || now - 3600;
    }
    state.window = w;
    onChange('data');
  });
  const custom = () => {
    const from = fromLocalInput($('ctl-from').value);
    const to = fromLocalInput($('ctl-to').value);
    if (from && to && to > from) {
      state.from = from;
      state.to = to;
      onChange('data');
    }
  };
  $('ctl-from').addEventListener('change', custom);
  $('ctl-to').addEventListener('change', custom);
  $('ctl-refresh').addEventListener('change', () => {
    state.refresh = Number($('ctl-refresh').value);
    onChange('timer');
  });
  const setThreshold = (v) => {
    state.threshold = Math.min(1, Math.max(0, v));
    onChange('view');
  };
  $('ctl-threshold').addEventListener('change', () => {
    const v = Number($('ctl-threshold').value);
    if (Number.isFinite(v)) setThreshold(v);
  });
  $('ctl-threshold-range').addEventListener('input', () => {
    $('ctl-threshold').value = Number($('ctl-threshold-range').value).toFixed(2);
    setThreshold(Number($('ctl-threshold-range').value));
  });
  num('ctl-burst-window', 1, 86400, (v) => (state.burstWindow = v), 'view');
  num('ctl-burst-hits', 1, 1e6, (v) => (state.burstHits = Math.round(v)), 'view');
  num('ctl-rows', 1, 1000, (v) => (state.rows = Math.round(v)), 'data');
  $('ctl-host').addEventListener('change', () => {
    const v = $('ctl-host').value.trim();
    const ok = v === '' || looksLikeHost(v);
    $('ctl-host').classList.toggle('invalid', !ok);
    if (!ok || v === state.host) return;
    state.host = v;
    onChange('data');
  });
  num('ctl-alpha', 0.001, 1, (v) => (state.alpha = v), 'view');
  $('ctl-ema').addEventListener('change', () => {
    state.ema = $('ctl-ema').checked;
    onChange('view');
  });
  for (const f of FILTERS) {
    const root = $(`ctl-${f}`);
    root.addEventListener('change', (ev) => {
      if (ev.target.type !== 'checkbox') return;
      state[f] = [...root.querySelectorAll('input[type=checkbox]:checked')].map((b) => b.value);
      syncFilter(state, f);
      onChange('data');
    });
    root.addEventListener('click', (ev) => {
      if (!ev.target.matches('button.clear')) return;
      ev.preventDefault();
      state[f] = [];
      syncFilter(state, f);
      onChange('data');
    });
  }
  // Close an open filter menu on a click elsewhere.
  document.addEventListener('click', (ev) => {
    for (const d of document.querySelectorAll('.multi details[open]')) if (!d.contains(ev.target)) d.open = false;
  });
}
