#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// How long the console takes to open a trace of 10,000 segments and subsegments, and how
// smoothly its waterfall scrolls (issue #8: reported, not asserted). Starts a `roentgen serve`
// with a temp data dir, sends the trace with PutTraceSegments, opens it in Debian's chromium
// (headless, playwright-core from console/node_modules) and prints one line per figure.
//
//   node bench/console_trace_bench.mjs [--binary build/release/roentgen] [--entities 10000] [--runs 3]
// Needs console/dist (npm --prefix console ci && npm --prefix console run build).
import { Server, argValue, bigTrace, launchBrowser, missing } from '../tests/console/harness.mjs';

const why = missing();
if (why) {
  console.error(`console_trace_bench: ${why}`);
  process.exit(77);
}
const entities = Number(argValue('--entities') ?? 10000);
const runs = Number(argValue('--runs') ?? 3);
const perSegment = 99;
const segments = Math.max(1, Math.round(entities / (perSegment + 1)));

const server = await new Server().start(['--max-trace-size', '16MiB']);
const browser = await launchBrowser();
try {
  const trace = bigTrace(segments, perSegment);
  await server.putSegments(trace.documents, 20);
  const page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
  const opens = [];
  for (let i = 0; i < runs; ++i) {
    const started = performance.now();
    await page.goto(`${server.url}/console/trace/${trace.id}?live=0`);
    await page.waitForFunction((n) => document.body.dataset.traceRendered === String(n), segments * (perSegment + 1), { timeout: 60000 });
    const wall = performance.now() - started;
    const inPage = await page.evaluate(() => window.__roentgenTraceRender);
    opens.push({ wall, ...inPage });
  }
  // Scroll the waterfall from top to bottom in 120 animation frames and time the frames.
  const frames = await page.evaluate(
    () =>
      new Promise((resolve) => {
        const el = document.querySelector('[data-testid="waterfall"]');
        const steps = 120;
        const times = [];
        let i = 0;
        let last = performance.now();
        const step = (now) => {
          times.push(now - last);
          last = now;
          el.scrollTop = ((el.scrollHeight - el.clientHeight) * ++i) / steps;
          if (i < steps) requestAnimationFrame(step);
          else resolve({ times: times.slice(1), rowsInDom: document.querySelectorAll('[data-testid="wf-row"]').length });
        };
        requestAnimationFrame(step);
      }),
  );
  const sorted = [...frames.times].sort((a, b) => a - b);
  const pct = (p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
  const best = opens.reduce((a, b) => (a.wall < b.wall ? a : b));
  console.log(`console trace of ${best.entities} entities (${segments} segment documents)`);
  for (const [i, o] of opens.entries()) {
    console.log(`  open ${i + 1}: ${o.wall.toFixed(0)} ms from navigation to painted waterfall (fetch+parse+first paint ${o.totalMs.toFixed(0)} ms, JSON parse and tree ${o.parseMs.toFixed(0)} ms)`);
  }
  console.log(`  scroll top to bottom: ${frames.times.length} frames, median ${pct(50).toFixed(1)} ms, p95 ${pct(95).toFixed(1)} ms, max ${sorted[sorted.length - 1].toFixed(1)} ms; ${frames.rowsInDom} rows in the DOM`);
} finally {
  await browser.close();
  await server.stop();
}
