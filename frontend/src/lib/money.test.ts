import { describe, expect, it } from 'vitest';
import { MAX_TRANSFER_CENTS, formatEuro, parseAmountInput, parseGatewayEuro } from './money';

describe('formatEuro', () => {
  it.each([
    [0, '€0,00'],
    [5, '€0,05'],
    [1000, '€10,00'],
    [123456, '€1.234,56'],
    [100000000000, '€1.000.000.000,00'],
    [-500, '€-5,00'],
    [-123456789, '€-1.234.567,89'],
  ])('%d cents is %s', (cents, text) => {
    expect(formatEuro(cents)).toBe(text);
  });

  it('refuses fractions of a cent', () => {
    expect(() => formatEuro(1.5)).toThrow(RangeError);
  });
});

describe('parseGatewayEuro', () => {
  it.each([
    ['€10,00', 1000],
    ['€1.234,56', 123456],
    ['€-5,00', -500],
    ['€0,01', 1],
    ['€90.071.992.547.409,91', Number.MAX_SAFE_INTEGER],
  ])('%s is %d cents', (text, cents) => {
    expect(parseGatewayEuro(text)).toBe(cents);
  });

  it.each(['', '10,00', '€10', '€1234,56', '€1.23,45', 'abc'])('%j is no amount', (text) => {
    expect(parseGatewayEuro(text)).toBeNull();
  });

  it('gives no number it cannot hold exactly (the bank account holds 10^17 cents)', () => {
    expect(parseGatewayEuro('€1.000.000.000.000.000,00')).toBeNull();
  });

  it('reads back what formatEuro writes', () => {
    for (const cents of [0, 7, 99, 100, 999999, -1, 2147483647]) expect(parseGatewayEuro(formatEuro(cents))).toBe(cents);
  });
});

describe('parseAmountInput', () => {
  it.each([
    ['10', 1000],
    ['10,5', 1050],
    ['12,50', 1250],
    ['12.50', 1250],
    ['0,01', 1],
    ['€ 20', 2000],
    ['1.234,56', 123456],
    ['1,234.56', 123456],
    ['1.234', 123400],
    ['1.234.567', 123456700],
    [',50', 50],
    ['21.474.836,47', MAX_TRANSFER_CENTS],
  ])('%j is %d cents', (input, cents) => {
    expect(parseAmountInput(input)).toEqual({ ok: true, cents });
  });

  it.each([
    ['', 'Enter an amount'],
    ['   ', 'Enter an amount'],
    ['0', 'The amount must be more than €0,00'],
    ['0,00', 'The amount must be more than €0,00'],
    ['-5', 'The amount must be more than €0,00'],
    ['1,234', 'Use at most two digits for the cents'],
    ['12,345', 'Use at most two digits for the cents'],
    ['abc', 'Enter an amount in euros, e.g. 12,50'],
    ['1e5', 'Enter an amount in euros, e.g. 12,50'],
    ['12.34.56', 'Enter an amount in euros, e.g. 12,50'],
    ['1,2,3', 'Enter an amount in euros, e.g. 12,50'],
    ['.', 'Enter an amount in euros, e.g. 12,50'],
    ['21.474.836,48', 'At most €21.474.836,47 per transfer'],
  ])('%j is refused: %s', (input, error) => {
    expect(parseAmountInput(input)).toEqual({ ok: false, error });
  });
});
