// SPDX-License-Identifier: Apache-2.0
// CloudWatch dashboards: the list (ListDashboards) and one dashboard's body (GetDashboard)
// laid out on its 24-column grid; metric widgets become time-series charts of
// GetMetricData, text widgets show their text.
import { useMemo, useState } from 'preact/hooks';
import { cloudwatch } from '../api';
import { TimeSeriesChart } from '../components/Chart';
import type { SeriesData } from '../components/Chart';
import type { PageProps } from '../main';
import { href, isLive, timeWindow } from '../route';
import { epoch } from './Alarms';
import { fmtTime, useAsync, usePoll } from '../util';

interface Widget {
  type: string;
  x?: number;
  y?: number;
  width?: number;
  height?: number;
  properties?: Record<string, any>;
}

export interface MetricQuery {
  id: string;
  label: string;
  namespace: string;
  name: string;
  dimensions: { Name: string; Value: string }[];
  stat: string;
  period: number;
}

// The metrics of a metric widget, with the "..." and "." shorthands expanded.
export function widgetMetrics(properties: Record<string, any>, widgetIndex: number): MetricQuery[] {
  const out: MetricQuery[] = [];
  let previous: string[] = [];
  (properties.metrics ?? []).forEach((entry: unknown[], i: number) => {
    if (!Array.isArray(entry)) return;
    const options = (typeof entry[entry.length - 1] === 'object' ? entry[entry.length - 1] : {}) as Record<string, any>;
    let parts = entry.filter((x) => typeof x === 'string') as string[];
    if (options.expression) return; // metric math is not evaluated here
    if (parts[0] === '...') parts = [...previous.slice(0, Math.max(0, previous.length - (parts.length - 1))), ...parts.slice(1)];
    parts = parts.map((p, j) => (p === '.' ? previous[j] ?? '' : p));
    previous = parts;
    if (parts.length < 2) return;
    const dimensions: { Name: string; Value: string }[] = [];
    for (let j = 2; j + 1 < parts.length; j += 2) dimensions.push({ Name: parts[j], Value: parts[j + 1] });
    out.push({
      id: `w${widgetIndex}m${i}`,
      label: options.label ?? `${parts[1]}${dimensions.length ? ' ' + dimensions.map((d) => d.Value).join(' ') : ''}`,
      namespace: parts[0],
      name: parts[1],
      dimensions,
      stat: options.stat ?? properties.stat ?? 'Average',
      period: Number(options.period ?? properties.period ?? 300),
    });
  });
  return out;
}

interface MetricDataResult { Id: string; Label?: string; Timestamps?: (number | string)[]; Values?: number[]; StatusCode?: string }

function MetricWidget({ widget, index, window, live }: { widget: Widget; index: number; window: () => [number, number]; live: boolean }) {
  const properties = widget.properties ?? {};
  const queries = useMemo(() => widgetMetrics(properties, index), [JSON.stringify(properties), index]);
  const [data, setData] = useState<{ timestamps: number[]; series: SeriesData[]; window: [number, number] } | null>(null);
  const [error, setError] = useState<string | null>(null);
  usePoll(
    async () => {
      if (queries.length === 0) return;
      const [start, end] = window();
      try {
        const results: MetricDataResult[] = [];
        let token: string | undefined;
        for (let page = 0; page < 10; ++page) {
          const r = await cloudwatch<{ MetricDataResults?: MetricDataResult[]; NextToken?: string }>('GetMetricData', {
            MetricDataQueries: queries.map((q) => ({
              Id: q.id,
              Label: q.label,
              MetricStat: { Metric: { Namespace: q.namespace, MetricName: q.name, Dimensions: q.dimensions }, Period: q.period, Stat: q.stat },
              ReturnData: true,
            })),
            StartTime: Math.floor(start),
            EndTime: Math.ceil(end),
            ScanBy: 'TimestampAscending',
            ...(token ? { NextToken: token } : {}),
          });
          for (const m of r.MetricDataResults ?? []) {
            const same = results.find((x) => x.Id === m.Id);
            if (same) {
              same.Timestamps = [...(same.Timestamps ?? []), ...(m.Timestamps ?? [])];
              same.Values = [...(same.Values ?? []), ...(m.Values ?? [])];
            } else results.push({ ...m });
          }
          token = r.NextToken;
          if (!token) break;
        }
        const all = new Set<number>();
        for (const m of results) for (const t of m.Timestamps ?? []) all.add(epoch(t)!);
        const timestamps = [...all].sort((a, b) => a - b);
        const series = queries.map((q) => {
          const m = results.find((x) => x.Id === q.id);
          const byTime = new Map<number, number>();
          (m?.Timestamps ?? []).forEach((t, i) => byTime.set(epoch(t)!, m!.Values![i]));
          return { label: q.label, values: timestamps.map((t) => byTime.get(t) ?? null) };
        });
        setData({ timestamps, series, window: [start, end] });
        setError(null);
      } catch (e) {
        setError((e as Error).message);
      }
    },
    15000,
    live,
    [queries],
  );
  const points = data ? data.series.reduce((n, s) => n + s.values.filter((v) => v !== null).length, 0) : 0;
  return (
    <div class="widget" data-testid="metric-widget" data-title={properties.title ?? ''} data-points={points}>
      <div class="chart-title">{properties.title ?? queries.map((q) => q.name).join(', ')}</div>
      {error && <div class="banner error">{error}</div>}
      {data && data.timestamps.length === 0 && <div class="muted">No data points in this range for {queries.map((q) => `${q.namespace} ${q.name}`).join(', ')}.</div>}
      {data && data.timestamps.length > 0 && <TimeSeriesChart timestamps={data.timestamps} series={data.series} xRange={data.window} height={Math.max(120, (widget.height ?? 6) * 46 - 130)} />}
    </div>
  );
}

