// The whole integration without a framework: read window.Skewgate, listen to its events.
(function () {
  'use strict';
  var sg = window.Skewgate; // absent when the page is not served through Skewgate
  function show() {
    document.getElementById('deployment').textContent = (sg && sg.deployment) || 'not served by Skewgate';
    document.getElementById('api').textContent = (sg && sg.config.API_BASE_URL) || '-';
    document.getElementById('update').hidden = !(sg && sg.updateAvailable);
  }
  show();
  if (sg) {
    // Runtime config: `skewgate config set <site> API_BASE_URL=https://...` reaches this open tab, no rebuild.
    ['update', 'config', 'retired', 'current'].forEach(function (type) { sg.on(type, show); });
  }
  document.getElementById('update-now').addEventListener('click', function () { if (sg) sg.reload(); });
  document.getElementById('call').addEventListener('click', function () {
    var base = (sg && sg.config.API_BASE_URL) || '';
    // Same-origin calls carry X-Skewgate-Deployment, so they reach the backend this tab's code was built for.
    fetch(base + '/api/hello').then(function (r) { return r.text(); }).then(function (t) {
      document.getElementById('answer').textContent = t;
    }, function (e) { document.getElementById('answer').textContent = String(e); });
  });
})();
