import { useEffect, useRef, useState } from 'react';
import { useConnectionStatus } from '../graphql/hooks';

/** Says when the connection to the bank is lost and when it is back; screen readers hear it too. */
export function ConnectionBanner() {
  const status = useConnectionStatus();
  const [showBack, setShowBack] = useState(false);
  const [slowStart, setSlowStart] = useState(false);
  const lastGeneration = useRef(status.generation);

  useEffect(() => {
    if (status.generation > 1 && status.generation !== lastGeneration.current) {
      setShowBack(true);
      const t = setTimeout(() => setShowBack(false), 4000);
      lastGeneration.current = status.generation;
      return () => clearTimeout(t);
    }
    lastGeneration.current = status.generation;
  }, [status.generation]);

  // A first connection usually takes a moment: say nothing unless it lasts.
  useEffect(() => {
    if (status.generation > 0) return;
    const t = setTimeout(() => setSlowStart(true), 2000);
    return () => clearTimeout(t);
  }, [status.generation]);

  let message: React.ReactNode = null;
  let kind = '';
  if (status.state === 'reconnecting') {
    kind = 'is-warning';
    message = (
      <>
        <strong>Connection to the bank lost</strong>. Reconnecting by itself. Until then balances and lists may be out of date, and
        nothing you send goes out; nothing is sent later by itself.
      </>
    );
  } else if (status.state === 'connecting' && slowStart) {
    kind = 'is-info';
    message = (
      <>
        Connecting to the bank…
      </>
    );
  } else if (status.state === 'connected' && showBack) {
    kind = 'is-success';
    message = <>Reconnected to the bank; balances and lists are brought up to date.</>;
  }

  return (
    <div className="connection-banner" role="status" aria-live="polite" id="connection-banner" data-state={status.state}>
      {message && <div className={`notification ${kind} is-light mb-0 py-2 px-4 is-radiusless`}>{message}</div>}
    </div>
  );
}

/** A small tag in the navigation bar: connected, connecting, reconnecting. */
export function ConnectionTag() {
  const { state } = useConnectionStatus();
  const kind = state === 'connected' ? 'is-success' : state === 'reconnecting' ? 'is-warning' : 'is-info';
  const text = state === 'connected' ? 'live' : state === 'reconnecting' ? 'reconnecting…' : 'connecting…';
  return (
    <span className={`tag ${kind} is-light`} id="connection-state" data-state={state}>
      {text}
    </span>
  );
}
