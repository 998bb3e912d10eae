// useSkewgate(): the tab's deployment, update and runtime config as Vue refs.
import { computed, getCurrentScope, onScopeDispose, shallowRef } from 'vue';
import { snapshot, sameState, subscribe, reload, check } from './index.js';

/** The tab's Skewgate state as read-only refs, updated on a new deployment, a config change or a retirement. */
export function useSkewgate() {
  const state = shallowRef(snapshot());
  const stop = subscribe(() => {
    const next = snapshot();
    if (!sameState(state.value, next)) state.value = next;
  });
  // Inside a component or effect scope the listeners go with it; elsewhere they live as long as the page.
  if (getCurrentScope()) onScopeDispose(stop);
  return {
    deployment: computed(() => state.value.deployment),
    latest: computed(() => state.value.latest),
    updateAvailable: computed(() => state.value.updateAvailable),
    retired: computed(() => state.value.retired),
    config: computed(() => state.value.config),
    configRevision: computed(() => state.value.configRevision),
    active: computed(() => state.value.active),
    reload,
    check
  };
}
