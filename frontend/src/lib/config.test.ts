import { describe, expect, it } from 'vitest';
import { DEFAULT_GRAPHQL_URL, chooseEndpoint, resolveEndpoint } from './config';

const local = { protocol: 'http:', hostname: 'localhost', host: 'localhost:8181' };
const secure = { protocol: 'https:', hostname: 'bank.example', host: 'bank.example' };

describe('resolveEndpoint', () => {
  it('puts the gateway port on the page host by default', () => {
    expect(resolveEndpoint(DEFAULT_GRAPHQL_URL, local)).toBe('ws://localhost:8888/graphql-ws');
    expect(resolveEndpoint(DEFAULT_GRAPHQL_URL, secure)).toBe('wss://bank.example:8888/graphql-ws');
    expect(resolveEndpoint(':24888/graphql-ws', { protocol: 'http:', hostname: '::1', host: '[::1]:8181' })).toBe('ws://[::1]:24888/graphql-ws');
  });

  it('uses the page origin for a path', () => {
    expect(resolveEndpoint('/graphql-ws', local)).toBe('ws://localhost:8181/graphql-ws');
    expect(resolveEndpoint('/graphql-ws', secure)).toBe('wss://bank.example/graphql-ws');
  });

  it('keeps WebSocket URLs and turns HTTP ones into them', () => {
    expect(resolveEndpoint('ws://127.0.0.1:24888/graphql-ws', secure)).toBe('ws://127.0.0.1:24888/graphql-ws');
    expect(resolveEndpoint('http://gw:8888/graphql', local)).toBe('ws://gw:8888/graphql');
    expect(resolveEndpoint('https://gw/graphql', local)).toBe('wss://gw/graphql');
  });

  it('refuses anything else', () => {
    expect(() => resolveEndpoint('gateway:8888', local)).toThrow(/not a ws\(s\)/);
  });
});

describe('chooseEndpoint', () => {
  it('prefers the query parameter, then the session, config.js, the build, the default', () => {
    expect(chooseEndpoint({ queryParam: ':1/a', session: ':2/b', runtime: ':3/c', buildTime: ':4/d' })).toBe(':1/a');
    expect(chooseEndpoint({ queryParam: null, session: ':2/b', runtime: ':3/c' })).toBe(':2/b');
    expect(chooseEndpoint({ runtime: ' :3/c ', buildTime: ':4/d' })).toBe(':3/c');
    expect(chooseEndpoint({ runtime: '  ', buildTime: ':4/d' })).toBe(':4/d');
    expect(chooseEndpoint({})).toBe(DEFAULT_GRAPHQL_URL);
  });
});
