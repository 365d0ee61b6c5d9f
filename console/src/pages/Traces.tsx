// SPDX-License-Identifier: Apache-2.0
// Trace search: filter bar, response time distribution (drag to narrow), paged list, live.
import { useMemo, useState } from 'preact/hooks';
import { ApiError, serviceGraph, traceSummaries } from '../api';
import type { TraceSummary } from '../api';
import { HistogramChart } from '../components/Chart';
import { FilterBar } from '../components/FilterBar';
import type { PageProps } from '../main';
import { href, isLive, setParams, timeWindow } from '../route';
import { COLORS, fmtMs, fmtTime, histogram, nodeName, usePoll } from '../util';

const PAGE_SIZE = 50;

// The filter sent for a group: the group's traces AND the user's filter. Returns the text and
// how many characters precede the user's part (to map error columns back).
export function withGroup(filter: string, group: string): { text: string; offset: number } {
  if (!group || group === 'Default') return { text: filter, offset: 0 };
  const prefix = `group.name = ${JSON.stringify(group)}`;
  if (!filter.trim()) return { text: prefix, offset: 0 };
  return { text: `${prefix} AND (${filter})`, offset: prefix.length + 6 };
}

export function statusOf(t: TraceSummary): { label: string; color: string } {
  if (t.HasFault) return { label: 'fault', color: COLORS.fault };
  if (t.HasThrottle) return { label: 'throttle', color: COLORS.throttle };
  if (t.HasError) return { label: 'error', color: COLORS.error };
  return { label: 'ok', color: COLORS.ok };
}

