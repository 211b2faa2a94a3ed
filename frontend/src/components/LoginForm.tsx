import { useEffect, useRef, useState } from 'react';
import { LoginDocument, OpenAccountDocument } from '../graphql/generated';
import { useConnection, useConnectionStatus } from '../graphql/hooks';
import type { Account } from '../lib/session';
import { checkLogin } from '../lib/validation';

/** How long the page waits for the bank's answer to a log-in before saying so. */
const ANSWER_TIMEOUT_MS = 15_000;

/** The gateway's reasons: login's for any wrong name or password, open_account's for a name that exists. */
const LOGIN_REFUSED = 'incorrect username or password';
const USERNAME_TAKEN = 'username taken';

type LoginAction = 'login' | 'open';

/** Why no account was had: the bank's reason, or that the username exists (open only). */
type Refusal = { kind: 'reason'; text: string } | { kind: 'taken' };

/**
 * Log in, or open a new account. The gateway's open_account never logs in
 * and never checks a password: a username that exists is "username taken",
 * whatever the password, which the page shows with the offer to log in.
 */
export function LoginForm({ onAccount }: { onAccount: (a: Account) => void }) {
  const connection = useConnection();
  const { state } = useConnectionStatus();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<{ username?: string; password?: string }>({});
  const [refusal, setRefusal] = useState<Refusal | null>(null);
  const [busy, setBusy] = useState<LoginAction | null>(null);
  const reasonBox = useRef<HTMLDivElement>(null);

  // The outcome of each try is where the keyboard goes next.
  useEffect(() => {
    if (refusal) reasonBox.current?.focus();
  }, [refusal]);

  async function submit(action: LoginAction) {
    const checked = checkLogin(username, password);
    setRefusal(null);
    if (!checked.ok) {
      setErrors(checked.errors);
      document.getElementById(checked.errors.username ? 'username' : 'password')?.focus();
      return;
    }
    setErrors({});
    setBusy(action);
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), ANSWER_TIMEOUT_MS);
    const ask = async () => {
      if (action === 'login') return { result: (await connection.request(LoginDocument, checked.value, abort.signal)).login, taken: false };
      const opened = (await connection.request(OpenAccountDocument, checked.value, abort.signal)).open_account;
      return { result: opened, taken: opened?.reason === USERNAME_TAKEN };
    };
    try {
      const { result, taken } = await ask();
      if (taken) setRefusal({ kind: 'taken' });
      else if (result?.iban && result.token && !result.reason) onAccount({ username: checked.value.username, iban: result.iban, token: result.token });
      else setRefusal({ kind: 'reason', text: result?.reason ?? 'the bank gave no account and no reason' });
    } catch (err) {
      const e = err as Error;
      const offline = connection.getStatus().state !== 'connected';
      setRefusal({
        kind: 'reason',
        text: e.name === 'AbortError' ? `the bank did not answer within ${ANSWER_TIMEOUT_MS / 1000} s${offline ? ' (no connection to the bank)' : ''}; try again` : e.message,
      });
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
          aria-describedby={refusal ? 'login-reason' : undefined}
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
          {refusal && (
            <div className="notification is-danger is-light" id="login-reason" role="alert" tabIndex={-1} ref={reasonBox} data-kind={refusal.kind}>
              {refusal.kind === 'taken' ? (
                <>
                  No new account: the username {username.trim()} is taken. If it is yours,{' '}
                  <button type="button" id="login-instead" className="button is-small is-link is-light" onClick={() => void submit('login')}>
                    log in with it
                  </button>
                  ; otherwise choose another username.
                </>
              ) : (
                <>
                  Not logged in: {refusal.text}
                  {refusal.text === LOGIN_REFUSED && <>. Check the spelling and the password, or open a new account with this username.</>}
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
