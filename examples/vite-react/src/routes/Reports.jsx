import { useSkewgate } from '@skewgate/sdk/react';

export default function Reports() {
  const { config } = useSkewgate();
  return <p id="reports">Reports of {__APP_VERSION__} from {config.API_BASE_URL ?? '-'}</p>;
}
