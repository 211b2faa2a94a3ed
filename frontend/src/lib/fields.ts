// The bank employee chooses which fields of a transaction to see, and the
// page asks the gateway for only those (as the original did, to show what
// GraphQL can do): the documents are written here at run time instead of
// taken from operations.graphql. Their results have the generated types'
// shape with the fields that were not asked for left out.
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { parse } from 'graphql';
import type {
  StreamTransactionsSubscription,
  StreamTransactionsSubscriptionVariables,
  TransactionsByIbanQuery,
  TransactionsByIbanQueryVariables,
} from '../graphql/generated';
import type { Filter } from './transactions';

export type TransactionField = 'changed_by' | 'direction' | 'from_to' | 'descr' | 'new_balance';
export const ALL_FIELDS: readonly TransactionField[] = ['changed_by', 'direction', 'from_to', 'descr', 'new_balance'];

/** The fields to ask for: id and iban always (rows are merged by id), the chosen ones, and what the filter reads. */
export function selectedFields(chosen: readonly TransactionField[], filter: Filter): string[] {
  const needed = new Set<string>(chosen);
  if (filter.direction) needed.add('direction');
  if (filter.minCents !== undefined || filter.maxCents !== undefined) needed.add('changed_by');
  if (filter.descrIncludes) needed.add('descr');
  return ['id', 'iban', ...ALL_FIELDS.filter((f) => needed.has(f))];
}

export interface FieldDocuments {
  history: TypedDocumentNode<TransactionsByIbanQuery, TransactionsByIbanQueryVariables>;
  stream: TypedDocumentNode<StreamTransactionsSubscription, StreamTransactionsSubscriptionVariables>;
  /** The two documents as text, to show. */
  text: string;
}

/** The history query and the live subscription, asking for fields only. */
export function fieldDocuments(fields: readonly string[]): FieldDocuments {
  const selection = fields.join(' ');
  const history = `query TransactionsByIbanFields($iban: String!, $max_items: Int!) {
  transactions_by_iban(iban: $iban, max_items: $max_items) { ${selection} }
}`;
  const stream = `subscription StreamTransactionsFields($iban: String, $min_amount: Int, $max_amount: Int, $direction: dtype, $descr_includes: String) {
  stream_transactions(iban: $iban, min_amount: $min_amount, max_amount: $max_amount, direction: $direction, descr_includes: $descr_includes) { ${selection} }
}`;
  return {
    history: parse(history) as TypedDocumentNode<TransactionsByIbanQuery, TransactionsByIbanQueryVariables>,
    stream: parse(stream) as TypedDocumentNode<StreamTransactionsSubscription, StreamTransactionsSubscriptionVariables>,
    text: `${history}\n\n${stream}`,
  };
}
