// SPDX-License-Identifier: Apache-2.0
// uPlot charts: time series (dashboards, statistics) and histograms (response time
// distributions, with an optional brushed selection).
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { fmtMs } from '../util';

const PALETTE = ['#2f6fde', '#e8a317', '#d64545', '#3aa56b', '#8b5cf6', '#0ea5b7', '#c2410c', '#64748b'];

function useWidth(ref: { current: HTMLElement | null }, onResize: (w: number) => void) {
  useEffect(() => {
    if (!ref.current) return;
    const observer = new ResizeObserver((entries) => {
      const w = Math.floor(entries[0].contentRect.width);
      if (w > 0) onResize(w);
    });
    observer.observe(ref.current);
    return () => observer.disconnect();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
}

export interface SeriesData {
  label: string;
  values: (number | null)[];
}

// Lines over shared timestamps (epoch seconds).
export function TimeSeriesChart(props: { timestamps: number[]; series: SeriesData[]; height?: number; title?: string; testId?: string; xRange?: [number, number] }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  useEffect(() => {
    if (!box.current) return;
    const opts: uPlot.Options = {
      width: box.current.clientWidth || 400,
      height: props.height ?? 200,
      series: [{}, ...props.series.map((s, i) => ({ label: s.label, stroke: PALETTE[i % PALETTE.length], width: 2, points: { show: true, size: 4 }, spanGaps: true }))],
      axes: [{}, { size: 60 }],
      legend: { show: true },
      // The whole requested window, so that a single point does not stretch the axis.
      ...(props.xRange ? { scales: { x: { time: true, range: () => props.xRange! } } } : {}),
    };
    plot.current?.destroy();
    plot.current = new uPlot(opts, [props.timestamps, ...props.series.map((s) => s.values)] as uPlot.AlignedData, box.current);
    return () => {
      plot.current?.destroy();
      plot.current = null;
    };
  }, [props.timestamps, props.series, props.height, props.xRange?.[0], props.xRange?.[1]]);
  useWidth(box, (w) => plot.current?.setSize({ width: w, height: props.height ?? 200 }));
  return (
    <div class="chart" data-testid={props.testId} data-points={props.timestamps.length}>
      {props.title && <div class="chart-title">{props.title}</div>}
      <div ref={box} />
    </div>
  );
}

// Bars of counts per bin; `edges` are the bins' lower bounds in seconds. With `onSelect`,
// dragging across the chart selects a range [lo, hi] (seconds). New data (live refresh)
// updates the plot in place, so a drag in progress is not interrupted.
export function HistogramChart(props: {
  edges: number[];
  series: SeriesData[];
  height?: number;
  colors?: string[];
  onSelect?: (range: [number, number] | null) => void;
  selected?: [number, number] | null;
  testId?: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const onSelect = useRef(props.onSelect);
  onSelect.current = props.onSelect;
  const step = props.edges.length > 1 ? props.edges[1] - props.edges[0] : 0.01;
  const xRange = useRef<[number, number]>([0, 1]);
  xRange.current = [props.edges[0] ?? 0, (props.edges[props.edges.length - 1] ?? 0) + step];
  const selected = useRef(props.selected);
  selected.current = props.selected;
  const n = props.series.length;

  const showSelection = (u: uPlot) => {
    const sel = selected.current;
    if (!sel) {
      u.setSelect({ left: 0, width: 0, top: 0, height: 0 }, false);
      return;
    }
    const left = Math.max(0, u.valToPos(sel[0], 'x'));
    const right = Math.min(u.over.clientWidth, u.valToPos(sel[1], 'x'));
    u.setSelect({ left, width: Math.max(0, right - left), top: 0, height: u.over.clientHeight }, false);
  };

  useEffect(() => {
    if (!box.current) return;
    const bars = (i: number) =>
      n === 2
        ? uPlot.paths.bars!({ size: [0.45, Infinity], align: i === 0 ? -1 : 1, gap: 1 })
        : uPlot.paths.bars!({ size: [0.9, Infinity], align: 0, gap: 1 });
    const opts: uPlot.Options = {
      width: box.current.clientWidth || 400,
      height: props.height ?? 160,
      scales: { x: { time: false, range: () => xRange.current } },
      series: [
        { label: 'response time', value: (_u, v) => (v == null ? '–' : fmtMs(v)) },
        ...props.series.map((s, i) => {
          const color = props.colors?.[i] ?? PALETTE[i % PALETTE.length];
          return { label: s.label, stroke: color, fill: color + 'aa', width: 1, paths: bars(i), points: { show: false } } as uPlot.Series;
        }),
      ],
      axes: [{ values: (_u, ticks) => ticks.map((t) => fmtMs(t)) }, { size: 40 }],
      cursor: { drag: { x: true, y: false, setScale: false } },
      hooks: {
        ready: [showSelection],
        setSelect: [
          (u) => {
            if (!onSelect.current || u.select.width < 3) return;
            const lo = u.posToVal(u.select.left, 'x');
            // A drag to the right edge takes everything up to the largest value.
            const right = u.select.left + u.select.width;
            const hi = right >= u.over.clientWidth - 3 ? xRange.current[1] * (1 + 1e-9) + 1e-9 : u.posToVal(right, 'x');
            onSelect.current([Math.max(0, lo), hi]);
          },
        ],
      },
    };
    const xs = props.edges.map((e) => e + step / 2);
    plot.current = new uPlot(opts, [xs, ...props.series.map((s) => s.values)] as uPlot.AlignedData, box.current);
    return () => {
      plot.current?.destroy();
      plot.current = null;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [n, props.height, props.series.map((s) => s.label).join('|')]);

  useEffect(() => {
    const u = plot.current;
    if (!u) return;
    const xs = props.edges.map((e) => e + step / 2);
    u.setData([xs, ...props.series.map((s) => s.values)] as uPlot.AlignedData);
    showSelection(u);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [props.edges, props.series, props.selected?.[0], props.selected?.[1]]);

  useWidth(box, (w) => plot.current?.setSize({ width: w, height: props.height ?? 160 }));
  return <div class="chart" data-testid={props.testId} ref={box} />;
}
