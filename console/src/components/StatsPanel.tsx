// SPDX-License-Identifier: Apache-2.0
// Statistics of one node or edge of a service graph: counts by health, average latency,
// requests per minute, the response time distribution and a link to the traces.
import type { HistogramEntry, SummaryStatistics } from '../api';
import { href } from '../route';
import { COLORS, fmtMs, health, perMinute } from '../util';
import { HistogramChart } from './Chart';

// Buckets a server-side histogram ({Value, Count}) into `bins` equal bins.
export function binHistogram(entries: HistogramEntry[], bins = 30): { edges: number[]; counts: number[] } {
  if (entries.length === 0) return { edges: [0], counts: [0] };
  const max = Math.max(...entries.map((e) => e.Value)) * 1.0001 || 0.001;
  const width = max / bins;
  const counts = new Array(bins).fill(0);
  for (const e of entries) counts[Math.min(bins - 1, Math.floor(e.Value / width))] += e.Count;
  return { edges: counts.map((_, i) => i * width), counts };
}

export function StatsPanel(props: {
  title: string;
  subtitle?: string;
  stats?: SummaryStatistics;
  histogram?: HistogramEntry[];
  window?: [number, number];
  filter: string;
  onClose?: () => void;
}) {
  const h = health(props.stats);
  const rpm = perMinute(h.total, props.window?.[0], props.window?.[1]);
  const bins = binHistogram(props.histogram ?? []);
  const share = (n: number) => (h.total ? `${((100 * n) / h.total).toFixed(1)} %` : '–');
  return (
    <aside class="side-panel" data-testid="stats-panel">
      <div class="panel-head">
        <div>
          <h2>{props.title}</h2>
          {props.subtitle && <div class="muted">{props.subtitle}</div>}
        </div>
        {props.onClose && <button class="icon" aria-label="Close" onClick={props.onClose}>×</button>}
      </div>
      <table class="kv">
        <tbody>
          <tr><th>Requests</th><td data-testid="stat-total">{h.total}</td></tr>
          <tr><th>Requests / min</th><td>{rpm === undefined ? '–' : rpm.toFixed(1)}</td></tr>
          <tr><th>Average latency</th><td>{fmtMs(h.avg)}</td></tr>
          <tr><th><span class="dot" style={{ background: COLORS.ok }} />OK</th><td>{h.ok} ({share(h.ok)})</td></tr>
          <tr><th><span class="dot" style={{ background: COLORS.error }} />Error (4xx)</th><td>{h.error} ({share(h.error)})</td></tr>
          <tr><th><span class="dot" style={{ background: COLORS.throttle }} />Throttle (429)</th><td>{h.throttle} ({share(h.throttle)})</td></tr>
          <tr><th><span class="dot" style={{ background: COLORS.fault }} />Fault (5xx)</th><td>{h.fault} ({share(h.fault)})</td></tr>
        </tbody>
      </table>
      <h3>Response time distribution</h3>
      <HistogramChart edges={bins.edges} series={[{ label: 'requests', values: bins.counts }]} height={140} testId="stats-histogram" />
      <a class="button primary" data-testid="view-traces" href={href('traces', { filter: props.filter })}>View traces</a>
    </aside>
  );
}
