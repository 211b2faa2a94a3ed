// Two categories of results side by side: which Kafka client and settings
// each measured, their ratios at the loads both reached, and a one-line
// verdict. Pure, no I/O.
import type { LoadStep, ResultCategory } from './results';

/** What a category measured: the Kafka client and the settings that shape its figures. */
export interface Setup {
  client?: string;
  /** e.g. ["linger.ms=5"]. */
  settings: string[];
  /** Whether the run recorded them (settings or versions of run_details), or they were read off the category's name. */
  recorded: boolean;
}

// Settings the load test may record (run_details[].settings or .versions),
// by the name the page shows them with.
const CLIENT_KEYS = ['kafka_client', 'client', 'KAFKA_CLIENT'];
const SETTING_KEYS: Record<string, string> = {
  linger_ms: 'linger.ms',
  'linger.ms': 'linger.ms',
  batch_size: 'batch size',
  batch_wait: 'batch wait',
  pipeline: 'pipeline',
  kafka_nodes: 'brokers',
};

/** A client's usual name: franz-go, librdkafka (confluent-kafka-go), … */
export function clientName(text: string): string | undefined {
  const t = text.toLowerCase();
  if (/franz/.test(t)) return 'franz-go';
  if (/librdkafka|confluent/.test(t)) return 'librdkafka';
  if (/sarama/.test(t)) return 'sarama';
  if (/segmentio|kafka-go/.test(t)) return 'kafka-go';
  return undefined;
}

/**
 * The setup of category c: what its runs recorded, else what its name says
 * ("go-franz-linger5" → franz-go, linger.ms=5), the way the committed
 * client comparison names its categories.
 */
export function setupOf(c: ResultCategory): Setup {
  const recorded: Record<string, string> = {};
  for (const run of c.run_details ?? []) {
    for (const [k, v] of Object.entries({ ...(run.versions ?? {}), ...(run.settings ?? {}) })) recorded[k] = String(v);
  }
  const clientKey = CLIENT_KEYS.find((k) => recorded[k]);
  if (clientKey) {
    const settings = Object.entries(SETTING_KEYS)
      .filter(([k]) => recorded[k] !== undefined)
      .map(([k, name]) => `${name}=${recorded[k]}`);
    return { client: clientName(recorded[clientKey]!) ?? recorded[clientKey], settings: [...new Set(settings)], recorded: true };
  }
  const settings: string[] = [];
  const linger = /linger[._-]?(?:ms)?[=_-]?(\d+)/i.exec(c.category);
  if (linger) settings.push(`linger.ms=${linger[1]}`);
  const client = clientName(c.category);
  return { ...(client ? { client } : {}), settings, recorded: false };
}

/** "franz-go, linger.ms=5", or the category's own name when it says nothing of a client. */
export function setupLabel(c: ResultCategory): string {
  const s = setupOf(c);
  return s.client ? [s.client, ...s.settings].join(', ') : c.category;
}

/** b's figure against a's: how many times a's it is (a ratio above 1: b is higher). */
export interface Pair {
  a: number;
  b: number;
  /** b / a; undefined when a is 0. */
  ratio?: number;
}

const pair = (a: number, b: number): Pair => ({ a, b, ...(a > 0 ? { ratio: b / a } : {}) });

export interface LoadComparison {
  load: number;
  p50: Pair;
  p99: Pair;
  cpu: Record<string, Pair>;
  mem: Record<string, Pair>;
  /** Memory without the page cache, where both measured it. */
  anon: Record<string, Pair>;
}

export interface Comparison {
  a: string;
  b: string;
  /** Every load both measured, lowest first. */
  loads: LoadComparison[];
  breakingA?: number;
  breakingB?: number;
  verdict: string;
}

/** Where runs stopped on time-outs: the recorded breaking point, or the last load when it had time-outs. */
export function breakingPoint(c: ResultCategory): number | undefined {
  if (c.breaking_point !== undefined) return c.breaking_point;
  const last = c.runs.at(-1);
  return last?.timeouts ? last.additional_load : undefined;
}

function perComponent(a: Record<string, number>, b: Record<string, number>): Record<string, Pair> {
  const out: Record<string, Pair> = {};
  for (const k of Object.keys(a).sort()) if (b[k] !== undefined) out[k] = pair(a[k]!, b[k]!);
  return out;
}

