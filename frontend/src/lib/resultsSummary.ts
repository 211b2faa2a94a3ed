// What the Results page derives from results.json: the metrics one can chart,
// a summary row per category at chosen loads, and the CSV export. Pure, no I/O.
import { type LoadStep, type ResultCategory, componentNames } from './results';

/** One line of a chart: a statistic of one category against the additional load. */
export interface Line {
  /** Which statistic, e.g. "p50"; lines of one statistic share a dash pattern. */
  stat: string;
  points: { x: number; y: number; error?: number; timeouts?: number }[];
}

/** A chart the metric picker offers. */
export interface Metric {
  id: string;
  label: string;
  /** The y axis title. */
  unit: string;
  /** The picker's group. */
  group: string;
  /** Whether a log scale makes sense (positive values). */
  logScale: boolean;
  lines: (c: ResultCategory) => Line[];
}

const stat = (name: string, c: ResultCategory, y: (s: LoadStep) => number | undefined, error?: (s: LoadStep) => number | undefined): Line => ({
  stat: name,
  points: c.runs.flatMap((s) => {
    const v = y(s);
    if (v === undefined) return [];
    const e = error?.(s);
    return [{ x: s.additional_load, y: v, ...(e !== undefined ? { error: e } : {}), ...(s.timeouts ? { timeouts: s.timeouts } : {}) }];
  }),
});

const nonEmpty = (lines: Line[]) => lines.filter((l) => l.points.length > 0);

/** Every metric some category in categories has figures for, in the picker's order. */
export function metrics(categories: readonly ResultCategory[]): Metric[] {
  const steps = categories.flatMap((c) => c.runs);
  const has = (f: (s: LoadStep) => unknown) => steps.some((s) => f(s) !== undefined);
  const out: Metric[] = [
    {
      id: 'latency',
      label: 'Latency p50 and p99',
      unit: 'ms until the transaction shows',
      group: 'Latency',
      logScale: true,
      lines: (c) => nonEmpty([stat('p50', c, (s) => s.p50), stat('p99', c, (s) => s.p99)]),
    },
    {
      id: 'mean',
      label: 'Mean latency ± standard error',
      unit: 'ms until the transaction shows',
      group: 'Latency',
      logScale: true,
      lines: (c) => nonEmpty([stat('mean', c, (s) => s.mean, (s) => s.stderr)]),
    },
  ];
  if (has((s) => s.min)) out.push({ id: 'min', label: 'Minimum latency', unit: 'ms', group: 'Latency', logScale: true, lines: (c) => nonEmpty([stat('min', c, (s) => s.min)]) });
  out.push({ id: 'max', label: 'Maximum latency', unit: 'ms', group: 'Latency', logScale: true, lines: (c) => nonEmpty([stat('max', c, (s) => s.max)]) });
  if (has((s) => s.feedback))
    out.push({
      id: 'feedback',
      label: 'Feedback latency p50 and p99',
      unit: "ms until the command's answer",
      group: 'Latency',
      logScale: true,
      lines: (c) => nonEmpty([stat('p50', c, (s) => s.feedback?.p50), stat('p99', c, (s) => s.feedback?.p99)]),
    });
  if (has((s) => s.hops))
    out.push({
      id: 'hops',
      label: 'Time per hop (mean)',
      unit: 'ms',
      group: 'Latency',
      logScale: true,
      lines: (c) => {
        const names = [...new Set(c.runs.flatMap((s) => Object.keys(s.hops ?? {})))].sort();
        return nonEmpty(names.map((h) => stat(h, c, (s) => s.hops?.[h])));
      },
    });
  out.push({ id: 'timeouts', label: 'Time-outs', unit: 'interactions over the time-out', group: 'Load', logScale: false, lines: (c) => nonEmpty([stat('time-outs', c, (s) => s.timeouts ?? 0)]) });
  if (has((s) => s.achieved_load))
    out.push({ id: 'achieved', label: 'Achieved load', unit: 'heartbeat msg/s measured', group: 'Load', logScale: false, lines: (c) => nonEmpty([stat('achieved', c, (s) => s.achieved_load)]) });
  if (has((s) => s.throughput))
    out.push({ id: 'throughput', label: 'Throughput of the load test', unit: 'interactions/s', group: 'Load', logScale: false, lines: (c) => nonEmpty([stat('throughput', c, (s) => s.throughput)]) });
  if (has((s) => s.consumer_lag))
    out.push({ id: 'lag', label: "Command handler's consumer lag", unit: 'records (mean)', group: 'Load', logScale: true, lines: (c) => nonEmpty([stat('lag', c, (s) => s.consumer_lag)]) });
  for (const name of componentNames(categories, 'cpu'))
    out.push({ id: `cpu:${name}`, label: `CPU of ${name}`, unit: '% of one core', group: 'CPU', logScale: false, lines: (c) => nonEmpty([stat('cpu', c, (s) => s.cpu[name])]) });
  // The resident line and, where measured, the one without the page cache (what the original counted).
  for (const name of componentNames(categories, 'mem'))
    out.push({
      id: `mem:${name}`,
      label: `Memory of ${name}`,
      unit: 'MiB',
      group: 'Memory',
      logScale: false,
      lines: (c) => nonEmpty([stat('resident', c, (s) => s.mem[name]), stat('without page cache', c, (s) => s.anon?.[name])]),
    });
  return out;
}

/** A figure at a load: measured there, or (approx) interpolated between the two measured loads around it. */
export interface ValueAt {
  value: number;
  approx: boolean;
}

