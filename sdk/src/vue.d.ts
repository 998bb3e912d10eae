import type { ComputedRef } from 'vue';
import type { RuntimeConfig } from './index.js';

/** What useSkewgate() returns: the same fields as the React hook, as read-only refs. */
export interface UseSkewgate<C = RuntimeConfig> {
  deployment: ComputedRef<string | null>;
  latest: ComputedRef<string | null>;
  updateAvailable: ComputedRef<boolean>;
  retired: ComputedRef<boolean>;
  config: ComputedRef<Readonly<C>>;
  configRevision: ComputedRef<number | null>;
  active: ComputedRef<boolean>;
  reload(): void;
  check(): Promise<void>;
}

/** The tab's Skewgate state as read-only refs, updated on a new deployment, a config change or a retirement. */
export function useSkewgate<C = RuntimeConfig>(): UseSkewgate<C>;
