// SPDX-License-Identifier: Apache-2.0
// The service map of the chosen range and group, refreshed live; a node or edge opens its
// statistics.
import { useState } from 'preact/hooks';
import { serviceGraph } from '../api';
import type { Service } from '../api';
import { GraphView, nodeName } from '../components/GraphView';
import type { GraphSelection } from '../components/GraphView';
import { StatsPanel } from '../components/StatsPanel';
import type { PageProps } from '../main';
import { isLive, setParams, timeWindow } from '../route';
import { usePoll } from '../util';

export function serviceFilter(s: Service): string {
  const name = JSON.stringify(nodeName(s));
  return s.Type === 'client' ? '' : `service(${name})`;
}

export default function ServiceMap({ route }: PageProps) {
  const params = route.params;
  const group = params.get('group') ?? 'Default';
  const range = params.get('range') ?? '15m';
  const [services, setServices] = useState<Service[] | null>(null);
  const [window, setWindow] = useState<[number, number]>(() => timeWindow(params));
  const [error, setError] = useState<string | null>(null);
  const selected = params.get('node') ?? params.get('edge') ?? undefined;

  usePoll(
    async () => {
      const w = timeWindow(params);
      try {
        const s = await serviceGraph(w[0], w[1], group);
        setServices(s);
        setWindow(w);
        setError(null);
      } catch (e) {
        setError((e as Error).message);
      }
    },
    5000,
    isLive(params),
    [group, range],
  );

  let selection: GraphSelection = null;
  if (services && params.get('node')) {
    const s = services.find((x) => nodeName(x) + '|' + (x.Type ?? '') === params.get('node'));
    if (s) selection = { kind: 'node', service: s };
  } else if (services && params.get('edge')) {
    const [a, b] = (params.get('edge') ?? '').split('>');
    const from = services.find((x) => nodeName(x) + '|' + (x.Type ?? '') === a);
    const to = services.find((x) => nodeName(x) + '|' + (x.Type ?? '') === b);
    const edge = from?.Edges?.find((e) => e.ReferenceId === to?.ReferenceId);
    if (from && to && edge) selection = { kind: 'edge', from, to, edge };
  }
  const key = (s: Service) => nodeName(s) + '|' + (s.Type ?? '');
  const select = (sel: GraphSelection) => {
    if (!sel) setParams({ node: undefined, edge: undefined });
    else if (sel.kind === 'node') setParams({ node: key(sel.service), edge: undefined });
    else setParams({ edge: `${key(sel.from)}>${key(sel.to)}`, node: undefined });
  };
  const selectedId =
    selection?.kind === 'node' ? `n${selection.service.ReferenceId}` : selection ? `e${selection.from.ReferenceId}-${selection.to.ReferenceId}` : selected;

  return (
    <div class="page map-page">
      <div class="page-head">
        <h1>Service map</h1>
        <span class="muted">{services ? `${services.length} nodes` : 'loading…'} · group {group}</span>
        <div class="legend">
          <span><span class="dot ok" />OK</span>
          <span><span class="dot error" />Error</span>
          <span><span class="dot throttle" />Throttle</span>
          <span><span class="dot fault" />Fault</span>
        </div>
      </div>
      {error && <div class="banner error">{error}</div>}
      <div class="split">
        <div class="grow">
          {services && services.length === 0 && <div class="empty">No traces in this range. Send some (e.g. <code>roentgen demo</code>) or widen the range.</div>}
          {services && <GraphView services={services} onSelect={select} selectedId={selectedId} window={window} testId="service-map" height={560} />}
        </div>
        {selection?.kind === 'node' && (
          <StatsPanel
            title={nodeName(selection.service)}
            subtitle={selection.service.Type}
            stats={selection.service.SummaryStatistics}
            histogram={selection.service.ResponseTimeHistogram}
            window={window}
            filter={serviceFilter(selection.service)}
            onClose={() => select(null)}
          />
        )}
        {selection?.kind === 'edge' && (
          <StatsPanel
            title={`${nodeName(selection.from)} → ${nodeName(selection.to)}`}
            subtitle="edge"
            stats={selection.edge.SummaryStatistics}
            histogram={selection.edge.ResponseTimeHistogram}
            window={window}
            filter={
              selection.from.Type === 'client'
                ? serviceFilter(selection.to)
                : `edge(${JSON.stringify(nodeName(selection.from))}, ${JSON.stringify(nodeName(selection.to))})`
            }
            onClose={() => select(null)}
          />
        )}
      </div>
    </div>
  );
}
