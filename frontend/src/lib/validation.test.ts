import { describe, expect, it } from 'vitest';
import { BANK_IBAN } from './iban';
import { DEPOSITS, checkLogin, checkTransfer } from './validation';

const OWN = 'NL91ABNA0417164300'; // any valid iban stands for the client's own here

describe('checkLogin', () => {
  it('accepts a name and a password of 8 characters, trimming the name only', () => {
    expect(checkLogin('  alice123 ', ' 1234567')).toEqual({ ok: true, value: { username: 'alice123', password: ' 1234567' } });
  });

  it('says why a username or password is too short', () => {
    expect(checkLogin('alice123', '1234567')).toEqual({ ok: false, errors: { password: 'The password needs at least 8 characters' } });
    expect(checkLogin('  alice  ', '12345678')).toEqual({ ok: false, errors: { username: 'The username needs at least 8 characters' } });
  });

  it('counts characters, not UTF-16 units', () => {
    expect(checkLogin('alice123', '😀😀😀😀').ok).toBe(false);
    expect(checkLogin('alice123', '😀😀😀😀😀😀😀😀').ok).toBe(true);
    expect(checkLogin('😀😀😀😀', 'password').ok).toBe(false);
  });

  it('names every problem at once', () => {
    expect(checkLogin('   ', '')).toEqual({
      ok: false,
      errors: { username: 'Enter a username', password: 'The password needs at least 8 characters' },
    });
    expect(checkLogin('x'.repeat(101), 'password').ok).toBe(false);
  });
});

describe('checkTransfer', () => {
  it('accepts a transfer to the bank', () => {
    expect(checkTransfer({ amount: '12,50', to: 'nl66 open 0000 0000 00', descr: ' rent ' }, OWN)).toEqual({
      ok: true,
      value: { cents: 1250, to: BANK_IBAN, descr: 'rent', destination: 'bank' },
    });
  });

  it('accepts cash (a withdrawal) and any name', () => {
    expect(checkTransfer({ amount: '20', to: 'CASH', descr: 'atm' }, OWN)).toEqual({ ok: true, value: { cents: 2000, to: 'cash', descr: 'atm', destination: 'cash' } });
    expect(checkTransfer({ amount: '3,10', to: 'Bakery Jansen', descr: 'bread' }, OWN)).toEqual({
      ok: true,
      value: { cents: 310, to: 'Bakery Jansen', descr: 'bread', destination: 'outside' },
    });
  });

  it('refuses the own account, bad check digits and iban look-alikes', () => {
    expect(checkTransfer({ amount: '1', to: OWN.toLowerCase(), descr: 'x' }, OWN)).toEqual({
      ok: false,
      errors: { to: "You can't transfer to your own account" },
    });
    expect(checkTransfer({ amount: '1', to: 'NL67OPEN0000000000', descr: 'x' }, OWN)).toEqual({
      ok: false,
      errors: { to: 'This iban has wrong check digits' },
    });
    expect(checkTransfer({ amount: '1', to: 'NL66OPEN00000-00000', descr: 'x' }, OWN)).toEqual({
      ok: false,
      errors: { to: 'This looks like an iban but is not one' },
    });
  });

  it('refuses a cut-off iban instead of taking it for a name', () => {
    expect(checkTransfer({ amount: '1', to: 'NL66OPEN000000', descr: 'x' }, OWN)).toEqual({
      ok: false,
      errors: { to: 'This iban has 14 characters; NL ibans have 18' },
    });
    expect(checkTransfer({ amount: '1', to: 'nl66 open', descr: 'x' }, OWN)).toEqual({
      ok: false,
      errors: { to: 'This iban has 8 characters; NL ibans have 18' },
    });
    // A country without a known length: too short for any iban.
    expect(checkTransfer({ amount: '1', to: 'XK05 1212', descr: 'x' }, OWN)).toEqual({
      ok: false,
      errors: { to: 'This looks like an iban but is not one' },
    });
    // Spaces and lower case are fine in a whole one.
    expect(checkTransfer({ amount: '1', to: 'nl66 open 0000 0000 00', descr: 'x' }, OWN)).toEqual({
      ok: true,
      value: { cents: 100, to: BANK_IBAN, descr: 'x', destination: 'bank' },
    });
  });

  it('refuses almost-ibans as ibans, whatever the bank code, and sends names and other banks outside', () => {
    const refused = { ok: false, errors: { to: 'This looks like an iban but is not a valid one; check it, or write a name in words' } };
    for (const to of ['NL6OPEN0000000000', 'NLOPEN0000000000', 'DE8X370400440532013000', '0417164300', 'nl6 abna 0417 1643 00'])
      expect(checkTransfer({ amount: '1', to, descr: 'x' }, OWN), to).toEqual(refused);
    for (const to of ['Bob Smith', 'Flat 12B', 'Room 1234', 'Albert Heijn 1021'])
      expect(checkTransfer({ amount: '1', to, descr: 'x' }, OWN), to).toMatchObject({ ok: true, value: { to, destination: 'outside' } });
    expect(checkTransfer({ amount: '1', to: 'DE89 3704 0044 0532 0130 00', descr: 'x' }, OWN)).toMatchObject({
      ok: true,
      value: { to: 'DE89370400440532013000', destination: 'outside' },
    });
  });

  it('names every empty or bad field', () => {
    expect(checkTransfer({ amount: '', to: ' ', descr: '' }, OWN)).toEqual({
      ok: false,
      errors: { amount: 'Enter an amount', to: 'Enter an iban, "cash" or a name', descr: 'Describe the transfer' },
    });
    expect(checkTransfer({ amount: '-1', to: BANK_IBAN, descr: 'y'.repeat(141) }, OWN)).toEqual({
      ok: false,
      errors: { amount: 'The amount must be more than €0,00', descr: 'Use at most 140 characters' },
    });
  });

  it('has the deposit buttons the load test clicks, and the original\'s €500', () => {
    expect(DEPOSITS.map((c) => `deposit-${c}`)).toEqual(['deposit-1000', 'deposit-2000', 'deposit-5000', 'deposit-10000', 'deposit-20000', 'deposit-50000']);
  });
});
