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
  /** Why the last connection ended, if it did. */
  lastError?: string;
}

// How long the gateway may take to answer a ping before the socket is taken
// for dead; a silently dropped connection is noticed within PING + PONG.
const PING_INTERVAL_MS = 10_000;
const PONG_TIMEOUT_MS = 5_000;

export class Connection {
  readonly client: Client;
  private status: ConnectionStatus;
  private readonly listeners = new Set<() => void>();

  constructor(url: string) {
    this.status = { state: 'connecting', generation: 0, url };
    let pongTimer: ReturnType<typeof setTimeout> | undefined;
    this.client = createClient({
      url,
      lazy: false, // connected from the start, so the page can show it is
      keepAlive: PING_INTERVAL_MS,
      retryAttempts: Infinity,
      shouldRetry: () => true,
      // 1 s, 2 s, 4 s … capped at 10 s, with jitter so a restarted gateway is not stormed.
      retryWait: (retries) => new Promise((resolve) => setTimeout(resolve, Math.min(10_000, 1000 * 2 ** retries) * (0.75 + Math.random() / 2))),
      on: {
        connecting: () => this.update({ state: this.status.generation === 0 ? 'connecting' : 'reconnecting' }),
        connected: () => this.update({ state: 'connected', generation: this.status.generation + 1, lastError: undefined }),
        closed: (event) => {
          clearTimeout(pongTimer);
          const reason = closeReason(event);
          this.update({ state: this.status.generation === 0 ? 'connecting' : 'reconnecting', ...(reason ? { lastError: reason } : {}) });
        },
        ping: (received) => {
          if (received) return;
          pongTimer = setTimeout(() => {
            // No pong: close so graphql-ws reconnects (4408 is its time-out code).
            this.client.terminate();
          }, PONG_TIMEOUT_MS);
        },
        pong: (received) => {
          if (received) clearTimeout(pongTimer);
        },
      },
    });
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

  dispose() {
    void this.client.dispose();
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

function toError(err: unknown): Error {
  if (err instanceof Error) return err;
  if (Array.isArray(err)) return new GraphQLError(err.map((e: { message?: string }) => e.message ?? String(e)));
  const reason = closeReason(err);
  return new Error(reason ?? 'connection to the gateway failed');
}

function closeReason(event: unknown): string | undefined {
  if (typeof event === 'object' && event !== null && 'code' in event) {
    const { code, reason } = event as { code: number; reason?: string };
    return reason ? `${reason} (${code})` : `closed (${code})`;
  }
  return undefined;
}
