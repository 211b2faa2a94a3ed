import { useMemo, useRef, useState } from 'react';
import { useSearchParams } from 'react-router';
import { FollowedAccount } from '../components/FollowedAccount';
import { Iban } from '../components/Iban';
import { ScrollBox } from '../components/ScrollBox';
import { type LiveList, useAllAccounts, useConnectionStatus, useStale } from '../graphql/hooks';
import { isValidIban, normalizeIban } from '../lib/iban';
import { type AccountOrder, orderAccounts } from '../lib/transactions';

/** Rows per page the employee can choose (the original offered 5 to 250). */
export const PAGE_SIZES = [5, 10, 15, 25, 50, 100, 250] as const;

type Order = AccountOrder;

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
    picked.current = !!iban;
  };
  // Set when the employee picks an account here (not when a shared link opens the page with one).
  const picked = useRef(false);
  const accounts = useAllAccounts();
  const accountsStale = useStale(accounts);
  const followedBalance = accounts.transactions.find((t) => t.iban === followed)?.new_balance ?? null;

  return (
    <>
      <h1 className="title">Bank employee</h1>
      <div className="columns is-desktop">
        <div className="column is-5-desktop">
          <Accounts accounts={accounts} followed={followed} onFollow={follow} />
        </div>
        <div className="column is-7-desktop">
          {followed ? (
            <FollowedAccount
              key={followed}
              iban={followed}
              balance={followedBalance}
              balanceStatus={accounts.loading ? 'loading' : accountsStale ? 'stale' : 'fresh'}
              onStop={() => follow(undefined)}
              bringIntoView={picked.current}
            />
          ) : (
            <p className="notification">Pick an account to follow its transactions live.</p>
          )}
        </div>
      </div>
    </>
  );
}


function Accounts({ accounts, followed, onFollow }: { accounts: LiveList; followed?: string; onFollow: (iban: string) => void }) {
  const { state } = useConnectionStatus();
  const stale = useStale(accounts);
  const [search, setSearch] = useState('');
  const [page, setPage] = useState(0);
  const [pageSize, setPageSize] = useState<number>(15);
  const [order, setOrder] = useState<Order>('iban');
  const [held, setHeld] = useState<string[] | null>(null);
  const hold = () => setHeld((h) => h ?? accounts.transactions.map((t) => t.iban ?? ''));
  const release = () => setHeld(null);

  const found = useMemo(() => {
    const q = search.replace(/\s+/g, '').toLowerCase();
    const matching = q === '' ? accounts.transactions : accounts.transactions.filter((t) => (t.iban ?? '').toLowerCase().includes(q));
    return orderAccounts(matching, order, held);
  }, [accounts.transactions, search, order, held]);
  const pages = Math.max(1, Math.ceil(found.length / pageSize));
  const current = Math.min(page, pages - 1);
  const shown = found.slice(current * pageSize, (current + 1) * pageSize);
  const typedIban = normalizeIban(search);

  return (
    <section aria-labelledby="accounts-title">
      <h2 className="title is-5" id="accounts-title">
        All accounts{' '}
        {/* A count only when it is one: offline it would be a false 0 or an old number. */}
        <span className={`tag ${accounts.loading || stale ? 'is-warning' : ''} is-light`} id="accounts-count">
          {accounts.loading ? (state === 'connected' ? 'loading…' : 'not connected') : stale ? `${accounts.transactions.length}, ${state === 'connected' ? 'updating…' : 'not connected'}` : accounts.transactions.length}
        </span>
      </h2>
      {stale && (
        <p className="help stale-note mt-0 mb-2" id="accounts-stale">
          {state === 'connected' ? 'Bringing the list up to date…' : 'Not connected to the bank: balances below may be out of date.'}
        </p>
      )}
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
      <div className="is-flex is-flex-wrap-wrap mb-2" style={{ gap: '0.5rem 1rem' }}>
        <div className="field is-horizontal mb-0">
          <label className="label is-small mr-2 mb-0 pt-1" htmlFor="account-order">
            Order
          </label>
          <div className="select is-small">
            <select id="account-order" value={order} onChange={(e) => setOrder(e.target.value as Order)}>
              <option value="iban">by iban (rows stay put)</option>
              <option value="recent">most recently changed first</option>
            </select>
          </div>
        </div>
        <div className="field is-horizontal mb-0">
          <label className="label is-small mr-2 mb-0 pt-1" htmlFor="page-size">
            Rows per page
          </label>
          <div className="select is-small">
            <select
              id="page-size"
              value={pageSize}
              onChange={(e) => {
                setPageSize(Number(e.target.value));
                setPage(0);
              }}
            >
              {PAGE_SIZES.map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          </div>
        </div>
      </div>
      {accounts.error && (
        <p className="notification is-warning is-light" role="status">
          Could not load the accounts: {accounts.error}. Retrying…
        </p>
      )}
      {order === 'recent' && (
        <p className="help mt-0 mb-1" id="order-note">
          {held ? 'Order held while you point at or move through the list.' : 'The order holds still while you point at or move through the list.'}
        </p>
      )}
      <ScrollBox
        label="Accounts"
        onPointerEnter={order === 'recent' ? hold : undefined}
        onPointerLeave={release}
        onFocus={order === 'recent' ? hold : undefined}
        onBlur={(e) => {
          if (!e.currentTarget.contains(e.relatedTarget as Node | null)) release();
        }}
      >
        <table className="table is-fullwidth is-hoverable is-narrow accounts" aria-busy={accounts.loading}>
          <caption className="is-sr-only">Accounts with their last transaction, {order === 'iban' ? 'by iban' : 'most recently changed first'}</caption>
          <thead>
            <tr>
              <th scope="col">Account</th>
              <th scope="col" className="has-text-right">
                Balance
              </th>
              <th scope="col">Last change</th>
            </tr>
          </thead>
          <tbody id="accounts">
            {shown.map((t) => (
              <tr key={t.iban} className={t.iban === followed ? 'is-followed' : ''} aria-current={t.iban === followed ? 'true' : undefined}>
                <td>
                  <button type="button" className="button is-small is-ghost p-0 is-family-monospace account" onClick={() => onFollow(t.iban!)} aria-label={`Follow ${t.iban}`}>
                    <Iban iban={t.iban!} />
                  </button>
                </td>
                <td className="has-text-right nowrap balance">{t.new_balance}</td>
                <td className="last-change">
                  <span className={`nowrap has-text-weight-semibold ${t.direction === 'DEBIT' ? 'text-debit' : 'text-credit'}`}>
                    {t.direction === 'DEBIT' ? '−' : '+'}
                    {t.changed_by}
                  </span>{' '}
                  {t.descr}
                </td>
              </tr>
            ))}
            {shown.length === 0 && (
              <tr>
                <td colSpan={3} className="has-text-grey-dark waiting">
                  {accounts.loading ? (state === 'connected' ? 'Loading…' : 'Waiting for the connection to the bank…') : search ? 'No account matches.' : 'No accounts yet.'}
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </ScrollBox>
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
