import { useRef } from 'react';
import { useConnectionStatus, useStale } from '../graphql/hooks';
import { looksLikeIban } from '../lib/iban';
import { Iban } from './Iban';
import { ScrollBox } from './ScrollBox';
import { ALL_FIELDS, type TransactionField } from '../lib/fields';
import type { Transaction } from '../lib/transactions';

/** A column of the table: a field of the transaction. */
export type Column = TransactionField;
export const COLUMN_LABELS: Record<Column, string> = {
  changed_by: 'Amount',
  direction: 'Direction',
  from_to: 'From / to',
  descr: 'Description',
  new_balance: 'Balance',
};

interface Props {
  id?: string;
  caption: string;
  transactions: readonly Transaction[];
  loading: boolean;
  error?: string;
  /** The connection the list was last read on (LiveList.loadedOn): marks it stale when that is not the current one. */
  loadedOn: number;
  /** Show each row's iban (lists that mix accounts). */
  showIban?: boolean;
  empty?: string;
  columns?: readonly Column[];
}

/** Transactions newest first; a row that arrives live is highlighted briefly. */
export function TransactionTable({ id, caption, transactions, loading, error, loadedOn, showIban = false, empty = 'No transactions yet.', columns = ALL_FIELDS }: Props) {
  const { state } = useConnectionStatus();
  const stale = useStale({ loading, loadedOn });
  const show = (c: Column) => columns.includes(c);
  const span = columns.length + (showIban ? 1 : 0);
  // Rows newer than what the first load showed arrived live: those flash once.
  const shownAtLoad = useRef<number | null>(null);
  if (shownAtLoad.current === null && !loading) shownAtLoad.current = transactions[0]?.id ?? 0;
  const arrived = (t: Transaction) => shownAtLoad.current !== null && t.id > shownAtLoad.current;
  return (
    <ScrollBox label={caption}>
      {error && (
        <p className="notification is-warning is-light" role="status">
          Could not load transactions: {error}. Retrying…
        </p>
      )}
      {stale && (
        <p className="help stale-note mt-0 mb-1" id={id ? `${id}-stale` : undefined}>
          {state === 'connected' ? 'Bringing this list up to date…' : 'Not connected to the bank: this list may be out of date.'}
        </p>
      )}
      <table className={`table is-fullwidth is-hoverable is-narrow transactions ${stale ? 'is-stale' : ''}`} aria-busy={loading} data-stale={stale}>
        <caption className="is-sr-only">
          {caption}
          {stale ? ' (may be out of date)' : ''}
        </caption>
        <thead>
          <tr>
            {showIban && <th scope="col">Account</th>}
            {show('changed_by') && (
              <th scope="col" className="has-text-right">
                Amount
              </th>
            )}
            {show('direction') && (
              <th scope="col">
                <abbr title="Debit (money out) or credit (money in)">Dir.</abbr>
              </th>
            )}
            {show('from_to') && <th scope="col">From / to</th>}
            {show('descr') && <th scope="col">Description</th>}
            {show('new_balance') && (
              <th scope="col" className="has-text-right">
                Balance
              </th>
            )}
          </tr>
        </thead>
        <tbody id={id}>
          {transactions.map((t) => (
            <tr key={t.id} data-id={t.id} className={`transaction ${arrived(t) ? 'arrived' : ''}`}>
              {showIban && <td className="iban is-family-monospace">{t.iban}</td>}
              {show('changed_by') && <td className={`changed-by has-text-right has-text-weight-semibold nowrap ${t.direction === 'DEBIT' ? 'text-debit' : 'text-credit'}`}>{t.changed_by}</td>}
              {show('direction') && (
                <td className="direction">
                  <span className={`tag ${t.direction === 'DEBIT' ? 'tag-debit' : 'tag-credit'}`}>{t.direction}</span>
                </td>
              )}
              {show('from_to') && <td className="from-to is-family-monospace">{t.from_to && looksLikeIban(t.from_to) ? <Iban iban={t.from_to} /> : t.from_to}</td>}
              {show('descr') && <td className="descr">{t.descr}</td>}
              {show('new_balance') && <td className="new-balance has-text-right nowrap">{t.new_balance}</td>}
            </tr>
          ))}
          {!loading && transactions.length === 0 && (
            <tr>
              <td colSpan={span} className="has-text-grey-dark">
                {empty}
              </td>
            </tr>
          )}
          {loading && transactions.length === 0 && (
            <tr>
              <td colSpan={span} className="has-text-grey-dark waiting" data-state={state === 'connected' ? 'loading' : 'offline'}>
                {state === 'connected' ? 'Loading…' : 'Waiting for the connection to the bank…'}
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </ScrollBox>
  );
}
