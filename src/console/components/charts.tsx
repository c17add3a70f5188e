import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

const PALETTE = ['#6cb6ff', '#ffa657', '#7ee787', '#f778ba', '#d2a8ff', '#ffdf5d', '#56d4dd', '#ff7b72', '#a5d6ff', '#e3b341'];

export interface TimeSeries {
  label: string;
  values: number[];
}

/** Keeps a uPlot instance in a container, resized with it and rebuilt when the shape changes. */
function usePlot(container: { current: HTMLDivElement | null }, build: (width: number) => uPlot | null, shapeKey: string, data: uPlot.AlignedData): void {
  const plot = useRef<uPlot | null>(null);
  useEffect(() => {
    const element = container.current;
    if (!element) return;
    plot.current = build(element.clientWidth || 300);
    const observer = new ResizeObserver(() => {
      if (plot.current && element.clientWidth > 0) plot.current.setSize({ width: element.clientWidth, height: plot.current.height });
    });
    observer.observe(element);
    return () => {
      observer.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, [shapeKey]);
  useEffect(() => {
    plot.current?.setData(data);
  }, [data]);
}

/**
 * Failures over time, one line per series (a service), times in UTC. A hidden table carries
 * the same numbers for screen readers.
 */
export function TimeChart({ times, series, title, height = 280 }: { times: number[]; series: TimeSeries[]; title: string; height?: number }) {
  const container = useRef<HTMLDivElement>(null);
  const data: uPlot.AlignedData = [times, ...series.map((s) => s.values)];
  const shapeKey = `${height}|${series.map((s) => s.label).join(',')}`;
  usePlot(
    container,
    (width) =>
      new uPlot(
        {
          width,
          height,
          tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
          legend: { live: false },
          cursor: { drag: { x: false, y: false } },
          scales: { y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
          axes: [
            { stroke: '#c9d1d9', grid: { stroke: '#30363d' }, ticks: { stroke: '#30363d' } },
            { stroke: '#c9d1d9', grid: { stroke: '#30363d' }, ticks: { stroke: '#30363d' } },
          ],
          series: [{}, ...series.map((s, i) => ({ label: s.label, stroke: PALETTE[i % PALETTE.length], width: 2, points: { show: false } }))],
        },
        data,
        container.current!,
      ),
    shapeKey,
    data,
  );
  return (
    <figure class="chart" data-testid="overview-chart" data-points={times.length * series.length}>
      <figcaption>{title}</figcaption>
      <div ref={container} role="img" aria-label={`${title}: ${series.map((s) => `${s.label} ${s.values.reduce((a, b) => a + b, 0)}`).join(', ')}`} />
      <table class="sr-only">
        <caption>{title}</caption>
        <thead>
          <tr>
            <th scope="col">Time (UTC)</th>
            {series.map((s) => (
              <th scope="col" key={s.label}>
                {s.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {times.map((t, i) => (
            <tr key={t}>
              <th scope="row">{new Date(t * 1000).toISOString()}</th>
              {series.map((s) => (
                <td key={s.label}>{s.values[i]}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}

/** A small line of per-minute counts, oldest first; no axes. */
export function Sparkline({ counts, label }: { counts: number[]; label: string }) {
  const container = useRef<HTMLDivElement>(null);
  const now = Math.floor(Date.now() / 60_000) * 60;
  const times = counts.map((_, i) => now - (counts.length - 1 - i) * 60);
  const data: uPlot.AlignedData = [times, counts];
  usePlot(
    container,
    () =>
      new uPlot(
        {
          width: 120,
          height: 28,
          legend: { show: false },
          cursor: { show: false },
          axes: [{ show: false }, { show: false }],
          scales: { x: { time: false }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
          series: [{}, { stroke: '#6cb6ff', fill: 'rgba(108,182,255,0.2)', width: 1.5, points: { show: false } }],
        },
        data,
        container.current!,
      ),
    'spark',
    data,
  );
  const total = counts.reduce((a, b) => a + b, 0);
  return <div class="sparkline" ref={container} role="img" aria-label={`${label}: ${total} in the last ${counts.length} minutes`} />;
}
