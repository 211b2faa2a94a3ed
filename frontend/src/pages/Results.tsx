import { useEffect, useMemo, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { CompareTwo } from '../components/results/CompareTwo';
import { ResultsChart } from '../components/results/ResultsChart';
import { FigureTable, NoLoadRows, RunDetails, SummaryTable, hasLoads } from '../components/results/ResultTables';
import { defaultPair, setupLabel } from '../lib/compare';
import { comparisonUrl, resultsUrl } from '../lib/config';
import { type ResultCategory, ResultsFormatError, mergeResults, parseResults } from '../lib/results';
import { defaultLoads, metrics, parseLoads, summarize, toCsv } from '../lib/resultsSummary';

// Colour-blind-friendly (Okabe–Ito) colours, dark enough for lines on white; one per category.
const COLOURS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#8C6D00'];

type Loaded =
  | { kind: 'loading' }
  | { kind: 'none' }
  | { kind: 'error'; message: string }
  | { kind: 'ok'; categories: ResultCategory[]; comparison?: { url: string; error?: string } };

/** One results file: its categories, or null when there is none (404, or a server that answers every path with the page). */
async function fetchResults(url: string, signal: AbortSignal): Promise<ResultCategory[] | null> {
  const res = await fetch(url, { cache: 'no-cache', signal });
  if (res.status === 404) return null;
  if (!res.ok) throw new Error(`${url} answered ${res.status} ${res.statusText}`);
  if ((res.headers.get('content-type') ?? '').includes('text/html')) return null;
  try {
    return parseResults(await res.json());
  } catch (err) {
    throw err instanceof ResultsFormatError ? new Error(`${url} is not in the results format: ${err.message}`) : err;
  }
}

export function Results() {
  const [loaded, setLoaded] = useState<Loaded>({ kind: 'loading' });
  const url = resultsUrl();
  const second = comparisonUrl();

  useEffect(() => {
    const abort = new AbortController();
    // The second file (the committed client comparison) is optional: without it, or broken, the first still shows.
    const extra: Promise<{ categories: ResultCategory[]; error?: string }> = second
      ? fetchResults(second, abort.signal).then(
          (categories) => ({ categories: categories ?? [] }),
          (err: Error) => ({ categories: [] as ResultCategory[], error: err.message }),
        )
      : Promise.resolve({ categories: [] as ResultCategory[] });
    Promise.all([fetchResults(url, abort.signal), extra])
      .then(([main, more]) => {
        const categories = mergeResults(main ?? [], more.categories, 'client comparison');
        if (categories.length === 0) return setLoaded(more.error ? { kind: 'error', message: more.error } : { kind: 'none' });
        setLoaded({
          kind: 'ok',
          categories,
          ...(more.categories.length > 0 || more.error ? { comparison: { url: second, ...(more.error ? { error: more.error } : {}) } } : {}),
        });
      })
      .catch((err: Error) => {
        if (err.name !== 'AbortError') setLoaded({ kind: 'error', message: err.message });
      });
    return () => abort.abort();
  }, [url, second]);

  return (
    <>
      <h1 className="title">Load test results</h1>
      <p className="mb-4 measure">
        Each interaction of the load test is a deposit or a transfer; its latency is the time until the new transaction shows (on the
        client page for the browser driver, on the GraphQL stream for the API driver). The heartbeat adds background load in steps
        until three interactions take longer than the time-out: that load is the <em>breaking point</em>. Figures are grouped by the
        additional load. How it is measured: <Link to="/background#load-test">Background</Link>.
      </p>
      {loaded.kind === 'loading' && <p aria-busy="true">Loading results…</p>}
      {loaded.kind === 'none' && <NoResults url={url} />}
      {loaded.kind === 'error' && (
        <div className="notification is-danger is-light" role="alert">
          Could not read the results: {loaded.message}
        </div>
      )}
      {loaded.kind === 'ok' && loaded.comparison && (
        <p className={`help mb-3 ${loaded.comparison.error ? 'is-danger' : ''}`} id="comparison-source">
          {loaded.comparison.error
            ? `The client comparison could not be read: ${loaded.comparison.error}`
            : `With the committed client comparison (${loaded.comparison.url}) beside the figures of ${url}.`}
        </p>
      )}
      {loaded.kind === 'ok' && <Comparison categories={loaded.categories} url={url} />}
    </>
  );
}

function NoResults({ url }: { url: string }) {
  return (
    <div className="notification" id="no-results">
      <p className="mb-2">
        <strong>No results yet.</strong> The page reads <code>{url}</code> next to its own files. To make results, with the stack of{' '}
        <code>make up</code> running:
      </p>
      <pre className="mb-2 wraps">
        {`source .local/stack/env
go run ./loadtest run --profile quick --driver api     # about 3 minutes
go run ./loadtest report --out report results/*.jsonl
cp report/results.json frontend/dist/`}
      </pre>
      <p>
        <code>make up</code> shows the committed measurements of <code>docs/loadtest/</code> here; <code>make up RESULTS=report/results.json</code>{' '}
        shows your own.
      </p>
    </div>
  );
}

function Comparison({ categories, url }: { categories: ResultCategory[]; url: string }) {
  const [params, setParams] = useSearchParams();
  const colour = useMemo(() => new Map(categories.map((c, i) => [c.category, COLOURS[i % COLOURS.length]!])), [categories]);
  const hidden = new Set((params.get('hide') ?? '').split(',').filter(Boolean));
  const shown = categories.filter((c) => !hidden.has(c.category));
  const all = useMemo(() => metrics(categories), [categories]);
  const metric = all.find((m) => m.id === params.get('chart')) ?? all[0]!;
  const log = params.get('log') === '1';
  const [loadsText, setLoadsText] = useState(() => params.get('at') ?? defaultLoads(categories).join(', '));
  const loads = parseLoads(loadsText);
  const summary = summarize(shown, loads ?? []);
  const downloadCsv = () => {
    const href = URL.createObjectURL(new Blob([toCsv(shown)], { type: 'text/csv;charset=utf-8' }));
    const a = document.createElement('a');
    a.href = href;
    a.download = 'open-bank-results.csv';
    a.click();
    setTimeout(() => URL.revokeObjectURL(href), 10_000);
  };

  const setMany = (values: Record<string, string | null>) =>
    setParams(
      (p) => {
        const next = new URLSearchParams(p);
        for (const [key, value] of Object.entries(values)) {
          if (value === null || value === '') next.delete(key);
          else next.set(key, value);
        }
        return next;
      },
      { replace: true },
    );
  const set = (key: string, value: string | null) => setMany({ [key]: value });
  const pair = defaultPair(categories);
  // Runs without additional load are one point each: a row of their own, not a dot at x = 0.
  const charted = shown.filter(hasLoads);
  const noLoad = shown.filter((c) => !hasLoads(c));
  const toggle = (name: string) => {
    const next = new Set(hidden);
    if (next.has(name)) next.delete(name);
    else next.add(name);
    set('hide', [...next].join(','));
  };
  const chartLink = (id: string) => {
    const p = new URLSearchParams(params);
    p.set('chart', id);
    return `?${p.toString()}`;
  };
  const groups = [...new Set(all.map((m) => m.group))];

  return (
    <>
      <fieldset className="box">
        <legend className="label">Runs to compare</legend>
        <div className="columns is-multiline">
          {categories.map((c) => (
            <div className="column is-half-tablet is-one-third-desktop" key={c.category}>
              <label className="checkbox">
                <input type="checkbox" checked={!hidden.has(c.category)} onChange={() => toggle(c.category)} /> <span className="swatch" style={{ backgroundColor: colour.get(c.category) }} aria-hidden="true" />{' '}
                {c.category}
              </label>
              {setupLabel(c) !== c.category && <p className="help has-text-weight-semibold setup">{setupLabel(c)}</p>}
              {c.description && <p className="help">{c.description}</p>}
            </div>
          ))}
        </div>
      </fieldset>

      {shown.length === 0 ? (
        <p className="notification">Choose at least one run.</p>
      ) : (
        <>
          <section aria-labelledby="summary-title" className="mb-5">
            <div className="is-flex is-flex-wrap-wrap is-justify-content-space-between is-align-items-end mb-2" style={{ gap: '0.75rem' }}>
              <h2 className="title is-5 mb-0" id="summary-title">
                Summary
              </h2>
              <div className="field mb-0">
                <label className="label is-small" htmlFor="summary-loads">
                  Compare latency at loads (msg/s)
                </label>
                <div className="control">
                  <input
                    id="summary-loads"
                    className={`input is-small ${loads ? '' : 'is-danger'}`}
                    value={loadsText}
                    onChange={(e) => {
                      setLoadsText(e.target.value);
                      if (parseLoads(e.target.value)) set('at', e.target.value);
                    }}
                    aria-invalid={!loads}
                    aria-describedby="summary-loads-help"
                  />
                </div>
                <p className={`help ${loads ? '' : 'is-danger'}`} id="summary-loads-help">
                  {loads ? 'e.g. 0, 500, 1000; ≈ marks a figure between two measured loads' : 'Numbers of 0 or more, separated by commas'}
                </p>
              </div>
            </div>
            <SummaryTable rows={summary} colour={colour} />
          </section>

          {categories.length >= 2 && (
            <CompareTwo categories={categories} a={params.get('a') ?? pair[0]} b={params.get('b') ?? pair[1]} onPick={(a, b) => setMany({ a, b })} />
          )}

          <section aria-labelledby="chart-title" className="mb-5">
            <h2 className="title is-5" id="chart-title">
              Chart: {metric.label}
            </h2>
            <nav className="chart-picker mb-3" aria-label="Charts">
              {groups.map((g) => (
                <div className="chart-group" key={g}>
                  <span className="chart-group-name">{g}</span>
                  <ul>
                    {all
                      .filter((m) => m.group === g)
                      .map((m) => (
                        <li key={m.id}>
                          <Link to={chartLink(m.id)} replace className={`tag is-medium ${m.id === metric.id ? 'is-link' : 'is-white'}`} aria-current={m.id === metric.id ? 'page' : undefined} data-chart={m.id}>
                            {m.label.replace(/^(CPU|Memory) of /, '')}
                          </Link>
                        </li>
                      ))}
                  </ul>
                </div>
              ))}
            </nav>
            <div className="is-flex is-flex-wrap-wrap is-align-items-center mb-2" style={{ gap: '1rem' }}>
              <label className="checkbox">
                <input type="checkbox" id="log-scale" checked={log} disabled={!metric.logScale} onChange={(e) => set('log', e.target.checked ? '1' : null)} /> Log scale
              </label>
              <span className="is-size-7 has-text-grey-dark">
                {metric.id === 'mean' ? 'Bars: ± one standard error. ' : ''}
                {metric.id === 'achieved' ? 'Grey dotted: the load as asked. ' : ''}× marks a load with time-outs; a dashed upright line, the breaking point.
              </span>
              <a href={chartLink(metric.id)} className="is-size-7" id="chart-link">
                Link to this chart
              </a>
            </div>
            {charted.length > 0 ? (
              <ResultsChart metric={metric} categories={charted} colour={colour} log={log} />
            ) : (
              <p className="notification">Only runs without additional load are chosen: their figures are in the table below.</p>
            )}
            {noLoad.length > 0 && <NoLoadRows metric={metric} categories={noLoad} colour={colour} />}
          </section>

          <section aria-labelledby="details-title">
            <div className="is-flex is-flex-wrap-wrap is-justify-content-space-between is-align-items-center mb-3" style={{ gap: '0.75rem' }}>
              <h2 className="title is-5 mb-0" id="details-title">
                Figures and runs
              </h2>
              <div className="buttons mb-0">
                <button type="button" className="button is-small" onClick={downloadCsv} id="csv-download">
                  Download CSV
                </button>
                <a className="button is-small" href={url} download="results.json">
                  Download results.json
                </a>
              </div>
            </div>
            {shown.map((c) => (
              <details className="mb-4 category-details" key={c.category}>
                <summary className="has-text-weight-semibold">
                  <span className="swatch" style={{ backgroundColor: colour.get(c.category) }} aria-hidden="true" /> {c.category}
                </summary>
                <h3 className="title is-6 mt-3 mb-2">Runs</h3>
                <RunDetails category={c} />
                <h3 className="title is-6 mt-3 mb-2">Figures per load</h3>
                <FigureTable category={c} />
              </details>
            ))}
          </section>
        </>
      )}
    </>
  );
}
