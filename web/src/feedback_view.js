// Analyst feedback: the buttons in the flow drawer and the alert list (true positive, false
// positive, expected, suppress similar) and the Feedback page (feedback given and the rules in
// force, each with delete). Everything goes through /api/v1/*/feedback and /api/v1/suppressions.
import { deleteJson, getJson, postJson } from './api.js';
import { $, esc, fmtTime } from './util.js';

const ANALYST_KEY = 'flowsentry.analyst';
export const RULE_DAYS = 7; // "suppress similar" rules expire after this many days

const LABELS = { tp: 'true_positive', fp: 'false_positive', expected: 'benign_expected' };

export function analyst() {
  let name = '';
  try {
    name = localStorage.getItem(ANALYST_KEY) || '';
  } catch (e) {
    name = '';
  }
  return name || 'dashboard';
}

function setAnalyst(name) {
  try {
    localStorage.setItem(ANALYST_KEY, name);
  } catch (e) {
    /* private mode: not remembered */
  }
}

// What "suppress similar" proposes for a flow: who it went to and on which port when the flow
// has addresses, else its service.
export function ruleForFlow(f) {
  if (f.dstip) return f.dsport !== undefined && f.dsport !== null ? { dst: f.dstip, port: f.dsport } : { dst: f.dstip };
  if (f.service && f.service !== '-') return { service: f.service };
  return null;
}

// For an alert: its kind, and its source when it names exactly one.
export function ruleForAlert(a) {
  const rule = { kind: a.kind || a.type };
  const src = a.payload && a.payload.hosts ? a.payload.hosts.src : null;
  if (typeof src === 'string') rule.src = src;
  return rule;
}

function ruleText(r) {
  const parts = ['kind', 'src', 'dst', 'service', 'port'].filter((k) => r[k] !== null && r[k] !== undefined).map((k) => `${k} ${r[k]}`);
  return parts.join(', ') || 'any';
}

export async function suppress(rule, note) {
  const expires = Math.floor(Date.now() / 1000) + RULE_DAYS * 86400;
  return postJson('/api/v1/suppressions', { ...rule, expires, analyst: analyst(), note: note || '' });
}

// act: tp | fp | expected | suppress. Returns a line saying what was stored.
export async function flowFeedback(flow, act, note) {
  if (act === 'suppress') {
    const rule = ruleForFlow(flow);
    if (!rule) throw new Error('this flow names no address or service to suppress by');
    const r = await suppress(rule, note);
    return `Rule ${r.id} (${ruleText(r)}) until ${fmtTime(r.expires, true)}`;
  }
  const r = await postJson(`/api/v1/flows/${encodeURIComponent(flow.id)}/feedback`, { label: LABELS[act], analyst: analyst(), note: note || '' });
  return `Saved as ${r.label.replace('_', ' ')}`;
}

export async function alertFeedback(alert, act) {
  if (act === 'suppress') {
    const r = await suppress(ruleForAlert(alert), '');
    return `Rule ${r.id} (${ruleText(r)}) until ${fmtTime(r.expires, true)}`;
  }
  const r = await postJson(`/api/v1/alerts/${encodeURIComponent(alert.id)}/feedback`, { label: LABELS[act], analyst: analyst(), note: '' });
  return `Saved as ${r.label.replace('_', ' ')}`;
}

// The drawer's feedback row for `flow` (flows without an id cannot be labelled).
export function renderDrawerFeedback(flow) {
  const box = $('drawer-feedback');
  box.classList.toggle('hidden', !flow || !flow.id);
  $('fb-status').textContent = '';
  $('fb-note').value = '';
  $('fb-suppress').disabled = !flow || !ruleForFlow(flow);
}

export function bindDrawerFeedback(currentFlow, showError) {
  $('drawer-feedback').addEventListener('click', async (ev) => {
    const btn = ev.target.closest('button[data-fb]');
    const flow = currentFlow();
    if (!btn || !flow) return;
    btn.disabled = true;
    try {
      $('fb-status').textContent = await flowFeedback(flow, btn.dataset.fb, $('fb-note').value.trim());
    } catch (e) {
      showError(`Feedback: ${e.message}`);
    } finally {
      btn.disabled = btn.dataset.fb === 'suppress' && !ruleForFlow(flow);
    }
  });
}

function feedbackRow(f) {
  const target = f.flow_id ? `flow ${f.flow_id}` : `alert ${f.alert_id}`;
  return `<td>${esc(fmtTime(f.created, true))}</td><td data-testid="feedback-label">${esc(f.label)}</td><td>${esc(f.attack_cat || '')}</td>` +
    `<td class="key" title="${esc(target)}">${esc(target)}</td><td>${esc(f.analyst)}</td><td>${esc(f.note)}</td>` +
    `<td><button class="btn" data-del="feedback" data-id="${f.id}">Delete</button></td>`;
}

function ruleRow(r) {
  return `<td>${esc(fmtTime(r.created, true))}</td><td data-testid="rule-text">${esc(ruleText(r))}</td><td>${esc(fmtTime(r.expires, true))}</td>` +
    `<td>${esc(r.analyst)}</td><td>${esc(r.note)}</td><td><button class="btn" data-del="suppressions" data-id="${r.id}">Delete</button></td>`;
}

function fill(tableId, emptyId, items, row) {
  const rows = items.map((x) => {
    const tr = document.createElement('tr');
    tr.innerHTML = row(x);
    return tr;
  });
  $(tableId).querySelector('tbody').replaceChildren(...rows);
  $(emptyId).classList.toggle('hidden', items.length > 0);
}

export async function loadFeedbackView(showError) {
  try {
    const [fb, rules] = await Promise.all([getJson('/api/v1/feedback', 'limit=200'), getJson('/api/v1/suppressions', 'limit=200')]);
    fill('table-feedback', 'feedback-empty', fb.feedback || [], feedbackRow);
    fill('table-rules', 'rules-empty', rules.suppressions || [], ruleRow);
    showError('');
  } catch (e) {
    showError(`Could not load feedback: ${e.message}`);
  }
}

export function bindFeedbackView(showError) {
  $('fb-analyst').value = analyst() === 'dashboard' ? '' : analyst();
  $('fb-analyst').addEventListener('change', () => setAnalyst($('fb-analyst').value.trim()));
  $('view-feedback').addEventListener('click', async (ev) => {
    const btn = ev.target.closest('button[data-del]');
    if (!btn) return;
    btn.disabled = true;
    try {
      await deleteJson(`/api/v1/${btn.dataset.del}/${encodeURIComponent(btn.dataset.id)}`);
    } catch (e) {
      showError(`Delete: ${e.message}`);
    }
    loadFeedbackView(showError);
  });
}
