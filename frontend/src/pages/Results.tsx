import { CategoryScale, Chart as ChartJS, Legend, LineController, LineElement, LinearScale, PointElement, Title, Tooltip } from 'chart.js';
import type { ChartData, ChartOptions } from 'chart.js';
import { useEffect, useMemo, useState } from 'react';
import { Line } from 'react-chartjs-2';
import { resultsUrl } from '../lib/config';
import { type LoadStep, type ResultCategory, ResultsFormatError, componentNames, maxLoad, parseResults, series } from '../lib/results';

ChartJS.register(LineController, LineElement, PointElement, LinearScale, CategoryScale, Title, Tooltip, Legend);

// Colour-blind-friendly (Okabe–Ito) colours, one per compared category.
const COLOURS = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000'];

type Loaded = { kind: 'loading' } | { kind: 'none' } | { kind: 'error'; message: string } | { kind: 'ok'; categories: ResultCategory[] };

export function Results() {
  const [loaded, setLoaded] = useState<Loaded>({ kind: 'loading' });
  const url = resultsUrl();

  useEffect(() => {
    const abort = new AbortController();
    fetch(url, { cache: 'no-cache', signal: abort.signal })
      .then(async (res) => {
        if (res.status === 404) return setLoaded({ kind: 'none' });
        if (!res.ok) throw new Error(`${url} answered ${res.status} ${res.statusText}`);
        const type = res.headers.get('content-type') ?? '';
        // A server that answers every path with index.html has no results file.
        if (type.includes('text/html')) return setLoaded({ kind: 'none' });
        const categories = parseResults(await res.json());
        setLoaded(categories.length === 0 ? { kind: 'none' } : { kind: 'ok', categories });
      })
      .catch((err: Error) => {
        if (err.name === 'AbortError') return;
        const message = err instanceof ResultsFormatError ? `${url} is not in the results format: ${err.message}` : err.message;
        setLoaded({ kind: 'error', message });
      });
    return () => abort.abort();
  }, [url]);

  return (
    <>
      <h1 className="title">Load test results</h1>
      <p className="mb-4">
        Each interaction of the load test is a deposit or a transfer on the client page; its latency is the time until the new
        transaction shows. Every minute the heartbeat adds 10 messages a second of background load, until three interactions take
        longer than 5 s. Figures are grouped by that additional load.
      </p>
      {loaded.kind === 'loading' && <p aria-busy="true">Loading results…</p>}
      {loaded.kind === 'none' && (
        <div className="notification" id="no-results">
          <strong>No results yet.</strong> Run the load test (see the README, "Load test"); it writes its summary to{' '}
          <code>{url}</code> under the page's files.
        </div>
      )}
      {loaded.kind === 'error' && (
        <div className="notification is-danger is-light" role="alert">
          Could not read the results: {loaded.message}
        </div>
      )}
      {loaded.kind === 'ok' && <Comparison categories={loaded.categories} />}
    </>
  );
}

function Comparison({ categories }: { categories: ResultCategory[] }) {
  const [chosen, setChosen] = useState<Set<string>>(() => new Set(categories.slice(0, COLOURS.length).map((c) => c.category)));
  const colour = useMemo(() => new Map(categories.map((c, i) => [c.category, COLOURS[i % COLOURS.length]!])), [categories]);
  const shown = categories.filter((c) => chosen.has(c.category));
  const cpu = componentNames(shown, 'cpu');
  const mem = componentNames(shown, 'mem');

  const toggle = (name: string) =>
    setChosen((s) => {
      const next = new Set(s);
      if (next.has(name)) next.delete(name);
      else next.add(name);
      return next;
    });

  return (
    <>
      <fieldset className="box">
        <legend className="label">Runs to compare</legend>
        <div className="columns is-multiline">
          {categories.map((c) => (
            <div className="column is-half-tablet is-one-third-desktop" key={c.category}>
              <label className="checkbox">
                <input type="checkbox" checked={chosen.has(c.category)} onChange={() => toggle(c.category)} />{' '}
                <span className="tag" style={{ backgroundColor: colour.get(c.category), color: '#fff' }} aria-hidden="true">
                  &nbsp;
                </span>{' '}
                {c.category}
                <span className="has-text-grey is-size-7"> · up to {maxLoad(c) ?? 0} msg/s</span>
              </label>
              {c.description && <p className="help">{c.description}</p>}
            </div>
          ))}
        </div>
      </fieldset>

      {shown.length === 0 ? (
        <p className="notification">Choose at least one run.</p>
      ) : (
        <>
          <h2 className="title is-5">Latency</h2>
          <div className="columns is-multiline">
            <ChartBox title="Median latency (p50), ms" categories={shown} colour={colour} metric={(s) => s.p50} />
            <ChartBox title="99th percentile latency (p99), ms" categories={shown} colour={colour} metric={(s) => s.p99} />
            <ChartBox title="Mean latency, ms" categories={shown} colour={colour} metric={(s) => s.mean} />
            <ChartBox title="Maximum latency, ms" categories={shown} colour={colour} metric={(s) => s.max} />
          </div>
          {cpu.length > 0 && <h2 className="title is-5">CPU per component</h2>}
          <div className="columns is-multiline">
            {cpu.map((name) => (
              <ChartBox key={name} title={`CPU of ${name}, % of one core`} categories={shown} colour={colour} metric={(s) => s.cpu[name]} />
            ))}
          </div>
          {mem.length > 0 && <h2 className="title is-5">Memory per component</h2>}
          <div className="columns is-multiline">
            {mem.map((name) => (
              <ChartBox key={name} title={`Memory of ${name}, MiB`} categories={shown} colour={colour} metric={(s) => s.mem[name]} />
            ))}
          </div>
          <h2 className="title is-5">Figures</h2>
          {shown.map((c) => (
            <FigureTable key={c.category} category={c} />
          ))}
        </>
      )}
    </>
  );
}

