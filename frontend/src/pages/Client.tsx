import { useCallback, useState } from 'react';
import { TransactionTable } from '../components/TransactionTable';
import { TransferForm, type TransferOutcome } from '../components/TransferForm';
import type { Connection } from '../graphql/connection';
import { LoginDocument, MoneyTransferDocument, OpenAccountDocument } from '../graphql/generated';
import { type LiveList, useConnection, useConnectionStatus, useLiveTransactions } from '../graphql/hooks';
import { formatEuro } from '../lib/money';
import { currentBalance } from '../lib/transactions';
import { uuidV4 } from '../lib/uuid';
import { DEPOSITS, checkLogin } from '../lib/validation';

interface Account {
  username: string;
  iban: string;
  token: string;
}

// The account stays open for the browser tab, so a reload keeps the client logged in.
const SESSION_KEY = 'open-bank.account';

function loadAccount(): Account | null {
  try {
    const a = JSON.parse(sessionStorage.getItem(SESSION_KEY) ?? 'null') as Account | null;
    return a && a.iban && a.token && a.username ? a : null;
  } catch {
    return null;
  }
}

function saveAccount(a: Account | null) {
  try {
    if (a) sessionStorage.setItem(SESSION_KEY, JSON.stringify(a));
    else sessionStorage.removeItem(SESSION_KEY);
  } catch {
    // Without storage the account lasts as long as the page.
  }
}

export function Client() {
  const [account, setAccount] = useState<Account | null>(loadAccount);
  const choose = (a: Account | null) => {
    saveAccount(a);
    setAccount(a);
  };
  return account ? <AccountView account={account} onLogout={() => choose(null)} /> : <LoginForm onAccount={choose} />;
}

/** How long the page waits for the bank's answer to a log-in before saying so. */
const ANSWER_TIMEOUT_MS = 15_000;

type LoginAction = 'login' | 'open';

function LoginForm({ onAccount }: { onAccount: (a: Account) => void }) {
  const connection = useConnection();
  const { state } = useConnectionStatus();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<{ username?: string; password?: string }>({});
  const [reason, setReason] = useState<string | null>(null);
  const [busy, setBusy] = useState<LoginAction | null>(null);

  async function submit(action: LoginAction) {
    const checked = checkLogin(username, password);
    setReason(null);
    if (!checked.ok) {
      setErrors(checked.errors);
      return;
    }
    setErrors({});
    setBusy(action);
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), ANSWER_TIMEOUT_MS);
    try {
      const result =
        action === 'login'
          ? (await connection.request(LoginDocument, checked.value, abort.signal)).login
          : (await connection.request(OpenAccountDocument, checked.value, abort.signal)).open_account;
      if (result?.iban && result.token && !result.reason) onAccount({ username: checked.value.username, iban: result.iban, token: result.token });
      else setReason(result?.reason ?? 'the bank gave no account and no reason');
    } catch (err) {
      const e = err as Error;
      setReason(
        e.name === 'AbortError'
          ? `the bank did not answer within ${ANSWER_TIMEOUT_MS / 1000} s${connection.getStatus().state === 'connected' ? '' : ' (no connection to the bank)'}; try again`
          : e.message,
      );
    } finally {
      clearTimeout(timer);
      setBusy(null);
    }
  }

  const offline = state !== 'connected';
  return (
    <section className="columns is-centered">
      <div className="column is-6-tablet is-5-desktop">
        <h1 className="title">Client</h1>
        <p className="mb-4">Log in to your account, or open a new one. Username and password need at least 8 characters each.</p>
        <form
          className="box"
          onSubmit={(e) => {
            e.preventDefault();
            void submit('login');
          }}
          noValidate
          aria-describedby={reason ? 'login-reason' : undefined}
        >
          <Field id="username" label="Username" error={errors.username} help="At least 8 characters.">
            <input
              id="username"
              className={`input ${errors.username ? 'is-danger' : ''}`}
              autoComplete="username"
              value={username}
              onChange={(e) => setUsername(e.target.value)}
              aria-invalid={!!errors.username}
              aria-describedby={errors.username ? 'username-error' : 'username-help'}
              required
            />
          </Field>
          <Field id="password" label="Password" error={errors.password} help="At least 8 characters.">
            <input
              id="password"
              type="password"
              className={`input ${errors.password ? 'is-danger' : ''}`}
              autoComplete="current-password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              aria-invalid={!!errors.password}
              aria-describedby={errors.password ? 'password-error' : 'password-help'}
              required
              minLength={8}
            />
          </Field>
          {reason && (
            <div className="notification is-danger is-light" id="login-reason" role="alert">
              Not logged in: {reason}
              {reason === 'incorrect username or password' && (
                <>
                  . Check the spelling and the password, or open a new account with this username.
                </>
              )}
            </div>
          )}
          {offline && busy === null && (
            <p className="help mb-3" id="login-offline">
              Not connected to the bank yet; logging in works once the connection is there.
            </p>
          )}
          <div className="buttons">
            <button id="login" type="submit" className={`button is-primary ${busy === 'login' ? 'is-loading' : ''}`} disabled={busy !== null}>
              Log in
            </button>
            <button
              id="open-account"
              type="button"
              className={`button is-link is-outlined ${busy === 'open' ? 'is-loading' : ''}`}
              disabled={busy !== null}
              onClick={() => void submit('open')}
            >
              Open a new account
            </button>
          </div>
        </form>
      </div>
    </section>
  );
}

