#!/usr/bin/env node
// Push fan-out client harness: N idle push clients spread over worker processes, a trigger, and the time until the
// last client has the event.
//
// Both modes use the same raw `net` sockets (the HTTP request or the WebSocket upgrade is written by hand, and a
// received event is recognized by a substring in the bytes), so the client-side cost per event is the same for
// Skewgate (SSE) and the Node `ws` seed design (WebSocket):
//   sse: GET <path> with Host <host-header>; ready after "event: hello"; an event is "event: deployment"
//   ws:  GET <path> Upgrade: websocket;      ready after "HTTP/1.1 101"; an event is "VERSION_UPDATE"
//
// The coordinator forks the workers (each opens its share of sockets, at most --concurrency handshakes in
// flight, from source addresses <ip-prefix><worker>.<1..ip-count> so no source address runs out of ephemeral ports),
// waits until all are ready, measures the server's memory with N idle clients against the same server with 0
// clients, then runs --broadcasts triggers one after the other. Every worker stamps each receipt with
// process.hrtime (CLOCK_MONOTONIC, the same clock in every process of the machine); times are relative to the
// moment just before the coordinator sent the trigger request.
//
// Triggers: sse -> POST <admin>/v1/sites/<site>/activate {"deployment": ...} alternating over --deployments
//           ws  -> POST <notify> {"version": "v<k>"}
//
// Per broadcast it also records the server's on-CPU time (all threads; user/sys; JIT compiler and GC threads), the
// harness's, and the rest of the machine's (the machine may be shared: before each trigger it waits, bounded, for
// other processes to be quiet, flags a broadcast as noisy when they were not, and repeats later broadcasts, up to
// --extra times, until it has broadcasts-1 quiet ones), and with --probe-url the slowest of small GETs sent one after
// the other to the same server while the fan-out runs.
//
// Results: human-readable lines on stdout, everything as JSON in --out.
'use strict';

const { fork, execFileSync } = require('child_process');
const fs = require('fs');
const http = require('http');
const net = require('net');

const WARMUP_BROADCASTS = 2;
const PATTERN = { sse: 'event: deployment', ws: 'VERSION_UPDATE' };
const READY = { sse: 'event: hello', ws: '\r\n\r\n' };
const STATUS = { sse: 'HTTP/1.1 200', ws: 'HTTP/1.1 101' };

// A Chrome 131 EventSource request / WebSocket upgrade as a real tab sends it (what the server keeps per stream
// depends on it); --headers minimal sends only what the protocol needs.
const BROWSER_HEADERS = [
  'Connection: keep-alive',
  'sec-ch-ua-platform: "macOS"',
  'Cache-Control: no-cache',
  'User-Agent: Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) '
    + 'Chrome/131.0.0.0 Safari/537.36',
  'sec-ch-ua: "Google Chrome";v="131", "Chromium";v="131", "Not_A Brand";v="24"',
  'sec-ch-ua-mobile: ?0',
  'Sec-Fetch-Site: same-origin',
  'Sec-Fetch-Dest: empty',
  'Referer: http://shop.localhost/checkout/shipping',
  'Accept-Encoding: gzip, deflate, br, zstd',
  'Accept-Language: en-US,en;q=0.9,de;q=0.8',
  'Cookie: skewgate_dpl=dpl_01M822GYCJBWT7210A0P8GH6GD; _ga=GA1.1.1234567890.1732290000; '
    + 'session=Fe26.2**9a7c1e0b3f4d5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b',
];

