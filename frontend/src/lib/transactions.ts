// Transactions as the page keeps them: newest first, each once, filtered the
// way the bank employee asks.
import type { Dtype, StreamTransactionsSubscriptionVariables, TransactionFieldsFragment } from '../graphql/generated';
import { parseAmountInput, parseGatewayEuro } from './money';

export type Transaction = TransactionFieldsFragment;

/** Merges fresh transactions into a list: one per id, newest (highest id) first, at most limit. */
export function mergeTransactions(current: readonly Transaction[], fresh: readonly (Transaction | null | undefined)[], limit: number): Transaction[] {
  const byId = new Map<number, Transaction>();
  for (const t of current) byId.set(t.id, t);
  for (const t of fresh) if (t) byId.set(t.id, t);
  return [...byId.values()].sort((a, b) => b.id - a.id).slice(0, limit);
}

/** Keeps the newest transaction of each iban (the employee's account list). */
export function latestPerIban(current: readonly Transaction[], fresh: readonly (Transaction | null | undefined)[]): Transaction[] {
  const byIban = new Map<string, Transaction>();
  for (const t of [...current, ...fresh]) {
    if (!t?.iban) continue;
    const seen = byIban.get(t.iban);
    if (!seen || seen.id < t.id) byIban.set(t.iban, t);
  }
  return [...byIban.values()].sort((a, b) => b.id - a.id);
}

/** The bank employee's filter on one account's transactions. */
export interface Filter {
  direction?: Dtype;
  /** Bounds on the amount moved (its absolute value), in cents. */
  minCents?: number;
  maxCents?: number;
  descrIncludes?: string;
}

export interface FilterInput {
  direction: '' | Dtype;
  min: string;
  max: string;
  descr: string;
}

export const EMPTY_FILTER_INPUT: FilterInput = { direction: '', min: '', max: '', descr: '' };

export type FilterResult = { ok: true; filter: Filter } | { ok: false; errors: Partial<Record<'min' | 'max', string>> };

/** Reads the filter form; blank fields do not filter. */
export function parseFilter(input: FilterInput): FilterResult {
  const filter: Filter = {};
  const errors: Partial<Record<'min' | 'max', string>> = {};
  if (input.direction) filter.direction = input.direction;
  for (const key of ['min', 'max'] as const) {
    if (input[key].trim() === '') continue;
    const amount = parseAmountInput(input[key]);
    if (!amount.ok) errors[key] = amount.error;
    else if (key === 'min') filter.minCents = amount.cents;
    else filter.maxCents = amount.cents;
  }
  if (filter.minCents !== undefined && filter.maxCents !== undefined && filter.minCents > filter.maxCents) {
    errors.max = 'The maximum is below the minimum';
  }
  if (input.descr.trim() !== '') filter.descrIncludes = input.descr.trim();
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, filter };
}

/** Whether t passes every part of filter that is set. */
export function matches(t: Transaction, filter: Filter): boolean {
  if (filter.direction && t.direction !== filter.direction) return false;
  if (filter.minCents !== undefined || filter.maxCents !== undefined) {
    const cents = parseGatewayEuro(t.changed_by);
    if (cents === null) return false;
    const amount = Math.abs(cents);
    if (filter.minCents !== undefined && amount < filter.minCents) return false;
    if (filter.maxCents !== undefined && amount > filter.maxCents) return false;
  }
  if (filter.descrIncludes && !(t.descr ?? '').toLowerCase().includes(filter.descrIncludes.toLowerCase())) return false;
  return true;
}

/**
 * The stream_transactions arguments for iban and filter. The gateway bounds
 * the signed amount (a debit is negative), so amount bounds go along only
 * when a direction is chosen; the page applies matches() to everything anyway.
 */
export function streamVariables(iban: string | undefined, filter: Filter): StreamTransactionsSubscriptionVariables {
  const v: StreamTransactionsSubscriptionVariables = {};
  if (iban) v.iban = iban;
  if (filter.direction) v.direction = filter.direction;
  if (filter.descrIncludes) v.descr_includes = filter.descrIncludes;
  if (filter.direction === 'CREDIT') {
    if (filter.minCents !== undefined) v.min_amount = filter.minCents;
    if (filter.maxCents !== undefined) v.max_amount = filter.maxCents;
  } else if (filter.direction === 'DEBIT') {
    if (filter.maxCents !== undefined) v.min_amount = -filter.maxCents;
    if (filter.minCents !== undefined) v.max_amount = -filter.minCents;
  }
  return v;
}

/** The account's balance after its newest transaction, in the gateway's format. */
export function currentBalance(transactions: readonly Transaction[]): string | null {
  return transactions[0]?.new_balance ?? null;
}



export type AccountOrder = 'iban' | 'recent';

/**
 * The employee's account list in order: by iban (rows stay where they are
 * while balances change under load), or most recently changed first, except
 * while held: then in the held order of ibans, accounts new since at the end,
 * so nothing moves under the pointer.
 */
export function orderAccounts(accounts: readonly Transaction[], order: AccountOrder, held: readonly string[] | null = null): Transaction[] {
  if (order === 'iban') return [...accounts].sort((a, b) => (a.iban ?? '').localeCompare(b.iban ?? ''));
  const recent = [...accounts].sort((a, b) => b.id - a.id);
  if (!held) return recent;
  const at = new Map(held.map((iban, i) => [iban, i]));
  const rank = (t: Transaction) => at.get(t.iban ?? '') ?? held.length;
  return recent.sort((a, b) => rank(a) - rank(b));
}
