import { describe, expect, it } from 'vitest';
import { BANK_IBAN } from './iban';
import { OVERDRAFT_CENTS, availableCents, explainRefusal, planTransfer } from './transferPlan';
import type { Transfer } from './validation';

const toBank = (cents: number): Transfer => ({ cents, to: BANK_IBAN, descr: 'x', destination: 'bank' });

describe('planTransfer', () => {
  it('sends to this bank at once while the balance stays above zero', () => {
    expect(planTransfer(toBank(5000), 9000)).toEqual({ confirm: [] });
    expect(planTransfer(toBank(9000), 9000)).toEqual({ confirm: [] });
  });

  it('asks once before money leaves the bank, naming amount and recipient', () => {
    expect(planTransfer({ cents: 100, to: 'Bob Smith', descr: 'x', destination: 'outside' }, 9000).confirm).toEqual([
      "€1,00 leaves the bank to 'Bob Smith': it is not an account of this bank, so nobody here receives it and it cannot be undone.",
    ]);
  });

  it('asks before a withdrawal too: cash leaves the bank', () => {
    expect(planTransfer({ cents: 2000, to: 'cash', descr: 'atm', destination: 'cash' }, 9000).confirm).toEqual(['€20,00 is withdrawn as cash: it leaves the bank.']);
  });

  it('warns before the balance goes below zero', () => {
    expect(planTransfer(toBank(15000), 9000).confirm).toEqual(['Your balance goes below zero, to €-60,00: you may go down to €-500,00.']);
  });

  it('refuses more than balance and overdraft, saying what is available', () => {
    expect(availableCents(9000)).toBe(9000 + OVERDRAFT_CENTS);
    expect(planTransfer(toBank(59001), 9000)).toEqual({
      refusal: 'More than you can send: €590,00 (your balance €90,00 plus the €500,00 overdraft) is available',
      confirm: [],
    });
    expect(planTransfer(toBank(59000), 9000).refusal).toBeUndefined();
    expect(availableCents(-60000)).toBe(0);
  });

  it('leaves it to the bank when the balance is not known', () => {
    expect(planTransfer(toBank(10_000_000), null)).toEqual({ confirm: [] });
  });
});

describe('explainRefusal', () => {
  it('adds what was available to the bank\'s insufficient funds', () => {
    expect(explainRefusal('insufficient funds', 650)).toBe('insufficient funds: €506,50 (your balance €6,50 plus the €500,00 overdraft) was available');
    expect(explainRefusal('invalid token', 650)).toBe('invalid token');
    expect(explainRefusal('insufficient funds', null)).toBe('insufficient funds');
  });
});
