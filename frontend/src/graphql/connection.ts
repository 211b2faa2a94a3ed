// The page's one WebSocket to the gateway (graphql-transport-ws through the
// graphql-ws client): every query and subscription goes over it. It reconnects
// by itself, forever, and tells the page how it is doing.
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { type Client, createClient } from 'graphql-ws';

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting';

export interface ConnectionStatus {
  state: ConnectionState;
  /** Counts connections made; a change after the first means "reconnected: fetch what was missed". */
  generation: number;
  url: string;
}

// How long the gateway may take to answer a ping before the socket is taken
// for dead; a silently dropped connection is noticed within PING + PONG, 3 s,
// so the page does not show old balances as current for long.
const PING_INTERVAL_MS = 1_000;
const PONG_TIMEOUT_MS = 2_000;

export class Connection {
  readonly client: Client;
  private status: ConnectionStatus;
  private readonly listeners = new Set<() => void>();

  /** make is graphql-ws's createClient; tests pass a fake one. */
  constructor(url: string, make: typeof createClient = createClient) {
    this.status = { state: 'connecting', generation: 0, url };
    let pongTimer: ReturnType<typeof setTimeout> | undefined;
    this.client = make({
      url,
      lazy: false, // connected from the start, so the page can show it is
      keepAlive: PING_INTERVAL_MS,
      retryAttempts: Infinity,
      shouldRetry: () => true,
      // 1 s, 2 s, 4 s … capped at 10 s, with jitter so a restarted gateway is not stormed.
      retryWait: (retries) => new Promise((resolve) => setTimeout(resolve, Math.min(10_000, 1000 * 2 ** retries) * (0.75 + Math.random() / 2))),
      on: {
        connecting: () => this.update({ state: this.status.generation === 0 ? 'connecting' : 'reconnecting' }),
        connected: () => this.update({ state: 'connected', generation: this.status.generation + 1 }),
        closed: () => {
          clearTimeout(pongTimer);
          pongTimer = undefined;
          this.update({ state: this.status.generation === 0 ? 'connecting' : 'reconnecting' });
        },
        ping: (received) => {
          // One clock per silence: a late pong (after the next ping) still counts.
          if (received || pongTimer !== undefined) return;
          pongTimer = setTimeout(() => {
            pongTimer = undefined;
            // No pong: close so graphql-ws reconnects.
            this.client.terminate();
          }, PONG_TIMEOUT_MS);
        },
        pong: (received) => {
          if (!received) return;
          clearTimeout(pongTimer);
          pongTimer = undefined;
        },
      },
    });
    // The browser knows first when the network goes: do not wait for the pong.
    if (typeof window !== 'undefined') window.addEventListener('offline', () => this.client.terminate());
  }

  private update(change: Partial<ConnectionStatus>) {
    const before = this.status.generation;
    this.status = { ...this.status, ...change };
    for (const l of this.listeners) l();
    if (this.status.generation !== before) for (const l of this.reconnectListeners) l(this.status.generation);
  }

  private readonly reconnectListeners = new Set<(generation: number) => void>();

  /**
   * Calls listener after each reconnect: a connection made after the one
   * that was up (or being made) when onReconnect was called. Whatever was
   * missed while the connection was down can then be fetched again.
   */
  onReconnect(listener: () => void): () => void {
    const since = Math.max(1, this.status.generation);
    const l = (generation: number) => {
      if (generation > since) listener();
    };
    this.reconnectListeners.add(l);
    return () => this.reconnectListeners.delete(l);
  }

  /** For useSyncExternalStore. */
  subscribeStatus = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getStatus = (): ConnectionStatus => this.status;

  /** Runs a subscription; returns the function that ends it. */
  subscribe<R, V extends Record<string, unknown>>(
    document: TypedDocumentNode<R, V>,
    variables: V,
    sink: { next: (data: R) => void; error?: (err: Error) => void; complete?: () => void },
  ): () => void {
    return this.client.subscribe<R, V>(
      { query: printed(document), variables },
      {
        next: (result) => {
          if (result.errors?.length) sink.error?.(new GraphQLError(result.errors.map((e) => e.message)));
          else if (result.data) sink.next(result.data as R);
        },
        error: (err) => sink.error?.(toError(err)),
        complete: () => sink.complete?.(),
      },
    );
  }