function ChartBox({ title, categories, colour, metric }: { title: string; categories: ResultCategory[]; colour: Map<string, string>; metric: (s: LoadStep) => number | undefined }) {
  const lines = series(categories, metric).filter((l) => l.points.length > 0);
  if (lines.length === 0) return null;
  const data: ChartData<'line', { x: number; y: number }[]> = {
    datasets: lines.map((l) => ({
      label: l.label,
      data: l.points,
      borderColor: colour.get(l.label),
      backgroundColor: colour.get(l.label),
      pointRadius: 3,
      tension: 0.1,
    })),
  };
  const options: ChartOptions<'line'> = {
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    parsing: false,
    plugins: { title: { display: true, text: title }, legend: { position: 'bottom' } },
    scales: {
      x: { type: 'linear', title: { display: true, text: 'additional load (msg/s)' }, beginAtZero: true },
      y: { beginAtZero: true },
    },
  };
  return (
    <div className="column is-half-desktop">
      <div className="chart-box">
        <Line data={data} options={options} role="img" aria-label={`${title} against additional load; the figures are in the tables below`} />
      </div>
    </div>
  );
}

const ms = (v: number | undefined) => (v === undefined ? '–' : Math.round(v).toString());

function FigureTable({ category }: { category: ResultCategory }) {
  const cpu = componentNames([category], 'cpu');
  const mem = componentNames([category], 'mem');
  return (
    <details className="mb-4">
      <summary className="has-text-weight-semibold">{category.category}</summary>
      <div className="table-container">
        <table className="table is-narrow is-striped is-size-7">
          <caption className="is-sr-only">Figures of {category.category} per additional load</caption>
          <thead>
            <tr>
              <th scope="col">load msg/s</th>
              <th scope="col">n</th>
              <th scope="col">mean ms</th>
              <th scope="col">± stderr</th>
              <th scope="col">p50</th>
              <th scope="col">p90</th>
              <th scope="col">p99</th>
              <th scope="col">max</th>
              {cpu.map((n) => (
                <th scope="col" key={`c${n}`}>
                  CPU % {n}
                </th>
              ))}
              {mem.map((n) => (
                <th scope="col" key={`m${n}`}>
                  MiB {n}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {category.runs.map((s) => (
              <tr key={s.additional_load}>
                <th scope="row">{s.additional_load}</th>
                <td>{s.count ?? '–'}</td>
                <td>{ms(s.mean)}</td>
                <td>{ms(s.stderr)}</td>
                <td>{ms(s.p50)}</td>
                <td>{ms(s.p90)}</td>
                <td>{ms(s.p99)}</td>
                <td>{ms(s.max)}</td>
                {cpu.map((n) => (
                  <td key={`c${n}`}>{s.cpu[n]?.toFixed(1) ?? '–'}</td>
                ))}
                {mem.map((n) => (
                  <td key={`m${n}`}>{s.mem[n]?.toFixed(1) ?? '–'}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </details>
  );
}
