// SPDX-License-Identifier: Apache-2.0
// A service graph (GetServiceGraph / GetTraceGraph / GetInsightImpactGraph services) drawn with
// cytoscape and laid out by dagre: pan, zoom, health rings, click to select. The same nodes and
// edges are listed as text under the canvas (for keyboards, screen readers and tests).
import { useEffect, useRef } from 'preact/hooks';
import cytoscape from 'cytoscape';
import dagre from 'cytoscape-dagre';
import type { Edge, Service } from '../api';
import { COLORS, fmtMs, health, nodeName, perMinute } from '../util';

export { nodeName, perMinute };

cytoscape.use(dagre);

export type GraphSelection =
  | { kind: 'node'; service: Service }
  | { kind: 'edge'; from: Service; to: Service; edge: Edge }
  | null;


function ringSvg(s: Service, selected: boolean): string {
  const h = health(s.SummaryStatistics);
  const r = 26;
  const c = 2 * Math.PI * r;
  const parts: [number, string][] =
    h.total > 0
      ? [
          [h.ok / h.total, COLORS.ok],
          [h.error / h.total, COLORS.error],
          [h.throttle / h.total, COLORS.throttle],
          [h.fault / h.total, COLORS.fault],
        ]
      : [[1, '#c9d1da']];
  let offset = 0;
  let arcs = '';
  for (const [share, color] of parts) {
    if (share <= 0) continue;
    arcs += `<circle cx="32" cy="32" r="${r}" fill="none" stroke="${color}" stroke-width="8" stroke-dasharray="${share * c} ${c}" stroke-dashoffset="${-offset * c}" transform="rotate(-90 32 32)"/>`;
    offset += share;
  }
  const icon = s.Type?.startsWith('AWS::DynamoDB') ? 'DB' : s.Type?.startsWith('AWS::Lambda') ? 'λ' : s.Type?.startsWith('AWS::ApiGateway') ? 'API' : s.Type?.startsWith('AWS::') ? 'AWS' : '';
  const glyph =
    s.Type === 'client'
      ? '<circle cx="32" cy="26" r="7" fill="#64748b"/><path d="M19 44c1-8 7-11 13-11s12 3 13 11z" fill="#64748b"/>'
      : `<text x="32" y="37" text-anchor="middle" font-family="sans-serif" font-size="14" font-weight="600" fill="#334155">${icon}</text>`;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64"><circle cx="32" cy="32" r="30" fill="${selected ? '#dbe7ff' : '#ffffff'}"/>${arcs}${glyph}</svg>`;
  return 'data:image/svg+xml;utf8,' + encodeURIComponent(svg);
}


// Fits the graph in view, without blowing small graphs up past 1.2×.
function fit(instance: cytoscape.Core) {
  instance.fit(undefined, 30);
  if (instance.zoom() > 1.2) {
    instance.zoom(1.2);
    instance.center();
  }
}

function subLabel(s: Service, window?: [number, number], rate = true): string {
  if (s.Type === 'client') return '';
  const h = health(s.SummaryStatistics);
  if (h.total === 0) return s.Type ?? '';
  if (!rate) return `${fmtMs(h.avg)} · ${h.total} req`;
  const rpm = perMinute(h.total, window?.[0] ?? s.StartTime, window?.[1] ?? s.EndTime);
  return `${fmtMs(h.avg)} · ${rpm === undefined ? h.total : rpm < 10 ? rpm.toFixed(1) : Math.round(rpm)}${rpm === undefined ? ' req' : '/min'}`;
}

