// The admin API as the dashboard calls it: the session cookie goes along by itself (same origin), every change
// carries the session's CSRF token in a header.

let csrf = null;

/** An admin API refusal: its HTTP status, error code and message. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function answer(response) {
  if (response.status === 204) return null;
  const text = await response.text();
  let body = {};
  try { body = text ? JSON.parse(text) : {}; } catch { body = { error: 'NOT_JSON', message: text }; }
  if (!response.ok) {
    if (response.status === 401) window.dispatchEvent(new CustomEvent('skewgate:signed-out'));
    throw new ApiError(response.status, body.error || 'HTTP_' + response.status, body.message || response.statusText);
  }
  return body;
}

/** Whether a session is open (and then its CSRF token is known). */
export async function resume() {
  const r = await fetch('/v1/session', { credentials: 'same-origin' });
  if (!r.ok) return false;
  csrf = (await r.json()).csrf;
  return true;
}

/** Signs in with the admin token, or with {link: code} from `skewgate dashboard`. */
export async function signIn(token) {
  const r = await fetch('/v1/session', {
    method: 'POST', credentials: 'same-origin',
    headers: { 'content-type': 'application/json' }, body: JSON.stringify(typeof token === 'string' ? { token } : token),
  });
  if (!r.ok) {
    const body = await r.json().catch(() => ({}));
    const wait = r.headers.get('retry-after');
    throw new ApiError(r.status, body.error, body.message + (wait && !body.message.includes(' s') ? ' (' + wait + ' s)' : ''));
  }
  csrf = (await r.json()).csrf;
}

export async function signOut() {
  await fetch('/v1/session', { method: 'DELETE', credentials: 'same-origin', headers: { 'X-Skewgate-CSRF': csrf || '' } });
  csrf = null;
}

export async function get(path) {
  return answer(await fetch(path, { credentials: 'same-origin' }));
}

export async function post(path, body) {
  return answer(await fetch(path, {
    method: 'POST', credentials: 'same-origin',
    headers: { 'content-type': 'application/json', 'X-Skewgate-CSRF': csrf || '', 'X-Skewgate-Actor': 'dashboard' },
    body: JSON.stringify(body || {}),
  }));
}

/** PUT a JSON body, with extra headers (If-Match). */
export async function put(path, body, headers) {
  return answer(await fetch(path, {
    method: 'PUT', credentials: 'same-origin',
    headers: { 'content-type': 'application/json', 'X-Skewgate-CSRF': csrf || '', 'X-Skewgate-Actor': 'dashboard', ...headers },
    body: JSON.stringify(body),
  }));
}
