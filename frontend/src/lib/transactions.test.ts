import { describe, expect, it } from 'vitest';
import { type Transaction, currentBalance, latestPerIban, matches, mergeTransactions, orderAccounts, parseFilter, streamVariables, EMPTY_FILTER_INPUT } from './transactions';

function tx(id: number, changedBy: string, direction: 'DEBIT' | 'CREDIT', descr = 'deposit', iban = 'NL66OPEN0000000000'): Transaction {
  return { id, iban, new_balance: '€1,00', changed_by: changedBy, from_to: 'cash', descr, direction };
}

describe('mergeTransactions', () => {
  it('keeps each id once, newest first, at most limit', () => {
    const merged = mergeTransactions([tx(3, '€1,00', 'CREDIT'), tx(1, '€1,00', 'CREDIT')], [tx(2, '€1,00', 'CREDIT'), null, tx(3, '€9,00', 'CREDIT'), tx(4, '€1,00', 'CREDIT')], 3);
    expect(merged.map((t) => t.id)).toEqual([4, 3, 2]);
    expect(merged[1]!.changed_by).toBe('€9,00');
  });
});

describe('latestPerIban', () => {
  it('keeps the newest transaction of each iban, newest first', () => {
    const list = latestPerIban([tx(5, '€1,00', 'CREDIT', 'a', 'A'), tx(2, '€1,00', 'CREDIT', 'b', 'B')], [tx(3, '€1,00', 'CREDIT', 'c', 'A'), tx(7, '€1,00', 'CREDIT', 'd', 'B')]);
    expect(list.map((t) => [t.iban, t.id])).toEqual([
      ['B', 7],
      ['A', 5],
    ]);
  });
});

describe('filters', () => {
  it('reads the form, blank fields not filtering', () => {
    expect(parseFilter(EMPTY_FILTER_INPUT)).toEqual({ ok: true, filter: {} });
    expect(parseFilter({ direction: 'DEBIT', min: '10', max: '50,5', descr: ' Rent ' })).toEqual({
      ok: true,
      filter: { direction: 'DEBIT', minCents: 1000, maxCents: 5050, descrIncludes: 'Rent' },
    });
  });

  it('says what is wrong with the bounds', () => {
    expect(parseFilter({ direction: '', min: 'abc', max: '', descr: '' })).toEqual({ ok: false, errors: { min: 'Enter an amount in euros, e.g. 12,50' } });
    expect(parseFilter({ direction: '', min: '20', max: '10', descr: '' })).toEqual({ ok: false, errors: { max: 'The maximum is below the minimum' } });
  });

  it('matches direction, amount (absolute) and description', () => {
    const debit = tx(1, '€25,00', 'DEBIT', 'Monthly RENT');
    expect(matches(debit, {})).toBe(true);
    expect(matches(debit, { direction: 'DEBIT', minCents: 2500, maxCents: 2500, descrIncludes: 'rent' })).toBe(true);
    expect(matches(debit, { direction: 'CREDIT' })).toBe(false);
    expect(matches(debit, { minCents: 2501 })).toBe(false);
    expect(matches(debit, { maxCents: 2499 })).toBe(false);
    expect(matches(debit, { descrIncludes: 'salary' })).toBe(false);
  });

  it('sends the gateway signed bounds only with a direction', () => {
    expect(streamVariables('NL66OPEN0000000000', { minCents: 100, maxCents: 500 })).toEqual({ iban: 'NL66OPEN0000000000' });
    expect(streamVariables(undefined, { direction: 'CREDIT', minCents: 100, maxCents: 500, descrIncludes: 'x' })).toEqual({
      direction: 'CREDIT',
      min_amount: 100,
      max_amount: 500,
      descr_includes: 'x',
    });
    expect(streamVariables('A', { direction: 'DEBIT', minCents: 100, maxCents: 500 })).toEqual({ iban: 'A', direction: 'DEBIT', min_amount: -500, max_amount: -100 });
  });

  it('takes the balance from the newest transaction', () => {
    expect(currentBalance([])).toBeNull();
    expect(currentBalance([tx(2, '€1,00', 'CREDIT')])).toBe('€1,00');
  });
});

describe('orderAccounts', () => {
  const t = (id: number, iban: string) => ({ id, iban, new_balance: null, changed_by: null, from_to: null, descr: null, direction: null });
  const accounts = [t(5, 'NL02B'), t(9, 'NL01A'), t(7, 'NL03C')];
  const ibans = (list: { iban: string | null }[]) => list.map((a) => a.iban);

  it('sorts by iban or by the most recent change', () => {
    expect(ibans(orderAccounts(accounts, 'iban'))).toEqual(['NL01A', 'NL02B', 'NL03C']);
    expect(ibans(orderAccounts(accounts, 'recent'))).toEqual(['NL01A', 'NL03C', 'NL02B']);
  });

  it('keeps a held order while changes arrive, new accounts at the end', () => {
    const later = [t(12, 'NL02B'), t(9, 'NL01A'), t(7, 'NL03C'), t(11, 'NL04D')];
    expect(ibans(orderAccounts(later, 'recent', ['NL01A', 'NL03C', 'NL02B']))).toEqual(['NL01A', 'NL03C', 'NL02B', 'NL04D']);
    expect(ibans(orderAccounts(later, 'recent'))).toEqual(['NL02B', 'NL04D', 'NL01A', 'NL03C']);
  });
});
