import { useEffect, useState } from 'react';
import { type Pair, compareCategories, loadText, setupLabel, setupOf, timesText, verdictLoad } from '../../lib/compare';
import { ANON_MEANING, type ResultCategory } from '../../lib/results';
import { ScrollBox } from '../ScrollBox';
import { fmt } from './ResultsChart';

const ratio = (p: Pair) => (p.ratio === undefined ? '–' : timesText(p.ratio));
const both = (p: Pair) => `${fmt(p.a)} / ${fmt(p.b)}`;

/**
 * Two categories side by side: the verdict in one line, p50 and p99 with
 * their ratio at every load both reached, CPU and memory per component at
 * one of those loads, and the breaking points. a and b are category names
 * (kept in the page's address by the caller).
 */
export function CompareTwo({ categories, a, b, onPick }: { categories: readonly ResultCategory[]; a: string; b: string; onPick: (a: string, b: string) => void }) {
  const ca = categories.find((c) => c.category === a) ?? categories[0]!;
  const cb = categories.find((c) => c.category === b) ?? categories[1] ?? ca;
  const cmp = compareCategories(ca, cb);
  const loads = cmp.loads.map((l) => l.load);
  const [chosenLoad, setChosenLoad] = useState<number | undefined>();
  const load = chosenLoad !== undefined && loads.includes(chosenLoad) ? chosenLoad : verdictLoad(loads);
  const at = cmp.loads.find((l) => l.load === load);
  const components = at ? [...new Set([...Object.keys(at.cpu), ...Object.keys(at.mem)])].sort() : [];
  const withAnon = at !== undefined && Object.keys(at.anon).length > 0;
  // A link to #compare (the Background page has one) lands here once the results are in.
  useEffect(() => {
    if (window.location.hash === '#compare') document.getElementById('compare')?.scrollIntoView();
  }, []);
  const derived = [ca, cb].filter((c) => !setupOf(c).recorded && setupOf(c).client).map((c) => c.category);

  const picker = (id: string, label: string, value: string, pick: (v: string) => void) => (
    <div className="field">
      <label className="label is-small" htmlFor={id}>
        {label}
      </label>
      <div className="control">
        <div className="select is-small is-fullwidth">
          <select id={id} value={value} onChange={(e) => pick(e.target.value)}>
            {categories.map((c) => (
              <option key={c.category} value={c.category}>
                {setupLabel(c) === c.category ? c.category : `${setupLabel(c)} (${c.category})`}
              </option>
            ))}
          </select>
        </div>
      </div>
    </div>
  );

  return (
    <section aria-labelledby="compare-title" className="box mb-5" id="compare">
      <h2 className="title is-5 mb-3" id="compare-title">
        Compare two
      </h2>
      <div className="columns is-mobile is-multiline mb-0">
        <div className="column is-full-mobile is-half-tablet">{picker('compare-a', 'First (A)', ca.category, (v) => onPick(v, cb.category))}</div>
        <div className="column is-full-mobile is-half-tablet">{picker('compare-b', 'Second (B)', cb.category, (v) => onPick(ca.category, v))}</div>
      </div>
      <p className="is-size-5 has-text-weight-semibold mb-2" id="compare-verdict" aria-live="polite">
        {cmp.verdict}
      </p>
      <p className="mb-3" id="compare-breaking">
        Breaking points: A {cmp.breakingA === undefined ? 'not reached' : loadText(cmp.breakingA)}, B{' '}
        {cmp.breakingB === undefined ? 'not reached' : loadText(cmp.breakingB)}.
        {derived.length > 0 && (
          <span className="help">
            The client and settings of {derived.join(' and ')} are read from the category name: those runs did not record them.
          </span>
        )}
      </p>
      {cmp.loads.length > 0 && (
        <>
          <h3 className="title is-6 mb-2">Latency at each load both reached</h3>
          <ScrollBox label="Latency of A and B at each load">
            <table className="table is-narrow is-fullwidth compare-latency" id="compare-latency">
              <caption className="is-sr-only">p50 and p99 in ms of A and B, and B's as a multiple of A's, at each load both measured</caption>
              <thead>
                <tr>
                  <th scope="col">Load</th>
                  <th scope="col" className="has-text-right">
                    p50 ms A / B
                  </th>
                  <th scope="col" className="has-text-right">
                    B÷A
                  </th>
                  <th scope="col" className="has-text-right">
                    p99 ms A / B
                  </th>
                  <th scope="col" className="has-text-right">
                    B÷A
                  </th>
                </tr>
              </thead>
              <tbody>
                {cmp.loads.map((l) => (
                  <tr key={l.load}>
                    <th scope="row" className="nowrap has-text-weight-normal">
                      {loadText(l.load)}
                    </th>
                    <td className="has-text-right nowrap">{both(l.p50)}</td>
                    <td className="has-text-right nowrap">{ratio(l.p50)}</td>
                    <td className="has-text-right nowrap">{both(l.p99)}</td>
                    <td className="has-text-right nowrap">{ratio(l.p99)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </ScrollBox>
        </>
      )}
      {at && components.length > 0 && (
        <>
          <div className="is-flex is-flex-wrap-wrap is-align-items-end mt-3 mb-2" style={{ gap: '0.5rem 1rem' }}>
            <h3 className="title is-6 mb-0" id="compare-resources-title">
              CPU and memory per component
            </h3>
            <div className="field is-horizontal mb-0">
              <label className="label is-small mr-2 mb-0 pt-1" htmlFor="compare-load">
                at
              </label>
              <div className="select is-small">
                <select id="compare-load" value={load} onChange={(e) => setChosenLoad(Number(e.target.value))}>
                  {loads.map((l) => (
                    <option key={l} value={l}>
                      {loadText(l)}
                    </option>
                  ))}
                </select>
              </div>
            </div>
          </div>
          <ScrollBox label="CPU and memory of A and B per component">
            <table className="table is-narrow is-fullwidth compare-resources" id="compare-resources" aria-labelledby="compare-resources-title">
              <thead>
                <tr>
                  <th scope="col">Component</th>
                  <th scope="col" className="has-text-right">
                    CPU % A / B
                  </th>
                  <th scope="col" className="has-text-right">
                    Memory MiB A / B
                  </th>
                  {withAnon && (
                    <th scope="col" className="has-text-right" title={ANON_MEANING}>
                      Without page cache MiB A / B
                    </th>
                  )}
                </tr>
              </thead>
              <tbody>
                {components.map((name) => (
                  <tr key={name}>
                    <th scope="row" className="has-text-weight-normal">
                      {name}
                    </th>
                    <td className="has-text-right nowrap">{at.cpu[name] ? both(at.cpu[name]) : '–'}</td>
                    <td className="has-text-right nowrap">{at.mem[name] ? both(at.mem[name]) : '–'}</td>
                    {withAnon && <td className="has-text-right nowrap">{at.anon[name] ? both(at.anon[name]) : '–'}</td>}
                  </tr>
                ))}
              </tbody>
            </table>
          </ScrollBox>
        </>
      )}
    </section>
  );
}
