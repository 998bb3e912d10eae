import type { Plugin } from 'vite';

/** How the plugin deploys the build once it is written (`skewgate deploy <outDir> --site <site> ...`). */
export interface SkewgateDeployOptions {
  /** The CLI: a command line split at spaces ('java -jar skewgate.jar'), or its words as an array.
   * Default: $SKEWGATE_CLI, else 'skewgate' (bin/skewgate on the PATH). */
  cli?: string | string[];
  /** Activate the deployment once it is uploaded (`--activate`). */
  activate?: boolean;
  /** What this deployment is, shown in `skewgate status` (`--message`). */
  message?: string;
  /** Upstream URL of the API this build talks to (`--backend`). */
  backend?: string;
  /** Health path of that backend (`--health`). */
  health?: string;
  /** Admin API address (`--admin-url`; default $SKEWGATE_ADMIN_URL or http://127.0.0.1:8081). */
  adminUrl?: string;
  /** Admin token, passed as $SKEWGATE_TOKEN (default: $SKEWGATE_TOKEN, or <dataDir>/admin-token). */
  token?: string;
  /** The gateway's data directory, where the CLI finds the admin token (`--data-dir`). */
  dataDir?: string;
  /** More arguments for `skewgate deploy`. */
  args?: string[];
}

export interface SkewgateViteOptions {
  /** The Skewgate site this app is deployed to. */
  site?: string;
  /** Deploy after `vite build` (false or absent: never). */
  deploy?: boolean | SkewgateDeployOptions;
  /** Warn when a URL from a VITE_* / REACT_APP_* variable is baked into the built JavaScript. Default: true. */
  lint?: boolean;
}

/** The message for one baked-in URL. */
export function bakedUrlWarning(name: string, value: string, files: string[], site?: string): string;

/** The Skewgate Vite plugin. */
export function skewgate(options?: SkewgateViteOptions): Plugin;
export default skewgate;
