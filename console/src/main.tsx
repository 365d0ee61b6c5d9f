// SPDX-License-Identifier: Apache-2.0
// The console's shell: navigation, the time range / group / live pickers (all in the URL)
// and the pages, each loaded on first use.
import { render } from 'preact';
import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { groups as listGroups } from './api';
import { RANGES, href, installLinkHandler, setParams, useRoute } from './route';
import type { Route } from './route';
import './style.css';

export interface PageProps {
  route: Route;
}

type Loader = () => Promise<{ default: ComponentType<PageProps> }>;

const PAGES: { id: string; title: string; load: Loader }[] = [
  { id: 'map', title: 'Service map', load: () => import('./pages/ServiceMap') },
  { id: 'traces', title: 'Traces', load: () => import('./pages/Traces') },
  { id: 'analytics', title: 'Analytics', load: () => import('./pages/Analytics') },
  { id: 'insights', title: 'Insights', load: () => import('./pages/Insights') },
  { id: 'alarms', title: 'Alarms', load: () => import('./pages/Alarms') },
  { id: 'dashboards', title: 'Dashboards', load: () => import('./pages/Dashboards') },
  { id: 'sampling', title: 'Sampling rules', load: () => import('./pages/Sampling') },
  { id: 'groups', title: 'Groups', load: () => import('./pages/Groups') },
];

const loaded = new Map<string, ComponentType<PageProps>>();

function Page({ route }: PageProps) {
  const id = route.page === 'trace' ? 'trace' : route.page;
  const entry =
    id === 'trace'
      ? { id, title: 'Trace', load: (() => import('./pages/TraceDetail')) as Loader }
      : PAGES.find((p) => p.id === id);
  const [, setTick] = useState(0);
  useEffect(() => {
    if (entry && !loaded.has(entry.id)) {
      entry.load().then((m) => {
        loaded.set(entry.id, m.default);
        setTick((t) => t + 1);
      });
    }
  }, [entry?.id]);
  useEffect(() => {
    document.title = `${entry?.title ?? 'Not found'} · Roentgen`;
  }, [entry?.title]);
  if (!entry) return <div class="page"><h1>Not found</h1><p>No console page at this address. <a href={href('map')}>Service map</a></p></div>;
  const Component = loaded.get(entry.id);
  return Component ? <Component route={route} /> : <div class="page loading">Loading…</div>;
}

function GroupPicker({ value }: { value: string }) {
  const [names, setNames] = useState<string[]>(['Default']);
  useEffect(() => {
    listGroups().then(
      (gs) => setNames(['Default', ...gs.map((g) => g.GroupName).filter((n) => n !== 'Default')]),
      () => {},
    );
  }, [value]);
  return (
    <label class="picker">
      Group
      <select data-testid="group-picker" value={value} onChange={(e) => setParams({ group: e.currentTarget.value === 'Default' ? undefined : e.currentTarget.value })}>
        {(names.includes(value) ? names : [...names, value]).map((n) => <option value={n}>{n}</option>)}
      </select>
    </label>
  );
}

function App() {
  const route = useRoute();
  const range = route.params.get('range') ?? '15m';
  const live = route.params.get('live') !== '0';
  const absolute = /^\d+-\d+$/.test(range);
  return (
    <div class="shell">
      <header>
        <a class="brand" href={href('map')}>
          <svg viewBox="0 0 32 32" width="22" height="22"><circle cx="16" cy="16" r="12" fill="none" stroke="currentColor" stroke-width="5" /><circle cx="16" cy="16" r="4" fill="currentColor" /></svg>
          Roentgen
        </a>
        <nav>
          {PAGES.map((p) => (
            <a href={href(p.id)} class={route.page === p.id || (p.id === 'traces' && route.page === 'trace') ? 'active' : ''}>{p.title}</a>
          ))}
        </nav>
        <div class="pickers">
          <label class="picker">
            Range
            <select data-testid="range-picker" value={absolute ? 'custom' : range} onChange={(e) => setParams({ range: e.currentTarget.value })}>
              {absolute && <option value="custom">custom</option>}
              {RANGES.map((r) => <option value={r}>last {r}</option>)}
            </select>
          </label>
          <GroupPicker value={route.params.get('group') ?? 'Default'} />
          <label class="picker live" title="Refresh the view every few seconds">
            <input type="checkbox" data-testid="live-toggle" checked={live && !absolute} disabled={absolute} onChange={(e) => setParams({ live: e.currentTarget.checked ? undefined : '0' })} />
            Live
          </label>
        </div>
      </header>
      <main>
        <Page route={route} />
      </main>
    </div>
  );
}

installLinkHandler();
render(<App />, document.getElementById('app')!);
