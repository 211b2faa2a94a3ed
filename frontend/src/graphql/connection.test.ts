import type { Client, ClientOptions, Sink } from 'graphql-ws';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Connection, NoAnswerError } from './connection';
import { LoginDocument } from './generated';

/** A graphql-ws client that does nothing by itself: the test connects, closes and answers. */
function fakeClient() {
  const fake = {
    options: undefined as unknown as ClientOptions,
    sinks: [] as Sink[],
    disposed: 0,
    make: (options: ClientOptions): Client => {
      fake.options = options;
      return {
        subscribe: (_payload: unknown, sink: Sink) => {
          fake.sinks.push(sink);
          return () => void fake.disposed++;
        },
        terminate: () => {},
        dispose: () => {},
        on: () => () => {},
        iterate: () => {
          throw new Error('not used');
        },
      } as unknown as Client;
    },
    connect: () => (fake.options.on!.connected as (s: unknown, p: unknown, w: boolean) => void)({}, undefined, false),
    close: () => (fake.options.on!.closed as (e: unknown) => void)({ code: 1006 }),
  };
  return fake;
}

const vars = { username: 'alice123', password: 'password' };
const answer = { login: { iban: 'NL66OPEN0000000000', token: 't', reason: null } };

describe('Connection.requestOnce', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('answers, and lets go of the operation', async () => {
    const fake = fakeClient();
    const c = new Connection('ws://x', fake.make);
    fake.connect();
    const p = c.requestOnce(LoginDocument, vars, 30_000, 5_000);
    fake.sinks[0]!.next({ data: answer });
    await expect(p).resolves.toEqual(answer);
    expect(fake.disposed).toBe(1);
  });

  it('fails as not sent after the offline wait, and drops the operation so it is never sent later', async () => {
    const fake = fakeClient();
    const c = new Connection('ws://x', fake.make);
    const p = c.requestOnce(LoginDocument, vars, 30_000, 5_000);
    const failed = expect(p).rejects.toMatchObject({ name: 'NoAnswerError', kind: 'not-sent' });
    vi.advanceTimersByTime(5_000);
    await failed;
    expect(fake.disposed).toBe(1);
  });

  it('fails as unanswered (maybe done) when the connection drops after sending', async () => {
    const fake = fakeClient();
    const c = new Connection('ws://x', fake.make);
    fake.connect();
    const p = c.requestOnce(LoginDocument, vars, 30_000, 5_000);
    fake.close();
    await expect(p).rejects.toBeInstanceOf(NoAnswerError);
    await expect(p).rejects.toMatchObject({ kind: 'unanswered' });
    expect(fake.disposed).toBe(1);
    expect(c.getStatus().state).toBe('reconnecting');
  });

  it('waits for the answer, not the offline wait, once a connection comes', async () => {
    const fake = fakeClient();
    const c = new Connection('ws://x', fake.make);
    const p = c.requestOnce(LoginDocument, vars, 30_000, 5_000);
    fake.connect();
    vi.advanceTimersByTime(10_000);
    fake.sinks[0]!.next({ data: answer });
    await expect(p).resolves.toEqual(answer);
  });

  it('gives up unanswered after the answer wait', async () => {
    const fake = fakeClient();
    const c = new Connection('ws://x', fake.make);
    fake.connect();
    const p = c.requestOnce(LoginDocument, vars, 30_000, 5_000);
    const failed = expect(p).rejects.toMatchObject({ kind: 'unanswered' });
    vi.advanceTimersByTime(30_000);
    await failed;
    expect(fake.disposed).toBe(1);
  });
});

describe('Connection messages', () => {
  it('say no close codes', () => {
    const fake = fakeClient();
    const c = new Connection('ws://x', fake.make);
    fake.connect();
    fake.close();
    expect(JSON.stringify(c.getStatus())).not.toMatch(/1006/);
    expect(new NoAnswerError('not-sent').message).not.toMatch(/\d|ws:/);
    expect(new NoAnswerError('unanswered').message).not.toMatch(/\d|ws:/);
  });
});
