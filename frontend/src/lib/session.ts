// What the client page keeps for the browser tab (sessionStorage): the
// account, so a reload stays logged in, and the outcomes of its transfers,
// so "Your transfers" survives a reload too.

export interface Account {
  username: string;
  iban: string;
  token: string;
}

/** One deposit or transfer as "Your transfers" shows it. */
export interface TransferOutcome {
  uuid: string;
  what: string;
  status: 'pending' | 'success' | 'failed';
  reason?: string;
  /** The bank answered (success or its reason), as opposed to the connection failing. */
  answered?: boolean;
}

/** The part of Storage used here, so tests can pass a map. */
export type SessionStore = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

const ACCOUNT_KEY = 'open-bank.account';
const outcomesKey = (iban: string) => `open-bank.transfers.${iban}`;

function read<T>(store: SessionStore | undefined, key: string): T | null {
  try {
    return JSON.parse(store?.getItem(key) ?? 'null') as T | null;
  } catch {
    return null;
  }
}

function write(store: SessionStore | undefined, key: string, value: unknown) {
  try {
    if (value === null) store?.removeItem(key);
    else store?.setItem(key, JSON.stringify(value));
  } catch {
    // Without storage it lasts as long as the page.
  }
}

function browserStore(): SessionStore | undefined {
  try {
    return typeof sessionStorage === 'undefined' ? undefined : sessionStorage;
  } catch {
    return undefined;
  }
}

export function loadAccount(store = browserStore()): Account | null {
  const a = read<Account>(store, ACCOUNT_KEY);
  return a && a.iban && a.token && a.username ? a : null;
}

export function saveAccount(a: Account | null, store = browserStore()) {
  write(store, ACCOUNT_KEY, a);
}

/** What a transfer still being sent when the page was left says after the reload. */
export const RELOADED_REASON = 'the page was reloaded before the bank answered; see your transactions whether it was done';

/**
 * The outcomes kept for iban. One that was still being sent when the page
 * went away is not being sent any more (nothing resends it): it says so.
 */
export function loadOutcomes(iban: string, store = browserStore()): TransferOutcome[] {
  const list = read<TransferOutcome[]>(store, outcomesKey(iban));
  if (!Array.isArray(list)) return [];
  return list
    .filter((o) => o && typeof o.uuid === 'string' && typeof o.what === 'string')
    .map((o) => (o.status === 'pending' ? { uuid: o.uuid, what: o.what, status: 'failed' as const, reason: RELOADED_REASON } : o));
}

export function saveOutcomes(iban: string, outcomes: readonly TransferOutcome[], store = browserStore()) {
  write(store, outcomesKey(iban), outcomes);
}

/** Forgets everything kept for iban's visit (logging out). */
export function forgetOutcomes(iban: string, store = browserStore()) {
  write(store, outcomesKey(iban), null);
}
