// Where the page finds the gateway and the load test's results. Nothing is
// hard-coded into the build: the first of these that is set wins:
//   1. the query parameter ?graphql=… (kept for the tab's session),
//   2. config.js served next to index.html (window.OPEN_BANK_CONFIG),
//   3. VITE_GRAPHQL_URL at build time,
//   4. DEFAULT_GRAPHQL_URL: the page's own host on the gateway's port 8888.

/** What config.js may set. */
export interface RuntimeConfig {
  /** WebSocket URL of the gateway's GraphQL endpoint, absolute or relative (see resolveEndpoint). */
  graphqlUrl?: string;
  /** URL of the load test's results index, relative to the page. */
  resultsUrl?: string;
  /** URL of a second results file shown beside it (the committed client comparison); '' for none. */
  comparisonUrl?: string;
  /** Where this repository's source can be browsed (folder links are added to it); none: paths only. */
  sourceUrl?: string;
}

/** The gateway listens on 8888 and the page on 8181 in the local stack. */
export const DEFAULT_GRAPHQL_URL = ':8888/graphql-ws';
// A file, not a folder: a folder named results would shadow the /results page.
export const DEFAULT_RESULTS_URL = '/results.json';
/** The committed client comparison, when it is served beside the latest figures (optional). */
export const DEFAULT_COMPARISON_URL = '/results-clients.json';
export const GRAPHQL_PARAM = 'graphql';
const SESSION_KEY = 'open-bank.graphql-url';

/** The parts of window.location the endpoint depends on. */
export interface PageLocation {
  protocol: string; // "http:" or "https:"
  hostname: string;
  host: string; // hostname[:port]
}

/**
 * Turns a configured endpoint into a WebSocket URL for a page at location.
 * Accepted forms: ws://… and wss://… as they are; http(s)://… with the
 * scheme swapped; ":8888/graphql-ws" (this page's host, another port);
 * "/graphql-ws" (this page's origin). The scheme follows the page's: wss
 * under https, so a secure page never opens an insecure socket by default.
 */
export function resolveEndpoint(configured: string, location: PageLocation): string {
  const value = configured.trim();
  const ws = location.protocol === 'https:' ? 'wss:' : 'ws:';
  if (/^wss?:\/\//i.test(value)) return value;
  if (/^https?:\/\//i.test(value)) return value.replace(/^http/i, 'ws');
  if (value.startsWith(':')) return `${ws}//${bracketed(location.hostname)}${value}`;
  if (value.startsWith('/')) return `${ws}//${location.host}${value}`;
  throw new Error(`GraphQL endpoint "${configured}" is not a ws(s):// or http(s):// URL, ":port/path" or "/path"`);
}

// An IPv6 literal needs its brackets back once a port follows it.
function bracketed(hostname: string): string {
  return hostname.includes(':') && !hostname.startsWith('[') ? `[${hostname}]` : hostname;
}

/** Picks the endpoint by the precedence above; blank values do not count. */
export function chooseEndpoint(sources: {
  queryParam?: string | null;
  session?: string | null;
  runtime?: string | null;
  buildTime?: string | null;
}): string {
  for (const v of [sources.queryParam, sources.session, sources.runtime, sources.buildTime]) {
    if (v && v.trim() !== '') return v.trim();
  }
  return DEFAULT_GRAPHQL_URL;
}

declare global {
  interface Window {
    OPEN_BANK_CONFIG?: RuntimeConfig;
  }
}

function runtimeConfig(): RuntimeConfig {
  return typeof window !== 'undefined' && window.OPEN_BANK_CONFIG ? window.OPEN_BANK_CONFIG : {};
}

/** The gateway's WebSocket URL for this page (browser only). */
export function graphqlUrl(): string {
  const param = new URLSearchParams(window.location.search).get(GRAPHQL_PARAM);
  let session: string | null = null;
  try {
    if (param) window.sessionStorage.setItem(SESSION_KEY, param);
    session = window.sessionStorage.getItem(SESSION_KEY);
  } catch {
    // Storage can be disabled; the parameter alone still works.
  }
  const chosen = chooseEndpoint({
    queryParam: param,
    session,
    runtime: runtimeConfig().graphqlUrl,
    buildTime: import.meta.env.VITE_GRAPHQL_URL as string | undefined,
  });
  return resolveEndpoint(chosen, window.location);
}

/** Where the Results page reads the load test's summary. */
export function resultsUrl(): string {
  const configured = runtimeConfig().resultsUrl;
  return configured && configured.trim() !== '' ? configured.trim() : DEFAULT_RESULTS_URL;
}

/** Where the Results page reads a second results file (none: ''), whose categories it adds to the first's. */
export function comparisonUrl(): string {
  const configured = runtimeConfig().comparisonUrl;
  return configured === undefined ? DEFAULT_COMPARISON_URL : configured.trim();
}

/** Where the Background page links the source folders to; undefined when config.js does not say. */
export function sourceUrl(): string | undefined {
  const configured = runtimeConfig().sourceUrl;
  return configured && /^https?:\/\//.test(configured.trim()) ? configured.trim() : undefined;
}
