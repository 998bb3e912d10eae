import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import skewgate from '@skewgate/sdk/vite';

// `npm run build` builds and warns about API URLs baked in from VITE_* variables; `npm run deploy` also uploads the
// build with `skewgate deploy dist --site $SKEWGATE_SITE` (bin/skewgate on the PATH, or SKEWGATE_CLI).
export default defineConfig({
  plugins: [
    react(),
    skewgate({
      site: process.env.SKEWGATE_SITE || 'shop',
      deploy: process.env.SKEWGATE_DEPLOY === '1' && {
        activate: process.env.SKEWGATE_ACTIVATE === '1',
        message: process.env.SKEWGATE_MESSAGE || 'vite-react example'
      }
    })
  ],
  // Shown on the page, so that two builds differ in every chunk, the lazy route's included.
  define: { __APP_VERSION__: JSON.stringify(process.env.APP_VERSION || 'dev') },
  // @skewgate/sdk is linked from ../../sdk: its imports of React must find this app's copy.
  resolve: { dedupe: ['react', 'react-dom'] }
});
