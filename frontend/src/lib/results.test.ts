import { describe, expect, it } from 'vitest';
import example from './__fixtures__/results-example.json';
import { ResultsFormatError, componentNames, maxLoad, mergeResults, parseResults, series } from './results';

describe('parseResults (EXAMPLE fixture)', () => {
  const categories = parseResults(example);

  it('reads every category, rows sorted by additional load', () => {
    expect(categories.map((c) => c.category)).toEqual(['EXAMPLE go linger.ms=5', 'EXAMPLE go linger.ms=100']);
    expect(categories[0]!.runs.map((s) => s.additional_load)).toEqual([0, 10]);
    expect(categories[0]!.runs[0]).toMatchObject({ mean: 320, stderr: 10, p50: 300, p90: 400, p99: 600, max: 650, count: 60 });
    expect(categories[1]!.runs[0]!.stderr).toBeUndefined();
    expect(categories[1]!.runs[0]!.timeouts).toBe(0);
  });

  it('draws one line per category', () => {
    expect(series(categories, (s) => s.p99)).toEqual([
      { label: 'EXAMPLE go linger.ms=5', points: [{ x: 0, y: 600 }, { x: 10, y: 640 }] },
      { label: 'EXAMPLE go linger.ms=100', points: [{ x: 0, y: 700 }] },
    ]);
    expect(series(categories, (s) => s.cpu['kafka'])[0]!.points).toEqual([]);
  });

  it('knows the components and the highest load', () => {
    expect(componentNames(categories, 'cpu')).toEqual(['command-handler', 'graphql-endpoint', 'kafka']);
    expect(componentNames(categories, 'mem')).toEqual(['command-handler', 'graphql-endpoint']);
    expect(maxLoad(categories[0]!)).toBe(10);
    expect(maxLoad({ category: 'x', runs: [] })).toBeUndefined();
  });

  it('accepts no results', () => {
    expect(parseResults([])).toEqual([]);
  });
});

describe('parseResults refuses', () => {
  it.each([
    [{}, 'results: must be a list of categories'],
    [[{ runs: [] }], 'results[0]: category must be a non-empty text'],
    [[{ category: 'a' }], 'results[0]: runs must be a list'],
    [[{ category: 'a', runs: [{ additional_load: 0, mean: 1, p50: 1, max: 1 }] }], 'results[0].runs[0]: p99 is missing'],
    [[{ category: 'a', runs: [{ additional_load: 0, mean: '1', p50: 1, p99: 1, max: 1 }] }], 'results[0].runs[0]: mean must be a number'],
    [[{ category: 'a', runs: [{ additional_load: 0, mean: 1, p50: 1, p99: 1, max: 1, cpu: { x: 'high' } }] }], 'results[0].runs[0].cpu.x: must be a number'],
  ])('%j', (data, message) => {
    expect(() => parseResults(data)).toThrow(ResultsFormatError);
    expect(() => parseResults(data)).toThrow(message);
  });
});

describe('mergeResults', () => {
  it('appends the second file, renaming a category the first has', () => {
    const c = (category: string) => ({ category, runs: [] });
    expect(mergeResults([c('steep'), c('noload')], [c('go-franz-linger0'), c('steep')], 'clients').map((x) => x.category)).toEqual([
      'steep',
      'noload',
      'go-franz-linger0',
      'steep (clients)',
    ]);
  });
});