/** "1,000 msg/s". */
export const loadText = (load: number) => `${Math.round(load).toLocaleString('en-US')} msg/s`;

/** "2.5×", "12×". */
export const timesText = (r: number) => `${r >= 9.95 ? Math.round(r) : (Math.round(r * 10) / 10).toFixed(1)}×`;

/** The load a verdict speaks of: 1,000 msg/s when both measured it, else the highest load both measured. */
export function verdictLoad(loads: readonly number[]): number | undefined {
  if (loads.includes(1000)) return 1000;
  return loads.at(-1);
}

/** a against b at every load both measured, and the verdict. */
export function compareCategories(a: ResultCategory, b: ResultCategory): Comparison {
  const byLoad = new Map<number, LoadStep>(b.runs.map((s) => [s.additional_load, s]));
  const loads: LoadComparison[] = a.runs
    .filter((s) => byLoad.has(s.additional_load))
    .map((sa) => {
      const sb = byLoad.get(sa.additional_load)!;
      return {
        load: sa.additional_load,
        p50: pair(sa.p50, sb.p50),
        p99: pair(sa.p99, sb.p99),
        cpu: perComponent(sa.cpu, sb.cpu),
        mem: perComponent(sa.mem, sb.mem),
        anon: perComponent(sa.anon ?? {}, sb.anon ?? {}),
      };
    })
    .sort((x, y) => x.load - y.load);
  const breakingA = breakingPoint(a);
  const breakingB = breakingPoint(b);
  const out: Comparison = { a: setupLabel(a), b: setupLabel(b), loads, verdict: '' };
  if (breakingA !== undefined) out.breakingA = breakingA;
  if (breakingB !== undefined) out.breakingB = breakingB;
  out.verdict = verdict(out);
  return out;
}

/**
 * One line: who has the lower p99 at the verdict's load, by how much, and
 * how its breaking point compares: "franz-go: p99 2.5× lower at 1,000 msg/s,
 * breaks at 2.2× the load".
 */
export function verdict(c: Omit<Comparison, 'verdict'>): string {
  if (c.a === c.b) return `Both are ${c.a}: pick two different categories.`;
  const at = verdictLoad(c.loads.map((l) => l.load));
  const row = c.loads.find((l) => l.load === at);
  if (!row || row.p99.a <= 0 || row.p99.b <= 0) return `${c.a} and ${c.b} measured no load in common.`;
  const aWins = row.p99.a <= row.p99.b;
  const [winner, loser] = aWins ? [c.a, c.b] : [c.b, c.a];
  const ratio = aWins ? row.p99.b / row.p99.a : row.p99.a / row.p99.b;
  const latency = ratio < 1.05 ? `p99 about the same as ${loser} at ${loadText(row.load)}` : `p99 ${timesText(ratio)} lower at ${loadText(row.load)}`;
  const [own, other] = aWins ? [c.breakingA, c.breakingB] : [c.breakingB, c.breakingA];
  let breaks: string;
  if (own === undefined && other === undefined) breaks = 'neither broke within the loads run';
  else if (own === undefined) breaks = `does not break within the loads run, ${loser} breaks at ${loadText(other!)}`;
  else if (other === undefined) breaks = `breaks at ${loadText(own)}, ${loser} not within the loads run`;
  else if (other <= 0) breaks = `breaks at ${loadText(own)}`;
  else {
    const r = own / other;
    breaks = Math.abs(r - 1) < 0.05 ? 'breaks at about the same load' : r > 1 ? `breaks at ${timesText(r)} the load` : `but breaks sooner, at ${timesText(r)} the load`;
  }
  return `${winner}: ${latency}, ${breaks}.`;
}

/**
 * The two categories compared first: two with loads (not just a no-load
 * run) that name different Kafka clients when there are such, else the
 * first two with loads.
 */
export function defaultPair(categories: readonly ResultCategory[]): [string, string] {
  const withLoads = categories.filter((c) => c.runs.length > 1);
  const pool = withLoads.length >= 2 ? withLoads : categories;
  const named = pool.filter((c) => setupOf(c).client);
  for (const a of named) {
    const b = named.find((c) => setupOf(c).client !== setupOf(a).client);
    if (b) return [a.category, b.category];
  }
  return [pool[0]!.category, (pool[1] ?? pool[0]!).category];
}
