import { type FormEvent, useEffect, useId, useRef, useState } from 'react';
import { BANK_IBAN } from '../lib/iban';
import { formatEuro } from '../lib/money';
import type { TransferOutcome } from '../lib/session';
import { planTransfer } from '../lib/transferPlan';
import { uuidV4 } from '../lib/uuid';
import { type Transfer, type TransferInput, checkTransfer } from '../lib/validation';

/** Sends a transfer under uuid; resolves with its outcome. */
export type Send = (uuid: string, what: string, t: Transfer) => Promise<TransferOutcome>;

/** A transfer waiting for the client's yes: what it is and what they confirm. */
interface Pending {
  key: string;
  transfer: Transfer;
  points: string[];
}

/**
 * The transfer form. One transfer at a time: the button is busy until the
 * bank answers, so a double click sends once. A transfer that leaves the
 * bank or takes the balance below zero is asked about once first; one for
 * more than balance and overdraft (balance: what the page knows, null when
 * it does not) is refused here, saying what is available. A transfer the
 * bank never answered keeps its uuid when sent again unchanged, so the bank
 * does it at most once.
 */
export function TransferForm({ iban, balance, send, outcomes }: { iban: string; balance: number | null; send: Send; outcomes: React.ReactNode }) {
  const [input, setInput] = useState<TransferInput>({ amount: '', to: '', descr: '' });
  const [errors, setErrors] = useState<Partial<Record<keyof TransferInput, string>>>({});
  const [busy, setBusy] = useState(false);
  const [pending, setPending] = useState<Pending | null>(null);
  const sending = useRef(false);
  const unanswered = useRef<{ key: string; uuid: string } | null>(null);
  const fields = useRef<Record<keyof TransferInput, HTMLInputElement | null>>({ amount: null, to: null, descr: null });
  const confirmButton = useRef<HTMLButtonElement>(null);
  const idPrefix = useId();

  // The question is where the keyboard goes when it is asked.
  useEffect(() => {
    if (pending) confirmButton.current?.focus();
  }, [pending]);

  function go(t: Transfer, key: string) {
    setPending(null);
    const uuid = unanswered.current?.key === key ? unanswered.current.uuid : uuidV4();
    unanswered.current = { key, uuid };
    sending.current = true;
    setBusy(true);
    void send(uuid, `${formatEuro(t.cents)} to ${t.to}`, t).then((outcome) => {
      sending.current = false;
      setBusy(false);
      if (outcome.answered) unanswered.current = null;
      if (outcome.status === 'success') setInput((i) => ({ ...i, amount: '', descr: '' }));
    });
  }

  function submit(e: FormEvent) {
    e.preventDefault();
    if (sending.current) return; // a second click before the button shows it is busy
    const checked = checkTransfer(input, iban);
    const plan = checked.ok ? planTransfer(checked.value, balance) : null;
    const problems = !checked.ok ? checked.errors : plan?.refusal ? { amount: plan.refusal } : null;
    if (problems) {
      setErrors(problems);
      setPending(null);
      const first = (['amount', 'to', 'descr'] as const).find((k) => problems[k]);
      if (first) fields.current[first]?.focus();
      return;
    }
    setErrors({});
    if (!checked.ok || !plan) return;
    const t = checked.value;
    const key = JSON.stringify(t);
    // Asked once, and only "Yes" answers it: a second click on Transfer is no yes.
    if (plan.confirm.length > 0) {
      if (pending?.key === key) confirmButton.current?.focus();
      else setPending({ key, transfer: t, points: plan.confirm });
      return;
    }
    go(t, key);
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
            fields.current[key] = el;
          }}
          className={`input ${errors[key] ? 'is-danger' : ''}`}
          value={input[key]}
          onChange={(e) => {
            setInput((i) => ({ ...i, [key]: e.target.value }));
            setPending(null); // a changed transfer is asked about afresh
          }}
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
      <div className="columns is-multiline is-variable is-2 mb-0">
        <div className="column is-5">{field('amount', 'Amount (€)', { inputMode: 'decimal', placeholder: '12,50', autoComplete: 'off' }, 'e.g. 12,50')}</div>
        <div className="column is-7">
          {field('to', 'To', { placeholder: BANK_IBAN, autoComplete: 'off', spellCheck: false }, 'An iban, "cash" to withdraw, or a name (leaves the bank)')}
        </div>
      </div>
      {field('descr', 'Description', { placeholder: 'What it is for', autoComplete: 'off' })}
      {pending && (
        <div className="notification is-warning is-light py-3 px-4" id="transfer-confirm-box" role="group" aria-labelledby="transfer-confirm-title">
          <p className="has-text-weight-semibold mb-1" id="transfer-confirm-title">
            Send {formatEuro(pending.transfer.cents)} to {pending.transfer.to}?
          </p>
          <ul className="mb-2" id="transfer-confirm-points">
            {pending.points.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
          <div className="buttons mb-0">
            <button type="button" id="transfer-confirm" className="button is-warning is-small" ref={confirmButton} onClick={() => go(pending.transfer, pending.key)}>
              Yes, send {formatEuro(pending.transfer.cents)}
            </button>
            <button
              type="button"
              id="transfer-cancel"
              className="button is-small"
              onClick={() => {
                setPending(null);
                fields.current.to?.focus();
              }}
            >
              No, change it
            </button>
          </div>
        </div>
      )}
      <button id="transfer-submit" type="submit" className="button is-primary" disabled={busy} aria-busy={busy}>
        {busy ? 'Sending…' : 'Transfer'}
      </button>
      {outcomes}
    </form>
  );
}