  /**
   * The first result of an operation: a query, or a subscription that answers
   * once (get_account, money_transfer). If the connection drops meanwhile,
   * graphql-ws sends it again on the next connection; the operations used
   * this way are safe to repeat (a transfer is identified by its uuid).
   */
  request<R, V extends Record<string, unknown>>(document: TypedDocumentNode<R, V>, variables: V, signal?: AbortSignal): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      let settled = false;
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        fn();
        dispose();
      };
      const onAbort = () => finish(() => reject(new DOMException('aborted', 'AbortError')));
      const dispose = this.subscribe(document, variables, {
        next: (data) => finish(() => resolve(data)),
        error: (err) => finish(() => reject(err)),
        complete: () => finish(() => reject(new Error('the gateway answered nothing'))),
      });
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort);
    });
  }

  /**
   * The answer to an operation that must not happen behind the person's back
   * (a transfer): unlike request, it is never sent again on a later
   * connection. It fails with NoAnswerError when the connection is lost
   * after sending, when no connection comes within offlineWaitMs, or when no
   * answer comes within answerWaitMs; then it is dropped, so a retry is
   * always the person's own (with the same uuid, which makes it safe).
   */
  requestOnce<R, V extends Record<string, unknown>>(document: TypedDocumentNode<R, V>, variables: V, answerWaitMs: number, offlineWaitMs: number): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      let sentOn = this.status.state === 'connected' ? this.status.generation : 0;
      let settled = false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const cleanups: (() => void)[] = [];
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        for (const c of cleanups) c();
        fn();
      };
      const giveUp = () => finish(() => reject(new NoAnswerError(sentOn > 0 ? 'unanswered' : 'not-sent')));
      const wait = (ms: number) => {
        clearTimeout(timer);
        timer = setTimeout(giveUp, ms);
      };
      cleanups.push(
        this.subscribe(document, variables, {
          next: (data) => finish(() => resolve(data)),
          error: (err) => finish(() => reject(err)),
          complete: () => finish(() => reject(new Error('the bank answered nothing'))),
        }),
      );
      cleanups.push(
        this.subscribeStatus(() => {
          const s = this.status;
          if (sentOn > 0 && (s.state !== 'connected' || s.generation !== sentOn)) giveUp();
          else if (sentOn === 0 && s.state === 'connected') {
            sentOn = s.generation; // graphql-ws sends it on this connection
            wait(answerWaitMs);
          }
        }),
      );
      wait(sentOn > 0 ? answerWaitMs : offlineWaitMs);
    });
  }

  dispose() {
    void this.client.dispose();
  }
}

/**
 * An operation given up without an answer: not-sent when there was no
 * connection to send it on, unanswered when it was sent (it may have been done).
 */
export class NoAnswerError extends Error {
  constructor(readonly kind: 'not-sent' | 'unanswered') {
    super(
      kind === 'not-sent'
        ? 'not sent: there is no connection to the bank. Nothing is sent later by itself; try again when the connection is back'
        : 'no answer: the connection to the bank was lost or the bank did not answer in time. It may have been done, see your transactions; trying again is safe, the bank does it at most once',
    );
    this.name = 'NoAnswerError';
  }
}

/** Errors the gateway reported for an operation. */
export class GraphQLError extends Error {
  constructor(readonly messages: string[]) {
    super(messages.join('; '));
  }
}

const printedCache = new WeakMap<object, string>();
function printed(document: TypedDocumentNode<unknown, never>): string {
  let text = printedCache.get(document);
  if (!text) {
    text = print(document);
    printedCache.set(document, text);
  }
  return text;
}

// People read these: no close codes, no addresses (the banner says what the
// connection is doing).
function toError(err: unknown): Error {
  if (err instanceof Error) return err;
  if (Array.isArray(err)) return new GraphQLError(err.map((e: { message?: string }) => e.message ?? String(e)));
  return new Error('the connection to the bank failed');
}
