// Demo frontend {{VERSION}}: calls the API it was built against and shows what it gets.
(function () {
  var el = function (id) { return document.getElementById(id); };
  el('deployment').textContent = window.Skewgate ? Skewgate.deployment : '(no SDK)';
  function show(text) {
    el('answer').textContent = text;
    var li = document.createElement('li');
    li.textContent = new Date().toLocaleTimeString() + '  ' + text;
    el('log').insertBefore(li, el('log').firstChild);
  }
  el('call').addEventListener('click', function () {
    fetch('/api/greeting').then(function (r) {
      return r.json().then(function (data) {
        if (r.status === 410) { show('410 Gone: ' + data.message); return; }
        show({{READ}} + '  (served by ' + r.headers.get('x-skewgate-deployment') + ')');
      });
    }).catch(function (e) { show('error: ' + e); });
  });
})();
