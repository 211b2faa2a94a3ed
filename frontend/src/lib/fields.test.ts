import { print } from 'graphql';
import { describe, expect, it } from 'vitest';
import { fieldDocuments, selectedFields } from './fields';

describe('selectedFields', () => {
  it('asks for id, iban and the chosen fields, in a fixed order', () => {
    expect(selectedFields(['descr', 'changed_by'], {})).toEqual(['id', 'iban', 'changed_by', 'descr']);
    expect(selectedFields([], {})).toEqual(['id', 'iban']);
  });
  it('adds what the filter needs to read', () => {
    expect(selectedFields([], { direction: 'DEBIT', minCents: 100, descrIncludes: 'rent' })).toEqual(['id', 'iban', 'changed_by', 'direction', 'descr']);
  });
});

describe('fieldDocuments', () => {
  it('writes a query and a subscription that select those fields only', () => {
    const d = fieldDocuments(['id', 'iban', 'new_balance']);
    expect(print(d.history)).toContain('transactions_by_iban(iban: $iban, max_items: $max_items) {\n    id\n    iban\n    new_balance\n  }');
    expect(print(d.stream)).toContain('new_balance');
    expect(print(d.stream)).not.toContain('descr\n');
    expect(d.text).toContain('query TransactionsByIbanFields');
  });
});
