// The dashboard's entry: sign-in, the two views (#/ sites, #/sites/NAME a site), the live stream, the actions.
import * as api from './api.js';
import { el, sitesList, sitePage, signInForm } from './views.js';
import { configEditor } from './config.js';

const main = document.getElementById('main');
const signOutButton = document.getElementById('sign-out');
const liveState = document.getElementById('live-state');
let stream = null;
/** What the shown view was drawn from: the live deployment and each deployment's state, per site. */
let drawn = null;
let redrawing = false;
/** Unsaved text in the config editor: the page is then not redrawn under it. */
let editing = false;

function show(...nodes) {
  main.replaceChildren(...nodes.flat().filter(Boolean));
}

function showSignIn(reason) {
  closeStream();
  signOutButton.hidden = true;
  const [form, input] = signInForm(async (token, error) => {
    error.textContent = '';
    try {
      await api.signIn(token);
      input.value = '';
      start();
    } catch (e) {
      error.textContent = e.message;
      input.select();
    }
  });
  show(reason && el('p', { class: 'error', role: 'alert' }, reason), form);
  input.focus();
}

function closeStream() {
  if (stream) stream.close();
  stream = null;
  liveState.textContent = '';
}

function openStream() {
  if (stream) return;
  stream = new EventSource('/v1/stream');
  stream.addEventListener('counts', e => { liveState.textContent = 'live'; update(JSON.parse(e.data)); });
  stream.addEventListener('error', async () => {
    liveState.textContent = 'live updates paused, reconnecting…';
    if (stream && stream.readyState === EventSource.CLOSED) {
      stream = null;
      if (await api.resume()) setTimeout(openStream, 2000);
      else showSignIn('Your session ended: sign in again.');
    }
  });
}

function setLive(key, value) {
  for (const node of main.querySelectorAll('[data-live="' + CSS.escape(key) + '"]')) {
    if (node.textContent !== String(value)) node.textContent = value;
  }
}

function update(counts) {
  let changed = false;
  for (const [name, site] of Object.entries(counts.sites)) {
    let tabs = 0, rpm = 0;
    for (const [id, d] of Object.entries(site.deployments)) {
      setLive('tabs:' + id, d.openTabs);
      setLive('ws:' + id, d.webSockets);
      setLive('rpm:' + id, d.requestsLastMinute);
      tabs += d.openTabs;
      rpm += d.requestsLastMinute;
      if (drawn && drawn[name] && drawn[name].states[id] !== undefined && drawn[name].states[id] !== d.state) changed = true;
    }
    setLive('site-tabs:' + name, tabs);
    setLive('site-rpm:' + name, rpm);
    if (drawn && drawn[name] && drawn[name].live !== site.live) changed = true;
  }
  if (!changed || redrawing || document.getElementById('confirm').open) return;
  if (editing) liveState.textContent = 'live · the site changed elsewhere: it is shown when you save or reload';
  else route(); // someone else changed a site
}

function remember(statuses) {
  drawn = {};
  for (const s of statuses) {
    drawn[s.site.name] = { live: s.site.activeDeployment, states: Object.fromEntries(s.deployments.map(d => [d.id, d.state])) };
  }
}

