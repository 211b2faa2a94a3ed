import { describe, expect, it } from 'vitest';
import { BANK_IBAN, isBankIban, isValidIban, looksLikeIban, normalizeIban } from './iban';

describe('iban', () => {
  it('knows the bank account', () => {
    expect(isValidIban(BANK_IBAN)).toBe(true);
    expect(isBankIban(BANK_IBAN)).toBe(true);
  });

  it.each(['NL91ABNA0417164300', 'DE89370400440532013000', 'GB82WEST12345698765432', 'nl91 abna 0417 1643 00'])('%s is valid', (iban) => {
    expect(isValidIban(iban)).toBe(true);
  });

  it.each(['NL92ABNA0417164300', 'NL66OPEN0000000001', 'NL66', 'cash', ''])('%j is not valid', (iban) => {
    expect(isValidIban(iban)).toBe(false);
  });

  it('tells accounts of this bank from others', () => {
    expect(isBankIban('NL91ABNA0417164300')).toBe(false);
    expect(isBankIban('NL65OPEN0000000000')).toBe(false);
  });

  it('normalizes spaces and case', () => {
    expect(normalizeIban(' nl66 open 0000 0000 00 ')).toBe(BANK_IBAN);
    expect(looksLikeIban('nl66 open 0000 0000 00')).toBe(true);
    expect(looksLikeIban('Albert Heijn')).toBe(false);
  });
});
