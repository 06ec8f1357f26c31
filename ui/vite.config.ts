/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// `revlens serve` serves ui/dist and the API on the same origin. In `npm run dev`, point
// REVLENS_API at a running `revlens serve` to proxy the API to it.
const api = process.env.REVLENS_API;

export default defineConfig({
  plugins: [svelte()],
  base: './',
  resolve: {
    conditions: process.env.VITEST ? ['browser'] : undefined,
  },
  clearScreen: false,
  server: {
    strictPort: true,
    port: 5173,
    proxy: api ? { '/api': { target: api, changeOrigin: false } } : undefined,
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 900,
  },
  test: {
    environment: 'jsdom',
    include: ['tests/**/*.test.ts'],
    setupFiles: ['tests/setup.ts'],
    pool: 'threads',
    poolOptions: { threads: { maxThreads: 2, minThreads: 1 } },
  },
});
