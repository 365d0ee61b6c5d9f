// SPDX-License-Identifier: Apache-2.0
import { useEffect, useRef, useState } from 'preact/hooks';
import type { SummaryStatistics } from './api';

// A graph node's or service id's display name.
export function nodeName(s: { Type?: string; Name?: string; Names?: string[]; ReferenceId?: number }): string {
  if (s.Type === 'client') return 'Clients';
  return s.Name ?? s.Names?.[0] ?? `#${s.ReferenceId ?? ''}`;
}

export function perMinute(total: number, start?: number, end?: number): number | undefined {
  if (!start || !end || end <= start) return undefined;
  return total / ((end - start) / 60);
}

export function fmtMs(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '–';
  const ms = seconds * 1000;
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 10000) return `${(ms / 1000).toFixed(2)} s`;
  return `${(ms / 1000).toFixed(1)} s`;
}

export function fmtTime(epochSeconds: number | undefined): string {
  if (!epochSeconds) return '–';
  const d = new Date(epochSeconds * 1000);
  return d.toLocaleString(undefined, { hour12: false }) + '.' + String(d.getMilliseconds()).padStart(3, '0');
}

export interface Health {
  total: number;
  ok: number;
  error: number;
  throttle: number;
  fault: number;
  avg: number | undefined; // seconds
}

export function health(stats: SummaryStatistics | undefined): Health {
  const total = stats?.TotalCount ?? 0;
  const throttle = stats?.ErrorStatistics?.ThrottleCount ?? 0;
  const errorAll = stats?.ErrorStatistics?.TotalCount ?? 0;
  const fault = stats?.FaultStatistics?.TotalCount ?? 0;
  return {
    total,
    ok: stats?.OkCount ?? Math.max(0, total - errorAll - fault),
    error: Math.max(0, errorAll - throttle),
    throttle,
    fault,
    avg: total > 0 && stats?.TotalResponseTime !== undefined ? stats.TotalResponseTime / total : undefined,
  };
}

export const COLORS = {
  ok: '#3aa56b',
  error: '#e8a317',
  throttle: '#8b5cf6',
  fault: '#d64545',
  progress: '#6b8fd6',
  selection: '#2f6fde',
  baseline: '#9aa5b1',
};

// Polls `load` now and every `ms` while `live`; the effect re-runs when `deps` change.
export function usePoll(load: () => Promise<void> | void, ms: number, live: boolean, deps: unknown[]): void {
  const saved = useRef(load);
  saved.current = load;
  useEffect(() => {
    let stopped = false;
    let timer: number | undefined;
    const tick = async () => {
      try {
        await saved.current();
      } finally {
        if (!stopped && live) timer = window.setTimeout(tick, ms);
      }
    };
    tick();
    return () => {
      stopped = true;
      window.clearTimeout(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [live, ms, ...deps]);
}

export function useAsync<T>(fn: () => Promise<T>, deps: unknown[]): { value?: T; error?: Error; loading: boolean; reload: () => void } {
  const [state, setState] = useState<{ value?: T; error?: Error; loading: boolean }>({ loading: true });
  const [n, setN] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    fn().then(
      (value) => live && setState({ value, loading: false }),
      (error) => live && setState({ error, loading: false }),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, n]);
  return { ...state, reload: () => setN((x) => x + 1) };
}

// Equal-width bins over [lo, hi] of `values` (seconds).
export function histogram(values: number[], bins: number, lo?: number, hi?: number): { edges: number[]; counts: number[] } {
  const min = lo ?? Math.min(...values, 0);
  let max = hi ?? Math.max(...values, 0.001);
  if (max <= min) max = min + 0.001;
  const width = (max - min) / bins;
  const counts = new Array(bins).fill(0);
  for (const v of values) {
    const i = Math.min(bins - 1, Math.max(0, Math.floor((v - min) / width)));
    counts[i]++;
  }
  const edges = Array.from({ length: bins }, (_, i) => min + i * width);
  return { edges, counts };
}

export function classes(...names: (string | false | undefined | null)[]): string {
  return names.filter(Boolean).join(' ');
}

// Asks before deleting the `kind` called `name`; runs `call`, then reports through `report`
// ("Deleted NAME." or the API's error message) and calls `done` after a deletion.
export async function confirmDelete(kind: string, name: string, call: () => Promise<unknown>, report: (message: string) => void, done: () => void): Promise<void> {
  if (!confirm(`Delete ${kind} ${name}?`)) return;
  try {
    await call();
    report(`Deleted ${name}.`);
    done();
  } catch (e) {
    report((e as Error).message);
  }
}