function buildRequest(c) {
  const lines = [`GET ${c.path} HTTP/1.1`, `Host: ${c.hostHeader}`];
  if (c.mode === 'sse') {
    lines.push('Accept: text/event-stream');
    if (c.headers === 'browser') {
      lines.push(...BROWSER_HEADERS.filter((h) => !h.startsWith('Connection')), 'Sec-Fetch-Mode: cors');
    }
  } else {
    lines.push('Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 13',
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==');
    if (c.headers === 'browser') {
      lines.push('Origin: http://shop.localhost', 'Pragma: no-cache',
        'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits',
        ...BROWSER_HEADERS.filter((h) => !h.startsWith('Connection') && !h.startsWith('Sec-Fetch')
          && !h.startsWith('Referer')));
    }
  }
  return lines.join('\r\n') + '\r\n\r\n';
}

// ---------------------------------------------------------------------------------------------------------------
// worker

function worker() {
  let c;
  let base;
  let counts;
  let times;
  let received;
  let doneSent;
  const sockets = [];
  let ready = 0;
  let failed = 0;
  let lost = 0;
  let reportedReady = false;
  const failures = {};

  const now = () => Number(process.hrtime.bigint() - base) / 1e6;
  const alive = () => ready - lost;

  function checkDone() {
    for (let k = 0; k < c.broadcasts; k++) {
      if (!doneSent[k] && received[k] > 0 && received[k] >= alive()) {
        doneSent[k] = true;
        process.send({ type: 'done', k, received: received[k], alive: alive(), lost });
      }
    }
  }

  function checkReady() {
    if (!reportedReady && ready + failed === c.count) {
      reportedReady = true;
      process.send({ type: 'ready', ready, failed, failures });
    }
  }

  function start(cfg) {
    c = cfg;
    base = BigInt(c.base);
    counts = new Uint32Array(c.count);
    times = Array.from({ length: c.broadcasts }, () => new Float64Array(c.count).fill(NaN));
    received = new Uint32Array(c.broadcasts);
    doneSent = new Array(c.broadcasts).fill(false);
    const request = buildRequest(c);
    const pattern = PATTERN[c.mode];
    const keep = pattern.length - 1;
    let next = 0;
    let inflight = 0;

    function pump() {
      while (inflight < c.concurrency && next < c.count) {
        openOne(next++);
      }
      checkReady();
    }

    function fail(reason) {
      failed++;
      failures[reason] = (failures[reason] || 0) + 1;
    }

    function openOne(i) {
      inflight++;
      let state = 0; // 0 handshaking, 1 ready, 2 gone
      let acc = '';
      let tail = '';
      const s = net.connect({ host: c.host, port: c.port, localAddress: c.ipPrefix + (1 + (i % c.ipCount)) });
      sockets.push(s);
      s.on('connect', () => s.write(request));
      s.on('data', (buf) => {
        const t = now();
        let str;
        if (state === 0) {
          acc += buf.toString('latin1');
          if (!acc.startsWith(STATUS[c.mode].slice(0, Math.min(acc.length, STATUS[c.mode].length)))) {
            state = 2;
            inflight--;
            fail('status ' + acc.slice(0, 12));
            s.destroy();
            pump();
            return;
          }
          const r = acc.indexOf(READY[c.mode]);
          if (r < 0) {
            return;
          }
          state = 1;
          inflight--;
          ready++;
          str = acc.slice(r + READY[c.mode].length);
          acc = '';
          pump();
        } else if (state === 1) {
          str = tail + buf.toString('latin1');
        } else {
          return;
        }
        let k = counts[i];
        let p = 0;
        while ((p = str.indexOf(pattern, p)) >= 0) {
          if (k < c.broadcasts) {
            times[k][i] = t;
            received[k]++;
          }
          k++;
          p += pattern.length;
        }
        if (k !== counts[i]) {
          counts[i] = k;
          checkDone();
        }
        tail = str.length > keep ? str.slice(str.length - keep) : str;
      });
      const gone = (why) => {
        if (state === 0) {
          state = 2;
          inflight--;
          fail(why);
          pump();
        } else if (state === 1) {
          state = 2;
          lost++;
          checkDone();
        }
      };
      s.on('error', (e) => gone(e.code || e.message));
      s.on('close', () => gone('closed'));
    }

    if (c.count === 0) {
      checkReady();
    } else {
      pump();
    }
  }

  process.on('message', (m) => {
    if (m.type === 'start') {
      start(m.config);
    } else if (m.type === 'collect') {
      const out = [];
      for (const t of times[m.k]) {
        if (!Number.isNaN(t)) {
          out.push(t);
        }
      }
      process.send({ type: 'times', k: m.k, times: out, alive: alive(), lost });
    } else if (m.type === 'close') {
      for (const s of sockets) {
        s.destroy();
      }
      setTimeout(() => process.exit(0), 50);
    }
  });
  process.on('disconnect', () => process.exit(0));
}

// ---------------------------------------------------------------------------------------------------------------
// coordinator

function parseArgs(argv) {
  const o = {
    mode: 'sse', target: '127.0.0.1:8080', path: '/', hostHeader: 'shop.localhost', n: 1000, workers: 0,
    perWorker: 9500, broadcasts: 4, warmup: 100, concurrency: 200, headers: 'browser', ipPrefix: '127.11.',
    ipCount: 200, gap: 700, settle: 300, timeout: 20000, label: '', extra: 3, noiseMs: 100, quietWaitMs: 5000,
  };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '').replace(/-([a-z])/g, (_, ch) => ch.toUpperCase());
    const v = argv[i + 1];
    if (key === 'jvm') {
      o.jvm = true;
      i--;
      continue;
    }
    o[key] = /^-?\d+$/.test(v) ? Number(v) : v;
  }
  if (!o.workers) {
    o.workers = Math.max(1, Math.ceil(o.n / o.perWorker));
  }
  return o;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function httpJson(method, url, headers, body) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = http.request({
      method, host: u.hostname, port: u.port, path: u.pathname + u.search, agent: AGENT,
      headers: Object.assign({ 'content-type': 'application/json' }, headers),
    }, (res) => {
      const chunks = [];
      res.on('data', (d) => chunks.push(d));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json = null;
        try {
          json = JSON.parse(text);
        } catch (e) {
          // not JSON
        }
        resolve({ status: res.statusCode, json, text, at: process.hrtime.bigint() });
      });
    });
    req.on('error', reject);
    req.end(body == null ? undefined : JSON.stringify(body));
  });
}
const AGENT = new http.Agent({ keepAlive: true, maxSockets: 2 });
const PROBE_AGENT = new http.Agent({ keepAlive: true, maxSockets: 1 });

