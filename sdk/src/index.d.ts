/** What a tab is told when a newer deployment is live, or when its own one must be refreshed. */
export interface UpdateInfo {
  /** The live deployment, when known. */
  deployment: string | null;
  previous?: string;
  /** 'activate' (a new version went live), 'retired' (this tab's version is gone), 'chunk' (a lazy chunk failed). */
  reason?: 'activate' | 'rollback' | 'retired' | 'chunk' | string;
  /** True when this tab cannot keep working on its version: only a refresh helps. */
  required?: boolean;
  [key: string]: unknown;
}

/** A runtime config change. */
export interface ConfigChange<C = RuntimeConfig> {
  revision: number;
  config: C;
}

/** The site's runtime config: `skewgate config set`, served at /_skewgate/config.json. */
export type RuntimeConfig = Record<string, unknown>;

export type SkewgateEventType = 'update' | 'config' | 'retired' | 'current';

/** window.Skewgate: the runtime the gateway injects (/_skewgate/client.js). */
export interface SkewgateRuntime {
  readonly deployment: string | null;
  readonly config: RuntimeConfig;
  readonly configRevision: number | null;
  readonly strategy: 'banner' | 'reload-on-navigation' | 'reload-when-hidden' | 'callback' | string;
  readonly latest: string | null;
  readonly updateAvailable: boolean;
  readonly retired?: boolean;
  on(type: SkewgateEventType, fn: (detail: any) => void): SkewgateRuntime;
  off(type: SkewgateEventType, fn: (detail: any) => void): SkewgateRuntime;
  check(): Promise<void>;
  reload(): void;
  showPrompt(info?: UpdateInfo): void;
}

/** A tab's state, read afresh from the runtime. */
export interface SkewgateState<C = RuntimeConfig> {
  /** The deployment this tab booted on (null when the page was not served through Skewgate). */
  readonly deployment: string | null;
  /** The newest deployment the tab heard of. */
  readonly latest: string | null;
  readonly updateAvailable: boolean;
  /** This tab's deployment was retired: its lazy chunks and API calls fail until it reloads. */
  readonly retired: boolean;
  readonly config: Readonly<C>;
  readonly configRevision: number | null;
  readonly strategy: string | null;
  /** Whether the runtime is present on the page. */
  readonly active: boolean;
}

declare global {
  interface Window {
    Skewgate?: SkewgateRuntime;
  }
  interface WindowEventMap {
    'skewgate:update': CustomEvent<UpdateInfo>;
    'skewgate:config': CustomEvent<ConfigChange>;
    'skewgate:retired': CustomEvent<UpdateInfo>;
    'skewgate:current': CustomEvent<unknown>;
  }
}

export const EVENT_TYPES: readonly SkewgateEventType[];
export function getSkewgate(): SkewgateRuntime | null;
export function snapshot<C = RuntimeConfig>(): SkewgateState<C>;
export function sameState(a: SkewgateState<any>, b: SkewgateState<any>): boolean;
export function subscribe(listener: () => void): () => void;
export function onUpdate(fn: (info: UpdateInfo) => void): () => void;
export function onConfig<C = RuntimeConfig>(fn: (change: ConfigChange<C>) => void): () => void;
export function onRetired(fn: (info: UpdateInfo) => void): () => void;
export function config<C = RuntimeConfig>(): Readonly<C>;
export function check(): Promise<void>;
export function reload(): void;
export function showPrompt(info?: UpdateInfo): void;
