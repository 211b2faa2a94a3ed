import { Chart as ChartJS, Legend, LineController, LineElement, LinearScale, LogarithmicScale, PointElement, Tooltip } from 'chart.js';
import type { ChartData, ChartOptions, Plugin } from 'chart.js';
import { Line } from 'react-chartjs-2';
import { loadText } from '../../lib/compare';
import type { ResultCategory } from '../../lib/results';
import type { Metric } from '../../lib/resultsSummary';

ChartJS.register(LineController, LineElement, PointElement, LinearScale, LogarithmicScale, Tooltip, Legend);

// Lines of one statistic share a dash pattern across categories: p50 solid,
// p99 dashed, …; eight patterns, so each of up to eight hops has its own.
const DASHES: number[][] = [[], [7, 4], [2, 3], [10, 3, 2, 3], [4, 4], [12, 6], [1, 5], [8, 3, 2, 3, 2, 3]];

/** The legend of the line styles: which dash pattern is which statistic (p50, p99, each hop). */
function LineStyles({ stats }: { stats: string[] }) {
  return (
    <ul className="line-styles is-size-7 mb-2" id="line-styles" aria-label="Line styles">
      {stats.map((s, i) => (
        <li key={s}>
          <svg width="36" height="10" aria-hidden="true" focusable="false">
            <line x1="0" y1="5" x2="36" y2="5" stroke="#1f2937" strokeWidth="2" strokeDasharray={DASHES[i % DASHES.length]!.join(' ') || undefined} />
          </svg>{' '}
          {s}
        </li>
      ))}
    </ul>
  );
}

interface Marker {
  x: number;
  colour: string;
  label: string;
}

type Extra = { errorBars?: (number | undefined)[] };

/** Vertical lines at each category's breaking point, and standard-error bars on datasets that carry them. */
const markers: Plugin<'line', { breakingPoints?: Marker[] }> = {
  id: 'markers',
  afterDatasetsDraw(chart, _args, opts) {
    const { ctx, chartArea, scales } = chart;
    const x = scales.x!;
    const y = scales.y!;
    ctx.save();
    chart.data.datasets.forEach((ds, i) => {
      const bars = (ds as Extra).errorBars;
      if (!bars || !chart.isDatasetVisible(i)) return;
      ctx.strokeStyle = ds.borderColor as string;
      ctx.lineWidth = 1.5;
      (ds.data as { x: number; y: number }[]).forEach((p, j) => {
        const e = bars[j];
        if (!e) return;
        const px = x.getPixelForValue(p.x);
        const lo = y.getPixelForValue(Math.max(p.y - e, y.min));
        const hi = y.getPixelForValue(p.y + e);
        ctx.beginPath();
        ctx.moveTo(px, lo);
        ctx.lineTo(px, hi);
        ctx.moveTo(px - 4, lo);
        ctx.lineTo(px + 4, lo);
        ctx.moveTo(px - 4, hi);
        ctx.lineTo(px + 4, hi);
        ctx.stroke();
      });
    });
    (opts.breakingPoints ?? []).forEach((m, i) => {
      const px = x.getPixelForValue(m.x);
      if (px < chartArea.left || px > chartArea.right) return;
      ctx.strokeStyle = m.colour;
      ctx.fillStyle = m.colour;
      ctx.lineWidth = 2;
      ctx.setLineDash([5, 5]);
      ctx.beginPath();
      ctx.moveTo(px, chartArea.top);
      ctx.lineTo(px, chartArea.bottom);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.font = '12px sans-serif';
      ctx.textAlign = px > (chartArea.left + chartArea.right) / 2 ? 'right' : 'left';
      ctx.fillText(m.label, px + (ctx.textAlign === 'right' ? -4 : 4), chartArea.top + 14 + 15 * i);
    });
    ctx.restore();
  },
};

interface Props {
  metric: Metric;
  categories: readonly ResultCategory[];
  colour: Map<string, string>;
  log: boolean;
}

