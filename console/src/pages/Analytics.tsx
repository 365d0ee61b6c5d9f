// SPDX-License-Identifier: Apache-2.0
// Compare a selection of traces with a baseline (what Honeycomb calls BubbleUp): the two
// latency distributions side by side, and the fields (annotations, services, http, users)
// whose values are most over-represented in the selection.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, annotationText, traceSummaries } from '../api';
import type { TraceSummary } from '../api';
import { HistogramChart } from '../components/Chart';
import { FilterBar } from '../components/FilterBar';
import type { PageProps } from '../main';
import { href, setParams, timeWindow } from '../route';
import { COLORS, fmtMs, histogram, nodeName } from '../util';
import { withGroup } from './Traces';

// The (field, value) pairs of one trace, each once.
export function fieldsOf(t: TraceSummary): Set<string> {
  const out = new Set<string>();
  for (const [key, values] of Object.entries(t.Annotations ?? {})) {
    for (const v of values) out.add(`annotation.${key}\u0000${annotationText(v.AnnotationValue)}`);
  }
  for (const s of t.ServiceIds ?? []) out.add(`service\u0000${nodeName(s)}`);
  if (t.Http?.HttpMethod) out.add(`http.method\u0000${t.Http.HttpMethod}`);
  if (t.Http?.HttpStatus !== undefined) out.add(`http.status\u0000${t.Http.HttpStatus}`);
  if (t.Http?.HttpURL) {
    let path = t.Http.HttpURL;
    try {
      path = new URL(path).pathname;
    } catch {
      /* not absolute */
    }
    out.add(`http.path\u0000${path}`);
  }
  for (const u of t.Users ?? []) if (u.UserName) out.add(`user\u0000${u.UserName}`);
  if (t.EntryPoint) out.add(`entrypoint\u0000${nodeName(t.EntryPoint)}`);
  out.add(`status\u0000${t.HasFault ? 'fault' : t.HasThrottle ? 'throttle' : t.HasError ? 'error' : 'ok'}`);
  return out;
}

export interface Difference {
  field: string;
  value: string;
  selection: number; // share of the selection's traces that have it (0..1)
  baseline: number;
  score: number;
}

// Ranks fields by how much more (or less) often they occur in the selection.
export function rankDifferences(selection: TraceSummary[], baseline: TraceSummary[]): Difference[] {
  const count = (traces: TraceSummary[]) => {
    const m = new Map<string, number>();
    for (const t of traces) for (const f of fieldsOf(t)) m.set(f, (m.get(f) ?? 0) + 1);
    return m;
  };
  const a = count(selection);
  const b = count(baseline);
  const keys = new Set([...a.keys(), ...b.keys()]);
  const out: Difference[] = [];
  for (const k of keys) {
    const [field, value] = k.split('\u0000');
    const sa = selection.length ? (a.get(k) ?? 0) / selection.length : 0;
    const sb = baseline.length ? (b.get(k) ?? 0) / baseline.length : 0;
    out.push({ field, value, selection: sa, baseline: sb, score: sa - sb });
  }
  out.sort((x, y) => Math.abs(y.score) - Math.abs(x.score) || y.selection - x.selection);
  return out;
}

function filterFor(d: Difference): string {
  if (d.field.startsWith('annotation.')) {
    const key = d.field.slice('annotation.'.length);
    const num = Number(d.value);
    const literal = d.value === 'true' || d.value === 'false' ? d.value : d.value !== '' && Number.isFinite(num) ? d.value : JSON.stringify(d.value);
    return `annotation.${key} = ${literal}`;
  }
  if (d.field === 'service') return `service(${JSON.stringify(d.value)})`;
  if (d.field === 'http.method') return `http.method = ${JSON.stringify(d.value)}`;
  if (d.field === 'http.status') return `http.status = ${d.value}`;
  if (d.field === 'http.path') return `http.url CONTAINS ${JSON.stringify(d.value)}`;
  if (d.field === 'user') return `user = ${JSON.stringify(d.value)}`;
  if (d.field === 'status') return d.value;
  return '';
}

