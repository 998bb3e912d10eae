// Driver for bench/activation-at-scale.sh (run it through the script, which starts and stops the servers).
//
//   node activation-at-scale.mjs populate   creates SITES sites with DEPLOYS deployments of FILES files each through
//                                           the admin API (each activated once, in order), writes the same releases
//                                           as folders for nginx, and the nginx config; state goes to $WORK/state.json
//   node activation-at-scale.mjs measure    ROUNDS switches on random sites for each of: Skewgate (activate and
//                                           rollback, alternating), nginx (rewrite the site's include + nginx -s
//                                           reload), nginx (swap the site's `current` symlink, no reload)
//
// Only Node's standard library; only 127.0.0.1.
import http from 'node:http';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';

const env = (k, d) => process.env[k] ?? d;
const WORK = env('WORK');
const SITES = +env('SITES', 50);
const DEPLOYS = +env('DEPLOYS', 10);
const FILES = +env('FILES', 2000);
const CHANGE_PCT = +env('CHANGE_PCT', 10);
const ROUNDS = +env('ROUNDS', 30);
const SITE_PAR = +env('SITE_PAR', 4);     // sites deployed at once
const BLOB_PAR = +env('BLOB_PAR', 4);     // blob PUTs in flight per site
const SYNTHETIC = env('SYNTHETIC', '1') === '1';
const ADMIN_PORT = +env('SG_ADMIN_PORT', 18501);
const EDGE_PORT = +env('SG_PORT', 18500);
const NGX_PORT = +env('NGX_PORT', 18502);
const NGX = env('NGX_DIR', WORK && path.join(WORK, 'nginx'));
const SEED = +env('SEED', 42);
const POP_BUDGET_S = +env('POP_BUDGET', 360);      // no further build round once it would end after this
const MEASURE_BUDGET_S = +env('MEASURE_BUDGET', 150); // no further round once it would end after this
const TIMEOUT_MS = 60000;

