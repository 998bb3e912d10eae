/*! Skewgate browser SDK: keeps an open tab on its own deployment and tells it when a new one is live.
 * Reads the meta tags the gateway injects; no dependencies, no inline script (works under a strict CSP). */
(function () {
  'use strict';
  if (window.Skewgate) return;
  var HEADER = 'X-Skewgate-Deployment';
  var BASE = '/_skewgate/';
  var doc = document;

  function meta(name) {
    var m = doc.querySelector('meta[name="' + name + '"]');
    return m ? m.getAttribute('content') : null;
  }
  function parse(text, fallback) {
    try { return text ? JSON.parse(text) : fallback; } catch (e) { return fallback; }
  }

  var boot = meta('skewgate-deployment');
  var opts = parse(meta('skewgate-options'), {});
  var origins = opts.apiOrigins || [];
  var listeners = {};
  var announced = null;   // the newest deployment the tab was told about
  var pendingReload = false;
  var nativeFetch = window.fetch;

  var S = window.Skewgate = {
    deployment: boot,
    config: parse(meta('skewgate-config'), {}),
    configRevision: typeof opts.configRevision === 'number' ? opts.configRevision : null,
    strategy: opts.strategy || 'banner',
    latest: boot,
    updateAvailable: false,
    on: function (type, fn) { (listeners[type] = listeners[type] || []).push(fn); return S; },
    off: function (type, fn) { listeners[type] = (listeners[type] || []).filter(function (f) { return f !== fn; }); return S; },
    check: function () { return poll(); },
    reload: function () { location.reload(); },
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
      var u = new URL(url, location.href);
      return u.origin === location.origin || origins.indexOf(u.origin) >= 0;
    } catch (e) { return false; }
  }
  function watch410(res) {
    if (res && res.status === 410) {
      res.clone().json().then(function (b) {
        if (b && b.error === 'DEPLOYMENT_RETIRED') update({ deployment: b.current || null, reason: 'retired', required: true });
      }, function () {});
    }
    return res;
  }
  if (nativeFetch && boot) {
    window.fetch = function (input, init) {
      var url = typeof input === 'string' ? input : (input && input.url) || String(input);
      if (pinned(url)) {
        if (typeof Request !== 'undefined' && input instanceof Request && !init) {
          input = new Request(input);
          if (!input.headers.has(HEADER)) input.headers.set(HEADER, boot);
        } else {
          var headers = new Headers((init && init.headers) || (typeof Request !== 'undefined' && input instanceof Request ? input.headers : undefined));
          if (!headers.has(HEADER)) headers.set(HEADER, boot);
          init = Object.assign({}, init, { headers: headers });
        }
      }
      return nativeFetch.call(this, input, init).then(watch410);
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
      this.addEventListener('load', function () {
        if (self.status === 410) {
          var b = parse(self.responseText, null);
          if (b && b.error === 'DEPLOYMENT_RETIRED') update({ deployment: b.current || null, reason: 'retired', required: true });
        }
      });
      return send.apply(this, arguments);
    };
  }

  // WebSockets cannot carry a header: pin them with the query parameter, and treat close code 4410 (the gateway closing
  // a socket of a retired deployment) as "refresh needed".
  if (window.WebSocket && boot) {
    var NativeWebSocket = window.WebSocket;
    var PinnedWebSocket = function (url, protocols) {
      var target = url;
      try {
        var u = new URL(url, location.href);
        var httpOrigin = u.origin.replace(/^ws/, 'http');
        if ((httpOrigin === location.origin || origins.indexOf(httpOrigin) >= 0) && !u.searchParams.has('_skewgate')) {
          u.searchParams.set('_skewgate', boot);
          target = u.toString();
        }
      } catch (e) { /* leave the URL as it is */ }
      var ws = protocols === undefined ? new NativeWebSocket(target) : new NativeWebSocket(target, protocols);
      ws.addEventListener('close', function (e) {
        if (e.code === 4410) update({ deployment: S.latest !== boot ? S.latest : null, reason: 'retired', required: true });
      });
      return ws;
    };
    PinnedWebSocket.prototype = NativeWebSocket.prototype;
    ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'].forEach(function (k) { PinnedWebSocket[k] = NativeWebSocket[k]; });
    window.WebSocket = PinnedWebSocket;
  }

  // ---- what to do when a new version is live ----
  function dirtyForm() {
    var fields = doc.querySelectorAll('input, textarea, select');
    for (var i = 0; i < fields.length; i++) {
      var f = fields[i];
      if (f.type === 'checkbox' || f.type === 'radio') { if (f.checked !== f.defaultChecked) return true; }
      else if (f.tagName === 'SELECT') {
        for (var j = 0; j < f.options.length; j++) if (f.options[j].selected !== f.options[j].defaultSelected) return true;
      } else if (f.type !== 'hidden' && f.type !== 'submit' && f.type !== 'button' && f.value !== f.defaultValue) return true;
    }
    return false;
  }
  function safeReload(info) {
    if (dirtyForm()) banner(info); else location.reload(); // never lose a half-filled form
  }
  function update(info) {
    if (!info || info.deployment === boot && !info.required) return;
    var key = (info.deployment || '') + (info.required ? '!' : '');
    if (announced === key) return;
    announced = key;
    S.latest = info.deployment || S.latest;
    S.updateAvailable = true;
    emit('update', info);
    if (info.reason === 'retired') emit('retired', info);
    var strategy = S.strategy;
    if (strategy === 'callback' && (listeners.update || []).length) return;
    if (info.required || strategy === 'banner' || strategy === 'callback') { banner(info); return; }
    if (strategy === 'reload-when-hidden') {
      if (doc.hidden) safeReload(info); else pendingReload = 'hidden';
    } else if (strategy === 'reload-on-navigation') {
      pendingReload = 'navigation';
    }
  }
  doc.addEventListener('visibilitychange', function () {
    if (doc.hidden && pendingReload === 'hidden') safeReload({ deployment: S.latest });
    if (!doc.hidden) throttledPoll();
  });
  ['pushState', 'replaceState'].forEach(function (name) {
    var original = history[name];
    history[name] = function () {
      var result = original.apply(this, arguments);
      if (pendingReload === 'navigation' && name === 'pushState') safeReload({ deployment: S.latest });
      return result;
    };
  });
  window.addEventListener('popstate', function () { if (pendingReload === 'navigation') safeReload({ deployment: S.latest }); });

  var bar;
  function banner(info) {
    if (!doc.body) { doc.addEventListener('DOMContentLoaded', function () { banner(info); }); return; }
    if (bar) bar.remove();
    bar = doc.createElement('div');
    bar.id = 'skewgate-banner';
    bar.setAttribute('role', info.required ? 'alert' : 'status');
    bar.setAttribute('aria-live', info.required ? 'assertive' : 'polite');
    // Styles through the CSSOM, which a strict style-src policy allows (a style attribute would be blocked).
    var s = bar.style;
    s.position = 'fixed'; s.left = '50%'; s.bottom = '16px'; s.transform = 'translateX(-50%)'; s.zIndex = '2147483647';
    s.background = '#1f2937'; s.color = '#fff'; s.font = '14px/1.4 system-ui, sans-serif'; s.padding = '10px 12px 10px 16px';
    s.borderRadius = '8px'; s.boxShadow = '0 4px 16px rgba(0,0,0,.3)'; s.display = 'flex'; s.gap = '12px'; s.alignItems = 'center';
    var text = doc.createElement('span');
    text.textContent = info.required ? 'This version of the app is no longer current \u2014 please refresh.'
      : 'A new version is available \u2014';
    var refresh = doc.createElement('button');
    refresh.type = 'button';
    refresh.textContent = 'Refresh';
    refresh.style.font = 'inherit'; refresh.style.fontWeight = '600'; refresh.style.cursor = 'pointer';
    refresh.style.background = '#fff'; refresh.style.color = '#1f2937'; refresh.style.border = '0';
    refresh.style.borderRadius = '6px'; refresh.style.padding = '4px 10px';
    refresh.addEventListener('click', function () { location.reload(); });
    bar.appendChild(text);
    bar.appendChild(refresh);
    if (!info.required) {
      var close = doc.createElement('button');
      close.type = 'button';
      close.setAttribute('aria-label', 'Dismiss');
      close.textContent = '\u00d7';
      close.style.font = 'inherit'; close.style.fontSize = '18px'; close.style.cursor = 'pointer';
      close.style.background = 'transparent'; close.style.color = '#fff'; close.style.border = '0';
      close.addEventListener('click', function () { bar.remove(); bar = null; });
      bar.appendChild(close);
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

  // ---- learning about changes: the event stream, with polling while it is down ----
  function onState(v) {
    if (!v) return;
    if (v.bootRetired) update({ deployment: v.deployment, reason: 'retired', required: true });
    else if (v.deployment && boot && v.deployment !== boot) update({ deployment: v.deployment, previous: boot, reason: 'activate', required: false });
    if (typeof v.configRevision === 'number') {
      if (S.configRevision === null) S.configRevision = v.configRevision;
      else if (v.configRevision > S.configRevision) onConfig({ revision: v.configRevision });
    }
  }
  function poll() {
    if (!nativeFetch) return Promise.resolve();
    return nativeFetch.call(window, BASE + 'version.json', { cache: 'no-cache' })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(onState, function () {});
  }
  var lastPoll = 0;
  function throttledPoll() {
    if (Date.now() - lastPoll < 5000) return;
    lastPoll = Date.now();
    poll();
  }
  window.addEventListener('focus', throttledPoll);

  var pollTimer = null, failures = 0;
  function startPolling() {
    if (pollTimer) return;
    throttledPoll();
    pollTimer = setInterval(poll, Math.max(5000, opts.pollInterval || 300000));
  }
  function stopPolling() { clearInterval(pollTimer); pollTimer = null; }

  function connect() {
    if (!window.EventSource) { startPolling(); return; }
    var es = new EventSource(BASE + 'events' + (boot ? '?deployment=' + encodeURIComponent(boot) : ''));
    S._stream = es;
    es.addEventListener('open', function () { failures = 0; stopPolling(); });
    es.addEventListener('hello', function (e) { onState(parse(e.data, null)); });
    es.addEventListener('deployment', function (e) {
      var d = parse(e.data, null);
      if (d && d.deployment !== boot) update(d);
    });
    es.addEventListener('config', function (e) { var d = parse(e.data, null); if (d) onConfig(d); });
    es.addEventListener('retired', function (e) {
      var d = parse(e.data, null);
      if (d && d.deployment === boot) update({ deployment: S.latest !== boot ? S.latest : null, reason: 'retired', required: true });
    });
    es.onerror = function () {
      startPolling();
      if (es.readyState === 2) { // the server refused the stream: retry later with backoff
        failures++;
        setTimeout(connect, Math.min(300000, 1000 * Math.pow(2, failures)) * (0.5 + Math.random()));
      }
    };
  }

  // ---- a lazy chunk that no longer exists means this tab runs an old version ----
  function chunkError(reason) {
    var m = String(reason && (reason.message || reason.name) || reason || '');
    return /ChunkLoadError|Loading (CSS )?chunk .* failed|Failed to fetch dynamically imported module|error loading dynamically imported module|Importing a module script failed/i.test(m);
  }
  function onChunkError() {
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

  connect();
})();
