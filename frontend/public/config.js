// Runtime settings of the Open Bank page, read before the app starts. Replace
// this file where the page is served to point it elsewhere; nothing here is
// compiled into the app. A query parameter ?graphql=<url> overrides graphqlUrl
// for the browser tab (e.g. ?graphql=ws://localhost:24888/graphql-ws).
window.OPEN_BANK_CONFIG = {
  // The gateway's GraphQL WebSocket: ws(s)://host:port/path, http(s)://…,
  // ":8888/graphql-ws" (the page's own host, port 8888: the local stack) or
  // "/graphql-ws" (the page's own origin, behind a reverse proxy).
  graphqlUrl: ':8888/graphql-ws',
  // The load test's summary for the Results page: `loadtest report` writes it
  // as results.json; copy it next to index.html (see the README).
  resultsUrl: '/results.json',
  // A second file of the same format shown beside it, e.g. the committed
  // client comparison (docs/loadtest/clients/results.json); '' for none.
  comparisonUrl: '/results-clients.json',
  // Where the source can be browsed, e.g. a repository's tree URL: the
  // Background page then links its folders there. Empty: it names the paths.
  sourceUrl: '',
};
