// IBANs (ISO 13616): two letters, two check digits, up to 30 letters and
// digits; valid when the rearranged number is 1 modulo 97.

/** The bank's own account: deposits come from it and transfers may go to it. */
export const BANK_IBAN = 'NL66OPEN0000000000';

/** Removes spaces and upper-cases: "nl66 open 0000 0000 00" → "NL66OPEN0000000000". */
export function normalizeIban(text: string): string {
  return text.replace(/\s+/g, '').toUpperCase();
}

/** Whether text is shaped like an IBAN (whatever its check digits say). */
export function looksLikeIban(text: string): boolean {
  return /^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(normalizeIban(text));
}

/** Whether text is an IBAN with correct check digits. */
export function isValidIban(text: string): boolean {
  const iban = normalizeIban(text);
  if (!looksLikeIban(iban)) return false;
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (const ch of rearranged) {
    const value = ch >= 'A' && ch <= 'Z' ? ch.charCodeAt(0) - 55 : Number(ch);
    remainder = (remainder * (value >= 10 ? 100 : 10) + value) % 97;
  }
  return remainder === 1;
}

/** Whether iban is an account of this bank: NL, check digits, OPEN, ten digits. */
export function isBankIban(text: string): boolean {
  const iban = normalizeIban(text);
  return /^NL\d{2}OPEN\d{10}$/.test(iban) && isValidIban(iban);
}

/**
 * Whether text that is not an iban still looks like one mistyped, so that
 * money is not sent to it as a name: a country code and a digit (NL6OPEN…,
 * a check digit lost), or mostly digits (an account number, or an iban whose
 * letters went missing). Names in words ("Bob Smith", "Flat 12B") are not.
 */
export function looksAlmostLikeIban(text: string): boolean {
  const compact = text.replace(/[\s.\-/]/g, '').toUpperCase();
  if (!/^[A-Z0-9]{10,34}$/.test(compact)) return false;
  const digits = compact.replace(/\D/g, '').length;
  if (/^[A-Z]{2}\d/.test(compact) && digits >= 6) return true;
  return digits >= 8 && digits * 2 >= compact.length;
}
