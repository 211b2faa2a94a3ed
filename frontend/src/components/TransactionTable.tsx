import { useRef } from 'react';
import type { Transaction } from '../lib/transactions';

interface Props {
  id?: string;
  caption: string;
  transactions: readonly Transaction[];
  loading: boolean;
  error?: string;
  /** Show each row's iban (lists that mix accounts). */
  showIban?: boolean;
  empty?: string;
}

/** Transactions newest first; a row that arrives live is highlighted briefly. */
export function TransactionTable({ id, caption, transactions, loading, error, showIban = false, empty = 'No transactions yet.' }: Props) {
  // Rows newer than what the first load showed arrived live: those flash once.
  const shownAtLoad = useRef<number | null>(null);
  if (shownAtLoad.current === null && !loading) shownAtLoad.current = transactions[0]?.id ?? 0;
  const arrived = (t: Transaction) => shownAtLoad.current !== null && t.id > shownAtLoad.current;
  return (
    <div className="table-container">
      {error && (
        <p className="notification is-warning is-light" role="status">
          Could not load transactions: {error}. Retrying…
        </p>
      )}
      <table className="table is-fullwidth is-hoverable is-narrow transactions" aria-busy={loading}>
        <caption className="is-sr-only">{caption}</caption>
        <thead>
          <tr>
            {showIban && <th scope="col">Account</th>}
            <th scope="col">Amount</th>
            <th scope="col">
              <abbr title="Debit (money out) or credit (money in)">Dir.</abbr>
            </th>
            <th scope="col">From / to</th>
            <th scope="col">Description</th>
            <th scope="col" className="has-text-right is-hidden-mobile">
              Balance
            </th>
          </tr>
        </thead>
        <tbody id={id}>
          {transactions.map((t) => (
            <tr key={t.id} data-id={t.id} className={`transaction ${arrived(t) ? 'arrived' : ''}`}>
              {showIban && <td className="iban is-family-monospace">{t.iban}</td>}
              <td className={`changed-by has-text-weight-semibold ${t.direction === 'DEBIT' ? 'has-text-danger' : 'has-text-success'}`}>
                {t.changed_by}
              </td>
              <td className="direction">
                <span className={`tag ${t.direction === 'DEBIT' ? 'is-danger' : 'is-success'} is-light`}>{t.direction}</span>
              </td>
              <td className="from-to is-family-monospace">{t.from_to}</td>
              <td className="descr">{t.descr}</td>
              <td className="new-balance has-text-right is-hidden-mobile">{t.new_balance}</td>
            </tr>
          ))}
          {!loading && transactions.length === 0 && (
            <tr>
              <td colSpan={showIban ? 6 : 5} className="has-text-grey">
                {empty}
              </td>
            </tr>
          )}
          {loading && transactions.length === 0 && (
            <tr>
              <td colSpan={showIban ? 6 : 5} className="has-text-grey">
                Loading…
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}
