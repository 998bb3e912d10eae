/*! Skewgate browser SDK: keeps an open tab on its own deployment and tells it when a new one is live.
 * Reads the meta tags the gateway injects; no dependencies, no inline script (works under a strict CSP). */
(function () {
  'use strict';
  if (window.Skewgate) return;
  var HEADER = 'X-Skewgate-Deployment', BASE = '/_skewgate/', doc = document, loc = location;
  function meta(name) {
    var m = doc.querySelector('meta[name="' + name + '"]');
    return m && m.getAttribute('content');
  }
  function parse(text, fallback) {
    try { return text ? JSON.parse(text) : fallback; } catch (e) { return fallback; }
  }
  var boot = meta('skewgate-deployment'), opts = parse(meta('skewgate-options'), {}), origins = opts.apiOrigins || [];
  var listeners = {}, announced = null, pendingReload = false, nativeFetch = window.fetch;

  var S = window.Skewgate = {
    deployment: boot,
    config: parse(meta('skewgate-config'), {}),
    configRevision: typeof opts.configRevision === 'number' ? opts.configRevision : null,
    strategy: opts.strategy || 'banner',
    latest: boot,
    updateAvailable: false,
    retired: false,
    connected: false,
    leader: false,
    on: function (type, fn) { (listeners[type] = listeners[type] || []).push(fn); return S; },
    off: function (type, fn) { listeners[type] = (listeners[type] || []).filter(function (f) { return f !== fn; }); return S; },
    check: function () { return poll(); },
    reload: function () { loc.reload(); },
    showPrompt: function (info) { banner(info || { deployment: S.latest, required: false }); }
  };
  function emit(type, detail) {
    (listeners[type] || []).slice().forEach(function (fn) {
      try { fn(detail); } catch (e) { setTimeout(function () { throw e; }); }
    });
    try { window.dispatchEvent(new CustomEvent('skewgate:' + type, { detail: detail })); } catch (e) { /* old browser */ }
  }

  // ---- pin every same-origin (and configured API origin) request to the deployment this tab booted on ----
  function pinned(url) {
    try {
      var o = new URL(url, loc.href).origin.replace(/^ws/, 'http');
      return o === loc.origin || origins.indexOf(o) >= 0;
    } catch (e) { return false; }
  }
  function gone(b) {
    if (b && b.error === 'DEPLOYMENT_RETIRED') update({ deployment: b.current || null, reason: 'retired', required: true });
  }
  var Req = window.Request;
  if (nativeFetch && boot) {
    window.fetch = function (input, init) {
      if (pinned(typeof input === 'string' ? input : (input && input.url) || String(input))) {
        if (Req && input instanceof Req && !init) {
          input = new Req(input);
          if (!input.headers.has(HEADER)) input.headers.set(HEADER, boot);
        } else {
          var headers = new Headers((init && init.headers) || (Req && input instanceof Req ? input.headers : undefined));
          if (!headers.has(HEADER)) headers.set(HEADER, boot);
          init = Object.assign({}, init, { headers: headers });
        }
      }
      return nativeFetch.call(this, input, init).then(function (res) {
        if (res && res.status === 410) res.clone().json().then(gone, function () {});
        return res;
      });
    };
  }
  if (window.XMLHttpRequest && boot) {
    var xhr = XMLHttpRequest.prototype, open = xhr.open, send = xhr.send, setHeader = xhr.setRequestHeader;
    xhr.open = function (method, url) { this._sgPin = pinned(url); this._sgSet = false; return open.apply(this, arguments); };
    xhr.setRequestHeader = function (name) {
      if (String(name).toLowerCase() === HEADER.toLowerCase()) this._sgSet = true;
      return setHeader.apply(this, arguments);
    };
    xhr.send = function () {
      if (this._sgPin && !this._sgSet) setHeader.call(this, HEADER, boot);
      var self = this;
      this.addEventListener('load', function () { if (self.status === 410) gone(parse(self.responseText, null)); });
      return send.apply(this, arguments);
    };
  }
  // WebSockets cannot carry a header: pin them with the query parameter, and treat close code 4410 (the gateway closing
  // a socket of a retired deployment) as "refresh needed".
  var NativeWebSocket = window.WebSocket;
  if (NativeWebSocket && boot) {
    var PinnedWebSocket = function (url, protocols) {
      var target = url;
      try {
        var u = new URL(url, loc.href);
        if (pinned(u) && !u.searchParams.has('_skewgate')) {
          u.searchParams.set('_skewgate', boot);
          target = u.toString();
        }
      } catch (e) { /* leave the URL as it is */ }
      var ws = protocols === undefined ? new NativeWebSocket(target) : new NativeWebSocket(target, protocols);
      ws.addEventListener('close', function (e) { if (e.code === 4410) onRetired(boot); });
      return ws;
    };
    PinnedWebSocket.prototype = NativeWebSocket.prototype;
    // CONNECTING, OPEN ... stay readable on the wrapper.
    Object.setPrototypeOf(PinnedWebSocket, NativeWebSocket);
    window.WebSocket = PinnedWebSocket;
  }

  // ---- what to do when a new version is live ----
  function dirtyForm() {
    var fields = doc.querySelectorAll('input, textarea, select');
    for (var i = 0; i < fields.length; i++) {
      var f = fields[i], t = f.type;
      if (t === 'checkbox' || t === 'radio') { if (f.checked !== f.defaultChecked) return true; }
      else if (f.tagName === 'SELECT') {
        for (var j = 0; j < f.options.length; j++) if (f.options[j].selected !== f.options[j].defaultSelected) return true;
      } else if (t !== 'hidden' && t !== 'submit' && t !== 'button' && f.value !== f.defaultValue) return true;
    }
    return false;
  }
  function safeReload(info) {
    // Never lose a half-filled form.
    if (dirtyForm()) banner(info); else loc.reload();
  }
  function update(info) {
    // A retired tab stays retired: nothing may downgrade its prompt to the dismissible one.
    if (!info || S.retired || info.deployment === boot && !info.required) return;
    var key = (info.deployment || '') + (info.required ? '!' : '');
    if (announced === key) return;
    announced = key;
    S.latest = info.deployment || S.latest;
    S.updateAvailable = true;
    S.retired = info.reason === 'retired';
    emit('update', info);
    if (S.retired) emit('retired', info);
    var strategy = S.strategy;
    if (strategy === 'callback' && (listeners.update || []).length) return;
    if (info.required || strategy === 'banner' || strategy === 'callback') banner(info);
    else if (strategy === 'reload-when-hidden') { if (doc.hidden) safeReload(info); else pendingReload = 'hidden'; }
    else if (strategy === 'reload-on-navigation') pendingReload = 'navigation';
  }
  // The tab's own deployment is live again (a rollback): the prompt goes; the next real change shows it again.
  function current() {
    if (S.retired || S.latest === boot) return;
    S.latest = boot;
    S.updateAvailable = pendingReload = false;
    announced = null;
    if (bar) bar.remove();
    bar = null;
    emit('current', { deployment: boot });
  }
  function onRetired(id) {
    if (id === boot) update({ deployment: S.latest !== boot ? S.latest : null, reason: 'retired', required: true });
  }
  doc.addEventListener('visibilitychange', function () {
    if (doc.hidden && pendingReload === 'hidden') safeReload({ deployment: S.latest });
    if (!doc.hidden) throttledPoll();
  });
  function navigated() { if (pendingReload === 'navigation') safeReload({ deployment: S.latest }); }
  var pushState = history.pushState;
  history.pushState = function () {
    var result = pushState.apply(this, arguments);
    navigated();
    return result;
  };
  window.addEventListener('popstate', navigated);

  var bar;
  function button(text, onClick, css) {
    var b = doc.createElement('button');
    b.type = 'button';
    b.textContent = text;
    // Styles through the CSSOM, which a strict style-src policy allows (a style attribute would be blocked).
    b.style.cssText = 'font:inherit;cursor:pointer;border:0;' + css;
    b.addEventListener('click', onClick);
    bar.appendChild(b);
    return b;
  }
  function banner(info) {
    if (!doc.body) { doc.addEventListener('DOMContentLoaded', function () { banner(info); }); return; }
    if (bar) bar.remove();
    var required = info.required;
    bar = doc.createElement('div');
    bar.id = 'skewgate-banner';
    bar.setAttribute('role', required ? 'alert' : 'status');
    bar.setAttribute('aria-live', required ? 'assertive' : 'polite');
    bar.style.cssText = 'position:fixed;left:50%;bottom:16px;transform:translateX(-50%);z-index:2147483647;'
      + 'background:#1f2937;color:#fff;font:14px/1.4 system-ui,sans-serif;padding:10px 12px 10px 16px;border-radius:8px;'
      + 'box-shadow:0 4px 16px rgba(0,0,0,.3);display:flex;gap:12px;align-items:center';
    bar.appendChild(doc.createElement('span')).textContent = required
      ? 'This version of the app is no longer current \u2014 please refresh.' : 'A new version is available \u2014';
    button('Refresh', function () { loc.reload(); },
      'font-weight:600;background:#fff;color:#1f2937;border-radius:6px;padding:4px 10px');
    if (!required) {
      button('\u00d7', function () { bar.remove(); bar = null; }, 'font-size:18px;background:transparent;color:#fff')
        .setAttribute('aria-label', 'Dismiss');
    }
    doc.body.appendChild(bar);
  }

  // ---- runtime config ----
  function applyConfig(revision, config) {
    if (S.configRevision !== null && revision <= S.configRevision) return;
    S.configRevision = revision;
    S.config = config;
    emit('config', { revision: revision, config: config });
  }
  function onConfig(d) {
    if (S.configRevision !== null && d.revision <= S.configRevision) return;
    if (d.config) { applyConfig(d.revision, d.config); return; }
    nativeFetch.call(window, BASE + 'config.json', { cache: 'no-cache' })
      .then(function (r) { return r.json(); })
      .then(function (c) { applyConfig(d.revision, c); }, function () {});
  }

  // ---- learning about changes: one event stream per browser profile and origin, shared by all its tabs ----
  function onState(v) {
    if (v.bootRetired && v.boot === boot) onRetired(boot);
    else if (v.deployment && boot) {
      if (v.deployment === boot) current();
      else update({ deployment: v.deployment, previous: boot, reason: 'activate', required: false });
    }
    if (typeof v.configRevision === 'number') {
      if (S.configRevision === null) S.configRevision = v.configRevision;
      else if (v.configRevision > S.configRevision) onConfig({ revision: v.configRevision });
    }
  }
  // What every tab does with an event, whichever tab holds the stream; other types are ignored.
  var handle = {
    hello: function (v) { S.connected = true; onState(v); },
    state: onState,
    deployment: function (d) { if (d.deployment === boot) current(); else update(d); },
    config: onConfig,
    retired: function (d) { onRetired(d.deployment); }
  };
  function dispatch(type, text) {
    var d = parse(text, null);
    if (d && typeof d === 'object' && handle.hasOwnProperty(type)) handle[type](d);
  }
  var NS = 'skewgate/1', LOCK = NS + ' ' + loc.host, locks = navigator.locks, channel, es, live;
  function say(type, data) { try { channel.postMessage({ ns: NS, type: type, data: data }); } catch (e) { /* none */ } }
  // The leader applies an event and passes it on to every other tab.
  function relay(type, text) {
    var d = parse(text, 0) || {};
    // The stream's current view, for tabs that open later (the hello it began with may be old by then).
    if ((type === 'hello' || type === 'state') && 'deployment' in d) {
      live = { deployment: d.deployment, configRevision: d.configRevision };
    }
    if (live && type === 'deployment') live.deployment = d.deployment;
    if (live && type === 'config') live.configRevision = d.revision;
    dispatch(type, text);
    say(type, text);
  }
  function poll() {
    if (!nativeFetch) return Promise.resolve();
    return nativeFetch.call(window, BASE + 'version.json', { cache: 'no-cache' })
      .then(function (r) { return r.ok ? r.text() : ''; })
      .then(function (t) { (S.leader ? relay : dispatch)('state', t); }, function () {});
  }
  var lastPoll = 0;
  function throttledPoll() {
    if (Date.now() - lastPoll < 5000) return;
    lastPoll = Date.now();
    poll();
    // The leader answers with the stream's state: a tab frozen for hours catches up.
    say('hi');
  }
  window.addEventListener('focus', throttledPoll);
  var pollTimer = null, failures = 0;
  function startPolling() {
    if (pollTimer) return;
    throttledPoll();
    pollTimer = setInterval(poll, Math.max(5000, opts.pollInterval || 300000));
  }

  // Presence: every tab holds a lock named after its boot deployment; the leader counts the held locks (a closed or
  // crashed tab's lock is released at once) and reports the counts for its stream, so each tab is counted once.
  var streamId = (Math.random().toString(36) + Math.random().toString(36)).replace(/0\./g, ''), reported;
  function presence(force) {
    if (!es || es.readyState !== 1) return;
    locks.query().then(function (q) {
      var tabs = {};
      q.held.forEach(function (l) {
        var p = String(l.name).split(' ');
        if (p[0] + ' ' + p[1] === LOCK && p[2] === 'tab') tabs[p[3]] = (tabs[p[3]] || 0) + 1;
      });
      var body = JSON.stringify({ stream: streamId, tabs: tabs });
      if (body === reported && !force) return;
      reported = body;
      return nativeFetch.call(window, BASE + 'presence', { method: 'POST', body: body })
        .then(function (r) { return r.json(); })
        .then(function (a) { a.retired.forEach(function (id) { relay('retired', JSON.stringify({ deployment: id })); }); });
    }).catch(function () { reported = ''; });
  }
  function connect() {
    if (!window.EventSource) { startPolling(); return; }
    if (!S.leader) return;
    es = S._stream = new EventSource(BASE + 'events?stream=' + streamId + (boot ? '&deployment=' + encodeURIComponent(boot) : ''));
    es.addEventListener('open', function () {
      failures = 0;
      clearInterval(pollTimer);
      pollTimer = null;
      presence(true);
    });
    Object.keys(handle).forEach(function (type) {
      es.addEventListener(type, function (e) { relay(type, e.data); });
    });
    es.onerror = function () {
      startPolling();
      // The server refused the stream: retry later with backoff.
      if (es.readyState === 2) {
        failures++;
        setTimeout(connect, Math.min(300000, 1000 * Math.pow(2, failures)) * (0.5 + Math.random()));
      }
    };
  }
  var resign, standing;
  function elect() {
    if (standing) return;
    standing = true;
    // The leader lock is held until this tab closes, crashes or is frozen; the next tab waiting gets it at once.
    locks.request(LOCK + ' leader', function () {
      return new Promise(function (done) {
        resign = function () { S.leader = standing = false; if (es) es.close(); es = resign = null; done(); };
        S.leader = true;
        connect();
      });
    }).catch(function () {
      standing = false;
      startPolling();
    });
  }
  try {
    channel = new BroadcastChannel(LOCK);
    channel.onmessage = function (e) {
      var m = e.data;
      // Another app on this origin, or a malformed message.
      if (!m || m.ns !== NS) return;
      if (m.type !== 'hi') dispatch(m.type, m.data);
      else if (es && live) { say('hello', JSON.stringify(live)); presence(true); }
    };
    locks.request(LOCK + ' tab ' + boot + ' ' + streamId, function () {
      // Counted from now on: the leader answers with the stream's state and reports the new count.
      say('hi');
      return new Promise(function () {});
    }).catch(function () {});
    elect();
    setInterval(presence, 2000);
    // A frozen leader would hold the stream for nobody: it hands it over, and stands again when it resumes.
    doc.addEventListener('freeze', function () { if (resign) resign(); });
    doc.addEventListener('resume', function () {
      elect();
      throttledPoll();
    });
  } catch (e) {
    // No Web Locks or BroadcastChannel (or not allowed here): this tab polls on its own.
    if (channel) channel.close();
    channel = null;
    startPolling();
  }

  // ---- a lazy chunk that no longer exists means this tab runs an old version ----
  function chunkError(reason) {
    var m = String(reason && (reason.message || reason.name) || reason || '');
    return /ChunkLoadError|Loading (CSS )?chunk .* failed|Failed to fetch dynamically imported module|error loading dynamically imported module|Importing a module script failed/i.test(m);
  }
  function onChunkError() {
    // It already shows the strongest prompt.
    if (S.retired) return;
    poll().then(function () {
      var key = 'skewgate:chunk-prompt:' + (S.latest || boot);
      try { if (sessionStorage.getItem(key)) return; sessionStorage.setItem(key, '1'); } catch (e) { /* storage off */ }
      announced = null;
      update({ deployment: S.latest !== boot ? S.latest : null, reason: 'chunk', required: true });
    });
  }
  window.addEventListener('vite:preloadError', onChunkError);
  window.addEventListener('unhandledrejection', function (e) { if (chunkError(e.reason)) onChunkError(); });
  window.addEventListener('error', function (e) { if (chunkError(e.error || e.message)) onChunkError(); });
})();
