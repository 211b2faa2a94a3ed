import { describe, expect, it } from 'vitest';
import example from './__fixtures__/results-example.json';
import { parseResults } from './results';
import { defaultLoads, metrics, parseLoads, summarize, toCsv, valueAt } from './resultsSummary';

const categories = parseResults(example);

// A category in the newer format: breaking point, run details, feedback, hops.
const newer = parseResults([
  {
    category: 'EXAMPLE steep',
    breaking_point: 200,
    run_details: [{ driver: 'api', profile: 'steep', machine: { nproc: 2, cpu_model: 'EXAMPLE CPU' }, versions: { go: 'go1.26.8' }, settings: { timeout: '5s' } }],
    runs: [
      { additional_load: 0, count: 10, mean: 20, p50: 18, p99: 40, max: 50, min: 9, feedback: { mean: 10, p50: 9, p99: 30 }, hops: { 'gateway→kafka': 3, 'kafka→handler': 5 }, achieved_load: 0.5, throughput: 4, cpu: {}, mem: {} },
      { additional_load: 100, count: 10, mean: 60, p50: 50, p99: 100, max: 120, timeouts: 1, achieved_load: 99, cpu: {}, mem: {} },
      { additional_load: 200, count: 7, mean: 900, p50: 800, p99: 4000, max: 4900, timeouts: 3, cpu: {}, mem: {} },
    ],
  },
]);

describe('parseResults (newer fields)', () => {
  it('reads breaking point, run details, feedback and hops', () => {
    const c = newer[0]!;
    expect(c.breaking_point).toBe(200);
    expect(c.run_details![0]).toEqual({ driver: 'api', profile: 'steep', machine: { nproc: 2, cpu_model: 'EXAMPLE CPU' }, versions: { go: 'go1.26.8' }, settings: { timeout: '5s' } });
    expect(c.runs[0]).toMatchObject({ min: 9, feedback: { mean: 10, p50: 9, p99: 30 }, hops: { 'gateway→kafka': 3 }, achieved_load: 0.5, throughput: 4 });
    expect(c.runs[1]!.hops).toBeUndefined();
  });

  it('names a bad new field', () => {
    expect(() => parseResults([{ category: 'x', runs: [{ additional_load: 0, mean: 1, p50: 1, p99: 1, max: 1, feedback: { mean: 1 } }] }])).toThrow('results[0].runs[0].feedback: p50 is missing');
    expect(() => parseResults([{ category: 'x', runs: [{ additional_load: 0, mean: 1, p50: 1, p99: 1, max: 1, hops: { a: 'slow' } }] }])).toThrow('results[0].runs[0].hops.a: must be a number');
  });
});

describe('metrics', () => {
  it('offers only what the file has', () => {
    expect(metrics(categories).map((m) => m.id)).toEqual([
      'latency',
      'mean',
      'max',
      'timeouts',
      'cpu:command-handler',
      'cpu:graphql-endpoint',
      'cpu:kafka',
      'mem:command-handler',
      'mem:graphql-endpoint',
    ]);
    expect(metrics(newer).map((m) => m.id)).toEqual(['latency', 'mean', 'min', 'max', 'feedback', 'hops', 'timeouts', 'achieved', 'throughput']);
  });

  it('draws p50 and p99 together, time-outs on the points, error bars from the standard error', () => {
    const all = metrics(newer);
    const latency = all.find((m) => m.id === 'latency')!.lines(newer[0]!);
    expect(latency.map((l) => l.stat)).toEqual(['p50', 'p99']);
    expect(latency[1]!.points[2]).toEqual({ x: 200, y: 4000, timeouts: 3 });
    const mean = all.find((m) => m.id === 'mean')!.lines(categories[0]!);
    expect(mean[0]!.points[0]).toEqual({ x: 0, y: 320, error: 10 });
    const hops = all.find((m) => m.id === 'hops')!.lines(newer[0]!);
    expect(hops.map((l) => [l.stat, l.points])).toEqual([
      ['gateway→kafka', [{ x: 0, y: 3 }]],
      ['kafka→handler', [{ x: 0, y: 5 }]],
    ]);
  });
});

describe('memory without the page cache', () => {
  // The handler measured both ways, the gateway only resident (an older file).
  const both = parseResults([
    {
      category: 'EXAMPLE memory',
      runs: [
        { additional_load: 0, mean: 1, p50: 1, p99: 1, max: 1, cpu: {}, mem: { 'command-handler': 20.6, 'graphql-endpoint': 25.9 }, anon: { 'command-handler': 5.0 } },
        { additional_load: 1000, mean: 1, p50: 1, p99: 1, max: 1, cpu: {}, mem: { 'command-handler': 23.6 }, anon: { 'command-handler': 7.3 } },
      ],
    },
  ]);

  it('draws it beside the resident memory, where measured', () => {
    const all = metrics(both);
    const handler = all.find((m) => m.id === 'mem:command-handler')!.lines(both[0]!);
    expect(handler.map((l) => [l.stat, l.points.map((p) => p.y)])).toEqual([
      ['resident', [20.6, 23.6]],
      ['without page cache', [5.0, 7.3]],
    ]);
    const gateway = all.find((m) => m.id === 'mem:graphql-endpoint')!.lines(both[0]!);
    expect(gateway.map((l) => l.stat)).toEqual(['resident']);
  });

  it('gives it its own columns', () => {
    const lines = toCsv(both).split('\r\n');
    expect(lines[0]).toMatch(/,mem_mib:command-handler,mem_mib:graphql-endpoint,anon_mib:command-handler$/);
    expect(lines[1]!.endsWith(',20.6,25.9,5')).toBe(true);
    expect(lines[2]!.endsWith(',23.6,,7.3')).toBe(true);
  });

  it('names a bad value', () => {
    expect(() => parseResults([{ category: 'x', runs: [{ additional_load: 0, mean: 1, p50: 1, p99: 1, max: 1, anon: { kafka: 'lots' } }] }])).toThrow('results[0].runs[0].anon.kafka: must be a number');
  });
});