async function route() {
  redrawing = true;
  try {
    const m = location.hash.match(/^#\/sites\/([^/]+)$/);
    if (m) await showSite(decodeURIComponent(m[1]));
    else await showSites();
  } catch (e) {
    if (e.status !== 401) show(el('p', { class: 'error', role: 'alert' }, e.message));
  } finally {
    redrawing = false;
  }
}

async function showSites() {
  const sites = (await api.get('/v1/sites')).sites;
  const rows = await Promise.all(sites.map(async site => ({
    site, status: await api.get('/v1/sites/' + encodeURIComponent(site.name) + '/status'),
  })));
  remember(rows.map(r => r.status));
  document.title = 'Sites · Skewgate';
  show(sitesList(rows));
}

async function showSite(name) {
  const path = '/v1/sites/' + encodeURIComponent(name);
  const [status, events, config] = await Promise.all([api.get(path + '/status'), api.get(path + '/events?limit=20'),
    api.get(path + '/config')]);
  editing = false;
  remember([status]);
  document.title = name + ' · Skewgate';
  const tabsOn = id => status.deployments.find(d => d.id === id)?.openTabs ?? 0;
  const live = status.site.activeDeployment;
  const plural = n => n === 1 ? '1 open tab' : n + ' open tabs';
  const actions = {
    rollbackTarget: () => status.deployments.filter(d => d.state === 'previous')
      .sort((a, b) => (b.demotedAt || '').localeCompare(a.demotedAt || ''))[0],
    activate: d => confirmAction({
      title: 'Activate ' + d.id + '?',
      text: 'New page loads of ' + name + ' get ' + d.id + (live ? ' instead of ' + live + '; the ' + plural(tabsOn(live))
        + ' on ' + live + ' keep running it and are told a new version is live.' : '.')
        + ' The readiness and synthetic checks run first: if one fails, nothing changes.',
      ok: 'Activate',
      run: () => api.post(path + '/activate', { deployment: d.id }),
    }),
    rollback: target => confirmAction({
      title: 'Roll back ' + name + ' to ' + target.id + '?',
      text: target.id + ' becomes the live version again' + (live ? ' instead of ' + live + '; the ' + plural(tabsOn(live))
        + ' on ' + live + ' are told a new version is live.' : '.'),
      ok: 'Roll back',
      run: () => api.post(path + '/rollback', {}),
    }),
    promote: async d => {
      const others = (await api.get('/v1/sites')).sites.map(x => x.name).filter(n => n !== name);
      const select = el('select', { id: 'promote-to', 'aria-label': 'Promote to site' }, others.map(n => el('option', { value: n }, n)));
      confirmAction({
        title: 'Promote ' + d.id + '?',
        text: others.length === 0 ? 'There is no other site to promote to.'
          : 'The same build (no bytes copied) becomes a new staged deployment of the site chosen below; nothing goes live there until you activate it.',
        extra: others.length > 0 && el('label', {}, 'To site ', select),
        ok: 'Promote',
        run: () => others.length === 0 ? Promise.reject(new api.ApiError(409, 'NO_OTHER_SITE', 'no other site'))
          : api.post('/v1/deployments/' + encodeURIComponent(d.id) + '/promote', { site: select.value }),
      });
    },
    retire: d => confirmAction({
      title: 'Retire ' + d.id + '?',
      text: (tabsOn(d.id) === 1 ? '1 open tab still runs' : tabsOn(d.id) + ' open tabs still run') + ' this version; they will be asked to refresh.'
        + ' Its files stop being served (requests for them answer 410).',
      ok: 'Retire',
      run: () => api.post(path + '/retire', { deployment: d.id }),
    }),
  };
  show(sitePage(status, events.events, actions),
    configEditor(name, config, { onDirty: dirty => { editing = dirty; }, onSaved: () => route() }));
}

/** The confirmation dialog: names the effect, runs the change, shows a refusal in place (nothing changed then). */
function confirmAction({ title, text, extra, ok, run }) {
  const dialog = document.getElementById('confirm');
  const okButton = document.getElementById('confirm-ok');
  const error = document.getElementById('confirm-error');
  document.getElementById('confirm-title').textContent = title;
  document.getElementById('confirm-text').textContent = text;
  document.getElementById('confirm-extra').replaceChildren(...(extra ? [extra] : []));
  error.textContent = '';
  okButton.textContent = ok;
  okButton.disabled = false;
  okButton.onclick = async () => {
    okButton.disabled = true;
    error.textContent = '';
    try {
      await run();
      dialog.close(); // its close handler draws the view again
    } catch (e) {
      error.textContent = (e.status === 412 ? 'Changed by someone else — reload. ' : 'Refused: ') + e.message;
      okButton.disabled = false;
    }
  };
  dialog.onclose = () => route();
  dialog.showModal();
  document.getElementById('confirm-cancel').focus();
}

async function start() {
  signOutButton.hidden = false;
  openStream();
  await route();
  main.focus();
}

signOutButton.addEventListener('click', async () => {
  await api.signOut();
  showSignIn();
});
window.addEventListener('hashchange', () => { if (stream) route(); });
window.addEventListener('beforeunload', e => { if (editing) e.preventDefault(); });
window.addEventListener('skewgate:signed-out', () => showSignIn('Your session ended: sign in again.'));

(async () => {
  const link = location.hash.match(/^#login=([A-Za-z0-9_-]+)$/);
  if (link) {
    history.replaceState(null, '', location.pathname); // the code is used up: keep it out of the history
    try {
      await api.signIn({ link: link[1] });
      start();
    } catch (e) {
      showSignIn(e.message);
    }
    return;
  }
  if (await api.resume()) start();
  else showSignIn();
})();
