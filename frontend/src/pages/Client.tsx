import { useCallback, useEffect, useRef, useState } from 'react';
import { LoginForm } from '../components/LoginForm';
import { TransactionTable } from '../components/TransactionTable';
import { TransferForm } from '../components/TransferForm';
import type { Connection } from '../graphql/connection';
import { MoneyTransferDocument } from '../graphql/generated';
import { type LiveList, useConnection, useConnectionStatus, useLiveTransactions, useStale } from '../graphql/hooks';
import { formatEuro, parseGatewayEuro } from '../lib/money';
import { type Account, type TransferOutcome, forgetOutcomes, loadAccount, loadOutcomes, saveAccount, saveOutcomes } from '../lib/session';
import { currentBalance } from '../lib/transactions';
import { OVERDRAFT_CENTS, availableCents, explainRefusal } from '../lib/transferPlan';
import { uuidV4 } from '../lib/uuid';
import { DEPOSITS } from '../lib/validation';

export function Client() {
  const [account, setAccount] = useState<Account | null>(loadAccount);
  // Set when the account comes from the form (not from a reload): then the keyboard goes to it.
  const [arrived, setArrived] = useState(false);
  const choose = (a: Account | null) => {
    if (!a && account) forgetOutcomes(account.iban);
    saveAccount(a);
    setAccount(a);
    setArrived(!!a);
  };
  return account ? <AccountView account={account} arrived={arrived} onLogout={() => choose(null)} /> : <LoginForm onAccount={choose} />;
}

/** How many transfer outcomes the page keeps showing. */
const OUTCOMES_SHOWN = 6;
/** How long a transfer waits for the bank's answer, and for a connection when there is none. */
const ANSWER_WAIT_MS = 30_000;
const OFFLINE_WAIT_MS = 5_000;

async function sendTransfer(connection: Connection, account: Account, uuid: string, cents: number, from: string, to: string, descr: string) {
  const vars = { uuid, username: account.username, token: account.token, amount: cents, from, to, descr };
  // Never resent by the connection on its own: a retry is the client's, under the same uuid.
  const { money_transfer: r } = await connection.requestOnce(MoneyTransferDocument, vars, ANSWER_WAIT_MS, OFFLINE_WAIT_MS);
  return r;
}

const NO_FILTER = {};

/** The balance, or why it is not known: never €0,00 for "don't know"; marked when it may be out of date. */
function Balance({ live }: { live: LiveList }) {
  const { state } = useConnectionStatus();
  const stale = useStale(live);
  const balance = currentBalance(live.transactions) ?? (!live.loading && !live.error ? formatEuro(0) : null);
  if (balance === null) {
    return (
      <strong id="balance" className="has-text-grey-dark has-text-weight-normal is-size-5" data-state={state === 'connected' ? 'loading' : 'offline'} aria-busy="true">
        {state === 'connected' ? 'loading…' : 'unknown: not connected to the bank'}
      </strong>
    );
  }
  const cents = parseGatewayEuro(balance);
  return (
    <>
      <strong id="balance" className="nowrap" data-stale={stale}>
        {balance}
      </strong>
      {stale && (
        <span className="tag is-warning is-light ml-2 stale-tag" id="balance-stale">
          {state === 'connected' ? 'updating…' : 'may be out of date: not connected'}
        </span>
      )}
      {cents !== null && !stale && (
        <span className="is-block is-size-6 mt-1" id="available">
          You can send up to <strong className="nowrap">{formatEuro(availableCents(cents))}</strong>: your balance plus the{' '}
          <span className="nowrap">{formatEuro(OVERDRAFT_CENTS)}</span> overdraft.
        </span>
      )}
    </>
  );
}

