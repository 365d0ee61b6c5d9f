// SPDX-License-Identifier: Apache-2.0
// CloudWatch alarms (DescribeAlarms) with their state, and one alarm's history
// (DescribeAlarmHistory).
import { useState } from 'preact/hooks';
import { cloudwatch } from '../api';
import type { PageProps } from '../main';
import { isLive, setParams } from '../route';
import { fmtTime, useAsync, usePoll } from '../util';

interface MetricAlarm {
  AlarmName: string;
  AlarmArn?: string;
  AlarmDescription?: string;
  StateValue?: string;
  StateReason?: string;
  StateUpdatedTimestamp?: number | string;
  Namespace?: string;
  MetricName?: string;
  Dimensions?: { Name: string; Value: string }[];
  Statistic?: string;
  Period?: number;
  EvaluationPeriods?: number;
  Threshold?: number;
  ComparisonOperator?: string;
  AlarmActions?: string[];
}
interface HistoryItem { AlarmName?: string; Timestamp?: number | string; HistoryItemType?: string; HistorySummary?: string }

export function epoch(t: number | string | undefined): number | undefined {
  if (t === undefined) return undefined;
  if (typeof t === 'number') return t;
  const ms = Date.parse(t);
  return Number.isFinite(ms) ? ms / 1000 : undefined;
}

const OPS: Record<string, string> = {
  GreaterThanThreshold: '>',
  GreaterThanOrEqualToThreshold: '≥',
  LessThanThreshold: '<',
  LessThanOrEqualToThreshold: '≤',
};

function History({ name }: { name: string }) {
  const h = useAsync(() => cloudwatch<{ AlarmHistoryItems?: HistoryItem[] }>('DescribeAlarmHistory', { AlarmName: name, MaxRecords: 100 }), [name]);
  return (
    <aside class="side-panel" data-testid="alarm-history">
      <div class="panel-head"><h2>{name}</h2><button class="icon" aria-label="Close" onClick={() => setParams({ alarm: undefined })}>×</button></div>
      <h3>History</h3>
      {h.error && <div class="banner error">{h.error.message}</div>}
      <ol class="timeline">
        {(h.value?.AlarmHistoryItems ?? []).map((i) => <li><span class="muted">{fmtTime(epoch(i.Timestamp))}</span> <strong>{i.HistoryItemType}</strong> {i.HistorySummary}</li>)}
      </ol>
      {h.value && (h.value.AlarmHistoryItems ?? []).length === 0 && <div class="muted">No history yet.</div>}
    </aside>
  );
}

export default function Alarms({ route }: PageProps) {
  const [alarms, setAlarms] = useState<MetricAlarm[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const selected = route.params.get('alarm');
  usePoll(
    async () => {
      try {
        const all: MetricAlarm[] = [];
        let token: string | undefined;
        for (let page = 0; page < 10; ++page) {
          const r = await cloudwatch<{ MetricAlarms?: MetricAlarm[]; NextToken?: string }>('DescribeAlarms', token ? { NextToken: token } : {});
          all.push(...(r.MetricAlarms ?? []));
          token = r.NextToken;
          if (!token) break;
        }
        setAlarms(all);
        setError(null);
      } catch (e) {
        setError((e as Error).message);
      }
    },
    10000,
    isLive(route.params),
    [],
  );
  return (
    <div class="page">
      <div class="page-head"><h1>Alarms</h1><span class="muted">CloudWatch metric alarms</span></div>
      {error && <div class="banner error" data-testid="alarms-error">Alarms are not available: {error}</div>}
      <div class="split">
        <div class="grow">
          {alarms && alarms.length === 0 && <div class="empty">No alarms. Create one with <code>aws cloudwatch put-metric-alarm --endpoint-url …</code></div>}
          {alarms && alarms.length > 0 && (
            <table class="list" data-testid="alarm-list">
              <thead><tr><th>State</th><th>Name</th><th>Condition</th><th>Since</th><th>Reason</th></tr></thead>
              <tbody>
                {alarms.map((a) => (
                  <tr data-testid="alarm-row" class={selected === a.AlarmName ? 'selected' : ''}>
                    <td><span class={'badge ' + (a.StateValue === 'ALARM' ? 'fault' : a.StateValue === 'OK' ? 'ok' : 'neutral')}>{a.StateValue}</span></td>
                    <td><button class="link" onClick={() => setParams({ alarm: a.AlarmName })}>{a.AlarmName}</button><div class="muted">{a.AlarmDescription}</div></td>
                    <td class="mono">
                      {a.Namespace} {a.MetricName}
                      {(a.Dimensions ?? []).map((d) => ` ${d.Name}=${d.Value}`)} {a.Statistic}/{a.Period}s {OPS[a.ComparisonOperator ?? ''] ?? a.ComparisonOperator} {a.Threshold} × {a.EvaluationPeriods}
                    </td>
                    <td>{fmtTime(epoch(a.StateUpdatedTimestamp))}</td>
                    <td class="muted">{a.StateReason}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
        {selected && <History name={selected} />}
      </div>
    </div>
  );
}
