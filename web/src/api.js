// The HTTP API client (docs/api.md). When the server has api.token set, the token is asked for
// once and kept in sessionStorage; it is sent as a bearer token.

const TOKEN_KEY = 'flowsentry.token';

function headers(extra = {}) {
  const h = { ...extra };
  let token = null;
  try {
    token = sessionStorage.getItem(TOKEN_KEY);
  } catch (e) {
    token = null;
  }
  if (token) h.Authorization = `Bearer ${token}`;
  return h;
}

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function check(res, path) {
  if (res.ok) return res;
  let message = `${res.status} ${res.statusText}`;
  try {
    const body = await res.json();
    if (body && body.error) message = body.error;
  } catch (e) {
    /* not JSON */
  }
  if (res.status === 401) {
    const token = prompt('This flowsentry API needs a bearer token (api.token):');
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
  }
  throw new ApiError(res.status, `${path}: ${message}`);
}

export async function getJson(path, params, signal) {
  const url = params ? `${path}?${params}` : path;
  const res = await fetch(url, { headers: headers({ Accept: 'application/json' }), signal });
  await check(res, path);
  return res.json();
}

export async function postJson(path, body) {
  const res = await fetch(path, {
    method: 'POST',
    headers: headers({ 'Content-Type': 'application/json', Accept: 'application/json' }),
    body: JSON.stringify(body),
  });
  await check(res, path);
  return res.json();
}

export async function deleteJson(path) {
  const res = await fetch(path, { method: 'DELETE', headers: headers({ Accept: 'application/json' }) });
  await check(res, path);
  return res.json();
}

// Fetches a CSV export and saves it as a file (works with a bearer token, unlike a plain link).
export async function downloadCsv(path, params, filename) {
  const res = await fetch(`${path}?${params}`, { headers: headers({ Accept: 'text/csv' }) });
  await check(res, path);
  const blob = await res.blob();
  const url = URL.createObjectURL(new Blob([blob], { type: 'text/csv' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
