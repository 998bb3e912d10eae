// Rendering: DOM built with el(), never from HTML strings, so a commit message or host name is only ever text.

export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else node.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

export function age(iso) {
  if (!iso) return '-';
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (s < 60) return s + ' s';
  if (s < 3600) return Math.floor(s / 60) + ' min';
  if (s < 86400) return Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' min';
  return Math.floor(s / 86400) + ' d';
}

export function when(iso) {
  return iso ? new Date(iso).toISOString().replace('T', ' ').slice(0, 19) + ' UTC' : '-';
}

export function bytes(n) {
  if (n < 1024) return n + ' B';
  if (n < 1 << 20) return (n / 1024).toFixed(1) + ' KiB';
  if (n < 1 << 30) return (n / (1 << 20)).toFixed(1) + ' MiB';
  return (n / (1 << 30)).toFixed(2) + ' GiB';
}

/** A live number: the stream updates every element with the same data-live key. */
export function live(key, value) {
  return el('span', { dataset: { live: key } }, value);
}

function table(headers, rows, label) {
  return el('div', { class: 'table-wrap' }, el('table', { 'aria-label': label },
    el('thead', {}, el('tr', {}, headers.map(h => el('th', { scope: 'col', class: h.num ? 'num' : null }, h.label || h)))),
    el('tbody', {}, rows)));
}