/** y at load x from points sorted by x; undefined outside the measured range. */
export function valueAt(points: readonly { x: number; y: number }[], x: number): ValueAt | undefined {
  for (let i = 0; i < points.length; i++) {
    const p = points[i]!;
    if (p.x === x) return { value: p.y, approx: false };
    if (p.x > x) {
      if (i === 0) return undefined;
      const q = points[i - 1]!;
      return { value: q.y + ((p.y - q.y) * (x - q.x)) / (p.x - q.x), approx: true };
    }
  }
  return undefined;
}

export interface CategorySummary {
  category: string;
  /** Runs behind the figures (run_details), when the file says. */
  runs?: number;
  /** Highest additional load with figures. */
  maxLoad?: number;
  /** Where runs stopped on time-outs: breaking_point, else the highest load that had time-outs when the last step had them. */
  breakingPoint?: number;
  /** Per chosen load: p50 and p99 there. */
  at: { load: number; p50?: ValueAt; p99?: ValueAt }[];
  timeouts: number;
  /** Interactions measured (latencies), over all loads. */
  measured: number;
}

/** The summary table's row of each category, p50 and p99 at each of loads. */
export function summarize(categories: readonly ResultCategory[], loads: readonly number[]): CategorySummary[] {
  return categories.map((c) => {
    const p50 = c.runs.map((s) => ({ x: s.additional_load, y: s.p50 }));
    const p99 = c.runs.map((s) => ({ x: s.additional_load, y: s.p99 }));
    const last = c.runs[c.runs.length - 1];
    const out: CategorySummary = {
      category: c.category,
      at: loads.map((load) => {
        const a: CategorySummary['at'][number] = { load };
        const v50 = valueAt(p50, load);
        const v99 = valueAt(p99, load);
        if (v50) a.p50 = v50;
        if (v99) a.p99 = v99;
        return a;
      }),
      timeouts: c.runs.reduce((n, s) => n + (s.timeouts ?? 0), 0),
      measured: c.runs.reduce((n, s) => n + (s.count ?? 0), 0),
    };
    if (c.run_details) out.runs = c.run_details.length;
    if (last) out.maxLoad = last.additional_load;
    if (c.breaking_point !== undefined) out.breakingPoint = c.breaking_point;
    else if (last?.timeouts) out.breakingPoint = last.additional_load;
    return out;
  });
}

/**
 * Loads to compare at by default, from the data: none, 1,000 msg/s (the
 * load the comparisons speak of) when every category measured at more than
 * one load reached it, and the highest load all of those reached. Runs
 * without additional load (a single step at 0) do not pull this down: they
 * have their own row.
 */
export const REFERENCE_LOAD = 1000;
export function defaultLoads(categories: readonly ResultCategory[]): number[] {
  const reached = categories.filter((c) => c.runs.length > 1).map((c) => c.runs[c.runs.length - 1]!.additional_load);
  const common = reached.length > 0 ? Math.min(...reached) : 0;
  return [...new Set([0, ...(common >= REFERENCE_LOAD ? [REFERENCE_LOAD] : []), common])].sort((a, b) => a - b);
}

/** Reads "0, 500 1000" into sorted distinct loads; null when something is not a number ≥ 0. */
export function parseLoads(text: string): number[] | null {
  const parts = text.split(/[\s,;]+/).filter((p) => p !== '');
  const loads = parts.map(Number);
  if (loads.some((l) => !Number.isFinite(l) || l < 0)) return null;
  return [...new Set(loads)].sort((a, b) => a - b);
}

function csvCell(v: string | number | undefined): string {
  if (v === undefined) return '';
  const s = typeof v === 'number' ? String(Math.round(v * 1000) / 1000) : v;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Every figure, one row per category and additional load; RFC 4180 quoting, CRLF line ends. */
export function toCsv(categories: readonly ResultCategory[]): string {
  const cpu = componentNames(categories, 'cpu');
  const mem = componentNames(categories, 'mem');
  const anon = componentNames(categories, 'anon');
  const hops = [...new Set(categories.flatMap((c) => c.runs.flatMap((s) => Object.keys(s.hops ?? {}))))].sort();
  const header = [
    'category',
    'additional_load',
    'count',
    'samples',
    'timeouts',
    'errors',
    'mean_ms',
    'stderr_ms',
    'min_ms',
    'p50_ms',
    'p90_ms',
    'p99_ms',
    'max_ms',
    'feedback_p50_ms',
    'feedback_p99_ms',
    'achieved_load',
    'throughput',
    'consumer_lag',
    ...cpu.map((n) => `cpu_pct:${n}`),
    ...mem.map((n) => `mem_mib:${n}`),
    ...anon.map((n) => `anon_mib:${n}`),
    ...hops.map((n) => `hop_ms:${n}`),
  ];
  const rows = categories.flatMap((c) =>
    c.runs.map((s) => [
      c.category,
      s.additional_load,
      s.count,
      s.samples,
      s.timeouts,
      s.errors,
      s.mean,
      s.stderr,
      s.min,
      s.p50,
      s.p90,
      s.p99,
      s.max,
      s.feedback?.p50,
      s.feedback?.p99,
      s.achieved_load,
      s.throughput,
      s.consumer_lag,
      ...cpu.map((n) => s.cpu[n]),
      ...mem.map((n) => s.mem[n]),
      ...anon.map((n) => s.anon?.[n]),
      ...hops.map((n) => s.hops?.[n]),
    ]),
  );
  return [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}
