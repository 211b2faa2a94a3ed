// Package graphiql serves GraphiQL from the gateway itself: its UMD build and
// React, from npm (update.sh), embedded gzipped. No CDN is needed, so it loads
// without internet access.
package graphiql

import (
	"compress/gzip"
	"embed"
	"html/template"
	"io"
	"net/http"
	"path"
	"strings"
)

//go:embed assets/*.gz
var assets embed.FS

var page = template.Must(template.New("graphiql").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{.Title}}</title>
<link rel="stylesheet" href="{{.Prefix}}graphiql.min.css">
<style>body { margin: 0; height: 100vh; } #graphiql { height: 100vh; }</style>
</head>
<body>
<div id="graphiql">Loading…</div>
<script src="{{.Prefix}}react.production.min.js"></script>
<script src="{{.Prefix}}react-dom.production.min.js"></script>
<script src="{{.Prefix}}graphiql.min.js"></script>
<script>
  const fetcher = GraphiQL.createFetcher({ url: {{.Endpoint}} });
  ReactDOM.createRoot(document.getElementById('graphiql'))
    .render(React.createElement(GraphiQL, { fetcher: fetcher, defaultEditorToolsVisibility: true, defaultQuery: {{.Example}} }));
  // GraphiQL's editors are textareas without a label: name each for screen readers.
  new MutationObserver(() => {
    document.querySelectorAll('textarea:not([aria-label]), input:not([aria-label])').forEach(el => {
      el.setAttribute('aria-label', el.closest('.graphiql-query-editor') ? 'Query editor'
        : el.closest('.graphiql-editor-tools, .graphiql-editor-tool') ? 'Variables and headers editor'
        : el.closest('.graphiql-response') ? 'Response' : 'GraphiQL');
    });
  }).observe(document.body, { childList: true, subtree: true });
</script>
</body>
</html>
`))

// Example is what GraphiQL opens with the first time: a query of this bank
// that answers on any stack (the bank's own account always exists).
const Example = `# The newest transactions of the bank's own account. Press the run button.
# Subscriptions run here too: get_account opens an account, money_transfer
# moves money, stream_transactions follows an account as it changes.
query NewestTransactions {
  transactions_by_iban(iban: "NL66OPEN0000000000", max_items: 5) {
    id new_balance changed_by direction from_to descr
  }
}
`

// Page is GraphiQL's page for endpoint; its files are under prefix (served
// by Files).
func Page(title, endpoint, prefix string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = page.Execute(w, struct{ Title, Endpoint, Prefix, Example string }{title, endpoint, prefix, Example})
	})
}

// Files serves the embedded files by base name, gzipped to clients that
// accept it (every browser), else unpacked.
func Files() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := path.Base(r.URL.Path)
		f, err := assets.Open("assets/" + name + ".gz")
		if err != nil {
			http.NotFound(w, r)
			return
		}
		defer f.Close()
		if strings.HasSuffix(name, ".css") {
			w.Header().Set("Content-Type", "text/css; charset=utf-8")
		} else {
			w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		}
		w.Header().Set("Cache-Control", "public, max-age=86400")
		w.Header().Set("Vary", "Accept-Encoding")
		if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			w.Header().Set("Content-Encoding", "gzip")
			_, _ = io.Copy(w, f)
			return
		}
		zr, err := gzip.NewReader(f)
		if err != nil {
			http.Error(w, "corrupt embedded file", http.StatusInternalServerError)
			return
		}
		_, _ = io.Copy(w, zr)
	})
}