export function TraceTable({ traces, testId }: { traces: TraceSummary[]; testId?: string }) {
  return (
    <table class="list" data-testid={testId ?? 'trace-list'}>
      <thead>
        <tr><th>Started</th><th>Trace</th><th>Status</th><th class="num">Response</th><th class="num">Duration</th><th>Method</th><th>URL</th><th>Entry</th></tr>
      </thead>
      <tbody>
        {traces.map((t) => {
          const s = statusOf(t);
          return (
            <tr data-testid="trace-row" data-trace-id={t.Id} data-response={t.ResponseTime ?? ""} key={t.Id}>
              <td class="nowrap">{fmtTime(t.StartTime)}</td>
              <td class="mono"><a href={href(`trace/${t.Id}`)}>{t.Id}</a></td>
              <td><span class="badge" style={{ background: s.color }}>{s.label}</span>{t.IsPartial && <span class="badge progress" title="some document is in progress">partial</span>}</td>
              <td class="num">{fmtMs(t.ResponseTime)}</td>
              <td class="num">{fmtMs(t.Duration)}</td>
              <td>{t.Http?.HttpMethod ?? ''}{t.Http?.HttpStatus ? ` ${t.Http.HttpStatus}` : ''}</td>
              <td class="url" title={t.Http?.HttpURL}>{t.Http?.HttpURL ?? ''}</td>
              <td>{t.EntryPoint ? nodeName(t.EntryPoint) : ''}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

export default function Traces({ route }: PageProps) {
  const params = route.params;
  const filter = params.get('filter') ?? '';
  const group = params.get('group') ?? 'Default';
  const range = params.get('range') ?? '15m';
  const page = Number(params.get('page') ?? '0') || 0;
  const rt = /^([\d.]+)-([\d.]+)$/.exec(params.get('rt') ?? '');
  const rtRange: [number, number] | null = rt ? [Number(rt[1]), Number(rt[2])] : null;

  const [traces, setTraces] = useState<TraceSummary[] | null>(null);
  const [meta, setMeta] = useState({ processed: 0, truncated: false, at: 0 });
  const [error, setError] = useState<{ message: string; column?: number } | null>(null);
  const [services, setServices] = useState<string[]>([]);

  usePoll(
    async () => {
      const [start, end] = timeWindow(params);
      const sent = withGroup(filter, group);
      try {
        const r = await traceSummaries(start, end, sent.text, 10);
        r.summaries.sort((a, b) => (b.StartTime ?? 0) - (a.StartTime ?? 0));
        setTraces(r.summaries);
        setMeta({ processed: r.processed, truncated: r.truncated, at: Date.now() });
        setError(null);
      } catch (e) {
        if (e instanceof ApiError) {
          const column = e.column !== undefined ? Math.max(1, e.column - sent.offset) : undefined;
          const message = column !== undefined ? e.message.replace(/at column \d+/, `at column ${column}`) : e.message;
          setError({ message, column });
        } else setError({ message: (e as Error).message });
        setTraces([]);
        setMeta({ processed: 0, truncated: false, at: Date.now() });
      }
    },
    3000,
    isLive(params),
    [filter, group, range],
  );

  // Service names for completion (once per range).
  usePoll(
    async () => {
      const [start, end] = timeWindow(params);
      try {
        const s = await serviceGraph(Math.max(start, end - 86400 + 60), end, 'Default');
        setServices([...new Set(s.filter((x) => x.Type !== 'client').map((x) => nodeName(x)))].sort());
      } catch {
        /* completion without service names */
      }
    },
    60000,
    false,
    [range],
  );

  const annotationKeys = useMemo(() => {
    const keys = new Set<string>();
    for (const t of traces ?? []) for (const k of Object.keys(t.Annotations ?? {})) keys.add(k);
    return [...keys].sort();
  }, [traces]);

  const responseTimes = useMemo(() => (traces ?? []).map((t) => t.ResponseTime ?? t.Duration ?? 0), [traces]);
  const hist = useMemo(() => histogram(responseTimes, 40), [responseTimes]);
  const histSeries = useMemo(() => [{ label: 'traces', values: hist.counts }], [hist]);
  const shown = useMemo(
    () =>
      (traces ?? []).filter((t) => {
        if (!rtRange) return true;
        const v = t.ResponseTime ?? t.Duration ?? 0;
        return v >= rtRange[0] && v <= rtRange[1];
      }),
    [traces, rtRange?.[0], rtRange?.[1]],
  );
  const pages = Math.max(1, Math.ceil(shown.length / PAGE_SIZE));
  const current = Math.min(page, pages - 1);
  const pageRows = shown.slice(current * PAGE_SIZE, (current + 1) * PAGE_SIZE);

  return (
    <div class="page traces-page">
      <div class="page-head">
        <h1>Traces</h1>
        <span class="muted" data-testid="trace-count">
          {traces === null ? 'loading…' : `${shown.length} of ${traces.length}${meta.truncated ? '+' : ''} traces`}
          {meta.processed ? ` · ${meta.processed} scanned` : ''}
        </span>
      </div>
      <FilterBar
        value={filter}
        error={error}
        services={services}
        annotationKeys={annotationKeys}
        onSubmit={(v) => setParams({ filter: v || undefined, page: undefined, rt: undefined }, false)}
      />
      <div class="card" hidden={!traces || traces.length === 0}>
        <div class="card-head">
          <h3>Response time distribution</h3>
          <span class="muted">drag across the chart to narrow the list</span>
          {rtRange && (
            <span class="chip" data-testid="rt-range">
              {fmtMs(rtRange[0])} – {fmtMs(rtRange[1])}
              <button class="icon" aria-label="Clear the response time range" onClick={() => setParams({ rt: undefined, page: undefined })}>×</button>
            </span>
          )}
        </div>
        <HistogramChart
          edges={hist.edges}
          series={histSeries}
          colors={[COLORS.selection]}
          height={140}
          selected={rtRange}
          onSelect={(r) => setParams({ rt: r ? `${(Math.floor(r[0] * 1e4) / 1e4).toFixed(4)}-${(Math.ceil(r[1] * 1e4) / 1e4).toFixed(4)}` : undefined, page: undefined })}
          testId="rt-histogram"
        />
      </div>
      {traces && traces.length === 0 && !error && <div class="empty">No traces match in this range.</div>}
      {pageRows.length > 0 && <TraceTable traces={pageRows} />}
      {pages > 1 && (
        <div class="pager">
          <button disabled={current === 0} onClick={() => setParams({ page: String(current - 1) })}>← Newer</button>
          <span data-testid="page-number">page {current + 1} of {pages}</span>
          <button disabled={current >= pages - 1} onClick={() => setParams({ page: String(current + 1) })}>Older →</button>
        </div>
      )}
    </div>
  );
}
