// SPDX-License-Identifier: Apache-2.0
// X-Ray insights: the list for the range (GetInsightSummaries) and one insight with its
// events timeline (GetInsightEvents) and impact graph (GetInsightImpactGraph).
import { useState } from 'preact/hooks';
import { xray } from '../api';
import type { Service } from '../api';
import { TimeSeriesChart } from '../components/Chart';
import { GraphView, nodeName } from '../components/GraphView';
import type { PageProps } from '../main';
import { href, isLive, timeWindow } from '../route';
import { fmtTime, usePoll, useAsync } from '../util';

interface Impact { FaultCount?: number; OkCount?: number; TotalCount?: number }
interface InsightSummary {
  InsightId: string;
  GroupARN?: string;
  GroupName?: string;
  RootCauseServiceId?: { Name?: string; Type?: string };
  Categories?: string[];
  State?: string;
  StartTime?: number;
  EndTime?: number;
  Summary?: string;
  ClientRequestImpactStatistics?: Impact;
  RootCauseServiceRequestImpactStatistics?: Impact;
  TopAnomalousServices?: { ServiceId?: { Name?: string; Type?: string } }[];
  LastUpdateTime?: number;
}
interface InsightEvent {
  Summary?: string;
  EventTime?: number;
  ClientRequestImpactStatistics?: Impact;
  RootCauseServiceRequestImpactStatistics?: Impact;
  TopAnomalousServices?: { ServiceId?: { Name?: string } }[];
}

function InsightList({ route }: PageProps) {
  const params = route.params;
  const group = params.get('group') ?? 'Default';
  const [items, setItems] = useState<InsightSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  usePoll(
    async () => {
      const [start, end] = timeWindow(params);
      try {
        const all: InsightSummary[] = [];
        let token: string | undefined;
        for (let page = 0; page < 10; ++page) {
          // GroupName is required (X-Ray answers InvalidRequestException without a group).
          const body: Record<string, unknown> = { GroupName: group, StartTime: Math.max(start, end - 86400 * 7 + 60), EndTime: end };
          if (token) body.NextToken = token;
          const r = await xray<{ InsightSummaries?: InsightSummary[]; NextToken?: string }>('/InsightSummaries', body);
          all.push(...(r.InsightSummaries ?? []));
          token = r.NextToken;
          if (!token) break;
        }
        setItems(all);
        setError(null);
      } catch (e) {
        setError((e as Error).message);
      }
    },
    10000,
    isLive(params),
    [group, params.get('range')],
  );
  return (
    <div class="page">
      <div class="page-head"><h1>Insights</h1><span class="muted">anomalies X-Ray insights found in group {group}</span></div>
      {error && <div class="banner error" data-testid="insights-error">Insights are not available: {error}</div>}
      {items && items.length === 0 && <div class="empty">No insights in this range. Insights are enabled per group (Groups → Insights).</div>}
      {items && items.length > 0 && (
        <table class="list" data-testid="insight-list">
          <thead><tr><th>State</th><th>Summary</th><th>Root cause</th><th>Started</th><th>Ended</th><th class="num">Client requests impacted</th></tr></thead>
          <tbody>
            {items.map((i) => (
              <tr data-testid="insight-row">
                <td><span class={'badge ' + (i.State === 'ACTIVE' ? 'fault' : 'neutral')}>{i.State}</span></td>
                <td><a href={href(`insights/${encodeURIComponent(i.InsightId)}`)}>{i.Summary ?? i.InsightId}</a></td>
                <td>{i.RootCauseServiceId?.Name}</td>
                <td>{fmtTime(i.StartTime)}</td>
                <td>{i.EndTime ? fmtTime(i.EndTime) : '–'}</td>
                <td class="num">{i.ClientRequestImpactStatistics?.FaultCount ?? 0} / {i.ClientRequestImpactStatistics?.TotalCount ?? 0}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function InsightDetail({ id }: { id: string }) {
  const insight = useAsync(() => xray<{ Insight?: InsightSummary }>('/Insight', { InsightId: id }), [id]);
  const events = useAsync(() => xray<{ InsightEvents?: InsightEvent[] }>('/InsightEvents', { InsightId: id }), [id]);
  const i = insight.value?.Insight;
  const graph = useAsync(async () => {
    if (!i?.StartTime) return [] as Service[];
    const r = await xray<{ Services?: Service[] }>('/InsightImpactGraph', { InsightId: id, StartTime: i.StartTime, EndTime: i.EndTime ?? Date.now() / 1000 });
    return r.Services ?? [];
  }, [id, i?.StartTime]);
  const evs = [...(events.value?.InsightEvents ?? [])].sort((a, b) => (a.EventTime ?? 0) - (b.EventTime ?? 0));
  return (
    <div class="page" data-testid="insight-detail">
      <div class="page-head"><h1>Insight</h1><a href={href('insights')}>← all insights</a></div>
      {(insight.error || events.error) && <div class="banner error">{(insight.error ?? events.error)!.message}</div>}
      {i && (
        <div class="card">
          <h2>{i.Summary}</h2>
          <table class="kv">
            <tbody>
              <tr><th>State</th><td>{i.State}</td></tr>
              <tr><th>Group</th><td>{i.GroupName}</td></tr>
              <tr><th>Root cause service</th><td>{i.RootCauseServiceId?.Name} <span class="muted">{i.RootCauseServiceId?.Type}</span></td></tr>
              <tr><th>Categories</th><td>{(i.Categories ?? []).join(', ')}</td></tr>
              <tr><th>Started / ended</th><td>{fmtTime(i.StartTime)} – {i.EndTime ? fmtTime(i.EndTime) : 'ongoing'}</td></tr>
              <tr><th>Client impact</th><td>{i.ClientRequestImpactStatistics?.FaultCount ?? 0} faults of {i.ClientRequestImpactStatistics?.TotalCount ?? 0} requests</td></tr>
              <tr><th>Top anomalous services</th><td>{(i.TopAnomalousServices ?? []).map((s) => s.ServiceId?.Name).join(', ')}</td></tr>
            </tbody>
          </table>
        </div>
      )}
      {evs.length > 0 && (
        <div class="card">
          <h3>Timeline</h3>
          <TimeSeriesChart
            timestamps={evs.map((e) => e.EventTime ?? 0)}
            series={[
              { label: 'client faults', values: evs.map((e) => e.ClientRequestImpactStatistics?.FaultCount ?? 0) },
              { label: 'client requests', values: evs.map((e) => e.ClientRequestImpactStatistics?.TotalCount ?? 0) },
            ]}
            height={180}
          />
          <ol class="timeline" data-testid="insight-events">
            {evs.map((e) => <li><span class="muted">{fmtTime(e.EventTime)}</span> {e.Summary} <span class="muted">{(e.TopAnomalousServices ?? []).map((s) => s.ServiceId?.Name).join(', ')}</span></li>)}
          </ol>
        </div>
      )}
      {graph.value && graph.value.length > 0 && (
        <div class="card">
          <h3>Impact</h3>
          <GraphView services={graph.value} height={360} testId="impact-graph" rate={false} />
          <div class="muted">{graph.value.map((s) => nodeName(s)).join(' · ')}</div>
        </div>
      )}
    </div>
  );
}

export default function Insights(props: PageProps) {
  const id = props.route.rest[0];
  return id ? <InsightDetail id={id} /> : <InsightList {...props} />;
}
