import { type FormEvent, useMemo, useState } from 'react';
import { useSearchParams } from 'react-router';
import { TransactionTable } from '../components/TransactionTable';
import { useAllAccounts, useLiveTransactions } from '../graphql/hooks';
import { isValidIban, normalizeIban } from '../lib/iban';
import { EMPTY_FILTER_INPUT, type Filter, type FilterInput, parseFilter } from '../lib/transactions';

const PAGE_SIZE = 15;

export function Employee() {
  const [params, setParams] = useSearchParams();
  const followed = params.get('iban') ?? undefined;
  const follow = (iban: string | undefined) => {
    setParams(
      (p) => {
        const next = new URLSearchParams(p);
        if (iban) next.set('iban', iban);
        else next.delete('iban');
        return next;
      },
      { replace: false },
    );
    // Keyboard and phone users land on what they picked (below the list on a phone).
    if (iban) requestAnimationFrame(() => document.getElementById('followed-title')?.focus());
  };

  return (
    <>
      <h1 className="title">Bank employee</h1>
      <div className="columns is-desktop">
        <div className="column is-5-desktop">
          <Accounts followed={followed} onFollow={follow} />
        </div>
        <div className="column is-7-desktop">
          {followed ? (
            <Followed key={followed} iban={followed} onStop={() => follow(undefined)} />
          ) : (
            <p className="notification">Pick an account to follow its transactions live.</p>
          )}
        </div>
      </div>
    </>
  );
}

function Accounts({ followed, onFollow }: { followed?: string; onFollow: (iban: string) => void }) {
  const accounts = useAllAccounts();
  const [search, setSearch] = useState('');
  const [page, setPage] = useState(0);

  const found = useMemo(() => {
    const q = search.replace(/\s+/g, '').toLowerCase();
    return q === '' ? accounts.transactions : accounts.transactions.filter((t) => (t.iban ?? '').toLowerCase().includes(q));
  }, [accounts.transactions, search]);
  const pages = Math.max(1, Math.ceil(found.length / PAGE_SIZE));
  const current = Math.min(page, pages - 1);
  const shown = found.slice(current * PAGE_SIZE, (current + 1) * PAGE_SIZE);
  const typedIban = normalizeIban(search);

  return (
    <section aria-labelledby="accounts-title">
      <h2 className="title is-5" id="accounts-title">
        All accounts <span className="tag is-light">{accounts.transactions.length}</span>
      </h2>
      <div className="field">
        <label className="label is-sr-only" htmlFor="account-search">
          Search accounts by iban
        </label>
        <div className="control">
          <input
            id="account-search"
            className="input"
            type="search"
            placeholder="Search by iban"
            value={search}
            onChange={(e) => {
              setSearch(e.target.value);
              setPage(0);
            }}
            spellCheck={false}
          />
        </div>
        {found.length === 0 && isValidIban(typedIban) && (
          <p className="help">
            No transaction of that account yet.{' '}
            <button type="button" className="button is-small is-text p-0" onClick={() => onFollow(typedIban)}>
              Follow {typedIban} anyway
            </button>
          </p>
        )}
      </div>
      {accounts.error && (
        <p className="notification is-warning is-light" role="status">
          Could not load the accounts: {accounts.error}. Retrying…
        </p>
      )}
      <div className="table-container">
        <table className="table is-fullwidth is-hoverable is-narrow" aria-busy={accounts.loading}>
          <caption className="is-sr-only">Accounts with their last transaction, most recently changed first</caption>
          <thead>
            <tr>
              <th scope="col">Account</th>
              <th scope="col" className="has-text-right">
                Balance
              </th>
              <th scope="col" className="is-hidden-mobile">
                Last change
              </th>
            </tr>
          </thead>
          <tbody id="accounts">
            {shown.map((t) => (
              <tr key={t.iban} className={t.iban === followed ? 'is-selected' : ''} aria-current={t.iban === followed ? 'true' : undefined}>
                <td>
                  <button
                    type="button"
                    className="button is-small is-ghost p-0 is-family-monospace account"
                    onClick={() => onFollow(t.iban!)}
                    aria-label={`Follow ${t.iban}`}
                  >
                    {t.iban}
                  </button>
                </td>
                <td className="has-text-right nowrap">{t.new_balance}</td>
                <td className="is-hidden-mobile">
                  <span className={`nowrap ${t.direction === 'DEBIT' ? 'has-text-danger' : 'has-text-success'}`}>
                    {t.direction === 'DEBIT' ? '−' : '+'}
                    {t.changed_by}
                  </span>{' '}
                  {t.descr}
                </td>
              </tr>
            ))}
            {shown.length === 0 && (
              <tr>
                <td colSpan={3} className="has-text-grey">
                  {accounts.loading ? 'Loading…' : search ? 'No account matches.' : 'No accounts yet.'}
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      {pages > 1 && (
        <nav className="pagination is-small" aria-label="pages of accounts">
          <button type="button" className="pagination-previous" disabled={current === 0} onClick={() => setPage(current - 1)}>
            Previous
          </button>
          <button type="button" className="pagination-next" disabled={current >= pages - 1} onClick={() => setPage(current + 1)}>
            Next
          </button>
          <p className="pagination-list" aria-live="polite">
            Page {current + 1} of {pages}
          </p>
        </nav>
      )}
    </section>
  );
}

function Followed({ iban, onStop }: { iban: string; onStop: () => void }) {
  const [input, setInput] = useState<FilterInput>(EMPTY_FILTER_INPUT);
  const [filter, setFilter] = useState<Filter>({});
  const [errors, setErrors] = useState<Partial<Record<'min' | 'max', string>>>({});
  const live = useLiveTransactions(iban, filter, 50);

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

  const filtered = Object.keys(filter).length > 0;
  return (
    <section aria-labelledby="followed-title">
      <div className="is-flex is-flex-wrap-wrap is-justify-content-space-between is-align-items-center mb-3" style={{ gap: '0.5rem' }}>
        <h2 className="title is-5 mb-0" id="followed-title" tabIndex={-1}>
          <span className="is-family-monospace" id="followed-iban">
            {iban}
          </span>
        </h2>
        <button type="button" className="button is-small" onClick={onStop}>
          Stop following
        </button>
      </div>
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
      <TransactionTable
        id="followed-transactions"
        caption={`Live transactions of ${iban}${filtered ? ' matching the filters' : ''}, newest first`}
        {...live}
        empty={filtered ? 'No transactions match the filters.' : 'No transactions yet.'}
      />
    </section>
  );
}
