// The Skewgate Vite plugin: warns about API URLs baked into the bundle, and can deploy the build when it is written.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

const PREFIXES = ['VITE_', 'REACT_APP_'];
const URL_VALUE = /^https?:\/\/[^\s"'`]+$/i;

/** Build-time variables whose value is an absolute URL: name -> value. */
function urlVariables(config) {
  const found = new Map();
  const consider = (name, value) => {
    if (typeof value !== 'string') return;
    const v = value.trim().replace(/^"(.*)"$/, '$1');
    if (PREFIXES.some((p) => name.startsWith(p)) && URL_VALUE.test(v) && !found.has(name)) found.set(name, v);
  };
  for (const [k, v] of Object.entries(config.env || {})) consider(k, v);
  for (const [k, v] of Object.entries(process.env)) consider(k, v);
  for (const [k, v] of Object.entries(config.define || {})) consider(k.replace(/^(import\.meta\.env|process\.env)\./, ''), v);
  return found;
}

function runtimeName(name) {
  for (const p of PREFIXES) if (name.startsWith(p)) return name.slice(p.length);
  return name;
}

/** The message for one baked-in URL: where it is and what to do instead. */
export function bakedUrlWarning(name, value, files, site) {
  const key = runtimeName(name);
  return `${name}=${value} is baked into ${files.join(', ')}. Every tab that loaded this build keeps calling it after `
    + `the URL changes, until it reloads. Read it at runtime instead: Skewgate.config.${key} (or useSkewgate().config.${key}), `
    + `set with \`skewgate config set ${site || '<site>'} ${key}=${value}\` and served at /_skewgate/config.json.`;
}

function deployArgs(outDir, site, d) {
  const args = ['deploy', outDir, '--site', site];
  if (d.activate) args.push('--activate');
  if (d.message) args.push('--message', String(d.message));
  if (d.backend) args.push('--backend', String(d.backend));
  if (d.health) args.push('--health', String(d.health));
  if (d.adminUrl) args.push('--admin-url', String(d.adminUrl));
  if (d.dataDir) args.push('--data-dir', String(d.dataDir));
  return args.concat(d.args || []);
}

function run(command, args, env) {
  return new Promise((ok, fail) => {
    const child = spawn(command[0], command.slice(1).concat(args), { stdio: 'inherit', env });
    child.on('error', (e) => fail(new Error(`skewgate: could not run ${command[0]}: ${e.message}`)));
    child.on('exit', (code, signal) => (code === 0 ? ok()
      : fail(new Error(`skewgate deploy failed (${signal || 'exit code ' + code})`))));
  });
}

/** The plugin: `skewgate({ site, deploy, lint })`. */
export function skewgate(options = {}) {
  const site = options.site;
  const lint = options.lint !== false;
  const deploy = options.deploy ? (options.deploy === true ? {} : options.deploy) : null;
  let config;
  let failed = false;
  let variables = new Map();

  return {
    name: 'skewgate',
    apply: 'build',
    configResolved(resolved) {
      config = resolved;
      variables = lint ? urlVariables(resolved) : new Map();
      if (deploy && !site) throw new Error('skewgate: the deploy option needs a site: skewgate({ site: "shop", deploy: true })');
    },
    buildStart() {
      failed = false;
    },
    buildEnd(error) {
      if (error) failed = true;
    },
    generateBundle(_, bundle) {
      if (!variables.size) return;
      const where = new Map();
      for (const file of Object.values(bundle)) {
        const code = file.type === 'chunk' ? file.code
          : /\.m?js$/.test(file.fileName) && typeof file.source === 'string' ? file.source : null;
        if (!code) continue;
        for (const [name, value] of variables) {
          if (code.includes(value)) where.set(name, (where.get(name) || []).concat(file.fileName));
        }
      }
      for (const [name, files] of where) this.warn(bakedUrlWarning(name, variables.get(name), files, site));
    },
    async closeBundle() {
      if (!deploy || failed || config.build.ssr || config.build.watch) return;
      const outDir = resolve(config.root, config.build.outDir);
      const cli = deploy.cli || process.env.SKEWGATE_CLI || 'skewgate';
      // A string is a command line split at spaces ('java -jar skewgate.jar'); an array is taken as it is.
      const command = Array.isArray(cli) ? cli : String(cli).trim().split(/\s+/);
      const env = { ...process.env };
      // The token goes through the environment, not the command line other users of the machine can read.
      if (deploy.token) env.SKEWGATE_TOKEN = String(deploy.token);
      config.logger.info(`skewgate: deploying ${outDir} to site ${site}`);
      await run(command, deployArgs(outDir, site, deploy), env);
    }
  };
}

export default skewgate;