function AccountView({ account, arrived, onLogout }: { account: Account; arrived: boolean; onLogout: () => void }) {
  const connection = useConnection();
  const live = useLiveTransactions(account.iban, NO_FILTER, 20);
  const stale = useStale(live);
  const [outcomes, setOutcomes] = useState<TransferOutcome[]>(() => loadOutcomes(account.iban));
  const [depositing, setDepositing] = useState<ReadonlySet<number>>(new Set());
  const [focusOn, setFocusOn] = useState<string | null>(null);
  const ibanRef = useRef<HTMLSpanElement>(null);
  // What the page knows of the balance, for the transfer form and the bank's refusals.
  const balance = live.loading || stale ? null : parseGatewayEuro(currentBalance(live.transactions) ?? formatEuro(0));

  useEffect(() => saveOutcomes(account.iban, outcomes), [account.iban, outcomes]);
  // The outcome of a click is where the keyboard goes next (the button may be busy meanwhile).
  useEffect(() => {
    if (!focusOn) return;
    document.querySelector<HTMLElement>(`#transfer-results li[data-uuid="${focusOn}"]`)?.focus();
    setFocusOn(null);
  }, [focusOn]);
  // A new or just logged-in account: the keyboard starts at its iban.
  useEffect(() => {
    if (arrived) ibanRef.current?.focus();
  }, [arrived]);

  const send = useCallback(
    (uuid: string, what: string, cents: number, from: string, to: string, descr: string, balanceBefore: number | null): Promise<TransferOutcome> => {
      setOutcomes((o) => [{ uuid, what, status: 'pending' as const }, ...o.filter((x) => x.uuid !== uuid)].slice(0, OUTCOMES_SHOWN));
      setFocusOn(uuid);
      const settle = (outcome: TransferOutcome) => {
        setOutcomes((o) => o.map((x) => (x.uuid === uuid ? outcome : x)));
        return outcome;
      };
      return sendTransfer(connection, account, uuid, cents, from, to, descr).then(
        (r) =>
          settle(
            r?.success
              ? { uuid, what, status: 'success', answered: true }
              : { uuid, what, status: 'failed', reason: explainRefusal(r?.reason ?? 'the bank gave no reason', balanceBefore), answered: true },
          ),
        (err: Error) => settle({ uuid, what, status: 'failed', reason: err.message }),
      );
    },
    [connection, account],
  );

  const deposit = (cents: number) => {
    // One deposit per button at a time: a double click deposits once.
    if (depositing.has(cents)) return;
    setDepositing((d) => new Set(d).add(cents));
    void send(uuidV4(), `Deposit of ${formatEuro(cents)}`, cents, 'cash', account.iban, 'deposit', null).then(() =>
      setDepositing((d) => {
        const next = new Set(d);
        next.delete(cents);
        return next;
      }),
    );
  };

  const outcomeList = (
    <section aria-labelledby="outcomes-title" className="mt-4">
      <h3 className="title is-6 mb-2" id="outcomes-title">
        Your transfers
      </h3>
      <ul id="transfer-results" aria-live="polite">
        {outcomes.length === 0 && <li className="has-text-grey-dark">None yet in this visit.</li>}
        {outcomes.map((o) => (
          <li
            key={o.uuid}
            className="transfer-result mb-1"
            data-status={o.status}
            data-uuid={o.uuid}
            tabIndex={-1}
          >
            <span className={`tag mr-2 ${o.status === 'success' ? 'is-success' : o.status === 'failed' ? 'is-danger' : 'is-info'} is-light`}>
              {o.status === 'success' ? 'done' : o.status === 'failed' ? (o.answered ? 'refused' : 'not done') : 'sending…'}
            </span>
            {o.what}
            {o.reason && <span className="reason text-debit">: {o.reason}</span>}
          </li>
        ))}
      </ul>
    </section>
  );

  return (
    <>
      <div className="is-flex is-flex-wrap-wrap is-justify-content-space-between is-align-items-flex-start mb-4" style={{ gap: '0.75rem' }}>
        <div>
          <h1 className="title is-4 mb-1">Your account</h1>
          <p>
            <span className="is-family-monospace" id="iban" tabIndex={-1} ref={ibanRef} aria-label={`Your iban: ${account.iban}`}>
              {account.iban}
            </span>{' '}
            <span className="has-text-grey-dark">({account.username})</span>
          </p>
          <p className="is-size-4 mt-1">
            Balance: <Balance live={live} />
          </p>
        </div>
        <button id="logout" type="button" className="button is-small" onClick={onLogout}>
          Log out
        </button>
      </div>

      <div className="columns">
        <div className="column is-5">
          <section className="box py-4" aria-labelledby="deposit-title">
            <h2 className="title is-6 mb-3" id="deposit-title">
              Deposit cash
            </h2>
            <div className="buttons deposits mb-0">
              {DEPOSITS.map((cents) => (
                <button
                  key={cents}
                  id={`deposit-${cents}`}
                  type="button"
                  className="button is-success is-light is-small"
                  disabled={depositing.has(cents)}
                  aria-busy={depositing.has(cents)}
                  onClick={() => deposit(cents)}
                >
                  {formatEuro(cents).replace(/,00$/, '')}
                </button>
              ))}
            </div>
          </section>
          <TransferForm
            iban={account.iban}
            balance={balance}
            send={(uuid, what, t) => send(uuid, what, t.cents, account.iban, t.to, t.descr, balance)}
            outcomes={outcomeList}
          />
        </div>
        <div className="column is-7">
          <section aria-labelledby="transactions-title">
            <h2 className="title is-5" id="transactions-title">
              Transactions
            </h2>
            <TransactionTable id="transactions" caption={`Live transactions of ${account.iban}, newest first`} {...live} />
          </section>
        </div>
      </div>
    </>
  );
}