const now = () => performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- deterministic randomness (the build shapes; file bytes come from crypto) ---------------------------------
let rs = SEED >>> 0;
const rnd = () => { rs = (rs + 0x6d2b79f5) >>> 0; let t = rs; t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
const pick = (a) => a[Math.floor(rnd() * a.length)];
const logUniform = (lo, hi) => Math.round(Math.exp(Math.log(lo) + rnd() * (Math.log(hi) - Math.log(lo))));

// ---- HTTP -----------------------------------------------------------------------------------------------------
const adminAgent = new http.Agent({ keepAlive: true, maxSockets: SITE_PAR * BLOB_PAR + SITE_PAR });
let TOKEN = '';
function request(opts, body) {
    return new Promise((resolve, reject) => {
        const req = http.request(opts, (res) => {
            const chunks = [];
            res.on('data', (c) => chunks.push(c));
            res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
            res.on('error', reject);
        });
        req.on('error', reject);
        req.end(body);
    });
}
async function admin(method, p, json, raw) {
    const body = raw ?? (json === undefined ? undefined : Buffer.from(JSON.stringify(json)));
    const headers = { authorization: `Bearer ${TOKEN}`, 'x-skewgate-actor': 'bench' };
    if (body) { headers['content-length'] = body.length; headers['content-type'] = raw ? 'application/octet-stream' : 'application/json'; }
    const res = await request({ host: '127.0.0.1', port: ADMIN_PORT, method, path: p, headers, agent: adminAgent }, body);
    if (res.status >= 300) throw new Error(`${method} ${p} -> ${res.status} ${res.body.toString().slice(0, 400)}`);
    return JSON.parse(res.body.toString() || '{}');
}
// One GET on a fresh connection (no keep-alive, no cookie: what a new visitor gets) -> the version header's value.
function probe(port, host, header) {
    return new Promise((resolve) => {
        const req = http.request({ host: '127.0.0.1', port, path: '/', method: 'GET', agent: false,
            headers: { host, connection: 'close', accept: 'text/html' } }, (res) => {
            res.resume();
            resolve(res.headers[header] ?? `(status ${res.statusCode})`);
        });
        req.on('error', (e) => resolve(`(error ${e.code})`));
        req.end();
    });
}
// Polls back to back from t0 until the header says `want`; -> ms from t0 to the first such response.
async function pollUntil(port, host, header, want, t0, matches = (v) => v === want) {
    for (;;) {
        const v = await probe(port, host, header);
        const t = now();
        if (matches(v)) return t - t0;
        if (t - t0 > TIMEOUT_MS) throw new Error(`${host}: still '${v}' after ${TIMEOUT_MS} ms, want '${want}'`);
    }
}

// ---- a Vite-like dist -----------------------------------------------------------------------------------------
const NAMES = ['Button', 'Card', 'Modal', 'Table', 'Chart', 'Form', 'Input', 'Menu', 'Nav', 'Tabs', 'Toast', 'List',
    'Avatar', 'Badge', 'Dialog', 'Drawer', 'Grid', 'Icon', 'Layout', 'Page', 'Panel', 'Popover', 'Select', 'Slider'];
const b64 = (buf) => buf.toString('base64url');
const hashName = (bytes) => b64(crypto.createHash('sha256').update(bytes).digest()).slice(0, 8);
const TEXT = { js: 1, css: 1, svg: 1, html: 1, txt: 1, webmanifest: 1 };
function content(ext, size) {
    const raw = crypto.randomBytes(TEXT[ext] ? Math.ceil(size * 3 / 4) : size);
    return TEXT[ext] ? Buffer.from(b64(raw).slice(0, size)) : raw;
}
// A file slot: a stem (the name before the hash), an extension and a size class; a build fills it with content.
function slots(count) {
    const out = [
        { stem: 'assets/index', ext: 'js', lo: 150e3, hi: 300e3, entry: true },      // entry: changes every build
        { stem: 'assets/vendor', ext: 'js', lo: 300e3, hi: 600e3, stable: true },    // react & co.: rarely changes
        { stem: 'assets/index', ext: 'css', lo: 40e3, hi: 90e3 },
        { stem: 'assets/hero', ext: 'jpg', lo: 100e3, hi: 300e3, stable: true },
        { stem: 'assets/banner', ext: 'webp', lo: 60e3, hi: 150e3, stable: true },
    ];
    // index.html, favicon.ico, robots.txt and manifest.webmanifest are added by each build
    for (let i = 0; out.length < count - 4; i++) {
        const r = rnd();
        let ext, lo = 200, hi = 20e3;
        if (r < 0.6) ext = 'js';
        else if (r < 0.72) ext = 'css';
        else if (r < 0.84) { ext = 'svg'; lo = 300; hi = 8e3; }
        else if (r < 0.92) ext = 'png';
        else if (r < 0.98) ext = 'webp';
        else { ext = 'woff2'; lo = 8e3; hi = 20e3; }
        out.push({ stem: `assets/${pick(NAMES)}${i}`, ext, lo, hi });
    }
    return out;
}
// -> Map path -> {sha256, size, bytes?} (bytes only for files new in this build)
function fill(slot) {
    const bytes = content(slot.ext, logUniform(slot.lo, slot.hi));
    return { path: `${slot.stem}-${hashName(bytes)}.${slot.ext}`, bytes };
}
function sha(bytes) { return crypto.createHash('sha256').update(bytes).digest('hex'); }
function indexHtml(site, build, files) {
    const entry = files.find((f) => f.slot.entry).path;
    const css = files.find((f) => f.slot.stem === 'assets/index' && f.slot.ext === 'css').path;
    const vendor = files.find((f) => f.slot.stem === 'assets/vendor').path;
    return Buffer.from(`<!doctype html>\n<html lang="en">\n  <head>\n    <meta charset="UTF-8" />\n`
        + `    <link rel="icon" href="/favicon.ico" />\n    <meta name="viewport" content="width=device-width, initial-scale=1.0" />\n`
        + `    <title>${site} (build ${build})</title>\n    <script type="module" crossorigin src="/${entry}"></script>\n`
        + `    <link rel="modulepreload" crossorigin href="/${vendor}">\n    <link rel="stylesheet" crossorigin href="/${css}">\n`
        + `  </head>\n  <body>\n    <div id="root"></div>\n  </body>\n</html>\n`);
}
// Build 0 fills every slot; build k refills CHANGE_PCT % of the slots (plus the entry chunk) with new content.
function nextBuild(site, build, prev) {
    let files;
    if (!prev) {
        files = site.slots.map((slot) => ({ slot, ...fill(slot) }));
    } else {
        files = prev.slotFiles.map((f) => {
            const change = f.slot.entry || (!f.slot.stable && rnd() * 100 < CHANGE_PCT);
            return change ? { slot: f.slot, ...fill(f.slot) } : { slot: f.slot, path: f.path, sha256: f.sha256, size: f.size };
        });
    }
    const extra = [
        { path: 'index.html', bytes: indexHtml(site.name, build, files) },
        { path: 'robots.txt', bytes: Buffer.from('User-agent: *\nAllow: /\n'.padEnd(200, '#')) },
        { path: 'manifest.webmanifest', bytes: Buffer.from(JSON.stringify({ name: site.name, icons: [] }).padEnd(500)) },
    ];
    if (!prev) extra.push({ path: 'favicon.ico', bytes: crypto.randomBytes(15086) });
    else extra.push(prev.files.find((f) => f.path === 'favicon.ico'));
    const slotFiles = files;
    files = files.concat(extra.map((f) => ({ slot: { stem: f.path }, ...f })));
    for (const f of files) {
        if (f.bytes) { f.sha256 = sha(f.bytes); f.size = f.bytes.length; }
    }
    return { files, slotFiles };
}

// ---- populate -------------------------------------------------------------------------------------------------
async function populate() {
    TOKEN = fs.readFileSync(env('TOKEN_FILE'), 'utf8').trim();
    const rel = path.join(NGX, 'releases');
    fs.mkdirSync(path.join(NGX, 'sites'), { recursive: true });
    const sites = [];
    for (let i = 0; i < SITES; i++) {
        const name = `s${String(i).padStart(2, '0')}`;
        sites.push({ name, host: `${name}.localhost`, slots: slots(FILES), builds: [], prev: null });
    }
    const t0 = now();
    const stats = { blobs: 0, blobBytes: 0, manifestMs: [], uploadMs: [], finalizeMs: [], activateMs: [],
        byRound: [], nginxTreeMs: 0, nginxFiles: 0 };
    for (const s of sites) {
        await admin('POST', '/v1/sites', { name: s.name, hosts: [s.host],
            retention: { keepPrevious: DEPLOYS, skewWindow: '30d', purgeAfter: '30d' },
            ...(SYNTHETIC ? {} : { checks: { synthetic: false } }) });
    }
    const deployOne = async (s, b) => {
        const build = nextBuild(s, b, s.prev);
        const files = build.files;
        let t = now();
        const created = await admin('POST', `/v1/sites/${s.name}/deployments`, { message: `build ${b}`,
            files: files.map((f) => ({ path: f.path, sha256: f.sha256, size: f.size })) });
        stats.manifestMs.push(now() - t);
        const id = created.deployment.id;
        const missing = new Set(created.missing);
        const bySha = new Map(files.filter((f) => f.bytes && missing.has(f.sha256)).map((f) => [f.sha256, f]));
        if (bySha.size !== missing.size) throw new Error(`${s.name}: server misses ${missing.size} blobs, ${bySha.size} are new here`);
        t = now();
        const queue = [...bySha.values()];
        await Promise.all([...Array(BLOB_PAR)].map(async () => {
            for (let f; (f = queue.pop());) {
                await admin('PUT', `/v1/deployments/${id}/blobs/${f.sha256}`, undefined, f.bytes);
                stats.blobs++; stats.blobBytes += f.size;
            }
        }));
        stats.uploadMs.push(now() - t);
        t = now();
        await admin('POST', `/v1/deployments/${id}/finalize`);
        const fin = now() - t;
        t = now();
        await admin('POST', `/v1/sites/${s.name}/activate`, { deployment: id });
        const act = now() - t;
        stats.finalizeMs.push(fin); stats.activateMs.push(act);
        stats.byRound[b] = stats.byRound[b] ?? { finalize: [], activate: [] };
        stats.byRound[b].finalize.push(fin); stats.byRound[b].activate.push(act);
        // the same release for nginx: releases/<site>/<deployment id>/..., unchanged files hard-linked to the last one
        // (asynchronous, so that the other sites' uploads go on meanwhile)
        t = now();
        const dir = path.join(rel, s.name, id);
        const fsp = fs.promises;
        if (s.prev) {
            const code = await new Promise((resolve) => spawn('cp', ['-al', path.join(rel, s.name, s.builds.at(-1)), dir],
                { stdio: 'inherit' }).on('exit', resolve));
            if (code !== 0) throw new Error(`cp -al exited ${code}`);
            const keep = new Set(files.map((f) => f.path));
            await Promise.all(s.prev.files.filter((f) => !keep.has(f.path)).map((f) => fsp.unlink(path.join(dir, f.path))));
            for (const f of files) {
                if (f.bytes) { const p = path.join(dir, f.path); await fsp.rm(p, { force: true }); await fsp.writeFile(p, f.bytes); }
            }
        } else {
            await fsp.mkdir(path.join(dir, 'assets'), { recursive: true });
            const queue = [...files];
            await Promise.all([...Array(8)].map(async () => {
                for (let f; (f = queue.pop());) await fsp.writeFile(path.join(dir, f.path), f.bytes);
            }));
        }
        stats.nginxFiles += files.length;
        stats.nginxTreeMs += now() - t;
        for (const f of files) delete f.bytes;
        s.prev = build;
        s.builds.push(id);
    };
    let reached = 0;
    for (let b = 0; b < DEPLOYS; b++) {
        const tb = now();
        const queue = [...sites];
        await Promise.all([...Array(SITE_PAR)].map(async () => {
            for (let s; (s = queue.shift());) await deployOne(s, b);
        }));
        const acts = stats.activateMs.slice(-SITES);
        reached = b + 1;
        const round = now() - tb;
        console.log(`  build ${b + 1}/${DEPLOYS} of ${SITES} sites done at ${((now() - t0) / 1000).toFixed(0)} s, round `
            + `${(round / 1000).toFixed(1)} s; ${reached * SITES} deployments retained; activate median `
            + `${fmt(quantile(acts, 0.5))} ms, finalize median ${fmt(quantile(stats.finalizeMs.slice(-SITES), 0.5))} ms`);
        // The next round costs about this one times the growth in retained deployments (each rebuild may compile
        // all of them); stop before the budget rather than run for an hour. Rollback needs 2 deployments per site.
        const next = round * (b + 2) / (b + 1);
        if (b + 1 < DEPLOYS && b >= 1 && (now() - t0 + next) / 1000 > POP_BUDGET_S) {
            console.log(`  POPULATION BUDGET: the next round would end after POP_BUDGET=${POP_BUDGET_S} s; stopping at `
                + `${reached} of ${DEPLOYS} deployments per site (raise POP_BUDGET for the full scale)`);
            break;
        }
    }
    const total = now() - t0;
    // nginx: one server block per site including sites/<site>.conf (root + version header; rewritten + reload to
    // switch), and one per site whose root is the releases/<site>/current symlink (swapped, no reload)
    const servers = [];
    for (const s of sites) {
        const active = s.builds.at(-1);
        writeSiteConf(s.name, active);
        fs.symlinkSync(active, path.join(rel, s.name, 'current'));
        servers.push(`    server { listen 127.0.0.1:${NGX_PORT}; server_name ${s.host}; include ${NGX}/sites/${s.name}.conf;`
            + ` location / { try_files $uri $uri/ /index.html; } }`);
        servers.push(`    server { listen 127.0.0.1:${NGX_PORT}; server_name link-${s.host}; root ${rel}/${s.name}/current;`
            + ` add_header X-Version $realpath_root always; location / { try_files $uri $uri/ /index.html; } }`);
    }
    fs.mkdirSync(path.join(NGX, 'logs'), { recursive: true });
    fs.writeFileSync(path.join(NGX, 'nginx.conf'), `worker_processes ${env('NGX_WORKERS', 'auto')};
pid ${NGX}/nginx.pid;
error_log ${NGX}/logs/error.log warn;
events { worker_connections 4096; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    tcp_nodelay on;
    server_names_hash_bucket_size 64;
    client_body_temp_path ${NGX}/tmp/body;
    proxy_temp_path ${NGX}/tmp/proxy;
    fastcgi_temp_path ${NGX}/tmp/fastcgi;
    uwsgi_temp_path ${NGX}/tmp/uwsgi;
    scgi_temp_path ${NGX}/tmp/scgi;
${servers.join('\n')}
}
`);
    fs.mkdirSync(path.join(NGX, 'tmp'), { recursive: true });
    fs.writeFileSync(path.join(WORK, 'state.json'), JSON.stringify({
        sites: sites.map((s) => ({ name: s.name, host: s.host, builds: s.builds })), stats, totalMs: total, reached }));
    const mb = (stats.blobBytes / 1048576).toFixed(0);
    console.log(`population: ${SITES} sites x ${reached} deployments x ${FILES} files through the admin API in `
        + `${(total / 1000).toFixed(1)} s (incl. ${(stats.nginxTreeMs / 1000).toFixed(1)} s writing the nginx release folders); `
        + `${stats.blobs} blobs uploaded (${mb} MiB)`);
    const line = (label, a) => console.log(`  ${label.padEnd(34)} median ${fmt(quantile(a, 0.5)).padStart(8)} ms   `
        + `p90 ${fmt(quantile(a, 0.9)).padStart(8)} ms   max ${fmt(Math.max(...a)).padStart(8)} ms`);
    line('manifest POST (all builds)', stats.manifestMs);
    line('blob upload per deployment', stats.uploadMs);
    line('finalize (all builds)', stats.finalizeMs);
    line('activate (all builds)', stats.activateMs);
    line(`finalize, last round (build ${reached})`, stats.byRound[reached - 1].finalize);
    line(`activate, last round (build ${reached})`, stats.byRound[reached - 1].activate);
}
function writeSiteConf(site, id) {
    const file = path.join(NGX, 'sites', `${site}.conf`);
    fs.writeFileSync(`${file}.tmp`, `root ${NGX}/releases/${site}/${id};\nadd_header X-Version ${id} always;\n`);
    fs.renameSync(`${file}.tmp`, file);
}

// ---- measure --------------------------------------------------------------------------------------------------
function quantile(a, q) {
    const s = [...a].sort((x, y) => x - y);
    if (!s.length) return NaN;
    const i = (s.length - 1) * q, lo = Math.floor(i), hi = Math.ceil(i);
    return s[lo] + (s[hi] - s[lo]) * (i - lo);
}
const fmt = (v) => (Number.isFinite(v) ? v.toFixed(v < 10 ? 2 : 1) : '-');

async function measure() {
    TOKEN = fs.readFileSync(env('TOKEN_FILE'), 'utf8').trim();
    const state = JSON.parse(fs.readFileSync(path.join(WORK, 'state.json'), 'utf8'));
    const sites = state.sites.map((s) => ({ ...s, active: s.builds.at(-1), previous: s.builds.at(-2),
        nginx: s.builds.at(-1), link: s.builds.at(-1) }));
    const res = { sgCall: [], sgServe: [], ngCmd: [], ngServe: [], lnCmd: [], lnServe: [] };
    const others = (s, cur) => s.builds.filter((b) => b !== cur);

    // sanity: every server answers every site with its active version
    for (const s of sites) {
        const a = await probe(EDGE_PORT, s.host, 'x-skewgate-deployment');
        const n = await probe(NGX_PORT, s.host, 'x-version');
        const l = await probe(NGX_PORT, `link-${s.host}`, 'x-version');
        if (a !== s.active || n !== s.active || !l.endsWith(`/${s.active}`)) {
            throw new Error(`sanity: ${s.host} answers Skewgate '${a}', nginx '${n}', nginx symlink '${l}'; want ${s.active}`);
        }
    }

    const skewgate = async (i) => {
        const s = pick(sites);
        const rollback = i % 2 === 1;
        const want = rollback ? s.previous : pick(others(s, s.active));
        const t0 = now();
        const serving = pollUntil(EDGE_PORT, s.host, 'x-skewgate-deployment', want, t0);
        const r = rollback ? await admin('POST', `/v1/sites/${s.name}/rollback`, {})
            : await admin('POST', `/v1/sites/${s.name}/activate`, { deployment: want });
        const call = now() - t0;
        if (r.site.activeDeployment !== want) {
            throw new Error(`${s.name}: ${rollback ? 'rollback' : 'activate'} made '${JSON.stringify(r.event)}' active, want ${want}`);
        }
        res.sgCall.push(call); res.sgServe.push(await serving);
        s.previous = s.active; s.active = want;
        return `skewgate ${rollback ? 'rollback' : 'activate'} ${s.name} -> ${want}: call ${fmt(call)} ms, serving ${fmt(res.sgServe.at(-1))} ms`;
    };
    const nginxReload = async () => {
        const s = pick(sites);
        const want = pick(others(s, s.nginx));
        const t0 = now();
        const serving = pollUntil(NGX_PORT, s.host, 'x-version', want, t0);
        writeSiteConf(s.name, want);
        const code = await new Promise((resolve) => {
            const p = spawn('nginx', ['-p', NGX, '-c', path.join(NGX, 'nginx.conf'), '-s', 'reload'], { stdio: 'ignore' });
            p.on('exit', resolve);
        });
        const cmd = now() - t0;
        if (code !== 0) throw new Error(`nginx -s reload exited ${code}`);
        res.ngCmd.push(cmd); res.ngServe.push(await serving);
        s.nginx = want;
        return `nginx reload ${s.name} -> ${want}: command ${fmt(cmd)} ms, serving ${fmt(res.ngServe.at(-1))} ms`;
    };
    const nginxLink = async () => {
        const s = pick(sites);
        const want = pick(others(s, s.link));
        const dir = path.join(NGX, 'releases', s.name);
        const t0 = now();
        const serving = pollUntil(NGX_PORT, `link-${s.host}`, 'x-version', want, t0, (v) => v.endsWith(`/${want}`));
        fs.symlinkSync(want, path.join(dir, 'current.tmp'));
        fs.renameSync(path.join(dir, 'current.tmp'), path.join(dir, 'current')); // atomic, as `ln -sfn` + `mv -T`
        const cmd = now() - t0;
        res.lnCmd.push(cmd); res.lnServe.push(await serving);
        s.link = want;
        return `nginx symlink ${s.name} -> ${want}: swap ${fmt(cmd)} ms, serving ${fmt(res.lnServe.at(-1))} ms`;
    };

    // warm-up (JIT on both sides of the admin call and the edge), not counted
    for (let i = 0; i < 4; i++) { await skewgate(i); await nginxReload(); await sleep(300); }
    for (const k of Object.keys(res)) res[k] = [];

    const verbose = env('VERBOSE', '0') === '1';
    const tm = now();
    let rounds = 0;
    for (let i = 0; i < ROUNDS; i++) {
        const avg = i ? (now() - tm) / i : 0;
        if (i >= 3 && (now() - tm + avg) / 1000 > MEASURE_BUDGET_S) {
            console.log(`MEASURE BUDGET: stopped after ${i} of ${ROUNDS} rounds (MEASURE_BUDGET=${MEASURE_BUDGET_S} s)`);
            break;
        }
        rounds = i + 1;
        // the three kinds in a random order each round, so drift on a shared machine hits them alike
        const kinds = [() => skewgate(i), nginxReload, nginxLink].sort(() => rnd() - 0.5);
        for (const k of kinds) {
            const line = await k();
            if (verbose) console.log(`  ${line}`);
            await sleep(300); // let nginx's old workers exit and Skewgate's old snapshot go
        }
    }
    const row = (label, a) => console.log(`| ${label.padEnd(46)} | ${fmt(quantile(a, 0.5)).padStart(8)} | `
        + `${fmt(quantile(a, 0.9)).padStart(8)} | ${fmt(Math.max(...a)).padStart(8)} |`);
    const retained = state.sites.reduce((n, s) => n + s.builds.length, 0);
    console.log(`switches: ${rounds} of each kind on random sites (Skewgate: activate and rollback alternating), with `
        + `${state.sites.length} sites x ${state.reached} deployments (${retained} retained, `
        + `${(retained * FILES / 1e6).toFixed(2)}M files), ms:`);
    console.log(`| ${'what'.padEnd(46)} | ${'median'.padStart(8)} | ${'p90'.padStart(8)} | ${'max'.padStart(8)} |`);
    console.log(`|${'-'.repeat(48)}|${'-'.repeat(9)}:|${'-'.repeat(9)}:|${'-'.repeat(9)}:|`);
    row('Skewgate: activate/rollback API call', res.sgCall);
    row('Skewgate: API call -> edge serves new version', res.sgServe);
    row('nginx: rewrite include + `nginx -s reload` cmd', res.ngCmd);
    row('nginx: rewrite -> serves new version', res.ngServe);
    row('nginx symlink swap (no reload): swap', res.lnCmd);
    row('nginx symlink swap -> serves new version', res.lnServe);
    const ratio = (a, b, q) => quantile(a, q) / quantile(b, q);
    console.log();
    console.log(`Skewgate / nginx reload, time until the new version is served (lower is better for Skewgate): `
        + `median ${ratio(res.sgServe, res.ngServe, 0.5).toFixed(2)}x, p90 ${ratio(res.sgServe, res.ngServe, 0.9).toFixed(2)}x`);
    console.log(`Skewgate / nginx symlink swap, same measure (lower is better):                            `
        + `median ${ratio(res.sgServe, res.lnServe, 0.5).toFixed(2)}x, p90 ${ratio(res.sgServe, res.lnServe, 0.9).toFixed(2)}x`);
    const med = quantile(res.sgServe, 0.5), p90 = quantile(res.sgServe, 0.9);
    console.log(`target: < 20 ms from API call to new snapshot serving: median ${fmt(med)} ms, p90 ${fmt(p90)} ms -> `
        + `${p90 < 20 ? 'met (p90)' : med < 20 ? 'met at the median only' : 'MISSED'}`);
    fs.writeFileSync(path.join(WORK, 'samples.json'), JSON.stringify(res));
}

const cmd = process.argv[2];
(cmd === 'populate' ? populate() : cmd === 'measure' ? measure() : Promise.reject(new Error('populate | measure')))
    .then(() => process.exit(0), (e) => { console.error(e.stack || String(e)); process.exit(1); });