function Dashboard({ name, params }: { name: string; params: URLSearchParams }) {
  const d = useAsync(() => cloudwatch<{ DashboardBody?: string; DashboardArn?: string }>('GetDashboard', { DashboardName: name }), [name]);
  const body = useMemo(() => {
    try {
      return d.value?.DashboardBody ? (JSON.parse(d.value.DashboardBody) as { widgets?: Widget[] }) : null;
    } catch {
      return null;
    }
  }, [d.value]);
  const live = isLive(params);
  const win = () => timeWindow(params);
  return (
    <div class="page" data-testid="dashboard">
      <div class="page-head"><h1>{name}</h1><a href={href('dashboards')}>← all dashboards</a></div>
      {d.error && <div class="banner error">{d.error.message}</div>}
      {d.value && !body && <div class="banner error">The dashboard body is not valid JSON.</div>}
      <div class="dashboard-grid">
        {(body?.widgets ?? []).map((w, i) => (
          // Widgets with x and y sit where they say; the others flow left to right, as in
          // CloudWatch.
          <div class="grid-cell" style={{
            gridColumn: w.x !== undefined ? `${w.x + 1} / span ${Math.min(24, w.width ?? 6)}` : `span ${Math.min(24, w.width ?? 6)}`,
            gridRow: w.y !== undefined ? `${w.y + 1} / span ${w.height ?? 6}` : `span ${w.height ?? 6}`,
          }}>
            {w.type === 'metric' ? (
              <MetricWidget widget={w} index={i} window={win} live={live} />
            ) : w.type === 'text' ? (
              <div class="widget text-widget"><pre>{w.properties?.markdown}</pre></div>
            ) : (
              <div class="widget muted">{w.type} widgets are not drawn by the console.</div>
            )}
          </div>
        ))}
      </div>
    </div>
  );
}

export default function Dashboards({ route }: PageProps) {
  const name = route.params.get('name');
  const [list, setList] = useState<{ DashboardName: string; LastModified?: number | string; Size?: number }[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  usePoll(
    async () => {
      if (name) return;
      try {
        const r = await cloudwatch<{ DashboardEntries?: { DashboardName: string; LastModified?: number | string; Size?: number }[] }>('ListDashboards', {});
        setList(r.DashboardEntries ?? []);
        setError(null);
      } catch (e) {
        setError((e as Error).message);
      }
    },
    15000,
    isLive(route.params),
    [name],
  );
  if (name) return <Dashboard name={name} params={route.params} />;
  return (
    <div class="page">
      <div class="page-head"><h1>Dashboards</h1><span class="muted">CloudWatch dashboards</span></div>
      {error && <div class="banner error" data-testid="dashboards-error">Dashboards are not available: {error}</div>}
      {list && list.length === 0 && <div class="empty">No dashboards. Create one with <code>aws cloudwatch put-dashboard --endpoint-url …</code></div>}
      {list && list.length > 0 && (
        <table class="list" data-testid="dashboard-list">
          <thead><tr><th>Name</th><th>Last modified</th><th class="num">Size</th></tr></thead>
          <tbody>
            {list.map((d) => (
              <tr><td><a href={href('dashboards', { name: d.DashboardName })}>{d.DashboardName}</a></td><td>{fmtTime(epoch(d.LastModified))}</td><td class="num">{d.Size}</td></tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
