// The load test's summary, as the Results page reads it from
// results.json beside index.html (see README "Results format"): one entry per compared
// setup (category), each with one row per step of additional heartbeat load.

/** Figures of one category at one additional load. Latencies in milliseconds. */
export interface LoadStep {
  /** Heartbeat messages per second on top of the client's own interactions. */
  additional_load: number;
  /** Measurements behind this row (optional). */
  count?: number;
  mean: number;
  /** Standard error of the mean (optional). */
  stderr?: number;
  p50: number;
  p90?: number;
  p99: number;
  max: number;
  /** Interactions that took longer than the time-out (optional). */
  timeouts?: number;
  /** Mean CPU use per component, percent of one core. */
  cpu: Record<string, number>;
  /** Mean resident memory per component, MiB. */
  mem: Record<string, number>;
  /** Mean memory per component without the page cache (anonymous), MiB: what the original's figures count (optional). */
  anon?: Record<string, number>;
  /** Fastest measured latency (optional, as every field below). */
  min?: number;
  /** Interactions at this load, time-outs and errors included. */
  samples?: number;
  errors?: number;
  /** Time until the command's answer (the API driver measures it). */
  feedback?: Feedback;
  /** The heartbeat's measured rate, msg/s. */
  achieved_load?: number;
  /** The load test's own interactions per second. */
  throughput?: number;
  consumer_lag?: number;
  generator_lag?: number;
  /** Mean time per hop in ms, e.g. {"gateway→kafka": 3.1}; only when the run measured hops. */
  hops?: Record<string, number>;
}

export interface Feedback {
  count?: number;
  mean: number;
  stderr?: number;
  p50: number;
  p99: number;
  min?: number;
  max?: number;
}

/** One run of a category: where, with what and how it ran. Every field is optional. */
export interface RunDetail {
  file?: string;
  category?: string;
  driver?: string;
  profile?: string;
  started?: string;
  end_reason?: string;
  loops?: number;
  breaking_load?: number;
  machine?: Record<string, string | number | boolean>;
  versions?: Record<string, string | number | boolean>;
  settings?: Record<string, string>;
}

export interface ResultCategory {
  /** What was measured, e.g. "go, linger.ms=5, 1 broker". */
  category: string;
  description?: string;
  runs: LoadStep[];
  /** Mean additional load at which runs stopped on time-outs (optional). */
  breaking_point?: number;
  run_details?: RunDetail[];
}

export class ResultsFormatError extends Error {}

