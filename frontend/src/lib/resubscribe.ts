// Subscriptions that outlive the gateway: what to do when one ends.

/** Delays before starting a subscription again, in ms. */
export const FIRST_DELAY_MS = 250;
export const MAX_DELAY_MS = 5000;
export const AFTER_FAILURE_MS = 1000;
/** A subscription that ran this long ended normally: the back-off starts over. */
export const HEALTHY_MS = 10_000;

/**
 * Keeps a subscription running: started again when it ends (the gateway
 * ends streams when it shuts down) or fails, soon at first, then backing off
 * while it keeps ending early. start returns the function that stops it.
 */
export function keepSubscribed(start: (restart: (failed: boolean) => void) => () => void): () => void {
  let dispose: (() => void) | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  let startedAt = 0;
  let delay = 0;
  const restart = (failed: boolean) => {
    dispose?.();
    dispose = undefined;
    if (stopped) return;
    delay = Date.now() - startedAt >= HEALTHY_MS ? FIRST_DELAY_MS : Math.min(MAX_DELAY_MS, Math.max(FIRST_DELAY_MS, delay * 2));
    if (failed) delay = Math.max(delay, AFTER_FAILURE_MS);
    clearTimeout(timer);
    timer = setTimeout(run, delay);
  };
  const run = () => {
    if (stopped) return;
    startedAt = Date.now();
    dispose = start(restart);
  };
  run();
  return () => {
    stopped = true;
    clearTimeout(timer);
    dispose?.();
  };
}
