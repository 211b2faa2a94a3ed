// What the page tells a client before a transfer goes out: how much can be
// sent, and what needs a second look (money leaving the bank, an overdraft).
// The bank has the last word; this says beforehand what it will say.
import { formatEuro } from './money';
import type { Transfer } from './validation';

/**
 * How far below zero an account may go, in cents: the command handler's
 * ledger.DefaultLimit (−€500) for every account. The gateway does not tell
 * it, so the page knows it from here; change both together.
 */
export const OVERDRAFT_CENTS = 50_000;

/** What can be sent from a balance: the balance plus the overdraft, never less than nothing. */
export function availableCents(balanceCents: number): number {
  return Math.max(0, balanceCents + OVERDRAFT_CENTS);
}

/** "€590,00 (your balance €90,00 plus the €500,00 overdraft)". */
export function describeAvailable(balanceCents: number): string {
  return `${formatEuro(availableCents(balanceCents))} (your balance ${formatEuro(balanceCents)} plus the ${formatEuro(OVERDRAFT_CENTS)} overdraft)`;
}

export interface TransferPlan {
  /** Why the page will not send it (more than is available). */
  refusal?: string;
  /** What the client confirms first; empty: send at once. */
  confirm: string[];
}

/**
 * Plans transfer t from an account whose balance is balanceCents (null: not
 * known, e.g. not yet loaded or out of date; then the bank alone decides).
 */
export function planTransfer(t: Transfer, balanceCents: number | null): TransferPlan {
  const confirm: string[] = [];
  if (t.destination === 'outside') {
    confirm.push(`${formatEuro(t.cents)} leaves the bank to '${t.to}': it is not an account of this bank, so nobody here receives it and it cannot be undone.`);
  } else if (t.destination === 'cash') {
    confirm.push(`${formatEuro(t.cents)} is withdrawn as cash: it leaves the bank.`);
  }
  if (balanceCents !== null) {
    if (t.cents > availableCents(balanceCents)) {
      return { refusal: `More than you can send: ${describeAvailable(balanceCents)} is available`, confirm: [] };
    }
    const after = balanceCents - t.cents;
    if (after < 0) {
      confirm.push(`Your balance goes below zero, to ${formatEuro(after)}: you may go down to ${formatEuro(-OVERDRAFT_CENTS)}.`);
    }
  }
  return { confirm };
}

/** The bank's reason for a refusal, with what was available when it says the funds were short. */
export function explainRefusal(reason: string, balanceCents: number | null): string {
  if (balanceCents === null || !/insufficient funds/i.test(reason)) return reason;
  return `${reason}: ${describeAvailable(balanceCents)} was available`;
}
