import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

// The API this dev server proxies to (`make run` serves it on port 8000).
const api = process.env.MODELYARD_API ?? 'http://127.0.0.1:8000';

export default defineConfig({
  plugins: [react()],
  build: {
    // Served by Modelyard itself (src/modelyard/web.py) and shipped in the wheel.
    outDir: '../src/modelyard/static',
    emptyOutDir: true,
    sourcemap: false,
    reportCompressedSize: true,
    // The shell chunk (React, Mantine core, router, query, i18n) is ~540 kB raw, ~170 kB gzip: the budget that
    // matters is the gzip size of the first load of /, checked by tests/web (< 300 kB).
    chunkSizeWarningLimit: 700,
  },
  server: {
    proxy: Object.fromEntries(['/api', '/v1', '/docs', '/redoc', '/openapi.json'].map((p) => [p, api])),
  },
  test: {
    environment: 'jsdom',
    setupFiles: ['./src/test/setup.ts'],
    include: ['src/**/*.test.{ts,tsx}'],
    css: false,
  },
});
