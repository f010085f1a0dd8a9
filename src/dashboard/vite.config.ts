import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// Built into dist/dashboard, which the service serves at `/` (src/server/dashboard.ts). In development,
// `npx vite --config src/dashboard/vite.config.ts` proxies the API to a service on CURRENTS_DEV_API (default :7700).
const root = fileURLToPath(new URL('.', import.meta.url));
const api = process.env.CURRENTS_DEV_API ?? 'http://127.0.0.1:7700';

export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../../dist/dashboard', import.meta.url)),
    emptyOutDir: true,
    // The polyfill would be inlined into index.html; Chromium, Firefox and Safari support modulepreload natively.
    modulePreload: { polyfill: false },
    sourcemap: false,
  },
  server: {
    proxy: Object.fromEntries(['/v1', '/healthz', '/readyz', '/metrics', '/openapi.json'].map((p) => [p, api])),
  },
});
