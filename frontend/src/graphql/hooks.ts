// React's view of the connection: its status, and live lists of transactions
// that fill in what was missed whenever the connection comes back.
import { createContext, useContext, useEffect, useReducer, useSyncExternalStore } from 'react';
import { type Filter, type Transaction, latestPerIban, matches, mergeTransactions, streamVariables } from '../lib/transactions';
import { keepSubscribed } from '../lib/resubscribe';
import type { FieldDocuments } from '../lib/fields';
import type { Connection, ConnectionStatus } from './connection';
import { AllLastTransactionsDocument, StreamTransactionsDocument, TransactionsByIbanDocument } from './generated';

export const ConnectionContext = createContext<Connection | null>(null);

export function useConnection(): Connection {
  const c = useContext(ConnectionContext);
  if (!c) throw new Error('useConnection outside ConnectionContext');
  return c;
}

export function useConnectionStatus(): ConnectionStatus {
  const c = useConnection();
  return useSyncExternalStore(c.subscribeStatus, c.getStatus);
}

export interface LiveList {
  transactions: Transaction[];
  /** True until the first history answer (or the first live transaction). */
  loading: boolean;
  error?: string;
  /** The connection (its generation) on which the list was last read whole; 0: never. */
  loadedOn: number;
}

type Action =
  | { type: 'reset' }
  | { type: 'merge'; fresh: readonly (Transaction | null)[]; limit: number; latestPerIban?: boolean; loadedOn?: number }
  | { type: 'error'; error: string };

function reducer(state: LiveList, action: Action): LiveList {
  switch (action.type) {
    case 'reset':
      return { transactions: [], loading: true, loadedOn: 0 };
    case 'merge': {
      const transactions = action.latestPerIban
        ? latestPerIban(state.transactions, action.fresh)
        : mergeTransactions(state.transactions, action.fresh, action.limit);
      return {
        transactions,
        loading: state.loading && !action.loadedOn && action.fresh.length === 0,
        loadedOn: action.loadedOn ?? state.loadedOn,
      };
    }
    case 'error':
      return { ...state, loading: false, error: action.error };
  }
}

/**
 * Whether what list shows may be out of date: the connection is down, or it
 * came back and the list has not been read again on it yet.
 */
export function useStale(list: Pick<LiveList, 'loading' | 'loadedOn'>): boolean {
  const { state, generation } = useConnectionStatus();
  return !list.loading && (state !== 'connected' || list.loadedOn !== generation);
}

/**
 * Runs fetch now and again after every reconnect; fetch gets a signal that
 * aborts the previous run. Returns the function that stops it all.
 */
function fetchNowAndOnReconnect(connection: Connection, fetch: (signal: AbortSignal) => void): { again: () => void; stop: () => void } {
  let abort: AbortController | undefined;
  const again = () => {
    abort?.abort();
    abort = new AbortController();
    fetch(abort.signal);
  };
  const off = connection.onReconnect(again);
  return {
    again,
    stop: () => {
      off();
      abort?.abort();
    },
  };
}

/**
 * The newest `limit` transactions of iban that pass filter: the history the
 * gateway has, then every new one live. The history is read again after the
 * stream (re)starts and after every reconnect, so nothing that happened while
 * the page was not listening is missing; duplicates merge by id.
 */
export function useLiveTransactions(iban: string | undefined, filter: Filter, limit: number, documents?: FieldDocuments): LiveList {
  const connection = useConnection();
  const [state, dispatch] = useReducer(reducer, { transactions: [], loading: true, loadedOn: 0 });
  const filterKey = JSON.stringify(filter);
  const historyDocument = documents?.history ?? TransactionsByIbanDocument;
  const streamDocument = documents?.stream ?? StreamTransactionsDocument;

  useEffect(() => {
    dispatch({ type: 'reset' });
    if (!iban) return;
    const f = JSON.parse(filterKey) as Filter;
    // A filter hides most rows: read further back so the list is not empty.
    const maxItems = Object.keys(f).length > 0 ? Math.min(1000, limit * 10) : limit;
    const history = fetchNowAndOnReconnect(connection, (signal) =>
      connection
        .request(historyDocument, { iban, max_items: maxItems }, signal)
        .then((d) =>
          dispatch({ type: 'merge', fresh: (d.transactions_by_iban ?? []).filter((t) => t && matches(t, f)), limit, loadedOn: connection.getStatus().generation }),
        )
        .catch((err: Error) => {
          if (err.name !== 'AbortError') dispatch({ type: 'error', error: err.message });
        }),
    );
    const stream = keepSubscribed((restart) => {
      const dispose = connection.subscribe(streamDocument, streamVariables(iban, f), {
        next: ({ stream_transactions: t }) => {
          if (t && matches(t, f)) dispatch({ type: 'merge', fresh: [t], limit });
        },
        error: (err) => {
          dispatch({ type: 'error', error: err.message });
          restart(true);
        },
        complete: () => restart(false),
      });
      history.again(); // after subscribing: what happens from here on comes either way
      return dispose;
    });
    return () => {
      stream();
      history.stop();
    };
  }, [connection, iban, filterKey, limit, historyDocument, streamDocument]);

  return state;
}

/** How often the account list takes in the transactions that arrived meanwhile. */
const ACCOUNTS_FLUSH_MS = 500;

/** The last transaction of every account, kept current live (the bank employee's list). */
export function useAllAccounts(): LiveList {
  const connection = useConnection();
  const [state, dispatch] = useReducer(reducer, { transactions: [], loading: true, loadedOn: 0 });

  useEffect(() => {
    // Under load hundreds of transactions a second arrive: render in batches.
    let pending: Transaction[] = [];
    const flush = setInterval(() => {
      if (pending.length === 0) return;
      dispatch({ type: 'merge', fresh: pending, limit: Infinity, latestPerIban: true });
      pending = [];
    }, ACCOUNTS_FLUSH_MS);
    const accounts = fetchNowAndOnReconnect(connection, (signal) =>
      connection
        .request(AllLastTransactionsDocument, {}, signal)
        .then((d) =>
          dispatch({ type: 'merge', fresh: d.all_last_transactions ?? [], limit: Infinity, latestPerIban: true, loadedOn: connection.getStatus().generation }),
        )
        .catch((err: Error) => {
          if (err.name !== 'AbortError') dispatch({ type: 'error', error: err.message });
        }),
    );
    const stream = keepSubscribed((restart) => {
      const dispose = connection.subscribe(StreamTransactionsDocument, {}, {
        next: ({ stream_transactions: t }) => {
          if (t) pending.push(t);
        },
        error: (err) => {
          dispatch({ type: 'error', error: err.message });
          restart(true);
        },
        complete: () => restart(false),
      });
      accounts.again();
      return dispose;
    });
    return () => {
      clearInterval(flush);
      stream();
      accounts.stop();
    };
  }, [connection]);

  return state;
}
