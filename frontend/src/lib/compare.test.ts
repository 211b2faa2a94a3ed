import { describe, expect, it } from 'vitest';
import { breakingPoint, compareCategories, defaultPair, setupLabel, setupOf, timesText, verdictLoad } from './compare';
import type { LoadStep, ResultCategory } from './results';

const step = (load: number, p50: number, p99: number, extra: Partial<LoadStep> = {}): LoadStep => ({
  additional_load: load,
  mean: p50,
  p50,
  p99,
  max: p99 * 2,
  cpu: { kafka: load / 10, 'command-handler': load / 20 },
  mem: { kafka: 400 },
  ...extra,
});

const franz: ResultCategory = {
  category: 'go-franz-linger0',
  runs: [step(0, 10, 20), step(500, 12, 30), step(1000, 14, 40), step(2000, 20, 90, { timeouts: 3 })],
  breaking_point: 2200,
};
const rdkafka: ResultCategory = {
  category: 'go-librdkafka-linger0',
  runs: [step(0, 11, 25), step(500, 15, 60), step(1000, 30, 100, { timeouts: 3 })],
  breaking_point: 1000,
};

describe('setupOf', () => {
  it('reads client and linger.ms off the name when the runs did not record them', () => {
    expect(setupOf(franz)).toEqual({ client: 'franz-go', settings: ['linger.ms=0'], recorded: false });
    expect(setupLabel({ ...rdkafka, category: 'go-librdkafka-linger5' })).toBe('librdkafka, linger.ms=5');
    expect(setupLabel({ category: 'steep', runs: [] })).toBe('steep');
  });

  it('prefers what the runs recorded', () => {
    const c: ResultCategory = { category: 'x', runs: [], run_details: [{ settings: { kafka_client: 'franz-go v1.20', linger_ms: '5', timeout: '5s' } }] };
    expect(setupOf(c)).toEqual({ client: 'franz-go', settings: ['linger.ms=5'], recorded: true });
  });
});

describe('compareCategories', () => {
  it('compares at every load both measured, with ratios, CPU and memory', () => {
    const c = compareCategories(franz, rdkafka);
    expect(c.loads.map((l) => l.load)).toEqual([0, 500, 1000]);
    expect(c.loads[2]!.p99).toEqual({ a: 40, b: 100, ratio: 2.5 });
    expect(c.loads[2]!.cpu.kafka).toEqual({ a: 100, b: 100, ratio: 1 });
    expect(c.loads[0]!.cpu.kafka).toEqual({ a: 0, b: 0 });
    expect(c.loads[0]!.anon).toEqual({});
    expect(c.breakingA).toBe(2200);
    expect(c.breakingB).toBe(1000);
  });

  it('compares memory without the page cache where both measured it', () => {
    const withAnon = (c: ResultCategory, kafka: number): ResultCategory => ({ ...c, runs: c.runs.map((s) => ({ ...s, anon: { kafka, 'command-handler': 5 } })) });
    const c = compareCategories(withAnon(franz, 300), { ...rdkafka, runs: rdkafka.runs.map((s) => ({ ...s, anon: { kafka: 450 } })) });
    expect(c.loads[1]!.anon).toEqual({ kafka: { a: 300, b: 450, ratio: 1.5 } });
  });

  it('gives the verdict in one line, whichever side is picked first', () => {
    const line = 'franz-go, linger.ms=0: p99 2.5× lower at 1,000 msg/s, breaks at 2.2× the load.';
    expect(compareCategories(franz, rdkafka).verdict).toBe(line);
    expect(compareCategories(rdkafka, franz).verdict).toBe(line);
  });

  it('speaks of the highest common load without 1,000 msg/s, and of a winner that breaks sooner', () => {
    const a: ResultCategory = { category: 'A', runs: [step(0, 10, 20), step(750, 10, 20)], breaking_point: 750 };
    const b: ResultCategory = { category: 'B', runs: [step(0, 10, 30), step(750, 10, 50)], breaking_point: 1500 };
    expect(compareCategories(a, b).verdict).toBe('A: p99 2.5× lower at 750 msg/s, but breaks sooner, at 0.5× the load.');
  });

  it('says when there is nothing to compare', () => {
    const a: ResultCategory = { category: 'A', runs: [step(0, 10, 20)] };
    const b: ResultCategory = { category: 'B', runs: [step(100, 10, 20)] };
    expect(compareCategories(a, b).verdict).toBe('A and B measured no load in common.');
    expect(compareCategories(a, a).verdict).toBe('Both are A: pick two different categories.');
    expect(compareCategories(a, { ...a, category: 'C', runs: [step(0, 10, 20.5)] }).verdict).toBe('A: p99 about the same as C at 0 msg/s, neither broke within the loads run.');
  });
});

describe('defaultPair', () => {
  it('picks two categories with loads that name different clients', () => {
    const steep: ResultCategory = { category: 'steep', runs: [step(0, 1, 2), step(250, 1, 2)] };
    const noLoad: ResultCategory = { category: 'go-librdkafka-noload', runs: [step(0, 1, 2)] };
    const franz5: ResultCategory = { ...franz, category: 'go-franz-linger5' };
    expect(defaultPair([steep, noLoad, franz5, franz, rdkafka])).toEqual(['go-franz-linger5', 'go-librdkafka-linger0']);
    expect(defaultPair([steep, noLoad, franz])).toEqual(['steep', 'go-franz-linger0']);
    expect(defaultPair([noLoad])).toEqual(['go-librdkafka-noload', 'go-librdkafka-noload']);
  });
});

describe('helpers', () => {
  it('picks 1,000 msg/s, else the highest', () => {
    expect(verdictLoad([0, 500, 1000, 1500])).toBe(1000);
    expect(verdictLoad([0, 500])).toBe(500);
    expect(verdictLoad([])).toBeUndefined();
  });

  it('formats ratios and finds breaking points', () => {
    expect(timesText(2.54)).toBe('2.5×');
    expect(timesText(12.4)).toBe('12×');
    expect(breakingPoint({ category: 'x', runs: [step(0, 1, 2), step(250, 1, 2, { timeouts: 1 })] })).toBe(250);
    expect(breakingPoint({ category: 'x', runs: [step(0, 1, 2)] })).toBeUndefined();
  });
});
