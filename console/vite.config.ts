// SPDX-License-Identifier: Apache-2.0
// The console is served by `roentgen serve` at /console/ (src/api/console_files.cc): hashed
// files under assets/ are cached as immutable, index.html is revalidated.
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/console/',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2022',
    chunkSizeWarningLimit: 1200,
    rollupOptions: {
      output: {
        // The graph library is big and only the map and trace pages need it.
        manualChunks: { graph: ['cytoscape', 'cytoscape-dagre'], charts: ['uplot'] },
      },
    },
  },
  server: {
    // `npm run dev` proxies the API to a local `roentgen serve`.
    proxy: Object.fromEntries(
      ['/TraceSummaries', '/Traces', '/ServiceGraph', '/TraceGraph', '/TimeSeriesServiceStatistics',
       '/Groups', '/GetGroup', '/CreateGroup', '/UpdateGroup', '/DeleteGroup', '/GetSamplingRules',
       '/CreateSamplingRule', '/UpdateSamplingRule', '/DeleteSamplingRule', '/InsightSummaries',
       '/Insight', '/InsightEvents', '/InsightImpactGraph', '/TraceSegments'].map((p) => [
        p, process.env.ROENTGEN_URL ?? 'http://127.0.0.1:2000',
      ]),
    ),
  },
});