/** On-CPU nanoseconds of every thread of a process (schedstat), and utime+stime clock ticks. */
function cpuOf(pid) {
  let ns = 0;
  let jitNs = 0;
  let gcNs = 0;
  try {
    for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
      try {
        const t = Number(fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
        ns += t;
        const comm = fs.readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8');
        if (/^C[12] Compiler/.test(comm)) {
          jitNs += t;
        } else if (/^(GC Thread|G1 |VM Thread)/.test(comm)) {
          gcNs += t;
        }
      } catch (e) {
        // thread ended
      }
    }
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { ns, jitNs, gcNs, ticks: Number(f[11]) + Number(f[12]), uticks: Number(f[11]), sticks: Number(f[12]) };
  } catch (e) {
    return { ns: NaN, ticks: NaN };
  }
}

/** Busy CPU time of the whole machine (all cores, all processes) in ms, from /proc/stat. */
function machineCpuMs() {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal
  return (f[0] + f[1] + f[2] + f[5] + f[6] + f[7]) * 10;
}

function rssKB(pid) {
  const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

function findKey(o, key) {
  if (o && typeof o === 'object') {
    if (Object.prototype.hasOwnProperty.call(o, key)) {
      return o[key];
    }
    for (const v of Object.values(o)) {
      const r = findKey(v, key);
      if (r !== undefined) {
        return r;
      }
    }
  }
  return undefined;
}

class Coordinator {
  constructor(o) {
    this.o = o;
    this.base = process.hrtime.bigint();
    this.triggers = 0;
    this.pool = [];
  }

  ms(t) {
    return Number(t - this.base) / 1e6;
  }

  async serverClients() {
    const o = this.o;
    if (o.mode === 'sse') {
      const r = await httpJson('GET', `${o.admin}/v1/sites/${o.site}/status`, { authorization: `Bearer ${o.token}` });
      const open = findKey(r.json, 'openClients') || {};
      return Object.values(open).reduce((a, b) => a + b, 0);
    }
    const r = await httpJson('GET', `http://${o.target}/internal/stats`);
    return r.json.clients;
  }

  async memory(tag) {
    const o = this.o;
    const pid = o.serverPid;
    const m = { tag, rssKB: rssKB(pid) };
    // Kernel memory of the whole machine (both ends of every connection are on it): slab and TCP buffer pages.
    const meminfo = fs.readFileSync('/proc/meminfo', 'utf8');
    m.slabKB = Number((/^Slab:\s+(\d+)/m.exec(meminfo) || [0, NaN])[1]);
    m.tcpMemPages = Number((/^TCP:.* mem (\d+)/m.exec(fs.readFileSync('/proc/net/sockstat', 'utf8')) || [0, NaN])[1]);
    if (o.jvm) {
      // GC.class_histogram walks the live objects after a full GC: its total is the live heap.
      const histo = execFileSync('jcmd', [String(pid), 'GC.class_histogram'], { encoding: 'utf8', maxBuffer: 64 << 20 });
      const classes = {};
      for (const line of histo.split('\n')) {
        const x = /^\s*\d+:\s+(\d+)\s+(\d+)\s+(\S+)/.exec(line);
        if (x) {
          classes[x[3]] = { n: Number(x[1]), bytes: Number(x[2]) };
        }
        const t = /^Total\s+(\d+)\s+(\d+)/.exec(line);
        if (t) {
          m.heapObjects = Number(t[1]);
          m.heapBytes = Number(t[2]);
        }
      }
      m.classes = classes;
      const info = execFileSync('jcmd', [String(pid), 'GC.heap_info'], { encoding: 'utf8' });
      const u = /total (\d+)K, used (\d+)K/.exec(info);
      if (u) {
        m.heapCommittedKB = Number(u[1]);
        m.heapUsedKB = Number(u[2]);
      }
      const nmt = (() => {
        try {
          return execFileSync('jcmd', [String(pid), 'VM.native_memory', 'summary'], { encoding: 'utf8' });
        } catch (e) {
          return '';
        }
      })();
      const c = /Total: reserved=\d+KB, committed=(\d+)KB/.exec(nmt);
      if (c) {
        m.nmtCommittedKB = Number(c[1]);
      }
    } else {
      const r = await httpJson('GET', `http://${o.target}/internal/stats`);
      m.heapBytes = r.json.heapUsed;
      m.externalBytes = r.json.external;
      m.gc = r.json.gc;
    }
    m.rssAfterGcKB = rssKB(pid);
    return m;
  }

  trigger() {
    const o = this.o;
    const k = this.triggers++;
    if (o.mode === 'sse') {
      const ids = o.deployments.split(',');
      const dpl = ids[k % ids.length];
      return httpJson('POST', `${o.admin}/v1/sites/${o.site}/activate`, { authorization: `Bearer ${o.token}` },
        { deployment: dpl }).then((r) => Object.assign(r, { notified: findKey(r.json, 'notified') }));
    }
    return httpJson('POST', o.notify, {}, { version: `v${k + 1}` })
      .then((r) => Object.assign(r, { notified: r.json && r.json.notified }));
  }

  /** Forks workers holding n clients in total; resolves when every client is ready (or failed). */
  async open(n, group) {
    const o = this.o;
    const count = n === 0 ? 0 : Math.max(1, Math.min(o.workers, n));
    const ws = [];
    const started = process.hrtime.bigint();
    for (let w = 0; w < count; w++) {
      const share = Math.floor(n / count) + (w < n % count ? 1 : 0);
      const child = fork(__filename, ['--worker'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      const wk = { child, w, share, inbox: [], waiters: [] };
      child.on('message', (m) => {
        const i = wk.waiters.findIndex((x) => x.match(m));
        if (i >= 0) {
          wk.waiters.splice(i, 1)[0].resolve(m);
        } else {
          wk.inbox.push(m);
        }
      });
      child.send({
        type: 'start', config: {
          mode: o.mode, host: o.target.split(':')[0], port: Number(o.target.split(':')[1]), path: o.path,
          hostHeader: o.hostHeader, headers: o.headers, count: share, concurrency: o.concurrency,
          broadcasts: Math.max(o.broadcasts + o.extra + 1, WARMUP_BROADCASTS), base: String(this.base), ipPrefix: `${o.ipPrefix}${group * 10 + w + 1}.`,
          ipCount: o.ipCount,
        },
      });
      ws.push(wk);
      this.pool.push(wk);
    }
    const readies = await Promise.all(ws.map((wk) => this.receive(wk, (m) => m.type === 'ready', 120000)));
    const ready = readies.reduce((a, m) => a + (m ? m.ready : 0), 0);
    const failed = readies.reduce((a, m) => a + (m ? m.failed : 0), 0);
    const failures = {};
    for (const m of readies) {
      for (const [k, v] of Object.entries((m && m.failures) || {})) {
        failures[k] = (failures[k] || 0) + v;
      }
    }
    return { workers: ws, ready, failed, failures, connectMs: Number(process.hrtime.bigint() - started) / 1e6 };
  }

  receive(wk, match, timeoutMs) {
    const i = wk.inbox.findIndex(match);
    if (i >= 0) {
      return Promise.resolve(wk.inbox.splice(i, 1)[0]);
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        const j = wk.waiters.indexOf(waiter);
        if (j >= 0) {
          wk.waiters.splice(j, 1);
          resolve(null);
        }
      }, timeoutMs);
      const waiter = {
        match,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      };
      wk.waiters.push(waiter);
    });
  }

  async close(group) {
    for (const wk of group.workers) {
      wk.child.send({ type: 'close' });
    }
    await Promise.all(group.workers.map((wk) => new Promise((r) => {
      if (wk.child.exitCode !== null) {
        r();
      } else {
        wk.child.on('exit', r);
      }
    })));
    this.pool = this.pool.filter((wk) => !group.workers.includes(wk));
  }

  /**
   * While a broadcast runs, a small GET (--probe-url, Host --host-header) one after the other on one keep-alive
   * connection, 5 ms apart: how long an ordinary request on the server waits while the fan-out runs.
   */
  startProbe() {
    const o = this.o;
    if (!o.probeUrl) {
      return { stop: async () => null };
    }
    const u = new URL(o.probeUrl);
    const lat = [];
    let running = true;
    const loop = (async () => {
      while (running) {
        const t = process.hrtime.bigint();
        await new Promise((resolve) => {
          const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, agent: PROBE_AGENT,
            headers: { host: o.hostHeader } }, (res) => {
            res.resume();
            res.on('end', resolve);
          });
          req.on('error', resolve);
          req.end();
        });
        lat.push(Number(process.hrtime.bigint() - t) / 1e6);
        await sleep(5);
      }
    })();
    return {
      stop: async () => {
        running = false;
        await loop;
        const sorted = lat.slice().sort((a, b) => a - b);
        return { probeCount: sorted.length, probeP50Ms: sorted[Math.floor((sorted.length - 1) / 2)],
          probeMaxMs: sorted[sorted.length - 1] };
      },
    };
  }

  /** Waits until processes other than ours used < 5% of a core for 300 ms (at most maxMs); returns how long. */
  async quiet(group, maxMs) {
    const start = Date.now();
    const pids = [this.o.serverPid, process.pid, ...group.workers.map((wk) => wk.child.pid)];
    for (;;) {
      const m0 = machineCpuMs();
      const c0 = pids.map(cpuOf);
      await sleep(300);
      const m1 = machineCpuMs();
      const ours = pids.map(cpuOf).reduce((a, c, i) => a + (c.ns - c0[i].ns) / 1e6, 0);
      const other = m1 - m0 - ours;
      const ms = Date.now() - start - 300;
      if (other < 15) {
        return { ms: Math.max(0, ms), quiet: true };
      }
      if (ms >= maxMs) {
        return { ms, quiet: false };
      }
    }
  }

  /** One trigger; k = which event after connect this is for the group's clients. */
  async broadcast(group, k, withProbe = false) {
    const o = this.o;
    const cpu0 = cpuOf(o.serverPid);
    const wcpu0 = group.workers.map((wk) => cpuOf(wk.child.pid));
    const m0 = machineCpuMs();
    const self0 = cpuOf(process.pid);
    const probe = withProbe ? this.startProbe() : { stop: async () => null };
    const t0 = process.hrtime.bigint();
    const resp = await this.trigger();
    const dones = await Promise.all(group.workers.map((wk) => this.receive(wk,
      (m) => m.type === 'done' && m.k === k, o.timeout)));
    await sleep(o.settle);
    const probed = await probe.stop();
    const cpu1 = cpuOf(o.serverPid);
    const wcpu1 = group.workers.map((wk) => cpuOf(wk.child.pid));
    const m1 = machineCpuMs();
    const self1 = cpuOf(process.pid);
    const tEnd = process.hrtime.bigint();
    let all = [];
    let alive = 0;
    for (const wk of group.workers) {
      wk.child.send({ type: 'collect', k });
      const m = await this.receive(wk, (x) => x.type === 'times' && x.k === k, 30000);
      if (!m) {
        throw new Error(`worker ${wk.w} sent no receive times for broadcast ${k + 1}`);
      }
      alive += m.alive;
      all = all.concat(m.times);
    }
    const t0ms = this.ms(t0);
    all = all.map((t) => t - t0ms).sort((a, b) => a - b);
    const q = (p) => (all.length ? all[Math.min(all.length - 1, Math.ceil(p * all.length) - 1)] : NaN);
    const r = {
      k, clients: alive, received: all.length, missing: alive - all.length, timedOut: dones.some((d) => !d),
      triggerStatus: resp.status, notified: resp.notified, triggerReplyMs: this.ms(resp.at) - t0ms,
      firstMs: all.length ? all[0] : NaN, p50Ms: q(0.5), p99Ms: q(0.99), lastMs: all.length ? all[all.length - 1] : NaN,
      serverCpuMs: (cpu1.ns - cpu0.ns) / 1e6, serverCpuTicks: cpu1.ticks - cpu0.ticks,
      serverUserMs: (cpu1.uticks - cpu0.uticks) * 10, serverSysMs: (cpu1.sticks - cpu0.sticks) * 10,
      serverJitMs: (cpu1.jitNs - cpu0.jitNs) / 1e6, serverGcMs: (cpu1.gcNs - cpu0.gcNs) / 1e6,
      harnessCpuMs: wcpu1.reduce((a, c, i) => a + (c.ns - wcpu0[i].ns), 0) / 1e6 + (self1.ns - self0.ns) / 1e6,
      windowMs: Number(tEnd - t0) / 1e6,
      machineCpuMs: m1 - m0,
    };
    r.otherCpuMs = r.machineCpuMs - r.serverCpuMs - r.harnessCpuMs;
    if (probed) {
      Object.assign(r, probed);
    }
    return r;
  }

  async run() {
    const o = this.o;
    const out = { label: o.label, mode: o.mode, n: o.n, workers: o.workers, headers: o.headers, broadcasts: [] };
    const log = (...a) => console.log(`[${o.label || o.mode} n=${o.n} +${(this.ms(process.hrtime.bigint()) / 1000).toFixed(1)}s]`, ...a);
    if (o.warmup > 0) {
      const g = await this.open(o.warmup, 9);
      log(`warm-up: ${g.ready} clients, ${g.failed} failed`);
      for (let k = 0; k < WARMUP_BROADCASTS; k++) {
        const b = await this.broadcast(g, k);
        log(`warm-up broadcast ${k + 1}: last client ${b.lastMs.toFixed(1)} ms`);
      }
      await this.close(g);
      await sleep(1000);
    }
    out.idle0 = await this.memory('0 clients');
    log(`0 clients: RSS ${out.idle0.rssKB} KiB, heap ${(out.idle0.heapBytes / 1024).toFixed(0)} KiB`);
    // The fixed cost of a trigger (for Skewgate: the activation's transaction and snapshot swap) with no client.
    out.zero = [];
    for (let k = 0; k < 2; k++) {
      const b = await this.broadcast({ workers: [] }, k);
      out.zero.push(b);
      log(`0-client trigger ${k + 1}: reply ${b.triggerReplyMs.toFixed(1)} ms, server CPU ${b.serverCpuMs.toFixed(1)} ms`);
      await sleep(300);
    }
    if (o.n === 0) {
      return out;
    }
    const g = await this.open(o.n, 0);
    out.ready = g.ready;
    out.failed = g.failed;
    out.failures = g.failures;
    out.connectMs = g.connectMs;
    log(`${g.ready} clients ready (${g.failed} failed ${JSON.stringify(g.failures)}) in ${g.connectMs.toFixed(0)} ms `
      + `over ${g.workers.length} worker(s)`);
    let seen = -1;
    for (let i = 0; i < 50; i++) {
      seen = await this.serverClients();
      if (seen >= g.ready) {
        break;
      }
      await sleep(200);
    }
    out.serverSeesClients = seen;
    log(`server counts ${seen} open clients`);
    await sleep(1000);
    out.idleN = await this.memory(`${o.n} clients`);
    const d = (a, b) => (a - b) / g.ready;
    out.perConnection = {
      rssBytes: d(out.idleN.rssKB, out.idle0.rssKB) * 1024,
      rssAfterGcBytes: d(out.idleN.rssAfterGcKB, out.idle0.rssAfterGcKB) * 1024,
      heapBytes: d(out.idleN.heapBytes, out.idle0.heapBytes),
      // per connection = per 2 sockets (client and server end); an idle server socket is about half of it
      kernelSlabBytes: d(out.idleN.slabKB, out.idle0.slabKB) * 1024,
      kernelTcpBufBytes: d(out.idleN.tcpMemPages, out.idle0.tcpMemPages) * 4096,
    };
    if (o.mode === 'ws') {
      out.perConnection.externalBytes = d(out.idleN.externalBytes, out.idle0.externalBytes);
    }
    if (o.jvm) {
      if (out.idleN.nmtCommittedKB && out.idle0.nmtCommittedKB) {
        out.perConnection.nmtCommittedBytes = d(out.idleN.nmtCommittedKB, out.idle0.nmtCommittedKB) * 1024;
      }
      const rows = [];
      for (const [name, v] of Object.entries(out.idleN.classes)) {
        const b0 = out.idle0.classes[name] || { n: 0, bytes: 0 };
        rows.push({ name, perConnBytes: (v.bytes - b0.bytes) / g.ready, perConnObjects: (v.n - b0.n) / g.ready });
      }
      rows.sort((a, b) => b.perConnBytes - a.perConnBytes);
      out.heapByClass = rows.slice(0, 25);
      delete out.idle0.classes;
      delete out.idleN.classes;
    }
    const pc = out.perConnection;
    log(`per idle connection: heap ${pc.heapBytes.toFixed(0)} B, RSS ${pc.rssBytes.toFixed(0)} B `
      + `(after GC ${pc.rssAfterGcBytes.toFixed(0)} B)`);
    if (o.onIdle) {
      // e.g. a heap dump with N idle clients: --on-idle 'jcmd $SERVER_PID GC.heap_dump /tmp/x.hprof'
      log(`running --on-idle: ${o.onIdle}`);
      execFileSync('sh', ['-c', o.onIdle], { stdio: 'inherit', env: Object.assign({}, process.env,
        { SERVER_PID: String(o.serverPid), TARGET: o.target }) });
    }
    // The machine may be shared: before each trigger wait (bounded) until other processes are quiet, and count a
    // broadcast as noisy when they used more than --noise-ms of CPU during it. The first broadcast after connect
    // cannot be repeated (it is reported with its noise flag); later ones are repeated, up to --extra more times,
    // until there are broadcasts-1 quiet ones.
    let quietLater = 0;
    for (let k = 0; k < o.broadcasts + o.extra && (k === 0 || quietLater < o.broadcasts - 1); k++) {
      const waited = await this.quiet(g, o.quietWaitMs);
      const b = await this.broadcast(g, k);
      b.quietWaitMs = waited.ms;
      b.noisy = b.otherCpuMs > o.noiseMs;
      if (k > 0 && !b.noisy) {
        quietLater++;
      }
      out.broadcasts.push(b);
      log(`broadcast ${k + 1}: ${b.received}/${b.clients} got it; first ${b.firstMs.toFixed(1)} p50 ${b.p50Ms.toFixed(1)} `
        + `p99 ${b.p99Ms.toFixed(1)} last ${b.lastMs.toFixed(1)} ms; trigger reply ${b.triggerReplyMs.toFixed(1)} ms `
        + `(notified ${b.notified}); server CPU ${b.serverCpuMs.toFixed(1)} ms (user ${b.serverUserMs} / sys ${b.serverSysMs}; JIT ${b.serverJitMs.toFixed(0)}, GC/VM ${b.serverGcMs.toFixed(0)}), harness CPU ${b.harnessCpuMs.toFixed(1)} ms, `
        + `other processes ~${b.otherCpuMs.toFixed(0)} ms CPU in the ${b.windowMs.toFixed(0)} ms window`
        + `${b.probeCount ? `; probe GET p50 ${b.probeP50Ms.toFixed(1)} max ${b.probeMaxMs.toFixed(1)} ms (${b.probeCount})` : ''}`
        + `${b.noisy ? ' [NOISY]' : ''}${waited.ms > 0 ? ` (waited ${waited.ms} ms for quiet${waited.quiet ? '' : ', gave up'})` : ''}`);
      await sleep(o.gap);
    }
    if (o.probeUrl) {
      // One more broadcast with small GETs to the same server meanwhile; kept out of the figures above (the GETs cost
      // CPU too).
      await this.quiet(g, o.quietWaitMs);
      const k = out.broadcasts.length;
      const b = await this.broadcast(g, k, true);
      out.probeBroadcast = b;
      log(`probe broadcast: last client ${b.lastMs.toFixed(1)} ms; GET during it p50 ${b.probeP50Ms.toFixed(1)} `
        + `max ${b.probeMaxMs.toFixed(1)} ms (${b.probeCount} GETs)${b.otherCpuMs > o.noiseMs ? ' [NOISY]' : ''}`);
    }
    if (o.afterBroadcasts) {
      log(`running --after-broadcasts: ${o.afterBroadcasts}`);
      execFileSync('sh', ['-c', o.afterBroadcasts], { stdio: 'inherit', env: Object.assign({}, process.env,
        { SERVER_PID: String(o.serverPid), TARGET: o.target }) });
    }
    await this.close(g);
    return out;
  }
}

async function coordinator() {
  const o = parseArgs(process.argv.slice(2));
  const c = new Coordinator(o);
  const stop = () => {
    for (const wk of c.pool) {
      try {
        wk.child.kill('SIGKILL');
      } catch (e) {
        // gone
      }
    }
  };
  process.on('SIGTERM', () => {
    stop();
    process.exit(143);
  });
  process.on('SIGINT', () => {
    stop();
    process.exit(130);
  });
  try {
    const out = await c.run();
    if (o.out) {
      fs.writeFileSync(o.out, JSON.stringify(out, null, 2) + '\n');
    }
  } catch (e) {
    console.error('harness failed:', e);
    stop();
    process.exitCode = 1;
  }
  AGENT.destroy();
  PROBE_AGENT.destroy();
}

if (process.argv[2] === '--worker') {
  worker();
} else {
  coordinator();
}
