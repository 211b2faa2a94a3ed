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
// results.json whatever results holds (nil: none, a 404).
func pageServer(t *testing.T, results *atomic.Value) *httptest.Server {
	t.Helper()
	dist := distDir(t)
	files := http.FileServer(http.Dir(dist))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch p := path.Clean(r.URL.Path); {
		case p == "/results.json":
			body, _ := results.Load().([]byte)
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
	srv := pageServer(t, &results)
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
		r.textContent.includes('go-local-steep') && r.querySelector('.breaking-point').textContent === '4500 msg/s' && r.lastElementChild.previousElementSibling.textContent === '3')`, 5*time.Second)
	b.waitFor("p50 and p99 at the chosen loads", `document.getElementById('summary-loads').value === '0, 790' &&
		document.querySelector('#results-summary thead').textContent.includes('at 790 msg/s')`, 5*time.Second)
	b.accessible("the results page")
	b.screenshots("results", true) // the figures have more columns than a phone has room for

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

	// The EXAMPLE fixture (an older file without the newer fields): a run left out drops its lines.
	results.Store(example)
	b.do("open the example results", chromedp.Navigate(srv.URL+"/results?chart=cpu:kafka"))
	b.waitFor("the runs to compare", `[...document.querySelectorAll('fieldset label')].map(l => l.textContent.trim()).join('|') === 'EXAMPLE go linger.ms=5|EXAMPLE go linger.ms=100'`, 20*time.Second)
	b.waitFor("the kafka chart (only the second run has kafka)", `document.querySelectorAll('canvas').length === 1`, 5*time.Second)
	b.do("leave the second run out", chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('fieldset input[type=checkbox]')[1].click()`))
	b.waitFor("no kafka figures left", `document.body.innerText.includes('None of the chosen runs has figures for this chart') && document.querySelectorAll('#results-summary tbody tr').length === 1`, 5*time.Second)
	b.do("leave the first run out too", chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('fieldset input[type=checkbox]')[0].click()`))
	b.waitFor("no run chosen", `document.body.innerText.includes('Choose at least one run') && document.querySelectorAll('canvas').length === 0`, 5*time.Second)

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
