// SPDX-License-Identifier: Apache-2.0
// One trace: the waterfall of its segments and subsegments (virtualised: only the rows in
// view are in the DOM, so 10,000 segments scroll smoothly), the selected entity's details,
// the raw documents and the trace's own map.
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { xray } from '../api';
import type { Service } from '../api';
import { GraphView } from '../components/GraphView';
import type { PageProps } from '../main';
import { href, isLive, setParams } from '../route';
import { COLORS, fmtMs, fmtTime, usePoll } from '../util';

interface Entity {
  id: string;
  name: string;
  start_time: number;
  end_time?: number;
  in_progress?: boolean;
  error?: boolean;
  fault?: boolean;
  throttle?: boolean;
  parent_id?: string;
  origin?: string;
  namespace?: string;
  inferred?: boolean;
  http?: unknown;
  aws?: unknown;
  sql?: unknown;
  annotations?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  cause?: any;
  subsegments?: Entity[];
  [key: string]: unknown;
}

export interface Row {
  entity: Entity;
  depth: number;
  segment: boolean; // a segment (a service's document) rather than a subsegment
  service: string; // the segment the row belongs to
  children: Row[];
}

// Builds the tree: each segment's subsegments under it, and segments whose parent_id names a
// subsegment of another segment under that subsegment. Children are ordered by start time.
export function buildTree(documents: Entity[]): Row[] {
  const byId = new Map<string, Row>();
  const segments: Row[] = [];
  const walk = (entity: Entity, depth: number, segment: boolean, service: string): Row => {
    const row: Row = { entity, depth, segment, service, children: [] };
    byId.set(entity.id, row);
    for (const sub of entity.subsegments ?? []) row.children.push(walk(sub, depth + 1, false, service));
    return row;
  };
  for (const doc of documents) segments.push(walk(doc, 0, true, doc.name));
  const roots: Row[] = [];
  for (const s of segments) {
    const parent = s.entity.parent_id ? byId.get(s.entity.parent_id) : undefined;
    if (parent && parent !== s) parent.children.push(s);
    else roots.push(s);
  }
  const fix = (row: Row, depth: number) => {
    row.depth = depth;
    row.children.sort((a, b) => a.entity.start_time - b.entity.start_time);
    for (const c of row.children) fix(c, depth + 1);
  };
  roots.sort((a, b) => a.entity.start_time - b.entity.start_time);
  for (const r of roots) fix(r, 0);
  return roots;
}

function flatten(roots: Row[], collapsed: Set<string>): Row[] {
  const out: Row[] = [];
  const stack = [...roots].reverse();
  while (stack.length) {
    const row = stack.pop()!;
    out.push(row);
    if (!collapsed.has(row.entity.id)) for (let i = row.children.length - 1; i >= 0; --i) stack.push(row.children[i]);
  }
  return out;
}

function colorOf(e: Entity): string {
  if (e.fault) return COLORS.fault;
  if (e.throttle) return COLORS.throttle;
  if (e.error) return COLORS.error;
  return COLORS.ok;
}

const ROW = 26;

