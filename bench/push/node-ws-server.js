#!/usr/bin/env node
// The seed design the push channel replaces, kept as a benchmark baseline: a `ws` WebSocketServer that every tab
// connects to, and POST /internal/notify-deploy {version} that loops over wss.clients and sends each one
// {type: 'VERSION_UPDATE', version}. The message is serialized once per notice (the fair version of the seed: a loop
// that calls JSON.stringify per client is slower still).
//
// Only for measuring: GET /internal/stats answers {clients, rss, heapUsed, external, arrayBuffers} after a full GC
// when node runs with --expose-gc.
//
// usage: node node-ws-server.js --port 19090 [--host 127.0.0.1]
'use strict';

const http = require('http');
const { WebSocketServer, WebSocket } = require('ws');

function arg(name, fallback) {
  const i = process.argv.indexOf('--' + name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const port = Number(arg('port', '19090'));
const host = arg('host', '127.0.0.1');

const server = http.createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/internal/notify-deploy') {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      let version;
      try {
        version = JSON.parse(Buffer.concat(chunks).toString('utf8')).version;
      } catch (e) {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'INVALID_JSON' }));
        return;
      }
      const message = JSON.stringify({ type: 'VERSION_UPDATE', version });
      let notified = 0;
      wss.clients.forEach((client) => {
        if (client.readyState === WebSocket.OPEN) {
          client.send(message);
          notified++;
        }
      });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ notified }));
    });
    return;
  }
  if (req.method === 'GET' && req.url === '/internal/ping') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok\n');
    return;
  }
  if (req.method === 'GET' && req.url === '/internal/stats') {
    if (global.gc) {
      global.gc();
    }
    const m = process.memoryUsage();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({
      clients: wss.clients.size, rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal,
      external: m.external, arrayBuffers: m.arrayBuffers, gc: Boolean(global.gc),
    }));
    return;
  }
  res.writeHead(404);
  res.end();
});

const wss = new WebSocketServer({ server });
wss.on('connection', (ws) => {
  ws.on('error', () => {});
});

server.listen(port, host, 511, () => {
  console.log(`node ws seed server on ws://${host}:${port} (pid ${process.pid})`);
});

for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => process.exit(0));
}
