// Euro amounts: the bank counts in cents; the gateway shows them the Dutch
// way (€1.234,56) and people type them either way (12,50 or 12.50).

/** The largest amount a transfer can carry: GraphQL Int is 32 bits of cents. */
export const MAX_TRANSFER_CENTS = 2_147_483_647;

/** Formats cents as the gateway does: €10,00, €1.234,56, €-5,00. */
export function formatEuro(cents: number): string {
  if (!Number.isSafeInteger(cents)) throw new RangeError(`${cents} is not a whole number of cents`);
  const negative = cents < 0;
  const abs = Math.abs(cents);
  const whole = Math.floor(abs / 100)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, '.');
  const fraction = (abs % 100).toString().padStart(2, '0');
  return `€${negative ? '-' : ''}${whole},${fraction}`;
}

/** Reads an amount the gateway formatted (€1.234,56, €-5,00) back into cents; null when it is not one. */
export function parseGatewayEuro(text: string | null | undefined): number | null {
  const m = /^€(-?)(\d{1,3}(?:\.\d{3})*),(\d{2})$/.exec((text ?? '').trim());
  if (!m) return null;
  const cents = Number(m[2]!.replace(/\./g, '')) * 100 + Number(m[3]);
  if (!Number.isSafeInteger(cents)) return null;
  return m[1] ? -cents : cents;
}

export type AmountResult = { ok: true; cents: number } | { ok: false; error: string };

/**
 * Reads an amount a person typed, in euros: "10", "10,5", "12,50", "1.234,56",
 * "1,234.56", "12.50", with or without "€". A comma is the decimal separator
 * (Dutch); a dot is one too when it is the only separator and one or two
 * digits follow it, otherwise dots and commas group thousands.
 */
export function parseAmountInput(input: string): AmountResult {
  const text = input.replace(/[\s\u00a0]/g, '').replace(/^€/, '');
  if (text === '') return { ok: false, error: 'Enter an amount' };
  if (text.startsWith('-')) return { ok: false, error: 'The amount must be more than €0,00' };
  if (!/^[\d.,]+$/.test(text) || !/\d/.test(text)) return { ok: false, error: 'Enter an amount in euros, e.g. 12,50' };

  const lastComma = text.lastIndexOf(',');
  const lastDot = text.lastIndexOf('.');
  let decimalAt = -1;
  if (lastComma >= 0 && lastDot >= 0) decimalAt = Math.max(lastComma, lastDot);
  else if (lastComma >= 0) decimalAt = text.indexOf(',') === lastComma ? lastComma : -2;
  else if (lastDot >= 0 && text.indexOf('.') === lastDot && text.length - lastDot - 1 <= 2) decimalAt = lastDot;
  if (decimalAt === -2) return { ok: false, error: 'Enter an amount in euros, e.g. 12,50' };

  const wholePart = decimalAt >= 0 ? text.slice(0, decimalAt) : text;
  const fractionPart = decimalAt >= 0 ? text.slice(decimalAt + 1) : '';
  if (!/^\d*$/.test(fractionPart)) return { ok: false, error: 'Enter an amount in euros, e.g. 12,50' };
  if (fractionPart.length > 2) return { ok: false, error: 'Use at most two digits for the cents' };
  // Thousands separators, if any, must group by three: 1.234.567 but not 12.34.
  const separator = decimalAt >= 0 ? (text[decimalAt] === ',' ? '.' : ',') : wholePart.includes('.') ? '.' : ',';
  const groups = wholePart.split(separator);
  const groupedWell =
    groups.every((g) => /^\d+$/.test(g)) && groups.slice(1).every((g) => g.length === 3) && groups[0]!.length <= (groups.length > 1 ? 3 : Infinity);
  if (wholePart !== '' && !groupedWell) return { ok: false, error: 'Enter an amount in euros, e.g. 12,50' };

  const cents = Number(groups.join('') || '0') * 100 + Number(fractionPart.padEnd(2, '0') || '0');
  if (!Number.isSafeInteger(cents)) return { ok: false, error: 'That amount is too large' };
  if (cents <= 0) return { ok: false, error: 'The amount must be more than €0,00' };
  if (cents > MAX_TRANSFER_CENTS) return { ok: false, error: `At most ${formatEuro(MAX_TRANSFER_CENTS)} per transfer` };
  return { ok: true, cents };
}
