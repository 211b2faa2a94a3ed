import { type FormEvent, useId, useRef, useState } from 'react';
import { BANK_IBAN } from '../lib/iban';
import { formatEuro } from '../lib/money';
import { uuidV4 } from '../lib/uuid';
import { type Transfer, type TransferInput, checkTransfer } from '../lib/validation';

export interface TransferOutcome {
  uuid: string;
  what: string;
  status: 'pending' | 'success' | 'failed';
  reason?: string;
  /** The bank answered (success or its reason), as opposed to the connection failing. */
  answered?: boolean;
}

/** Sends a transfer under uuid; resolves with its outcome. */
export type Send = (uuid: string, what: string, t: Transfer) => Promise<TransferOutcome>;

/**
 * The transfer form. One transfer at a time: the button is busy until the
 * bank answers, so a double click sends once. A transfer the bank never
 * answered (the connection failed) keeps its uuid when sent again unchanged,
 * so the bank does it at most once.
 */
export function TransferForm({ iban, send, outcomes }: { iban: string; send: Send; outcomes: React.ReactNode }) {
  const [input, setInput] = useState<TransferInput>({ amount: '', to: '', descr: '' });
  const [errors, setErrors] = useState<Partial<Record<keyof TransferInput, string>>>({});
  const [busy, setBusy] = useState(false);
  const sending = useRef(false);
  const unanswered = useRef<{ key: string; uuid: string } | null>(null);
  const fields = useRef<Record<keyof TransferInput, HTMLInputElement | null>>({ amount: null, to: null, descr: null });
  const idPrefix = useId();

  function submit(e: FormEvent) {
    e.preventDefault();
    if (sending.current) return; // a second click before the button shows it is busy
    const checked = checkTransfer(input, iban);
    if (!checked.ok) {
      setErrors(checked.errors);
      const first = (['amount', 'to', 'descr'] as const).find((k) => checked.errors[k]);
      if (first) fields.current[first]?.focus();
      return;
    }
    setErrors({});
    const t = checked.value;
    const key = JSON.stringify(t);
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
      <div className="columns is-multiline is-variable is-2 mb-0">
        <div className="column is-5">{field('amount', 'Amount (€)', { inputMode: 'decimal', placeholder: '12,50', autoComplete: 'off' }, 'e.g. 12,50')}</div>
        <div className="column is-7">{field('to', 'To', { placeholder: BANK_IBAN, autoComplete: 'off', spellCheck: false }, 'An iban, "cash" to withdraw, or a name')}</div>
      </div>
      {field('descr', 'Description', { placeholder: 'What it is for', autoComplete: 'off' })}
      <button id="transfer-submit" type="submit" className="button is-primary" disabled={busy} aria-busy={busy}>
        {busy ? 'Sending…' : 'Transfer'}
      </button>
      {outcomes}
    </form>
  );
}
