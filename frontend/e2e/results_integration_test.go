//go:build integration

package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// pageServer serves the built page like the gateway does, with
// results.json whatever results holds (nil: none, a 404), and
// results-clients.json (the committed client comparison beside it) whatever
// comparison holds (a nil comparison or value: none).
func pageServer(t *testing.T, results, comparison *atomic.Value) *httptest.Server {
	t.Helper()
	dist := distDir(t)
	files := http.FileServer(http.Dir(dist))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch p := path.Clean(r.URL.Path); {
		case p == "/results.json" || p == "/results-clients.json":
			var body []byte
			if p == "/results.json" {
				body, _ = results.Load().([]byte)
			} else if comparison != nil {
				body, _ = comparison.Load().([]byte)
			}
			if body == nil {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(body)
		case !strings.Contains(path.Base(p), "."): // the app's routes
			http.ServeFile(w, r, filepath.Join(dist, "index.html"))
		default:
			files.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestResultsPage draws the load test's summary: the measurements
// `make up` shows (docs/loadtest/results.json, whatever was measured last),
// the first version's (fixed figures, so their details can be checked), the
// unit tests' EXAMPLE fixture (made-up figures, never shipped), a malformed
// file and none at all. It needs no gateway.
func TestResultsPage(t *testing.T) {
	current, err := os.ReadFile("../../docs/loadtest/results.json")
	if err != nil {
		t.Fatal(err)
	}
	var categories []json.RawMessage
	if err := json.Unmarshal(current, &categories); err != nil || len(categories) == 0 {
		t.Fatalf("docs/loadtest/results.json: %d categories, %v", len(categories), err)
	}
	committed, err := os.ReadFile("../../docs/loadtest/first-version/results.json")
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile("../src/lib/__fixtures__/results-example.json")
	if err != nil {
		t.Fatal(err)
	}
	var results atomic.Value
	results.Store(current)
	var comparison atomic.Value
	srv := pageServer(t, &results, &comparison)
	b := newBrowser(t)

	// What `make up` shows: a summary row per category, a chart, no format error.
	b.do("open the current results", chromedp.Navigate(srv.URL+"/results"))
	b.waitFor("a summary row per category and one chart", fmt.Sprintf(`document.querySelectorAll('#results-summary tbody tr').length === %d && document.querySelectorAll('canvas').length === 1`, len(categories)), 20*time.Second)
	b.accessible("the current results")
	results.Store(committed)

	// The committed runs: a summary row each, one chart, its picker.
	b.do("open the results page", chromedp.Navigate(srv.URL+"/results"))
	b.waitFor("the summary and one chart", `document.querySelectorAll('#results-summary tbody tr').length === 4 && document.querySelectorAll('canvas').length === 1`, 20*time.Second)
	b.waitFor("the steep run's breaking point and time-outs in the summary", `[...document.querySelectorAll('#results-summary tbody tr')].some(r =>
		r.textContent.includes('go-local-steep') && r.querySelector('.breaking-point').textContent === '4,500 msg/s' && r.lastElementChild.previousElementSibling.textContent === '3')`, 5*time.Second)
	b.waitFor("p50 and p99 at the chosen loads", `document.getElementById('summary-loads').value === '0, 790' &&
		document.querySelector('#results-summary thead').textContent.includes('at 790 msg/s')`, 5*time.Second)
	b.accessible("the results page")
	b.do("open every section", chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('details').forEach(d => d.open = true)`))
	b.accessible("the results page with every section open")
	b.screenshots("results", true) // the figures have more columns than a phone has room for
	b.do("close every section", chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('details').forEach(d => d.open = false)`))

	// A chart of its own, by link: CPU of kafka, on a log scale it cannot have.
	b.do("pick the feedback latency", chromedp.Click(chromedp.CSS(`a[data-chart=feedback]`)))
	b.waitFor("the feedback chart, linked", `document.getElementById('chart-title')?.textContent.includes('Feedback latency') &&
		location.search.includes('chart=feedback') && document.getElementById('chart-link')?.getAttribute('href').includes('chart=feedback')`, 5*time.Second)
	b.do("log scale", chromedp.Click(chromedp.ID("log-scale")))
	b.waitFor("log scale in the link", `location.search.includes('log=1')`, 5*time.Second)
	b.do("open a chart's link", chromedp.Navigate(srv.URL+"/results?chart=cpu:kafka"))
	b.waitFor("the kafka CPU chart", `document.getElementById('chart-title')?.textContent === 'Chart: CPU of kafka' && document.getElementById('log-scale')?.disabled`, 20*time.Second)

	// The details of a run: machine, versions, settings.
	b.do("open the steep run's details", chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll('details.category-details')].find(d => d.textContent.includes('go-local-steep')).open = true`))
	b.waitFor("its machine, versions and settings", `(() => { const d = [...document.querySelectorAll('details.category-details')].find(d => d.open);
		const t = d.querySelector('table.run-details').textContent; return t.includes('2 CPUs') && t.includes('go1.26.8') && t.includes('timeouts after 731 loops at 4500 msg/s') &&
		d.querySelector('dl.settings').textContent.includes('load_step250'); })()`, 5*time.Second)
	b.waitFor("a CSV button, and no hop chart (these runs did not time hops)", `!!document.getElementById('csv-download') && !document.querySelector('a[data-chart=hops]')`, 5*time.Second)

	// A file whose runs timed each hop: a chart of the hops and a column each.
	results.Store([]byte(`[{"category": "EXAMPLE hops", "runs": [
	  {"additional_load": 0, "mean": 20, "p50": 18, "p99": 40, "max": 50, "hops": {"gateway→kafka": 3, "kafka→handler": 5}},
	  {"additional_load": 100, "mean": 30, "p50": 25, "p99": 60, "max": 70, "hops": {"gateway→kafka": 4, "kafka→handler": 9}}]}]`))
	b.do("open results with hops", chromedp.Navigate(srv.URL+"/results?chart=hops"))
	b.waitFor("the hop chart and columns", `document.getElementById('chart-title')?.textContent === 'Chart: Time per hop (mean)' && document.querySelectorAll('canvas').length === 1 &&
		[...document.querySelectorAll('table.figures th')].some(th => th.textContent === 'kafka→handler ms')`, 20*time.Second)
	b.waitFor("a legend naming each hop's line style", `[...document.querySelectorAll('#line-styles li')].map(l => l.textContent.trim()).join('|') === 'gateway→kafka|kafka→handler' &&
		document.querySelectorAll('#line-styles line[stroke-dasharray]').length === 1`, 5*time.Second)

	// The EXAMPLE fixture (an older file without the newer fields): a run left out drops its lines.
	results.Store(example)
	b.do("open the example results", chromedp.Navigate(srv.URL+"/results?chart=cpu:kafka"))
	b.waitFor("the runs to compare", `[...document.querySelectorAll('fieldset label')].map(l => l.textContent.trim()).join('|') === 'EXAMPLE go linger.ms=5|EXAMPLE go linger.ms=100'`, 20*time.Second)
	b.waitFor("kafka's figures in the no-load run's own row (only that run has kafka)", `document.querySelectorAll('canvas').length === 0 &&
		[...document.querySelectorAll('#no-load tbody tr')].map(r => r.querySelector('th').textContent.trim()).join('|') === 'EXAMPLE go linger.ms=100'`, 5*time.Second)
	b.do("leave the second run out", chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('fieldset input[type=checkbox]')[1].click()`))
	b.waitFor("no kafka figures left", `document.body.innerText.includes('None of the chosen runs with additional load has figures for this chart') &&
		!document.getElementById('no-load') && document.querySelectorAll('#results-summary tbody tr').length === 1`, 5*time.Second)
	b.do("leave the first run out too", chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('fieldset input[type=checkbox]')[0].click()`))
	b.waitFor("no run chosen", `document.body.innerText.includes('Choose at least one run') && document.querySelectorAll('canvas').length === 0`, 5*time.Second)

	compareClients(t, b, srv, &results, &comparison, current)

	// A file that is not in the format says what is wrong with it.
	results.Store([]byte(`[{"category": "broken", "runs": [{"additional_load": 0}]}]`))
	b.do("open the results page again", chromedp.Navigate(srv.URL+"/results"))
	b.waitFor("the format error", `document.body.innerText.includes('results[0].runs[0]: mean is missing')`, 20*time.Second)

	// No file: the page says how to make one.
	results.Store([]byte(nil))
	b.do("open the results page without results", chromedp.Navigate(srv.URL+"/results"))
	b.waitFor("the no-results note with the commands", `(document.getElementById('no-results')?.textContent || '').includes('No results yet') &&
		document.getElementById('no-results')?.textContent.includes('go run ./loadtest report')`, 20*time.Second)
	b.accessible("the results page without results")
	b.screenshots("results-empty", true)
}

// twoClients is made-up figures (never shipped) of two clients, named the
// way the committed client comparison names its categories.
const twoClients = `[
  {"category": "EXAMPLE go-franz-linger0", "breaking_point": 2200, "runs": [
    {"additional_load": 0, "mean": 10, "p50": 10, "p99": 20, "max": 30, "cpu": {"kafka": 5, "command-handler": 3}, "mem": {"kafka": 400, "command-handler": 30}},
    {"additional_load": 1000, "mean": 14, "p50": 14, "p99": 40, "max": 60, "cpu": {"kafka": 50, "command-handler": 20}, "mem": {"kafka": 420, "command-handler": 32}, "anon": {"command-handler": 8}},
    {"additional_load": 2000, "mean": 20, "p50": 20, "p99": 90, "max": 300, "timeouts": 3, "cpu": {"kafka": 90, "command-handler": 40}, "mem": {"kafka": 450, "command-handler": 35}}]},
  {"category": "EXAMPLE go-librdkafka-linger0", "breaking_point": 1000, "runs": [
    {"additional_load": 0, "mean": 11, "p50": 11, "p99": 25, "max": 40, "cpu": {"kafka": 6, "command-handler": 5}, "mem": {"kafka": 400, "command-handler": 60}},
    {"additional_load": 1000, "mean": 30, "p50": 30, "p99": 100, "max": 500, "timeouts": 3, "cpu": {"kafka": 55, "command-handler": 45}, "mem": {"kafka": 430, "command-handler": 70}, "anon": {"command-handler": 12}}]}
]`

// compareClients: two categories picked, the verdict in one line, the
// ratios at each load both reached, and CPU and memory per component; at
// both widths, tables scrolling from the keyboard where they do not fit.
// With the committed client comparison present, it is served beside the
// current figures as make up would, and its verdict is logged.
func compareClients(t *testing.T, b *browser, srv *httptest.Server, results, comparison *atomic.Value, current []byte) {
	t.Helper()
	results.Store([]byte(twoClients))
	b.do("open two clients' results", chromedp.Navigate(srv.URL+"/results"))
	b.waitFor("the verdict", `document.getElementById('compare-verdict')?.textContent === 'franz-go, linger.ms=0: p99 2.5× lower at 1,000 msg/s, breaks at 2.2× the load.'`, 20*time.Second)
	b.waitFor("the ratios at both loads, CPU and memory (also without the page cache) at 1,000 msg/s", `[...document.querySelectorAll('#compare-latency tbody tr')].map(r => r.textContent).join('|') ===
		'0 msg/s10.0 / 11.01.1×20.0 / 25.01.3×|1,000 msg/s14.0 / 30.02.1×40.0 / 1002.5×' &&
		[...document.querySelectorAll('#compare-resources tbody tr')].map(r => r.textContent).join('|') === 'command-handler20.0 / 45.032.0 / 70.08.00 / 12.0|kafka50.0 / 55.0420 / 430–' &&
		[...document.querySelectorAll('#compare-resources thead th')].at(-1).textContent === 'Without page cache MiB A / B'`, 5*time.Second)
	b.waitFor("the categories named by client and settings", `[...document.querySelectorAll('fieldset .setup')].map(p => p.textContent).join('|') === 'franz-go, linger.ms=0|librdkafka, linger.ms=0'`, 5*time.Second)
	b.waitFor("default loads from the data", `document.getElementById('summary-loads').value === '0, 1000'`, 5*time.Second)
	b.do("pick the same one twice", chromedp.Evaluate[chromedp.Void](`(() => { const s = document.getElementById('compare-b');
		s.value = 'EXAMPLE go-franz-linger0'; s.dispatchEvent(new Event('change', { bubbles: true })); })()`))
	b.waitFor("the note to pick two", `document.getElementById('compare-verdict').textContent.startsWith('Both are') && location.search.includes('b=EXAMPLE')`, 5*time.Second)
	b.do("back to two", chromedp.Navigate(srv.URL+"/results"))
	b.waitFor("the verdict again", `document.getElementById('compare-verdict')?.textContent.startsWith('franz-go')`, 20*time.Second)
	b.do("open every section", chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('details').forEach(d => d.open = true)`))
	b.waitFor("the memory without the page cache in the figures", `[...document.querySelectorAll('table.figures tr')].some(r => r.textContent.startsWith('1000') && r.textContent.endsWith('32.0420.08.0'))`, 5*time.Second)
	b.accessible("two clients compared, every section open")
	b.screenshots("results-compare", true)

	committed, err := os.ReadFile("../../docs/loadtest/matrix/results.json")
	if err != nil {
		t.Logf("no committed client comparison to show (%v)", err)
		return
	}
	results.Store(current)
	comparison.Store(committed)
	defer comparison.Store([]byte(nil))
	b.do("open the current figures and the committed client comparison", chromedp.Navigate(srv.URL+"/results"))
	b.waitFor("both files, and the clients' verdict", `(document.getElementById('compare-verdict')?.textContent || '').includes('×') &&
		(document.getElementById('comparison-source')?.textContent || '').includes('/results-clients.json') &&
		[...document.querySelectorAll('#results-summary tbody th')].some(th => th.textContent.includes('franz'))`, 20*time.Second)
	t.Logf("the committed client comparison: %s", b.eval(`document.getElementById('compare-verdict').textContent`))
	b.screenshots("results-clients", true)
}