describe('valueAt', () => {
  const points = [
    { x: 0, y: 10 },
    { x: 100, y: 30 },
  ];
  it('is measured at a step, interpolated between steps, unknown outside', () => {
    expect(valueAt(points, 0)).toEqual({ value: 10, approx: false });
    expect(valueAt(points, 50)).toEqual({ value: 20, approx: true });
    expect(valueAt(points, 150)).toBeUndefined();
    expect(valueAt([], 0)).toBeUndefined();
  });
});

describe('summarize', () => {
  it('gives breaking point, p50/p99 at the chosen loads, time-outs and runs', () => {
    const [s] = summarize(newer, [0, 150, 300]);
    expect(s).toEqual({
      category: 'EXAMPLE steep',
      runs: 1,
      maxLoad: 200,
      breakingPoint: 200,
      at: [
        { load: 0, p50: { value: 18, approx: false }, p99: { value: 40, approx: false } },
        { load: 150, p50: { value: 425, approx: true }, p99: { value: 2050, approx: true } },
        { load: 300 },
      ],
      timeouts: 4,
      measured: 27,
    });
  });

  it('takes the last step as the breaking point of an older file that ended on time-outs, none otherwise', () => {
    const older = parseResults([{ category: 'o', runs: [{ additional_load: 10, mean: 1, p50: 1, p99: 1, max: 1, timeouts: 2 }] }]);
    expect(summarize(older, [])[0]!.breakingPoint).toBe(10);
    expect(summarize(categories, [])[0]!.breakingPoint).toBeUndefined();
    expect(summarize(categories, [])[0]!.runs).toBeUndefined();
  });

  it('compares by default at no load and the highest load all rising runs reached', () => {
    expect(defaultLoads(categories)).toEqual([0, 10]);
    expect(defaultLoads(newer)).toEqual([0, 200]);
    expect(defaultLoads(categories.slice(1))).toEqual([0]);
    expect(defaultLoads([])).toEqual([0]);
    // 1,000 msg/s when every category with loads reached it; no-load runs do not count.
    const upTo = (category: string, top: number) => ({ category, runs: [0, top / 2, top].map((l) => ({ ...newer[0]!.runs[0]!, additional_load: l })) });
    const noLoad = { category: 'noload', runs: [{ ...newer[0]!.runs[0]!, additional_load: 0 }] };
    expect(defaultLoads([upTo('a', 2500), upTo('b', 1750), noLoad])).toEqual([0, 1000, 1750]);
    expect(defaultLoads([upTo('a', 1000)])).toEqual([0, 1000]);
  });

  it('reads the loads a person types', () => {
    expect(parseLoads('500, 0 100;100')).toEqual([0, 100, 500]);
    expect(parseLoads('')).toEqual([]);
    expect(parseLoads('10, ten')).toBeNull();
    expect(parseLoads('-5')).toBeNull();
  });
});

describe('toCsv', () => {
  it('has a row per category and load, every component and hop as a column', () => {
    const lines = toCsv([...categories, ...newer]).split('\r\n');
    expect(lines[0]).toBe(
      'category,additional_load,count,samples,timeouts,errors,mean_ms,stderr_ms,min_ms,p50_ms,p90_ms,p99_ms,max_ms,feedback_p50_ms,feedback_p99_ms,achieved_load,throughput,consumer_lag,' +
        'cpu_pct:command-handler,cpu_pct:graphql-endpoint,cpu_pct:kafka,mem_mib:command-handler,mem_mib:graphql-endpoint,hop_ms:gateway→kafka,hop_ms:kafka→handler',
    );
    expect(lines).toHaveLength(1 + 2 + 1 + 3 + 1); // header, rows, the empty string after the last CRLF
    expect(lines[1]).toBe('EXAMPLE go linger.ms=5,0,60,,,,320,10,,300,400,600,650,,,,,,5,8,,20,34,,');
    expect(lines[4]).toBe('EXAMPLE steep,0,10,,,,20,,9,18,,40,50,9,30,0.5,4,,,,,,,3,5');
    expect(lines.at(-1)).toBe('');
  });

  it('quotes what needs quoting', () => {
    const csv = toCsv(parseResults([{ category: 'go, "fast"', runs: [{ additional_load: 0, mean: 1.23456, p50: 1, p99: 1, max: 1 }] }]));
    expect(csv.split('\r\n')[1]).toBe('"go, ""fast""",0,,,,,1.235,,,1,,1,1,,,,,');
  });
});
