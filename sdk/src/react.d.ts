import type { RuntimeConfig } from './index.js';

/** What useSkewgate() returns. */
export interface UseSkewgate<C = RuntimeConfig> {
  /** The deployment this tab booted on (null outside Skewgate, e.g. under `vite dev`). */
  deployment: string | null;
  latest: string | null;
  updateAvailable: boolean;
  retired: boolean;
  /** The live runtime config; a new object whenever it changes. */
  config: Readonly<C>;
  configRevision: number | null;
  /** Whether the Skewgate runtime is on the page. */
  active: boolean;
  /** Reloads onto the live deployment; stable identity, never throws. */
  reload(): void;
  /** Asks the gateway now whether a newer deployment or config is live. */
  check(): Promise<void>;
}

/** The tab's Skewgate state; the component re-renders on a new deployment, a config change or a retirement. */
export function useSkewgate<C = RuntimeConfig>(): UseSkewgate<C>;