function Waterfall(props: { rows: Row[]; t0: number; t1: number; selected?: string; collapsed: Set<string>; onToggle: (id: string) => void; onSelect: (id: string) => void }) {
  const box = useRef<HTMLDivElement>(null);
  const [scroll, setScroll] = useState(0);
  const [height, setHeight] = useState(600);
  const span = Math.max(props.t1 - props.t0, 1e-6);
  useLayoutEffect(() => {
    if (box.current) setHeight(box.current.clientHeight || 600);
  }, []);
  const first = Math.max(0, Math.floor(scroll / ROW) - 15);
  const last = Math.min(props.rows.length, Math.ceil((scroll + height) / ROW) + 15);
  const visible = props.rows.slice(first, last);
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  return (
    <div class="waterfall">
      <div class="wf-head">
        <div class="wf-name">Name</div>
        <div class="wf-time">
          {ticks.map((t) => <span style={{ left: `${t * 100}%` }}>{fmtMs(t * span)}</span>)}
        </div>
      </div>
      <div class="wf-body" ref={box} data-testid="waterfall" data-rows={props.rows.length} onScroll={(e) => setScroll(e.currentTarget.scrollTop)}>
        <div style={{ height: `${props.rows.length * ROW}px`, position: 'relative' }}>
          {visible.map((row, i) => {
            const e = row.entity;
            const end = e.end_time ?? props.t1;
            const left = ((e.start_time - props.t0) / span) * 100;
            const width = Math.max(((end - e.start_time) / span) * 100, 0.15);
            const duration = e.end_time !== undefined ? e.end_time - e.start_time : undefined;
            const index = first + i;
            return (
              <div
                class={'wf-row' + (props.selected === e.id ? ' selected' : '') + (row.segment ? ' segment' : '')}
                style={{ top: `${index * ROW}px` }}
                data-testid="wf-row"
                data-index={index}
                data-name={e.name}
                data-id={e.id}
                data-duration-ms={duration !== undefined ? (duration * 1000).toFixed(3) : ''}
                data-in-progress={e.in_progress ? 'true' : undefined}
                onClick={() => props.onSelect(e.id)}
              >
                <div class="wf-name" style={{ paddingLeft: `${6 + row.depth * 14}px` }}>
                  {row.children.length > 0 ? (
                    <button class="twisty" aria-label={props.collapsed.has(e.id) ? 'Expand' : 'Collapse'} onClick={(ev) => { ev.stopPropagation(); props.onToggle(e.id); }}>
                      {props.collapsed.has(e.id) ? '▸' : '▾'}
                    </button>
                  ) : <span class="twisty" />}
                  {row.segment && <span class="seg-tag" title={e.origin ?? 'segment'}>{e.inferred ? 'inferred' : 'svc'}</span>}
                  <span class="wf-label" title={e.name}>{e.name}</span>
                </div>
                <div class="wf-time">
                  <div
                    class={'wf-bar' + (e.in_progress ? ' in-progress' : '')}
                    style={{ left: `${left}%`, width: `${width}%`, background: e.in_progress ? undefined : colorOf(e) }}
                    title={`${e.name}: ${duration !== undefined ? fmtMs(duration) : 'in progress'}`}
                  />
                  <span class="wf-dur" style={{ left: `min(calc(${left + width}% + 4px), calc(100% - 70px))` }}>
                    {e.in_progress ? 'in progress' : fmtMs(duration)}
                    {e.fault ? ' · fault' : e.throttle ? ' · throttle' : e.error ? ' · error' : ''}
                  </span>
                </div>
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}

function Json({ value }: { value: unknown }) {
  return <pre class="json">{JSON.stringify(value, null, 2)}</pre>;
}

function Details({ row, documents }: { row: Row; documents: Map<string, string> }) {
  const e = row.entity;
  const { subsegments: _s, ...own } = e;
  const exceptions: any[] = e.cause?.exceptions ?? [];
  return (
    <aside class="side-panel details" data-testid="details">
      <h2>{e.name}</h2>
      <div class="muted">{row.segment ? `segment${e.origin ? ' · ' + e.origin : ''}` : `subsegment of ${row.service}${e.namespace ? ' · ' + e.namespace : ''}`}</div>
      <table class="kv">
        <tbody>
          <tr><th>Id</th><td class="mono">{e.id}</td></tr>
          <tr><th>Start</th><td>{fmtTime(e.start_time)}</td></tr>
          <tr><th>Duration</th><td data-testid="detail-duration">{e.end_time !== undefined ? fmtMs(e.end_time - e.start_time) : 'in progress'}</td></tr>
          <tr><th>Status</th><td>{e.fault ? 'fault' : e.throttle ? 'throttle' : e.error ? 'error' : 'ok'}</td></tr>
        </tbody>
      </table>
      {e.annotations && Object.keys(e.annotations).length > 0 && (
        <section>
          <h3>Annotations</h3>
          <table class="kv" data-testid="annotations">
            <tbody>{Object.entries(e.annotations).map(([k, v]) => <tr><th>{k}</th><td>{String(v)}</td></tr>)}</tbody>
          </table>
        </section>
      )}
      {e.http !== undefined && <section><h3>HTTP</h3><Json value={e.http} /></section>}
      {e.sql !== undefined && <section><h3>SQL</h3><Json value={e.sql} /></section>}
      {e.aws !== undefined && <section><h3>AWS</h3><Json value={e.aws} /></section>}
      {e.metadata !== undefined && <section><h3>Metadata</h3><Json value={e.metadata} /></section>}
      {e.cause !== undefined && (
        <section>
          <h3>Exceptions</h3>
          {typeof e.cause === 'string' ? <p>cause: exception {e.cause} (recorded elsewhere)</p> : null}
          {exceptions.map((x) => (
            <div class="exception">
              <strong>{x.type ?? 'Exception'}</strong>: {x.message}
              {x.stack && <pre class="json">{x.stack.map((f: any) => `  at ${f.label ?? ''} (${f.path ?? ''}:${f.line ?? ''})`).join('\n')}</pre>}
            </div>
          ))}
          {e.cause?.working_directory && <div class="muted">working directory {e.cause.working_directory}</div>}
        </section>
      )}
      <details>
        <summary>Raw {row.segment ? 'document' : 'subsegment'}</summary>
        <pre class="json">{row.segment && documents.has(e.id) ? prettyJson(documents.get(e.id)!) : JSON.stringify(own, null, 2)}</pre>
      </details>
    </aside>
  );
}

function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

interface Loaded {
  id: string;
  duration?: number;
  documents: Map<string, string>;
  roots: Row[];
  count: number;
  t0: number;
  t1: number;
  partial: boolean;
  parseMs: number;
}

export default function TraceDetail({ route }: PageProps) {
  const id = route.rest[0] ?? '';
  const params = route.params;
  const tab = params.get('tab') ?? 'timeline';
  const selected = params.get('seg') ?? undefined;
  const [trace, setTrace] = useState<Loaded | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [collapsed, setCollapsed] = useState<Set<string>>(new Set());
  const [graph, setGraph] = useState<Service[] | null>(null);
  const renderStart = useRef(0);

  usePoll(
    async () => {
      try {
        renderStart.current = performance.now();
        const r = await xray<{ Traces?: { Id: string; Duration?: number; Segments: { Id: string; Document: string }[] }[]; UnprocessedTraceIds?: string[] }>('/Traces', { TraceIds: [id] });
        const t = r.Traces?.[0];
        if (!t) {
          setError(`Trace ${id} was not found.`);
          return;
        }
        const parseStart = performance.now();
        const documents = new Map<string, string>();
        const entities: Entity[] = [];
        for (const s of t.Segments) {
          documents.set(s.Id, s.Document);
          entities.push(JSON.parse(s.Document));
        }
        const roots = buildTree(entities);
        let t0 = Infinity;
        let t1 = -Infinity;
        let count = 0;
        let partial = false;
        const visit = (row: Row) => {
          count++;
          t0 = Math.min(t0, row.entity.start_time);
          t1 = Math.max(t1, row.entity.end_time ?? row.entity.start_time);
          if (row.entity.in_progress) partial = true;
          row.children.forEach(visit);
        };
        roots.forEach(visit);
        if (partial) t1 = Math.max(t1, Date.now() / 1000);
        setTrace({ id: t.Id, duration: t.Duration, documents, roots, count, t0, t1, partial, parseMs: performance.now() - parseStart });
        setError(null);
      } catch (e) {
        setError((e as Error).message);
      }
    },
    3000,
    isLive(params) && (trace?.partial ?? true),
    [id],
  );

  useEffect(() => {
    if (tab !== 'map') return;
    xray<{ Services?: Service[] }>('/TraceGraph', { TraceIds: [id] }).then((r) => setGraph(r.Services ?? []), (e) => setError(e.message));
  }, [id, tab]);

  const rows = useMemo(() => (trace ? flatten(trace.roots, collapsed) : []), [trace, collapsed]);
  const byId = useMemo(() => new Map(rows.map((r) => [r.entity.id, r])), [rows]);
  const selectedRow = selected ? byId.get(selected) : undefined;

  useEffect(() => {
    if (!trace) return;
    // Time from the request to the first painted waterfall, for bench/console_trace_bench.mjs.
    requestAnimationFrame(() => {
      const w = window as any;
      w.__roentgenTraceRender = { entities: trace.count, rows: rows.length, parseMs: trace.parseMs, totalMs: performance.now() - renderStart.current };
      document.body.dataset.traceRendered = String(trace.count);
    });
  }, [trace]);

  const toggle = (eid: string) => {
    const next = new Set(collapsed);
    if (next.has(eid)) next.delete(eid);
    else next.add(eid);
    setCollapsed(next);
  };

  return (
    <div class="page trace-page">
      <div class="page-head">
        <h1>Trace <span class="mono">{id}</span></h1>
        <a href={href('traces')}>← all traces</a>
      </div>
      {error && <div class="banner error">{error}</div>}
      {trace && (
        <>
          <div class="trace-meta">
            <span>Started {fmtTime(trace.t0)}</span>
            <span>Duration <strong data-testid="trace-duration">{fmtMs(trace.duration ?? trace.t1 - trace.t0)}</strong></span>
            <span data-testid="entity-count">{trace.count} segments and subsegments</span>
            {trace.partial && <span class="badge progress">in progress</span>}
          </div>
          <div class="tabs" role="tablist">
            {['timeline', 'map', 'raw'].map((t) => (
              <button role="tab" aria-selected={tab === t} class={tab === t ? 'active' : ''} onClick={() => setParams({ tab: t === 'timeline' ? undefined : t })}>
                {t === 'timeline' ? 'Timeline' : t === 'map' ? 'Trace map' : 'Raw documents'}
              </button>
            ))}
            <span class="grow" />
            {tab === 'timeline' && (
              <>
                <button onClick={() => setCollapsed(new Set())}>Expand all</button>
                <button onClick={() => setCollapsed(new Set(rows.filter((r) => r.segment && r.children.length).map((r) => r.entity.id)))}>Collapse segments</button>
              </>
            )}
          </div>
          {tab === 'timeline' && (
            <div class="split">
              <div class="grow">
                <Waterfall rows={rows} t0={trace.t0} t1={trace.t1} selected={selected} collapsed={collapsed} onToggle={toggle} onSelect={(s) => setParams({ seg: s })} />
              </div>
              {selectedRow && <Details row={selectedRow} documents={trace.documents} />}
            </div>
          )}
          {tab === 'map' && graph && <GraphView services={graph} testId="trace-map" height={420} rate={false} />}
          {tab === 'raw' && (
            <div data-testid="raw-documents">
              {[...trace.documents.entries()].map(([docId, text]) => (
                <details open={trace.documents.size <= 10}>
                  <summary class="mono">{docId}</summary>
                  <pre class="json">{prettyJson(text)}</pre>
                </details>
              ))}
            </div>
          )}
        </>
      )}
    </div>
  );
}