export default function Analytics({ route }: PageProps) {
  const params = route.params;
  const selectionFilter = params.get('selection') ?? 'responsetime > 1';
  const baselineFilter = params.get('baseline') ?? '';
  const group = params.get('group') ?? 'Default';
  const [result, setResult] = useState<{ selection: TraceSummary[]; baseline: TraceSummary[] } | null>(null);
  const [errors, setErrors] = useState<{ selection?: { message: string; column?: number }; baseline?: { message: string; column?: number } }>({});
  const [loading, setLoading] = useState(false);
  const key = `${selectionFilter}|${baselineFilter}|${group}|${params.get('range')}`;

  useEffect(() => {
    let current = true;
    setLoading(true);
    const [start, end] = timeWindow(params);
    const sel = withGroup(selectionFilter, group);
    const base = withGroup(baselineFilter, group);
    const asError = (e: unknown, offset: number) => {
      if (e instanceof ApiError) {
        const column = e.column !== undefined ? Math.max(1, e.column - offset) : undefined;
        return { message: column !== undefined ? e.message.replace(/at column \d+/, `at column ${column}`) : e.message, column };
      }
      return { message: (e as Error).message };
    };
    Promise.allSettled([traceSummaries(start, end, sel.text, 10), traceSummaries(start, end, base.text, 10)]).then(([a, b]) => {
      if (!current) return;
      const errs: typeof errors = {};
      if (a.status === 'rejected') errs.selection = asError(a.reason, sel.offset);
      if (b.status === 'rejected') errs.baseline = asError(b.reason, base.offset);
      setErrors(errs);
      if (a.status === 'fulfilled' && b.status === 'fulfilled') {
        const selected = new Set(a.value.summaries.map((t) => t.Id));
        // The baseline never contains the selection's own traces.
        setResult({ selection: a.value.summaries, baseline: b.value.summaries.filter((t) => !selected.has(t.Id)) });
      } else setResult(null);
      setLoading(false);
    });
    return () => {
      current = false;
    };
  }, [key]);

  const ranked = useMemo(() => (result ? rankDifferences(result.selection, result.baseline).slice(0, 25) : []), [result]);
  const hist = useMemo(() => {
    if (!result) return null;
    const a = result.selection.map((t) => t.ResponseTime ?? t.Duration ?? 0);
    const b = result.baseline.map((t) => t.ResponseTime ?? t.Duration ?? 0);
    const hi = Math.max(0.001, ...a, ...b);
    const ha = histogram(a, 30, 0, hi);
    const hb = histogram(b, 30, 0, hi);
    // Shares, so that a small selection is comparable with a large baseline.
    const share = (c: number[], n: number) => c.map((x) => (n ? x / n : 0));
    return { edges: ha.edges, series: [{ label: 'selection (share)', values: share(ha.counts, a.length) }, { label: 'baseline (share)', values: share(hb.counts, b.length) }] };
  }, [result]);
  const median = (ts: TraceSummary[]) => {
    const v = ts.map((t) => t.ResponseTime ?? t.Duration ?? 0).sort((x, y) => x - y);
    return v.length ? v[Math.floor(v.length / 2)] : undefined;
  };

  return (
    <div class="page analytics-page">
      <div class="page-head">
        <h1>Analytics</h1>
        <span class="muted">what sets the selection apart from the baseline</span>
      </div>
      <div class="compare-filters">
        <div>
          <h3><span class="dot" style={{ background: COLORS.selection }} />Selection</h3>
          <FilterBar testId="selection-filter" value={selectionFilter} error={errors.selection} onSubmit={(v) => setParams({ selection: v }, false)} placeholder="the traces to explain, e.g. responsetime > 1" />
        </div>
        <div>
          <h3><span class="dot" style={{ background: COLORS.baseline }} />Baseline</h3>
          <FilterBar testId="baseline-filter" value={baselineFilter} error={errors.baseline} onSubmit={(v) => setParams({ baseline: v || undefined }, false)} placeholder="empty: every other trace in the range" />
        </div>
      </div>
      {loading && <div class="muted">comparing…</div>}
      {result && hist && (
        <>
          <div class="card">
            <div class="card-head">
              <h3>Latency distributions</h3>
              <span class="muted" data-testid="compare-counts">
                selection {result.selection.length} traces (median {fmtMs(median(result.selection))}) · baseline {result.baseline.length} traces (median {fmtMs(median(result.baseline))})
              </span>
            </div>
            <HistogramChart edges={hist.edges} series={hist.series} colors={[COLORS.selection, COLORS.baseline]} height={180} testId="compare-histogram" />
          </div>
          <div class="card">
            <div class="card-head"><h3>Fields that differ most</h3><span class="muted">share of traces with the value, selection vs baseline</span></div>
            <table class="list" data-testid="differences">
              <thead><tr><th>Field</th><th>Value</th><th>Selection</th><th>Baseline</th><th class="num">Difference</th><th /></tr></thead>
              <tbody>
                {ranked.map((d) => {
                  const f = filterFor(d);
                  return (
                    <tr data-testid="difference" data-field={d.field} data-value={d.value}>
                      <td class="mono">{d.field}</td>
                      <td class="mono">{d.value}</td>
                      <td><div class="share"><div style={{ width: `${d.selection * 100}%`, background: COLORS.selection }} /><span>{(d.selection * 100).toFixed(0)} %</span></div></td>
                      <td><div class="share"><div style={{ width: `${d.baseline * 100}%`, background: COLORS.baseline }} /><span>{(d.baseline * 100).toFixed(0)} %</span></div></td>
                      <td class="num">{d.score > 0 ? '+' : ''}{(d.score * 100).toFixed(0)} pts</td>
                      <td>{f && <a href={href('traces', { filter: f })}>traces</a>}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        </>
      )}
    </div>
  );
}
