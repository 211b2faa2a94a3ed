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
