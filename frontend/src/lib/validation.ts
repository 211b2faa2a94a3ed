// Checks of what a client types, before anything is sent to the bank. The
// bank has the last word (tokens, balances); these catch what can be caught here.
import { BANK_IBAN, isBankIban, isValidIban, looksAlmostLikeIban, looksLikeIban, normalizeIban } from './iban';
import { parseAmountInput } from './money';

/** The original's rule: username and password of at least 8 characters each. */
export const MIN_USERNAME_LENGTH = 8;
export const MIN_PASSWORD_LENGTH = 8;
export const MAX_USERNAME_LENGTH = 100;
/** SEPA's limit for a transfer's description (remittance information). */
export const MAX_DESCRIPTION_LENGTH = 140;

/** Iban lengths of some countries (ISO 13616 registry), to say what is missing from a cut-off iban. */
export const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AT: 20,
  BE: 16,
  CH: 21,
  DE: 22,
  ES: 24,
  FR: 27,
  GB: 22,
  IE: 22,
  IT: 27,
  LU: 20,
  NL: 18,
  PT: 25,
};

export type Checked<T, F extends string> = { ok: true; value: T } | { ok: false; errors: Partial<Record<F, string>> };

export interface Login {
  username: string;
  password: string;
}

/** Username and password for login and open_account: both of at least 8 characters; the name is trimmed. */
export function checkLogin(username: string, password: string): Checked<Login, keyof Login> {
  const errors: Partial<Record<keyof Login, string>> = {};
  const name = username.trim();
  if (name === '') errors.username = 'Enter a username';
  else if ([...name].length < MIN_USERNAME_LENGTH) errors.username = `The username needs at least ${MIN_USERNAME_LENGTH} characters`;
  else if ([...name].length > MAX_USERNAME_LENGTH) errors.username = `Use at most ${MAX_USERNAME_LENGTH} characters`;
  // Code points, not UTF-16 units: an emoji is one character to its owner.
  if ([...password].length < MIN_PASSWORD_LENGTH) errors.password = `The password needs at least ${MIN_PASSWORD_LENGTH} characters`;
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, value: { username: name, password } };
}

export interface TransferInput {
  amount: string;
  to: string;
  descr: string;
}

/**
 * Where a transfer goes: an account of this bank, cash (a withdrawal), or
 * out of the bank (an iban of another bank, or a name), which is asked first.
 */
export type Destination = 'bank' | 'cash' | 'outside';

export interface Transfer {
  cents: number;
  to: string;
  descr: string;
  destination: Destination;
}

/**
 * A transfer form from account ownIban: a positive amount of at most two
 * decimals; to an iban with correct check digits (spaces allowed), "cash"
 * (a withdrawal) or any other name, but not ownIban nor text that looks like
 * a mistyped iban; a description.
 */
export function checkTransfer(input: TransferInput, ownIban: string): Checked<Transfer, keyof TransferInput> {
  const errors: Partial<Record<keyof TransferInput, string>> = {};

  const amount = parseAmountInput(input.amount);
  if (!amount.ok) errors.amount = amount.error;

  let to = input.to.trim();
  let destination: Destination = 'outside';
  const compact = normalizeIban(to);
  if (to === '') errors.to = 'Enter an iban, "cash" or a name';
  else if (/^cash$/i.test(to)) {
    to = 'cash';
    destination = 'cash';
  } else if (/^[A-Z]{2}\d{2}/.test(compact)) {
    // Two letters and two digits: meant as an iban, so it must be a whole, correct one.
    const country = compact.slice(0, 2);
    const length = IBAN_LENGTHS[country];
    if (!/^[A-Z0-9]+$/.test(compact)) errors.to = 'This looks like an iban but is not one';
    else if (length !== undefined && compact.length !== length)
      errors.to = `This iban has ${compact.length} characters; ${country} ibans have ${length}`;
    else if (!looksLikeIban(compact)) errors.to = 'This looks like an iban but is not one';
    else if (!isValidIban(compact)) errors.to = 'This iban has wrong check digits';
    else if (compact === normalizeIban(ownIban)) errors.to = "You can't transfer to your own account";
    else {
      to = compact;
      if (isBankIban(compact)) destination = 'bank';
    }
  } else if (looksAlmostLikeIban(to)) {
    // Whatever its bank code: money must not leave the bank to a mistyped iban as if it were a name.
    errors.to = 'This looks like an iban but is not a valid one; check it, or write a name in words';
  }

  const descr = input.descr.trim();
  if (descr === '') errors.descr = 'Describe the transfer';
  else if ([...descr].length > MAX_DESCRIPTION_LENGTH) errors.descr = `Use at most ${MAX_DESCRIPTION_LENGTH} characters`;

  if (Object.keys(errors).length > 0 || !amount.ok) return { ok: false, errors };
  return { ok: true, value: { cents: amount.cents, to, descr, destination } };
}

/** The deposit buttons of the client page, in cents; element ids are deposit-<cents>. */
export const DEPOSITS = [1000, 2000, 5000, 10000, 20000, 50000] as const;

/** Whether a transfer goes to the bank's own account (as the load test's do). */
export function toBank(to: string): boolean {
  return normalizeIban(to) === BANK_IBAN;
}
