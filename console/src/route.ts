// SPDX-License-Identifier: Apache-2.0
// URL state: the page is the path under /console/, everything else (range, group, filter,
// selected trace, ...) is in the query string, so any view can be shared by its URL.
import { useEffect, useState } from 'preact/hooks';

export const BASE = '/console/';

export interface Route {
  page: string; // "map", "traces", ...
  rest: string[]; // path segments after the page
  params: URLSearchParams;
}

function current(): Route {
  let path = location.pathname;
  if (path.startsWith(BASE)) path = path.slice(BASE.length);
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  return { page: parts[0] ?? 'map', rest: parts.slice(1), params: new URLSearchParams(location.search) };
}

const listeners = new Set<() => void>();
window.addEventListener('popstate', () => listeners.forEach((l) => l()));

export function useRoute(): Route {
  const [route, setRoute] = useState(current);
  useEffect(() => {
    const update = () => setRoute(current());
    listeners.add(update);
    return () => void listeners.delete(update);
  }, []);
  return route;
}

// The URL of `page` (with extra path segments) keeping the shared parameters.
export function href(page: string, params: Record<string, string | undefined> = {}, keep = true): string {
  const next = new URLSearchParams();
  if (keep) {
    const now = new URLSearchParams(location.search);
    for (const key of ['range', 'group', 'live']) {
      const v = now.get(key);
      if (v) next.set(key, v);
    }
  }
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === '') next.delete(k);
    else next.set(k, v);
  }
  const query = next.toString();
  return BASE + page + (query ? '?' + query : '');
}

export function navigate(url: string, replace = false): void {
  if (url === location.pathname + location.search) return;
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  listeners.forEach((l) => l());
}

// Changes some query parameters of the current URL (undefined or '' removes one).
export function setParams(changes: Record<string, string | undefined>, replace = true): void {
  const params = new URLSearchParams(location.search);
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined || v === '') params.delete(k);
    else params.set(k, v);
  }
  const query = params.toString();
  navigate(location.pathname + (query ? '?' + query : ''), replace);
}

// Intercepts clicks on same-origin console links so that they do not reload the page.
export function installLinkHandler(): void {
  document.addEventListener('click', (event) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
    const a = (event.target as Element).closest?.('a');
    if (!a || a.target || !a.getAttribute('href')?.startsWith(BASE)) return;
    event.preventDefault();
    navigate(a.getAttribute('href')!);
  });
}

// ---- time ranges ----

export const RANGES = ['5m', '15m', '1h', '3h', '6h', '24h', '3d', '7d'];

export function rangeSeconds(range: string): number {
  const m = /^(\d+)([smhd])$/.exec(range);
  if (!m) return 900;
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[m[2] as 's' | 'm' | 'h' | 'd'];
}

// [start, end] in epoch seconds for the URL's range: "15m" (the last 15 minutes) or
// "FROM-TO" in epoch seconds.
export function timeWindow(params: URLSearchParams): [number, number] {
  const range = params.get('range') ?? '15m';
  const abs = /^(\d+)-(\d+)$/.exec(range);
  if (abs) return [Number(abs[1]), Number(abs[2])];
  const end = Math.ceil(Date.now() / 1000) + 1;
  return [end - rangeSeconds(range), end];
}

export function isLive(params: URLSearchParams): boolean {
  return params.get('live') !== '0' && !/^\d+-\d+$/.test(params.get('range') ?? '');
}