export function GraphView(props: {
  services: Service[];
  onSelect?: (selection: GraphSelection) => void;
  selectedId?: string;
  window?: [number, number];
  height?: number;
  testId?: string;
  rate?: boolean; // requests per minute under each node (the service map); else counts
}) {
  const box = useRef<HTMLDivElement>(null);
  const cy = useRef<cytoscape.Core | null>(null);
  const onSelect = useRef(props.onSelect);
  onSelect.current = props.onSelect;
  const byRef = new Map(props.services.map((s) => [s.ReferenceId, s]));
  const structure = props.services
    .map((s) => `${s.ReferenceId}:${(s.Edges ?? []).map((e) => e.ReferenceId).join(',')}`)
    .join(';');
  const byRefNow = useRef(byRef);
  byRefNow.current = byRef;

  useEffect(() => {
    if (!box.current) return;
    const instance = cytoscape({
      container: box.current,
      wheelSensitivity: 0.3,
      minZoom: 0.2,
      maxZoom: 3,
      style: [
        {
          selector: 'node',
          style: {
            width: 64,
            height: 64,
            shape: 'ellipse',
            'background-opacity': 0,
            'background-image': 'data(ring)',
            'background-fit': 'contain',
            label: 'data(label)',
            'text-wrap': 'wrap',
            'text-valign': 'bottom',
            'text-margin-y': 6,
            'font-size': 12,
            color: '#1e293b',
            'text-background-color': '#f8fafc',
            'text-background-opacity': 0.8,
            'text-background-padding': '2px',
          },
        },
        { selector: 'node.client', style: { width: 40, height: 40 } },
        {
          selector: 'edge',
          style: {
            width: 2,
            'line-color': '#94a3b8',
            'target-arrow-color': '#94a3b8',
            'target-arrow-shape': 'triangle',
            'curve-style': 'bezier',
            label: 'data(label)',
            'font-size': 10,
            color: '#475569',
            'text-rotation': 'autorotate',
            'text-background-color': '#f8fafc',
            'text-background-opacity': 0.8,
          },
        },
        { selector: 'edge.error', style: { 'line-color': COLORS.error, 'target-arrow-color': COLORS.error } },
        { selector: 'edge.fault', style: { 'line-color': COLORS.fault, 'target-arrow-color': COLORS.fault } },
        { selector: ':selected', style: { 'line-color': COLORS.selection, 'target-arrow-color': COLORS.selection, 'border-width': 0 } },
      ],
    });
    instance.on('tap', 'node', (e) => {
      const s = byRefNow.current.get(Number(e.target.id().slice(1)));
      if (s) onSelect.current?.({ kind: 'node', service: s });
    });
    instance.on('tap', 'edge', (e) => {
      const [a, b] = e.target.id().slice(1).split('-').map(Number);
      const from = byRefNow.current.get(a);
      const to = byRefNow.current.get(b);
      const edge = from?.Edges?.find((x) => x.ReferenceId === b);
      if (from && to && edge) onSelect.current?.({ kind: 'edge', from, to, edge });
    });
    instance.on('tap', (e) => {
      if (e.target === instance) onSelect.current?.(null);
    });
    cy.current = instance;
    const observer = new ResizeObserver(() => instance.resize());
    observer.observe(box.current);
    // For tests and debugging: the instance behind the canvas.
    (box.current as any).cy = instance;
    return () => {
      observer.disconnect();
      instance.destroy();
      cy.current = null;
    };
  }, []);
  // Structure changes re-run the layout; data changes only restyle.
  useEffect(() => {
    const instance = cy.current;
    if (!instance) return;
    const elements: cytoscape.ElementDefinition[] = [];
    for (const s of props.services) {
      elements.push({
        group: 'nodes',
        data: { id: `n${s.ReferenceId}`, label: `${nodeName(s)}\n${subLabel(s, props.window, props.rate ?? true)}`, ring: ringSvg(s, props.selectedId === `n${s.ReferenceId}`) },
        classes: s.Type === 'client' ? 'client' : '',
      });
    }
    for (const s of props.services) {
      for (const e of s.Edges ?? []) {
        if (!byRef.has(e.ReferenceId)) continue;
        const h = health(e.SummaryStatistics);
        elements.push({
          group: 'edges',
          data: { id: `e${s.ReferenceId}-${e.ReferenceId}`, source: `n${s.ReferenceId}`, target: `n${e.ReferenceId}`, label: h.total ? fmtMs(h.avg) : '' },
          classes: h.fault > 0 ? 'fault' : h.error + h.throttle > 0 ? 'error' : '',
        });
      }
    }
    const existing = new Set(instance.elements().map((e) => e.id()));
    const wanted = new Set(elements.map((e) => e.data.id!));
    const same = existing.size === wanted.size && [...wanted].every((id) => existing.has(id));
    if (same) {
      for (const e of elements) instance.getElementById(e.data.id!).data(e.data);
      instance.elements().classes('');
      for (const e of elements) if (e.classes) instance.getElementById(e.data.id!).addClass(e.classes as string);
      return;
    }
    instance.elements().remove();
    instance.add(elements);
    instance.layout({ name: 'dagre', rankDir: 'LR', nodeSep: 40, rankSep: 110, padding: 30 } as any).run();
    fit(instance);
  }, [structure, props.services, props.selectedId]);

  return (
    <div class="graph" data-testid={props.testId ?? 'graph'}>
      <div class="graph-canvas" ref={box} style={{ height: `${props.height ?? 460}px` }} />
      <div class="graph-tools">
        <button onClick={() => cy.current && fit(cy.current)} title="Fit the graph">Fit</button>
        <button onClick={() => cy.current?.zoom({ level: (cy.current.zoom() || 1) * 1.25, renderedPosition: { x: (box.current?.clientWidth ?? 0) / 2, y: (props.height ?? 460) / 2 } })}>+</button>
        <button onClick={() => cy.current?.zoom({ level: (cy.current.zoom() || 1) / 1.25, renderedPosition: { x: (box.current?.clientWidth ?? 0) / 2, y: (props.height ?? 460) / 2 } })}>−</button>
      </div>
      <details class="graph-list">
        <summary>{props.services.length} nodes as a list</summary>
        <ul data-testid="graph-nodes">
          {props.services.map((s) => (
            <li data-node={nodeName(s)} data-type={s.Type ?? ''}>
              <button class="link" onClick={() => props.onSelect?.({ kind: 'node', service: s })}>{nodeName(s)}</button> <span class="muted">{s.Type}</span>
              <ul>
                {(s.Edges ?? []).filter((e) => byRef.has(e.ReferenceId)).map((e) => {
                  const to = byRef.get(e.ReferenceId)!;
                  return (
                    <li data-edge={`${nodeName(s)} -> ${nodeName(to)}`}>
                      <button class="link" onClick={() => props.onSelect?.({ kind: 'edge', from: s, to, edge: e })}>→ {nodeName(to)}</button>
                    </li>
                  );
                })}
              </ul>
            </li>
          ))}
        </ul>
      </details>
    </div>
  );
}