/** One metric of the chosen categories against the additional load; time-outs as crosses, breaking points as lines. */
export function ResultsChart({ metric, categories, colour, log }: Props) {
  const logScale = log && metric.logScale;
  const lines = categories.flatMap((c) => metric.lines(c).map((l) => ({ category: c.category, ...l })));
  const stats = [...new Set(lines.map((l) => l.stat))];
  if (lines.length === 0) return <p className="notification">None of the chosen runs with additional load has figures for this chart.</p>;
  const data: ChartData<'line', { x: number; y: number }[]> = {
    datasets: lines.map((l) => {
      const points = logScale ? l.points.filter((p) => p.y > 0) : l.points;
      const c = colour.get(l.category);
      return {
        label: stats.length > 1 ? `${l.category} · ${l.stat}` : l.category,
        data: points.map(({ x, y }) => ({ x, y })),
        errorBars: points.map((p) => p.error),
        borderColor: c,
        backgroundColor: c,
        borderDash: DASHES[stats.indexOf(l.stat) % DASHES.length],
        borderWidth: 2,
        // A step with time-outs is a large cross.
        pointStyle: points.map((p) => (p.timeouts ? 'crossRot' : 'circle')),
        pointRadius: points.map((p) => (p.timeouts ? 8 : 2.5)),
        pointBorderWidth: points.map((p) => (p.timeouts ? 3 : 1)),
        tension: 0,
      };
    }),
  };
  // Achieved load against what was asked: the diagonal is "as asked".
  if (metric.id === 'achieved') {
    const maxX = Math.max(...lines.flatMap((l) => l.points.map((p) => p.x)));
    data.datasets.push({
      label: 'as asked',
      data: [
        { x: 0, y: 0 },
        { x: maxX, y: maxX },
      ],
      borderColor: '#6b7280',
      backgroundColor: '#6b7280',
      borderDash: [3, 3],
      borderWidth: 1,
      pointRadius: 0,
    } as (typeof data.datasets)[number]);
  }
  const timeoutsAt = new Map<string, number>(lines.flatMap((l) => l.points.filter((p) => p.timeouts).map((p) => [`${l.category}@${p.x}`, p.timeouts!] as const)));
  const breakingPoints: Marker[] = categories.flatMap((c) => {
    const x = c.breaking_point ?? (c.runs.at(-1)?.timeouts ? c.runs.at(-1)!.additional_load : undefined);
    return x === undefined ? [] : [{ x, colour: colour.get(c.category)!, label: `breaking point ${loadText(x)}` }];
  });
  const options: ChartOptions<'line'> & { plugins: { markers: { breakingPoints: Marker[] } } } = {
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    parsing: false,
    interaction: { mode: 'nearest', intersect: false },
    plugins: {
      // One legend entry per category (the line styles are explained above the chart); a click hides all its lines.
      legend: {
        position: 'bottom',
        labels: {
          boxWidth: 24,
          generateLabels: (chart) =>
            categories
              .map((c) => ({ c, first: lines.findIndex((l) => l.category === c.category) }))
              .filter(({ first }) => first >= 0)
              .map(({ c, first }) => ({
                text: c.category,
                fillStyle: colour.get(c.category),
                strokeStyle: colour.get(c.category),
                lineWidth: 0,
                hidden: !chart.isDatasetVisible(first),
                datasetIndex: first,
              })),
        },
        onClick: (_e, item, legend) => {
          const chart = legend.chart;
          const category = lines[item.datasetIndex!]?.category;
          const show = !chart.isDatasetVisible(item.datasetIndex!);
          lines.forEach((l, i) => {
            if (l.category === category) chart.setDatasetVisibility(i, show);
          });
          chart.update();
        },
      },
      markers: { breakingPoints },
      tooltip: {
        callbacks: {
          label: (item) => {
            const ds = lines[item.datasetIndex];
            if (!ds) return `${item.dataset.label}: ${fmt(item.parsed.y ?? 0)}`;
            const e = (data.datasets[item.datasetIndex] as Extra).errorBars?.[item.dataIndex];
            const t = timeoutsAt.get(`${ds.category}@${item.parsed.x}`);
            return `${item.dataset.label}: ${fmt(item.parsed.y ?? 0)}${e ? ` ± ${fmt(e)}` : ''}${t ? ` (${t} time-out${t > 1 ? 's' : ''})` : ''}`;
          },
        },
      },
    },
    scales: {
      x: { type: 'linear', title: { display: true, text: 'additional load (heartbeat msg/s)' }, beginAtZero: true },
      y: logScale ? { type: 'logarithmic', title: { display: true, text: `${metric.unit} (log scale)` } } : { type: 'linear', beginAtZero: true, title: { display: true, text: metric.unit } },
    },
  };
  return (
    <>
      {stats.length > 1 && <LineStyles stats={stats} />}
      <div className="chart-box">
        <Line
          data={data}
          options={options}
          plugins={[markers as unknown as Plugin<'line'>]}
          role="img"
          aria-label={`${metric.label} (${metric.unit}) against additional load for ${categories.map((c) => c.category).join(', ')}; the figures are in the tables below`}
        />
      </div>
    </>
  );
}

export function fmt(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 100 ? Math.round(v).toLocaleString('en') : a >= 10 ? v.toFixed(1) : v.toFixed(2);
}
