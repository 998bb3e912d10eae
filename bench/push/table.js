#!/usr/bin/env node
// Renders the JSON results of one bench/push-fanout.sh run (a directory of sse-<N>.json and ws-<N>.json) as
// markdown tables. usage: node table.js <run dir>
'use strict';

const fs = require('fs');
const path = require('path');

const dir = process.argv[2];
const load = (f) => (fs.existsSync(path.join(dir, f)) ? JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) : null);
const ns = new Set();
for (const f of fs.readdirSync(dir)) {
  const m = /^(sse|ws)-(\d+)\.json$/.exec(f);
  if (m) {
    ns.add(Number(m[2]));
  }
}
const counts = [...ns].sort((a, b) => a - b);
const fmt = (x, d = 0) => (x == null || Number.isNaN(x) ? '-' : x.toFixed(d));
const median = (xs) => {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN;
};
const first = (r) => (r && r.broadcasts.length ? r.broadcasts[0] : null);
// Later broadcasts: the quiet ones (no other process used the CPU meanwhile), or all of them if none was quiet.
const later = (r) => {
  if (!r) {
    return [];
  }
  const all = r.broadcasts.slice(1);
  const quiet = all.filter((b) => !b.noisy);
  return quiet.length ? quiet : all;
};
const laterLast = (r) => median(later(r).map((b) => b.lastMs));
const laterMax = (r) => Math.max(...later(r).map((b) => b.lastMs));
const laterMin = (r) => Math.min(...later(r).map((b) => b.lastMs));
const mark = (b) => (b && b.noisy ? ' †' : '');
const ok = (r) => {
  if (!r) {
    return '-';
  }
  return r.failed === 0 && r.broadcasts.every((b) => b.missing === 0 && b.received === r.ready && !b.timedOut)
    ? 'yes' : 'NO';
};

const lines = [];
lines.push('Time from sending the trigger to the client having the event (ms). First broadcast after connect: '
  + 'first client / p50 / p99 / **last client**. Later: median time to the last client over the later quiet '
  + 'broadcasts [min-max, count]. † = other processes used the CPU during that broadcast (shared machine).');
lines.push('');
lines.push('| clients | Skewgate first: first / p50 / p99 / last | Skewgate later: last | Node ws first: first / p50 / p99 / last '
  + '| Node ws later: last | Node/Skewgate first | Node/Skewgate later | all delivered |');
lines.push('|---:|---:|---:|---:|---:|---:|---:|:---:|');
const firstCell = (b) => (b ? `${fmt(b.firstMs, 1)} / ${fmt(b.p50Ms, 1)} / ${fmt(b.p99Ms, 1)} / **${fmt(b.lastMs, 1)}**${mark(b)}`
  : '-');
const laterCell = (r) => (r && later(r).length ? `**${fmt(laterLast(r), 1)}** [${fmt(laterMin(r), 0)}-${fmt(laterMax(r), 0)}, `
  + `${later(r).length}]${later(r).some((b) => b.noisy) ? ' †' : ''}` : '-');
for (const n of counts) {
  const s = load(`sse-${n}.json`);
  const w = load(`ws-${n}.json`);
  const sf = first(s);
  const wf = first(w);
  lines.push(`| ${n} | ${firstCell(sf)} | ${laterCell(s)} | ${firstCell(wf)} | ${laterCell(w)} `
    + `| ${sf && wf ? fmt(wf.lastMs / sf.lastMs, 2) + 'x' : '-'} `
    + `| ${s && w ? fmt(laterLast(w) / laterLast(s), 2) + 'x' : '-'} `
    + `| ${ok(s)} / ${ok(w)} |`);
}
lines.push('');
lines.push('Server cost: memory per idle connection = (N clients - 0 clients) / N, heap after a full GC; CPU = on-CPU '
  + 'time of all server threads from the trigger to 300 ms after the last delivery (median of the later quiet broadcasts); '
  + 'trigger reply = when the activation / notify request answered; slowest GET = the longest of small GETs sent '
  + 'one after the other (5 ms apart) during one extra broadcast that is not counted elsewhere (version.json / a trivial Node route).');
lines.push('');
lines.push('| clients | Skewgate heap / conn | Skewgate RSS / conn | Skewgate CPU / broadcast | Skewgate trigger reply '
  + '| Skewgate 0-client trigger CPU | Node heap+external / conn | Node RSS / conn | Node CPU / broadcast '
  + '| harness CPU / broadcast (SG, Node) | slowest GET during a broadcast (SG, Node) |');
lines.push('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const n of counts) {
  const s = load(`sse-${n}.json`);
  const w = load(`ws-${n}.json`);
  const cpu = (r) => (r ? median(later(r).map((b) => b.serverCpuMs)) : NaN);
  const hcpu = (r) => (r ? median(later(r).map((b) => b.harnessCpuMs)) : NaN);
  const reply = (r) => (r ? median(later(r).map((b) => b.triggerReplyMs)) : NaN);
  const probe = (r) => (r && r.probeBroadcast ? r.probeBroadcast.probeMaxMs : NaN);
  const zero = (r) => (r && r.zero ? median(r.zero.map((b) => b.serverCpuMs)) : NaN);
  lines.push(`| ${n} | ${s ? fmt(s.perConnection.heapBytes) + ' B' : '-'} `
    + `| ${s ? fmt(s.perConnection.rssBytes) + ' B' : '-'} `
    + `| ${fmt(cpu(s), 1)} ms | ${fmt(reply(s), 1)} ms | ${fmt(zero(s), 1)} ms `
    + `| ${w ? fmt(w.perConnection.heapBytes + w.perConnection.externalBytes) + ' B' : '-'} `
    + `| ${w ? fmt(w.perConnection.rssBytes) + ' B' : '-'} | ${fmt(cpu(w), 1)} ms `
    + `| ${fmt(hcpu(s), 0)} / ${fmt(hcpu(w), 0)} ms | ${fmt(probe(s), 0)} / ${fmt(probe(w), 0)} ms |`);
}
const big = counts.length ? load(`sse-${counts[counts.length - 1]}.json`) : null;
if (big && big.heapByClass) {
  lines.push('');
  lines.push(`Skewgate live heap per idle connection by class (N = ${big.n}, top 15):`);
  lines.push('');
  lines.push('| class | bytes / conn | objects / conn |');
  lines.push('|---|---:|---:|');
  for (const row of big.heapByClass.slice(0, 15)) {
    lines.push(`| \`${row.name}\` | ${fmt(row.perConnBytes)} | ${fmt(row.perConnObjects, 2)} |`);
  }
}
console.log(lines.join('\n'));