export function signInForm(onSubmit) {
  const input = el('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'current-password', required: true, spellcheck: 'false' });
  const error = el('p', { id: 'sign-in-error', class: 'error', role: 'alert' });
  const form = el('form', { class: 'card signin', onsubmit: e => { e.preventDefault(); onSubmit(input.value, error); } },
    el('h1', {}, 'Sign in'),
    el('label', { for: 'token' }, 'Admin token'),
    el('p', { class: 'muted' }, 'The token is in the admin-token file of the data directory (the serve banner prints its path).'),
    input, error,
    el('p', {}, el('button', { class: 'primary', type: 'submit' }, 'Sign in')));
  return [form, input];
}

export function sitesList(sites) {
  const rows = sites.map(({ site, status }) => {
    const deployments = status.deployments;
    const liveId = site.activeDeployment;
    const liveOne = deployments.find(d => d.id === liveId);
    const tabs = deployments.reduce((n, d) => n + d.openTabs, 0);
    const rpm = deployments.reduce((n, d) => n + d.requestsLastMinute, 0);
    return el('tr', { dataset: { site: site.name } },
      el('td', {}, el('a', { href: '#/sites/' + encodeURIComponent(site.name) }, site.name)),
      el('td', { class: 'hosts' }, site.hosts.join(', ')),
      el('td', {}, liveId ? el('code', {}, liveId) : el('span', { class: 'muted' }, 'none')),
      el('td', {}, liveOne ? age(liveOne.activatedAt) : '-'),
      el('td', { class: 'num' }, live('site-tabs:' + site.name, tabs)),
      el('td', { class: 'num' }, live('site-rpm:' + site.name, rpm)),
      el('td', {}, status.alerts.length === 0 ? el('span', { class: 'muted' }, 'none')
        : el('ul', { class: 'alerts' }, status.alerts.map(a => el('li', {}, a.message)))));
  });
  return [el('h1', {}, 'Sites'),
    sites.length === 0 ? el('p', { class: 'muted' }, 'No sites yet: skewgate site create NAME --host HOST')
      : table(['Site', 'Hosts', 'Live version', 'Live for', { label: 'Open tabs', num: true },
        { label: 'Req/min', num: true }, 'Alerts'], rows, 'Sites')];
}

export function sitePage(status, events, actions) {
  const site = status.site;
  const rows = status.deployments.filter(d => d.state !== 'purged').map(d => el('tr', { dataset: { deployment: d.id } },
    el('td', {}, el('code', {}, d.id)),
    el('td', {}, el('span', { class: 'state state-' + d.state }, d.state)),
    el('td', { class: 'time' }, when(d.createdAt)),
    el('td', { class: 'msg' }, d.message || ''),
    el('td', {}, d.gitSha ? el('code', { title: d.gitSha }, d.gitSha.slice(0, 7)) : '-'),
    el('td', { class: 'num' }, d.files),
    el('td', { class: 'num' }, bytes(d.bytes)),
    el('td', { class: 'num' }, live('tabs:' + d.id, d.openTabs)),
    el('td', { class: 'num' }, live('ws:' + d.id, d.webSockets)),
    el('td', { class: 'num' }, live('rpm:' + d.id, d.requestsLastMinute)),
    el('td', { class: 'actions' },
      (d.state === 'staged' || d.state === 'previous') && el('button', { type: 'button', onclick: () => actions.activate(d) }, 'Activate'),
      (d.state === 'staged' || d.state === 'previous') && el('button', { type: 'button', onclick: () => actions.retire(d) }, 'Retire'),
      d.state !== 'retired' && d.state !== 'uploading' && el('button', { type: 'button', onclick: () => actions.promote(d) }, 'Promote'))));
  const instanceRows = status.deployments.flatMap(d => (d.instances || []).map(i => el('tr', {},
    el('td', {}, el('code', {}, d.id)), el('td', { class: 'num' }, i.index), el('td', {}, i.state),
    el('td', { class: 'num' }, i.pid ?? '-'), el('td', { class: 'num' }, i.restarts ?? 0),
    el('td', { class: 'num' }, typeof i.rssBytes === 'number' ? bytes(i.rssBytes) : '-'),
    el('td', { class: 'msg' }, i.lastExit || '-'))));
  const checkRows = (status.checks || []).map(c => el('tr', {},
    el('td', { class: 'hosts' }, c.host), el('td', {}, c.check), el('td', {}, el('code', {}, c.deployment)),
    el('td', {}, el('span', { class: 'state ' + (c.ok ? 'state-active' : 'state-retired') }, c.ok ? 'ok' : 'failed')),
    el('td', { class: 'msg' }, c.detail || ''), el('td', {}, when(c.at))));
  const target = actions.rollbackTarget();
  const eventRows = events.map(e => el('tr', {},
    el('td', {}, when(e.at)), el('td', {}, e.type), el('td', {}, e.deployment ? el('code', {}, e.deployment) : '-'),
    el('td', {}, e.actor), el('td', { class: 'num' }, e.notified), el('td', { class: 'msg' }, e.detail || '')));
  return [
    el('p', {}, el('a', { href: '#/' }, '← Sites')),
    el('h1', {}, 'Site ', site.name),
    el('div', { class: 'summary' },
      el('div', {}, 'Live version', el('b', {}, site.activeDeployment ? el('code', { id: 'live-version' }, site.activeDeployment) : 'none')),
      el('div', { class: 'hosts' }, 'Hosts', el('b', {}, site.hosts.join(', ') || '-'))),
    status.alerts.length > 0 && el('ul', { class: 'alerts' }, status.alerts.map(a => el('li', {}, a.message))),
    el('div', { class: 'bar' },
      el('button', { type: 'button', id: 'rollback', disabled: !target, onclick: () => actions.rollback(target) },
        target ? 'Roll back to ' + target.id : 'Roll back (no previous version)')),
    el('h2', {}, 'Deployments'),
    table(['Deployment', 'State', 'Created', 'Message', 'Git', { label: 'Files', num: true }, { label: 'Size', num: true },
      { label: 'Open tabs', num: true }, { label: 'WebSockets', num: true }, { label: 'Req/min', num: true }, 'Actions'], rows, 'Deployments'),
    instanceRows.length > 0 && el('h2', {}, 'Backend instances'),
    instanceRows.length > 0 && table(['Deployment', { label: 'Instance', num: true }, 'State', { label: 'PID', num: true },
      { label: 'Restarts', num: true }, { label: 'RSS', num: true }, 'Last exit'], instanceRows, 'Backend instances'),
    el('h2', {}, 'Host checks'),
    checkRows.length === 0 ? el('p', { class: 'muted' }, 'No check has run yet.')
      : table(['Host', 'Check', 'Deployment', 'Result', 'Detail', 'At'], checkRows, 'Host checks'),
    el('h2', {}, 'Recent events'),
    events.length === 0 ? el('p', { class: 'muted' }, 'No events.')
      : table(['At', 'Change', 'Deployment', 'By', { label: 'Tabs told', num: true }, 'Detail'], eventRows, 'Events'),
  ];
}
