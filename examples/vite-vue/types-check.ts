// Compiled by `npm run typecheck` (and by the tests): the package's declarations, as an app would use them.
import { getSkewgate, onConfig, onUpdate, reload, snapshot, type SkewgateState } from '@skewgate/sdk';
import { useSkewgate as useReact } from '@skewgate/sdk/react';
import { useSkewgate as useVue } from '@skewgate/sdk/vue';
import skewgate, { type SkewgateViteOptions } from '@skewgate/sdk/vite';
import type { Plugin } from 'vite';
import type { ComputedRef } from 'vue';

interface AppConfig { API_BASE_URL?: string }

const state: SkewgateState<AppConfig> = snapshot<AppConfig>();
const base: string | undefined = state.config.API_BASE_URL;
const boot: string | null = getSkewgate()?.deployment ?? null;
const stop: () => void = onConfig<AppConfig>(({ revision, config }) => console.log(revision + 1, config.API_BASE_URL));
onUpdate((info) => console.log(info.deployment, info.required));
window.addEventListener('skewgate:update', (e) => console.log(e.detail.reason));
reload();

const react = useReact<AppConfig>();
const updateAvailable: boolean = react.updateAvailable;
const reactBase: string | undefined = react.config.API_BASE_URL;

const vue = useVue<AppConfig>();
const vueConfig: ComputedRef<Readonly<AppConfig>> = vue.config;
const vueDeployment: string | null = vue.deployment.value;

const options: SkewgateViteOptions = { site: 'shop', deploy: { activate: true, cli: ['java', '-jar', 'skewgate.jar'] } };
const plugin: Plugin = skewgate(options);

// The declarations are precise, not `any`:
// @ts-expect-error the boot deployment is a string or null
const wrong: number = snapshot().deployment;
// @ts-expect-error deploy needs options, not a string
skewgate({ deploy: 'yes' });
// @ts-expect-error Vue's fields are refs
const notARef: boolean = vue.updateAvailable;

export { base, boot, stop, updateAvailable, reactBase, vueConfig, vueDeployment, plugin, wrong, notARef };