function fail(where: string, what: string): never {
  throw new ResultsFormatError(`${where}: ${what}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function num(obj: Record<string, unknown>, key: string, where: string, optional: true): number | undefined;
function num(obj: Record<string, unknown>, key: string, where: string, optional?: false): number;
function num(obj: Record<string, unknown>, key: string, where: string, optional = false): number | undefined {
  const v = obj[key];
  if (v === undefined || v === null) {
    if (optional) return undefined;
    fail(where, `${key} is missing`);
  }
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(where, `${key} must be a number`);
  return v;
}

function perComponent(v: unknown, where: string): Record<string, number> {
  if (v === undefined || v === null) return {};
  if (!isObject(v)) fail(where, 'must map component names to numbers');
  const out: Record<string, number> = {};
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== 'number' || !Number.isFinite(x)) fail(`${where}.${k}`, 'must be a number');
    out[k] = x;
  }
  return out;
}

function feedback(v: unknown, where: string): Feedback {
  if (!isObject(v)) fail(where, 'must be an object');
  const f: Feedback = { mean: num(v, 'mean', where), p50: num(v, 'p50', where), p99: num(v, 'p99', where) };
  for (const key of ['count', 'stderr', 'min', 'max'] as const) {
    const x = num(v, key, where, true);
    if (x !== undefined) f[key] = x;
  }
  return f;
}

function flat(v: unknown, where: string): Record<string, string | number | boolean> {
  if (!isObject(v)) fail(where, 'must be an object');
  const out: Record<string, string | number | boolean> = {};
  for (const [k, x] of Object.entries(v)) if (typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean') out[k] = x;
  return out;
}

function runDetail(v: unknown, where: string): RunDetail {
  if (!isObject(v)) fail(where, 'must be an object');
  const d: RunDetail = {};
  for (const key of ['file', 'category', 'driver', 'profile', 'started', 'end_reason'] as const) if (typeof v[key] === 'string') d[key] = v[key];
  for (const key of ['loops', 'breaking_load'] as const) {
    const x = num(v, key, where, true);
    if (x !== undefined) d[key] = x;
  }
  if (v.machine != null) d.machine = flat(v.machine, `${where}.machine`);
  if (v.versions != null) d.versions = flat(v.versions, `${where}.versions`);
  if (v.settings != null) {
    const s = flat(v.settings, `${where}.settings`);
    d.settings = Object.fromEntries(Object.entries(s).map(([k, x]) => [k, String(x)]));
  }
  return d;
}

/** Checks and reads results.json; throws ResultsFormatError naming the first bad field. */
export function parseResults(data: unknown): ResultCategory[] {
  if (!Array.isArray(data)) fail('results', 'must be a list of categories');
  return data.map((c, i): ResultCategory => {
    const where = `results[${i}]`;
    if (!isObject(c)) fail(where, 'must be an object');
    if (typeof c.category !== 'string' || c.category.trim() === '') fail(where, 'category must be a non-empty text');
    if (!Array.isArray(c.runs)) fail(where, 'runs must be a list');
    const runs = c.runs.map((r, j): LoadStep => {
      const at = `${where}.runs[${j}]`;
      if (!isObject(r)) fail(at, 'must be an object');
      const step: LoadStep = {
        additional_load: num(r, 'additional_load', at),
        mean: num(r, 'mean', at),
        p50: num(r, 'p50', at),
        p99: num(r, 'p99', at),
        max: num(r, 'max', at),
        cpu: perComponent(r.cpu, `${at}.cpu`),
        mem: perComponent(r.mem, `${at}.mem`),
      };
      for (const key of ['count', 'stderr', 'p90', 'timeouts', 'min', 'samples', 'errors', 'achieved_load', 'throughput', 'consumer_lag', 'generator_lag'] as const) {
        const v = num(r, key, at, true);
        if (v !== undefined) step[key] = v;
      }
      if (r.feedback !== undefined && r.feedback !== null) step.feedback = feedback(r.feedback, `${at}.feedback`);
      if (r.hops !== undefined && r.hops !== null) {
        const hops = perComponent(r.hops, `${at}.hops`);
        if (Object.keys(hops).length > 0) step.hops = hops;
      }
      if (r.anon !== undefined && r.anon !== null) {
        const anon = perComponent(r.anon, `${at}.anon`);
        if (Object.keys(anon).length > 0) step.anon = anon;
      }
      return step;
    });
    runs.sort((a, b) => a.additional_load - b.additional_load);
    const out: ResultCategory = { category: c.category, runs };
    if (typeof c.description === 'string') out.description = c.description;
    const breaking = num(c, 'breaking_point', where, true);
    if (breaking !== undefined) out.breaking_point = breaking;
    if (Array.isArray(c.run_details)) out.run_details = c.run_details.map((d, j) => runDetail(d, `${where}.run_details[${j}]`));
    return out;
  });
}

export interface Point {
  x: number;
  y: number;
}

/** One line per category: metric against additional load, steps without the metric left out. */
export function series(categories: readonly ResultCategory[], metric: (s: LoadStep) => number | undefined): { label: string; points: Point[] }[] {
  return categories.map((c) => ({
    label: c.category,
    points: c.runs.flatMap((s) => {
      const y = metric(s);
      return y === undefined ? [] : [{ x: s.additional_load, y }];
    }),
  }));
}

/** What the memory without the page cache is, for a column's title. */
export const ANON_MEANING = 'without the page cache (the mapped program), as the original counted';

/** Every component that has a figure of kind in any category, sorted. */
export function componentNames(categories: readonly ResultCategory[], kind: 'cpu' | 'mem' | 'anon'): string[] {
  const names = new Set<string>();
  for (const c of categories) for (const s of c.runs) for (const k of Object.keys(s[kind] ?? {})) names.add(k);
  return [...names].sort();
}

/** The highest additional load each category reached (where it broke, for a run that ended on time-outs). */
export function maxLoad(c: ResultCategory): number | undefined {
  return c.runs.length === 0 ? undefined : c.runs[c.runs.length - 1]!.additional_load;
}

/**
 * The categories of two results files as one list: the second's after the
 * first's, one whose name the first already has renamed "name (label)", so
 * each category stays one line, one colour, one row.
 */
export function mergeResults(first: readonly ResultCategory[], second: readonly ResultCategory[], label: string): ResultCategory[] {
  const names = new Set(first.map((c) => c.category));
  return [...first, ...second.map((c) => (names.has(c.category) ? { ...c, category: `${c.category} (${label})` } : c))];
}