function Field({ id, label, error, help, children }: { id: string; label: string; error?: string; help?: string; children: React.ReactNode }) {
  return (
    <div className="field">
      <label className="label" htmlFor={id}>
        {label}
      </label>
      <div className="control">{children}</div>
      {error ? (
        <p className="help is-danger" id={`${id}-error`}>
          {error}
        </p>
      ) : (
        help && (
          <p className="help" id={`${id}-help`}>
            {help}
          </p>
        )
      )}
    </div>
  );
}

/** How many transfer outcomes the page keeps showing. */
const OUTCOMES_SHOWN = 6;

async function sendTransfer(connection: Connection, account: Account, uuid: string, cents: number, from: string, to: string, descr: string) {
  const { money_transfer: r } = await connection.request(MoneyTransferDocument, {
    uuid,
    username: account.username,
    token: account.token,
    amount: cents,
    from,
    to,
    descr,
  });
  return r;
}

const NO_FILTER = {};

/** The balance, or why it is not known yet: never €0,00 for "don't know". */
function Balance({ live }: { live: LiveList }) {
  const { state } = useConnectionStatus();
  const balance = currentBalance(live.transactions);
  if (balance) return <strong id="balance">{balance}</strong>;
  if (!live.loading && !live.error) return <strong id="balance">{formatEuro(0)}</strong>;
  return (
    <strong id="balance" className="has-text-grey-dark has-text-weight-normal is-size-5" data-state={state === 'connected' ? 'loading' : 'offline'} aria-busy="true">
      {state === 'connected' ? 'loading…' : 'unknown: not connected to the bank'}
    </strong>
  );
}

function AccountView({ account, onLogout }: { account: Account; onLogout: () => void }) {
  const connection = useConnection();
  const live = useLiveTransactions(account.iban, NO_FILTER, 20);
  const [outcomes, setOutcomes] = useState<TransferOutcome[]>([]);
  const [depositing, setDepositing] = useState<ReadonlySet<number>>(new Set());

  const send = useCallback(
    (uuid: string, what: string, cents: number, from: string, to: string, descr: string): Promise<TransferOutcome> => {
      setOutcomes((o) => [{ uuid, what, status: 'pending' as const }, ...o.filter((x) => x.uuid !== uuid)].slice(0, OUTCOMES_SHOWN));
      const settle = (outcome: TransferOutcome) => {
        setOutcomes((o) => o.map((x) => (x.uuid === uuid ? outcome : x)));
        return outcome;
      };
      return sendTransfer(connection, account, uuid, cents, from, to, descr).then(
        (r) => settle(r?.success ? { uuid, what, status: 'success', answered: true } : { uuid, what, status: 'failed', reason: r?.reason ?? 'the bank gave no reason', answered: true }),
        (err: Error) => settle({ uuid, what, status: 'failed', reason: err.message }),
      );
    },
    [connection, account],
  );

  const deposit = (cents: number) => {
    // One deposit per button at a time: a double click deposits once.
    if (depositing.has(cents)) return;
    setDepositing((d) => new Set(d).add(cents));
    void send(uuidV4(), `Deposit of ${formatEuro(cents)}`, cents, 'cash', account.iban, 'deposit').then(() =>
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
          <li key={o.uuid} className="transfer-result mb-1" data-status={o.status} data-uuid={o.uuid}>
            <span className={`tag mr-2 ${o.status === 'success' ? 'is-success' : o.status === 'failed' ? 'is-danger' : 'is-info'} is-light`}>
              {o.status === 'success' ? 'done' : o.status === 'failed' ? 'refused' : 'sending…'}
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
            <span className="is-family-monospace" id="iban">
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
          <TransferForm iban={account.iban} send={(uuid, what, t) => send(uuid, what, t.cents, account.iban, t.to, t.descr)} outcomes={outcomeList} />
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
