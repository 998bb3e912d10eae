import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';
import skewgate from '@skewgate/sdk/vite';

export default defineConfig({
  plugins: [vue(), skewgate({ site: process.env.SKEWGATE_SITE || 'shop' })],
  define: { __APP_VERSION__: JSON.stringify(process.env.APP_VERSION || 'dev') },
  // @skewgate/sdk is linked from ../../sdk: its import of Vue must find this app's copy.
  resolve: { dedupe: ['vue'] }
});
