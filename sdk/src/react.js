// useSkewgate(): the tab's deployment, update and runtime config as React state.
import { useSyncExternalStore } from 'react';
import { snapshot, sameState, subscribe, reload, check } from './index.js';

let last = null;
// useSyncExternalStore needs the same object back while nothing changed, or it renders forever.
function current() {
  const next = snapshot();
  if (last === null || !sameState(last, next)) last = next;
  return last;
}
const serverState = snapshot();

/** The tab's Skewgate state; the component re-renders on a new deployment, a config change or a retirement. */
export function useSkewgate() {
  const state = useSyncExternalStore(subscribe, current, () => serverState);
  return {
    deployment: state.deployment,
    latest: state.latest,
    updateAvailable: state.updateAvailable,
    retired: state.retired,
    config: state.config,
    configRevision: state.configRevision,
    active: state.active,
    reload,
    check
  };
}
