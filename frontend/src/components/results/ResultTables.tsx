import { loadText } from '../../lib/compare';
import type { ResultCategory, RunDetail } from '../../lib/results';
import { ANON_MEANING, componentNames } from '../../lib/results';
import type { CategorySummary, Metric, ValueAt } from '../../lib/resultsSummary';
import { ScrollBox } from '../ScrollBox';
import { fmt } from './ResultsChart';

const ms = (v: number | undefined) => (v === undefined ? '–' : fmt(v));

function At({ v }: { v?: ValueAt }) {
  if (!v) return <span title="not measured at this load">–</span>;
  return v.approx ? <span title="between two measured loads (interpolated)">≈{fmt(v.value)}</span> : <>{fmt(v.value)}</>;
}

/** One row per category: how far it got and how fast it was at the chosen loads. */
export function SummaryTable({ rows, colour }: { rows: CategorySummary[]; colour: Map<string, string> }) {
  const loads = rows[0]?.at.map((a) => a.load) ?? [];
  return (
    <ScrollBox label="Summary per category">
      <table className="table is-fullwidth is-narrow is-hoverable summary" id="results-summary">
        <caption className="is-sr-only">Summary per category: runs, highest load, breaking point, latency at the chosen loads, time-outs</caption>
        <thead>
          <tr>
            <th scope="col">Category</th>
            <th scope="col" className="has-text-right">
              Runs
            </th>
            <th scope="col" className="has-text-right">
              Highest load
            </th>
            <th scope="col" className="has-text-right">
              Breaking point
            </th>
            {loads.map((l) => (
              <th scope="col" className="has-text-right" key={l}>
                p50 / p99 ms
                <br />
                <span className="has-text-weight-normal nowrap">at {loadText(l)}</span>
              </th>
            ))}
            <th scope="col" className="has-text-right">
              Time-outs
            </th>
            <th scope="col" className="has-text-right">
              Measured
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.category}>
              <th scope="row">
                <span className="swatch" style={{ backgroundColor: colour.get(r.category) }} aria-hidden="true" /> {r.category}
              </th>
              <td className="has-text-right">{r.runs ?? '–'}</td>
              <td className="has-text-right nowrap">{r.maxLoad === undefined ? '–' : loadText(r.maxLoad)}</td>
              <td className="has-text-right nowrap breaking-point">{r.breakingPoint === undefined ? 'not reached' : loadText(r.breakingPoint)}</td>
              {r.at.map((a) => (
                <td className="has-text-right nowrap" key={a.load}>
                  <At v={a.p50} /> / <At v={a.p99} />
                </td>
              ))}
              <td className="has-text-right">{r.timeouts}</td>
              <td className="has-text-right">{r.measured}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </ScrollBox>
  );
}

function when(iso?: string) {
  if (!iso) return '–';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
}

function machine(m?: RunDetail['machine']) {
  if (!m) return '–';
  const mem = typeof m.memory_mib === 'number' ? `${Math.round(m.memory_mib / 1024)} GiB` : undefined;
  return [m.nproc !== undefined ? `${m.nproc} CPU${m.nproc === 1 ? '' : 's'}` : undefined, m.cpu_model, mem, m.os && m.arch ? `${m.os}/${m.arch}` : undefined, m.kernel && `kernel ${m.kernel}`]
    .filter(Boolean)
    .join(', ');
}

function versions(v?: RunDetail['versions']) {
  if (!v) return '–';
  const commit = typeof v.git_commit === 'string' ? `commit ${v.git_commit.slice(0, 10)}${v.git_dirty ? ' (with local changes)' : ''}` : undefined;
  return [v.go, v.chromium, commit].filter(Boolean).join(', ');
}

