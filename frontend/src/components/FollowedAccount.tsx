import { type FormEvent, useEffect, useMemo, useRef, useState } from 'react';
import { useConnectionStatus, useLiveTransactions } from '../graphql/hooks';
import { ALL_FIELDS, type TransactionField, fieldDocuments, selectedFields } from '../lib/fields';
import { EMPTY_FILTER_INPUT, type Filter, type FilterInput, parseFilter } from '../lib/transactions';
import { COLUMN_LABELS, TransactionTable } from './TransactionTable';

/** One account's transactions, live, filtered, with the fields the employee chose (and only those asked of the gateway). */
export function FollowedAccount({
  iban,
  balance,
  balanceStatus,
  onStop,
  bringIntoView = false,
}: {
  iban: string;
  /** The account's balance after its newest transaction (null: none known). */
  balance: string | null;
  balanceStatus: 'loading' | 'stale' | 'fresh';
  onStop: () => void;
  bringIntoView?: boolean;
}) {
  const title = useRef<HTMLHeadingElement>(null);
  const { state } = useConnectionStatus();
  // Everyone lands on what they picked: below the list on a phone, beside it on a desktop.
  useEffect(() => {
    if (!bringIntoView) return;
    const reduce = window.matchMedia('(prefers-reduced-motion: reduce)').matches;
    title.current?.scrollIntoView({ block: 'start', behavior: reduce ? 'auto' : 'smooth' });
    title.current?.focus({ preventScroll: true });
  }, [bringIntoView]);
  const [input, setInput] = useState<FilterInput>(EMPTY_FILTER_INPUT);
  const [filter, setFilter] = useState<Filter>({});
  const [errors, setErrors] = useState<Partial<Record<'min' | 'max', string>>>({});
  const [columns, setColumns] = useState<readonly TransactionField[]>(ALL_FIELDS);
  const fields = selectedFields(columns, filter);
  const fieldsKey = fields.join(' ');
  const documents = useMemo(() => fieldDocuments(fieldsKey.split(' ')), [fieldsKey]);
  const live = useLiveTransactions(iban, filter, 50, documents);

  function apply(e: FormEvent) {
    e.preventDefault();
    const parsed = parseFilter(input);
    if (!parsed.ok) {
      setErrors(parsed.errors);
      return;
    }
    setErrors({});
    setFilter(parsed.filter);
  }

  function clear() {
    setInput(EMPTY_FILTER_INPUT);
    setErrors({});
    setFilter({});
  }

  const toggle = (f: TransactionField) => setColumns((c) => (c.includes(f) ? c.filter((x) => x !== f) : ALL_FIELDS.filter((x) => x === f || c.includes(x))));

  const filtered = Object.keys(filter).length > 0;
  return (
    <section aria-labelledby="followed-title" id="followed">
      <div className="is-flex is-flex-wrap-wrap is-justify-content-space-between is-align-items-center mb-3" style={{ gap: '0.5rem' }}>
        <h2 className="title is-5 mb-0" id="followed-title" tabIndex={-1} ref={title}>
          <span className="is-sr-only">Following </span>
          <span className="is-family-monospace" id="followed-iban">
            {iban}
          </span>
        </h2>
        <button type="button" className="button is-small" onClick={onStop}>
          Stop following
        </button>
      </div>
      <p className="is-size-4 mb-3" id="followed-balance-line">
        Balance:{' '}
        {balance !== null ? (
          <strong className="nowrap" id="followed-balance" data-stale={balanceStatus === 'stale'}>
            {balance}
          </strong>
        ) : (
          <span className="has-text-grey-dark is-size-5" id="followed-balance" aria-busy={balanceStatus === 'loading'}>
            {balanceStatus !== 'loading' ? 'no transactions yet' : state === 'connected' ? 'loading…' : 'unknown: not connected to the bank'}
          </span>
        )}
        {balanceStatus === 'stale' && <span className="tag is-warning is-light ml-2">may be out of date</span>}
      </p>
      <form className="box" onSubmit={apply} noValidate aria-label="Filter transactions">
        <div className="columns is-multiline is-mobile">
          <div className="column is-half-mobile is-3-tablet">
            <div className="field">
              <label className="label is-small" htmlFor="filter-direction">
                Direction
              </label>
              <div className="control">
                <div className="select is-small is-fullwidth">
                  <select id="filter-direction" value={input.direction} onChange={(e) => setInput({ ...input, direction: e.target.value as FilterInput['direction'] })}>
                    <option value="">Both</option>
                    <option value="CREDIT">Credit (in)</option>
                    <option value="DEBIT">Debit (out)</option>
                  </select>
                </div>
              </div>
            </div>
          </div>
          {(['min', 'max'] as const).map((key) => (
            <div className="column is-half-mobile is-3-tablet" key={key}>
              <div className="field">
                <label className="label is-small" htmlFor={`filter-${key}`}>
                  {key === 'min' ? 'Minimum €' : 'Maximum €'}
                </label>
                <div className="control">
                  <input
                    id={`filter-${key}`}
                    className={`input is-small ${errors[key] ? 'is-danger' : ''}`}
                    inputMode="decimal"
                    value={input[key]}
                    onChange={(e) => setInput({ ...input, [key]: e.target.value })}
                    aria-invalid={!!errors[key]}
                    aria-describedby={errors[key] ? `filter-${key}-error` : undefined}
                  />
                </div>
                {errors[key] && (
                  <p className="help is-danger" id={`filter-${key}-error`}>
                    {errors[key]}
                  </p>
                )}
              </div>
            </div>
          ))}
          <div className="column is-half-mobile is-3-tablet">
            <div className="field">
              <label className="label is-small" htmlFor="filter-descr">
                Description has
              </label>
              <div className="control">
                <input id="filter-descr" className="input is-small" value={input.descr} onChange={(e) => setInput({ ...input, descr: e.target.value })} />
              </div>
            </div>
          </div>
        </div>
        <div className="buttons">
          <button type="submit" className="button is-primary is-small" id="filter-apply">
            Apply filters
          </button>
          <button type="button" className="button is-small" onClick={clear} disabled={!filtered && input === EMPTY_FILTER_INPUT}>
            Clear
          </button>
        </div>
      </form>
      <fieldset className="mb-3" id="field-chooser">
        <legend className="label is-small mb-1">Fields to show (the page asks the gateway for these only)</legend>
        <div className="is-flex is-flex-wrap-wrap" style={{ gap: '0.25rem 1rem' }}>
          {ALL_FIELDS.map((f) => (
            <label className="checkbox is-size-7" key={f}>
              <input type="checkbox" id={`field-${f}`} checked={columns.includes(f)} onChange={() => toggle(f)} /> {COLUMN_LABELS[f]}
            </label>
          ))}
        </div>
        <details className="is-size-7 mt-1">
          <summary>The GraphQL the page sends</summary>
          <pre className="graphql-text" id="graphql-text">
            {documents.text}
          </pre>
        </details>
      </fieldset>
      <TransactionTable
        id="followed-transactions"
        caption={`Live transactions of ${iban}${filtered ? ' matching the filters' : ''}, newest first`}
        {...live}
        columns={columns}
        empty={filtered ? 'No transactions match the filters.' : 'No transactions yet.'}
      />
    </section>
  );
}
