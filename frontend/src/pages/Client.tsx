import { type FormEvent, useCallback, useId, useRef, useState } from 'react';
import { TransactionTable } from '../components/TransactionTable';
import type { Connection } from '../graphql/connection';
import { GetAccountDocument, MoneyTransferDocument } from '../graphql/generated';
import { useConnection, useLiveTransactions } from '../graphql/hooks';
import { BANK_IBAN } from '../lib/iban';
import { formatEuro } from '../lib/money';
import { currentBalance } from '../lib/transactions';
import { uuidV4 } from '../lib/uuid';
import { DEPOSITS, type TransferInput, checkLogin, checkTransfer } from '../lib/validation';

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

function LoginForm({ onAccount }: { onAccount: (a: Account) => void }) {
  const connection = useConnection();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<{ username?: string; password?: string }>({});
  const [reason, setReason] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const checked = checkLogin(username, password);
    setReason(null);
    if (!checked.ok) {
      setErrors(checked.errors);
      return;
    }
    setErrors({});
    setBusy(true);
    try {
      const { get_account: result } = await connection.request(GetAccountDocument, checked.value);
      if (result?.iban && result.token && !result.reason) onAccount({ username: checked.value.username, iban: result.iban, token: result.token });
      else setReason(result?.reason ?? 'the bank gave no account and no reason');
    } catch (err) {
      setReason((err as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="columns is-centered">
      <div className="column is-6-tablet is-5-desktop">
        <h1 className="title">Client</h1>
        <p className="mb-4">
          Log in, or open an account by choosing a username that is not taken yet. Username and password need at least 8 characters
          each.
        </p>
        <form className="box" onSubmit={submit} noValidate aria-describedby={reason ? 'login-reason' : undefined}>
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
            <p className="notification is-danger is-light" id="login-reason" role="alert">
              Not logged in: {reason}
            </p>
          )}
          <button id="login" type="submit" className={`button is-primary is-fullwidth ${busy ? 'is-loading' : ''}`} disabled={busy}>
            Log in or open account
          </button>
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

interface TransferOutcome {
  uuid: string;
  what: string;
  status: 'pending' | 'success' | 'failed';
  reason?: string;
}

/** How many transfer outcomes the page keeps showing. */
const OUTCOMES_SHOWN = 8;

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

function AccountView({ account, onLogout }: { account: Account; onLogout: () => void }) {
  const connection = useConnection();
  const live = useLiveTransactions(account.iban, NO_FILTER, 20);
  const balance = currentBalance(live.transactions);
  const [outcomes, setOutcomes] = useState<TransferOutcome[]>([]);

  const transfer = useCallback(
    (what: string, cents: number, from: string, to: string, descr: string) => {
      const uuid = uuidV4();
      setOutcomes((o) => [{ uuid, what, status: 'pending' as const }, ...o].slice(0, OUTCOMES_SHOWN));
      const settle = (status: TransferOutcome['status'], reason?: string) =>
        setOutcomes((o) => o.map((x) => (x.uuid === uuid ? { ...x, status, ...(reason ? { reason } : {}) } : x)));
      return sendTransfer(connection, account, uuid, cents, from, to, descr).then(
        (r) => {
          if (r?.success) settle('success');
          else settle('failed', r?.reason ?? 'the bank gave no reason');
          return !!r?.success;
        },
        (err: Error) => {
          settle('failed', err.message);
          return false;
        },
      );
    },
    [connection, account],
  );

  return (
    <>
      <div className="is-flex is-flex-wrap-wrap is-justify-content-space-between is-align-items-flex-start mb-4" style={{ gap: '0.75rem' }}>
        <div>
          <h1 className="title mb-1">Your account</h1>
          <p>
            <span className="is-family-monospace" id="iban">
              {account.iban}
            </span>{' '}
            <span className="has-text-grey">({account.username})</span>
          </p>
        </div>
        <button id="logout" type="button" className="button is-small" onClick={onLogout}>
          Log out
        </button>
      </div>
      <p className="is-size-4 mb-4">
        Balance: <strong id="balance">{balance ?? formatEuro(0)}</strong>
      </p>

      <div className="columns">
        <div className="column is-5">
          <section className="box" aria-labelledby="deposit-title">
            <h2 className="title is-5" id="deposit-title">
              Deposit cash
            </h2>
            <div className="buttons deposits">
              {DEPOSITS.map((cents) => (
                <button
                  key={cents}
                  id={`deposit-${cents}`}
                  type="button"
                  className="button is-success is-light"
                  onClick={() => void transfer(`Deposit of ${formatEuro(cents)}`, cents, 'cash', account.iban, 'deposit')}
                >
                  {formatEuro(cents).replace(/,00$/, '')}
                </button>
              ))}
            </div>
          </section>
          <TransferForm iban={account.iban} onTransfer={(t) => transfer(`${formatEuro(t.cents)} to ${t.to}`, t.cents, account.iban, t.to, t.descr)} />
          <section aria-labelledby="outcomes-title">
            <h2 className="title is-6" id="outcomes-title">
              Your transfers
            </h2>
            <ul id="transfer-results" aria-live="polite">
              {outcomes.length === 0 && <li className="has-text-grey">None yet in this visit.</li>}
              {outcomes.map((o) => (
                <li key={o.uuid} className="transfer-result mb-1" data-status={o.status} data-uuid={o.uuid}>
                  <span className={`tag mr-2 ${o.status === 'success' ? 'is-success' : o.status === 'failed' ? 'is-danger' : 'is-info'} is-light`}>
                    {o.status === 'success' ? 'done' : o.status === 'failed' ? 'refused' : 'sending…'}
                  </span>
                  {o.what}
                  {o.reason && <span className="reason has-text-danger">: {o.reason}</span>}
                </li>
              ))}
            </ul>
          </section>
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

function TransferForm({ iban, onTransfer }: { iban: string; onTransfer: (t: { cents: number; to: string; descr: string }) => Promise<boolean> }) {
  const [input, setInput] = useState<TransferInput>({ amount: '', to: '', descr: '' });
  const [errors, setErrors] = useState<Partial<Record<keyof TransferInput, string>>>({});
  const firstInvalid = useRef<Record<keyof TransferInput, HTMLInputElement | null>>({ amount: null, to: null, descr: null });
  const idPrefix = useId();

  function submit(e: FormEvent) {
    e.preventDefault();
    const checked = checkTransfer(input, iban);
    if (!checked.ok) {
      setErrors(checked.errors);
      const first = (['amount', 'to', 'descr'] as const).find((k) => checked.errors[k]);
      if (first) firstInvalid.current[first]?.focus();
      return;
    }
    setErrors({});
    void onTransfer(checked.value).then((ok) => {
      if (ok) setInput((i) => ({ ...i, amount: '', descr: '' }));
    });
  }

  const field = (key: keyof TransferInput, label: string, props: React.InputHTMLAttributes<HTMLInputElement>, help?: string) => (
    <div className="field">
      <label className="label" htmlFor={`transfer-${key}`}>
        {label}
      </label>
      <div className="control">
        <input
          id={`transfer-${key}`}
          ref={(el) => {
            firstInvalid.current[key] = el;
          }}
          className={`input ${errors[key] ? 'is-danger' : ''}`}
          value={input[key]}
          onChange={(e) => setInput((i) => ({ ...i, [key]: e.target.value }))}
          aria-invalid={!!errors[key]}
          aria-describedby={`${idPrefix}-${key}-msg`}
          {...props}
        />
      </div>
      <p className={`help ${errors[key] ? 'is-danger' : ''}`} id={`${idPrefix}-${key}-msg`}>
        {errors[key] ?? help}
      </p>
    </div>
  );

  return (
    <form className="box" onSubmit={submit} noValidate aria-labelledby="transfer-title">
      <h2 className="title is-5" id="transfer-title">
        Transfer money
      </h2>
      {field('amount', 'Amount (€)', { inputMode: 'decimal', placeholder: '12,50', autoComplete: 'off' }, 'In euros, e.g. 12,50')}
      {field('to', 'To', { placeholder: BANK_IBAN, autoComplete: 'off', spellCheck: false }, 'An iban, "cash" to withdraw, or a name')}
      {field('descr', 'Description', { placeholder: 'What it is for', autoComplete: 'off' })}
      <button id="transfer-submit" type="submit" className="button is-primary">
        Transfer
      </button>
    </form>
  );
}
