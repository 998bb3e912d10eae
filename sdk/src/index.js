// Typed accessors over window.Skewgate, the runtime the gateway injects into every entry point.
import { installRuntime } from './runtime.js';

const browser = typeof window !== 'undefined' && typeof document !== 'undefined';

// The gateway's injected <script> runs before any module, so this is normally a no-op. It starts the bundled copy
// when the site serves the meta tags but not the script (`--no-sdk`); without the meta tags (vite dev, tests) there
// is no boot deployment to pin to, and nothing is started.
if (browser && !window.Skewgate && document.querySelector('meta[name="skewgate-deployment"]')) {
  installRuntime();
}

/** Every event type the runtime emits; unknown ones are harmless to listen to. */
export const EVENT_TYPES = Object.freeze(['update', 'config', 'retired', 'current']);

const EMPTY = Object.freeze({
  deployment: null, latest: null, updateAvailable: false, retired: false,
  config: Object.freeze({}), configRevision: null, strategy: null, active: false
});

let sawRetired = false;
if (browser) {
  window.addEventListener('skewgate:retired', () => { sawRetired = true; });
}

/** The runtime object, or null when the page was not served through Skewgate. */
export function getSkewgate() {
  return (browser && window.Skewgate) || null;
}

/** The tab's state, read afresh from the runtime. */
export function snapshot() {
  const s = getSkewgate();
  if (!s) return EMPTY;
  return {
    deployment: s.deployment ?? null,
    latest: s.latest ?? s.deployment ?? null,
    updateAvailable: Boolean(s.updateAvailable),
    retired: typeof s.retired === 'boolean' ? s.retired : sawRetired,
    config: s.config ?? EMPTY.config,
    configRevision: s.configRevision ?? null,
    strategy: s.strategy ?? null,
    active: true
  };
}

/** Two snapshots that describe the same state (config compared by identity: the runtime replaces it on change). */
export function sameState(a, b) {
  return a === b || (a.deployment === b.deployment && a.latest === b.latest && a.updateAvailable === b.updateAvailable
    && a.retired === b.retired && a.config === b.config && a.configRevision === b.configRevision
    && a.strategy === b.strategy && a.active === b.active);
}

/**
 * Calls listener() after any runtime event. It listens to the window's DOM events, which the runtime dispatches
 * whichever copy of it runs, so the order in which scripts load does not matter.
 */
export function subscribe(listener) {
  if (!browser) return () => {};
  const handler = () => listener();
  for (const type of EVENT_TYPES) window.addEventListener('skewgate:' + type, handler);
  return () => {
    for (const type of EVENT_TYPES) window.removeEventListener('skewgate:' + type, handler);
  };
}

function on(type, fn) {
  if (!browser) return () => {};
  const handler = (e) => fn(e.detail);
  window.addEventListener('skewgate:' + type, handler);
  return () => window.removeEventListener('skewgate:' + type, handler);
}

/** Calls fn(info) when a newer deployment is live (or this one must be refreshed); returns an unsubscribe function. */
export function onUpdate(fn) { return on('update', fn); }

/** Calls fn({revision, config}) when the runtime config changes; returns an unsubscribe function. */
export function onConfig(fn) { return on('config', fn); }

/** Calls fn(info) when this tab's deployment was retired; returns an unsubscribe function. */
export function onRetired(fn) { return on('retired', fn); }

/** The runtime config (Skewgate.config): values that change without a rebuild, such as API URLs. */
export function config() {
  return snapshot().config;
}

/** Asks the gateway now whether a newer deployment or config is live. */
export function check() {
  const s = getSkewgate();
  try {
    return Promise.resolve(s && typeof s.check === 'function' ? s.check() : undefined).then(() => undefined, () => undefined);
  } catch (e) {
    return Promise.resolve();
  }
}

/** Reloads the page onto the live deployment; callable before or without the runtime, and never throws. */
export function reload() {
  const s = getSkewgate();
  try {
    if (s && typeof s.reload === 'function') s.reload();
    else if (browser) window.location.reload();
  } catch (e) {
    if (browser) window.location.reload();
  }
}

/** Shows the runtime's refresh prompt (for the `callback` strategy); does nothing without the runtime. */
export function showPrompt(info) {
  const s = getSkewgate();
  if (s && typeof s.showPrompt === 'function') s.showPrompt(info);
}