/** Each run of a category: where it ran, with what, with which settings, and how it ended. */
export function RunDetails({ category }: { category: ResultCategory }) {
  const runs = category.run_details ?? [];
  if (runs.length === 0) return <p className="has-text-grey-dark is-size-7">This results file does not say how the runs were made.</p>;
  return (
    <ScrollBox label={`Runs of ${category.category}`}>
      <table className="table is-narrow is-size-7 run-details">
        <caption className="is-sr-only">Runs of {category.category}</caption>
        <thead>
          <tr>
            <th scope="col">Started</th>
            <th scope="col">Driver, profile</th>
            <th scope="col">Ended</th>
            <th scope="col">Machine</th>
            <th scope="col">Versions</th>
            <th scope="col">Settings</th>
          </tr>
        </thead>
        <tbody>
          {runs.map((r, i) => (
            <tr key={r.file ?? i}>
              <td className="nowrap">{when(r.started)}</td>
              <td>
                {r.driver ?? '–'}, {r.profile ?? '–'}
              </td>
              <td>
                {r.end_reason || 'cut off'}
                {r.loops !== undefined && ` after ${r.loops} loops`}
                {r.breaking_load !== undefined && ` at ${r.breaking_load} msg/s`}
              </td>
              <td>{machine(r.machine)}</td>
              <td>{versions(r.versions)}</td>
              <td>
                {r.settings ? (
                  <details>
                    <summary>{Object.keys(r.settings).length} settings</summary>
                    <dl className="settings">
                      {Object.entries(r.settings)
                        .sort(([a], [b]) => a.localeCompare(b))
                        .map(([k, v]) => (
                          <div key={k}>
                            <dt>{k}</dt>
                            <dd>{v || '–'}</dd>
                          </div>
                        ))}
                    </dl>
                  </details>
                ) : (
                  '–'
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </ScrollBox>
  );
}

/** Every figure of a category, one row per additional load. */
export function FigureTable({ category }: { category: ResultCategory }) {
  const cpu = componentNames([category], 'cpu');
  const mem = componentNames([category], 'mem');
  const anon = componentNames([category], 'anon');
  const hops = [...new Set(category.runs.flatMap((s) => Object.keys(s.hops ?? {})))].sort();
  const has = (k: 'min' | 'feedback' | 'achieved_load' | 'throughput') => category.runs.some((s) => s[k] !== undefined);
  return (
    <ScrollBox label={`Figures of ${category.category} per load`}>
      <table className="table is-narrow is-striped is-size-7 figures">
        <caption className="is-sr-only">Figures of {category.category} per additional load</caption>
        <thead>
          <tr>
            <th scope="col">load msg/s</th>
            {has('achieved_load') && <th scope="col">achieved msg/s</th>}
            <th scope="col">n</th>
            <th scope="col">time-outs</th>
            <th scope="col">mean ms</th>
            <th scope="col">± stderr</th>
            {has('min') && <th scope="col">min</th>}
            <th scope="col">p50</th>
            <th scope="col">p90</th>
            <th scope="col">p99</th>
            <th scope="col">max</th>
            {has('feedback') && <th scope="col">feedback p50 / p99</th>}
            {has('throughput') && <th scope="col">interactions/s</th>}
            {hops.map((h) => (
              <th scope="col" key={`h${h}`}>
                {h} ms
              </th>
            ))}
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
            {anon.map((n) => (
              <th scope="col" key={`a${n}`} title={ANON_MEANING}>
                MiB {n} without page cache
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {category.runs.map((s) => (
            <tr key={s.additional_load}>
              <th scope="row">{s.additional_load}</th>
              {has('achieved_load') && <td>{ms(s.achieved_load)}</td>}
              <td>{s.count ?? '–'}</td>
              <td className={s.timeouts ? 'has-text-danger-dark has-text-weight-bold' : ''}>{s.timeouts ?? '–'}</td>
              <td>{ms(s.mean)}</td>
              <td>{ms(s.stderr)}</td>
              {has('min') && <td>{ms(s.min)}</td>}
              <td>{ms(s.p50)}</td>
              <td>{ms(s.p90)}</td>
              <td>{ms(s.p99)}</td>
              <td>{ms(s.max)}</td>
              {has('feedback') && <td className="nowrap">{s.feedback ? `${fmt(s.feedback.p50)} / ${fmt(s.feedback.p99)}` : '–'}</td>}
              {has('throughput') && <td>{ms(s.throughput)}</td>}
              {hops.map((h) => (
                <td key={`h${h}`}>{ms(s.hops?.[h])}</td>
              ))}
              {cpu.map((n) => (
                <td key={`c${n}`}>{s.cpu[n]?.toFixed(1) ?? '–'}</td>
              ))}
              {mem.map((n) => (
                <td key={`m${n}`}>{s.mem[n]?.toFixed(1) ?? '–'}</td>
              ))}
              {anon.map((n) => (
                <td key={`a${n}`}>{s.anon?.[n]?.toFixed(1) ?? '–'}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </ScrollBox>
  );
}

/** Whether a category measured at some additional load (not only at none). */
export function hasLoads(c: ResultCategory): boolean {
  return c.runs.some((s) => s.additional_load > 0);
}

/** Runs without additional load, for the chosen chart: a row each with its figures, where a chart would show a lone dot. */
export function NoLoadRows({ metric, categories, colour }: { metric: Metric; categories: readonly ResultCategory[]; colour: Map<string, string> }) {
  const rows = categories.map((c) => ({ c, lines: metric.lines(c) }));
  const stats = [...new Set(rows.flatMap((r) => r.lines.map((l) => l.stat)))];
  return (
    <>
      <h3 className="title is-6 mt-4 mb-2" id="no-load-title">
        Without additional load: {metric.label}
      </h3>
      <ScrollBox label="Runs without additional load">
        <table className="table is-narrow no-load" id="no-load" aria-labelledby="no-load-title">
          <thead>
            <tr>
              <th scope="col">Category</th>
              {stats.map((s) => (
                <th scope="col" className="has-text-right" key={s}>
                  {s} <span className="has-text-weight-normal">({metric.unit})</span>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map(({ c, lines }) => (
              <tr key={c.category}>
                <th scope="row">
                  <span className="swatch" style={{ backgroundColor: colour.get(c.category) }} aria-hidden="true" /> {c.category}
                </th>
                {stats.map((s) => {
                  const y = lines.find((l) => l.stat === s)?.points[0]?.y;
                  return (
                    <td className="has-text-right nowrap" key={s}>
                      {y === undefined ? '–' : fmt(y)}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </ScrollBox>
    </>
  );
}
