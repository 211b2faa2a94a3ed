import { describe, expect, it } from 'vitest';
import { RELOADED_REASON, type SessionStore, forgetOutcomes, loadAccount, loadOutcomes, saveAccount, saveOutcomes } from './session';

function memory(): SessionStore & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return { data, getItem: (k) => data.get(k) ?? null, setItem: (k, v) => void data.set(k, v), removeItem: (k) => void data.delete(k) };
}

describe('session', () => {
  it('keeps the account', () => {
    const s = memory();
    saveAccount({ username: 'alice123', iban: 'NL66OPEN0000000000', token: 't' }, s);
    expect(loadAccount(s)).toEqual({ username: 'alice123', iban: 'NL66OPEN0000000000', token: 't' });
    saveAccount(null, s);
    expect(loadAccount(s)).toBeNull();
  });

  it('keeps the outcomes per iban; one still being sent says it is not any more', () => {
    const s = memory();
    saveOutcomes('A', [
      { uuid: '1', what: '€1,00 to Bob', status: 'pending' },
      { uuid: '2', what: 'Deposit of €10,00', status: 'success', answered: true },
    ], s);
    expect(loadOutcomes('A', s)).toEqual([
      { uuid: '1', what: '€1,00 to Bob', status: 'failed', reason: RELOADED_REASON },
      { uuid: '2', what: 'Deposit of €10,00', status: 'success', answered: true },
    ]);
    expect(loadOutcomes('B', s)).toEqual([]);
    forgetOutcomes('A', s);
    expect(loadOutcomes('A', s)).toEqual([]);
  });

  it('survives what is not its own', () => {
    const s = memory();
    s.setItem('open-bank.transfers.A', '{not json');
    s.setItem('open-bank.account', '{"iban": "x"}');
    expect(loadOutcomes('A', s)).toEqual([]);
    expect(loadAccount(s)).toBeNull();
  });
});
