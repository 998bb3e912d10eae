// The runtime config editor: JSON checked in place, a line diff against the live revision, the warning for
// secret-looking keys (the config is public: every visitor's browser gets it), If-Match on save.
import * as api from './api.js';
import { el } from './views.js';

const SECRET_WORDS = ['SECRET', 'TOKEN', 'PASSWORD', 'PASSWD', 'PRIVATE', 'CREDENTIAL'];

/** Keys anywhere in the value whose name looks like a secret's, as dotted paths (the server's own rule). */
export function secretKeys(value, prefix = '', found = []) {
  if (Array.isArray(value)) value.forEach(v => secretKeys(v, prefix, found));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (SECRET_WORDS.some(w => k.toUpperCase().includes(w))) found.push(prefix + k);
      secretKeys(v, prefix + k + '.', found);
    }
  }
  return found;
}

/** The value with every object's keys sorted, pretty-printed: a diff then shows content, never key order. */
export function canonical(value) {
  const sorted = v => Array.isArray(v) ? v.map(sorted) : v && typeof v === 'object'
    ? Object.fromEntries(Object.keys(v).sort().map(k => [k, sorted(v[k])])) : v;
  return JSON.stringify(sorted(value), null, 2);
}

/** A line diff (longest common subsequence): [{op: ' '|'-'|'+', line}]. */
export function diff(before, after) {
  const a = before.split('\n'), b = after.split('\n');
  const n = a.length, m = b.length;
  const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const out = [];
  let i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) { out.push({ op: ' ', line: a[i] }); i++; j++; }
    else if (i < n && (j === m || lcs[i + 1][j] >= lcs[i][j + 1])) out.push({ op: '-', line: a[i++] });
    else out.push({ op: '+', line: b[j++] });
  }
  return out;
}

/**
 * The editor for site {@code name} at {@code live} ({revision, config}); {@code onDirty(bool)} tells the app whether
 * unsaved text is open (it then does not redraw the page under it), {@code onSaved()} redraws after a save.
 */
export function configEditor(name, live, { onDirty, onSaved }) {
  const path = '/v1/sites/' + encodeURIComponent(name) + '/config';
  const original = canonical(live.config);
  const text = el('textarea', { id: 'config', rows: 10, spellcheck: 'false', 'aria-describedby': 'config-error' });
  text.value = original;
  const error = el('p', { id: 'config-error', class: 'error', role: 'alert' });
  const review = el('div', { id: 'config-review' });
  const check = el('button', { type: 'button', id: 'config-check' }, 'Review change');
  // Unsaved text is kept in this tab's sessionStorage: an expired session (sign in again) or a reload loses nothing.
  const draftKey = 'skewgate.draft.' + name;
  const dirty = d => {
    if (d) sessionStorage.setItem(draftKey, text.value);
    else sessionStorage.removeItem(draftKey);
    onDirty(d);
  };
  const draft = sessionStorage.getItem(draftKey);
  const restored = draft !== null && draft !== original;
  if (restored) {
    text.value = draft;
    onDirty(true);
  }
  text.addEventListener('input', () => { dirty(text.value !== original); review.replaceChildren(); error.textContent = ''; });

  async function save(parsed, force) {
    error.textContent = '';
    try {
      await api.put(path + (force ? '?force=true' : ''), parsed, { 'If-Match': '"' + live.revision + '"' });
      dirty(false);
      onSaved();
    } catch (e) {
      if (e.status === 412) {
        error.replaceChildren('Changed by someone else — reload. (' + e.message + ') ',
          el('button', { type: 'button', id: 'config-reload', onclick: () => { dirty(false); onSaved(); } }, 'Reload'));
      } else {
        error.textContent = 'Refused: ' + e.message;
      }
    }
  }

  check.addEventListener('click', () => {
    error.textContent = '';
    review.replaceChildren();
    let parsed;
    try {
      parsed = JSON.parse(text.value);
    } catch (e) {
      error.textContent = 'Not valid JSON: ' + e.message;
      return;
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      error.textContent = 'The runtime config must be a JSON object ({ … }), not ' + (Array.isArray(parsed) ? 'an array' : typeof parsed === 'object' ? 'null' : 'a ' + typeof parsed) + '.';
      return;
    }
    const after = canonical(parsed);
    if (after === original) {
      review.append(el('p', { class: 'muted' }, 'No change from revision ' + live.revision + '.'));
      return;
    }
    const secrets = secretKeys(parsed);
    const force = el('input', { type: 'checkbox', id: 'config-force' });
    review.append(
      el('p', {}, 'Changes against the live revision ' + live.revision + ':'),
      el('pre', { id: 'config-diff', class: 'diff' }, diff(original, after).map(d =>
        el('span', { class: d.op === '+' ? 'add' : d.op === '-' ? 'del' : null }, d.op + ' ' + d.line + '\n'))),
      secrets.length > 0 && el('p', { id: 'config-warning', class: 'warning' },
        'Key(s) ' + secrets.join(', ') + ' look like secrets, but the runtime config is public: every visitor\'s browser receives it. ',
        el('label', {}, force, ' This value is public: save it anyway')),
      el('button', { type: 'button', id: 'config-save', class: 'primary', onclick: () => save(parsed, force.checked) },
        'Save as revision ' + (live.revision + 1)));
  });

  return el('section', { 'aria-labelledby': 'config-title' },
    el('h2', { id: 'config-title' }, 'Runtime config ', el('span', { class: 'muted' }, '(revision ' + live.revision + ')')),
    el('label', { for: 'config', class: 'muted' }, 'A JSON object, public: served at /_skewgate/config.json and to every open tab.'),
    restored && el('p', { id: 'config-restored', class: 'warning' }, 'Your unsaved edit was kept: review and save it, or ',
      el('button', { type: 'button', onclick: () => { dirty(false); onSaved(); } }, 'discard it'), '.'),
    text, error, el('div', { class: 'bar' }, check), review);
}
