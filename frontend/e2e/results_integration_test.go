//go:build integration

package e2e

import (
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

// TestResultsPage draws the load test's summary: the built page served by a
// plain file server with results.json beside it (the unit tests' EXAMPLE
// fixture: made-up figures, never shipped). It needs no gateway.
func TestResultsPage(t *testing.T) {
	dist := distDir(t)
	example, err := os.ReadFile("../src/lib/__fixtures__/results-example.json")
	if err != nil {
		t.Fatal(err)
	}
	var results atomic.Value
	results.Store(example)
	files := http.FileServer(http.Dir(dist))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch p := path.Clean(r.URL.Path); {
		case p == "/results.json":
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(results.Load().([]byte))
		case !strings.Contains(path.Base(p), "."): // the app's routes
			http.ServeFile(w, r, filepath.Join(dist, "index.html"))
		default:
			files.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(srv.Close)

	b := newBrowser(t)
	b.do("open the results page", chromedp.Navigate(srv.URL+"/results"))
	b.waitFor("a chart per latency figure and per component", `document.querySelectorAll('canvas').length === 4 + 3 + 2`, 20*time.Second)
	for _, name := range []string{"EXAMPLE go linger.ms=5", "EXAMPLE go linger.ms=100"} {
		b.waitFor("the run "+name+" to compare", `[...document.querySelectorAll('fieldset label')].some(l => l.textContent.includes(`+jsString(name)+`))`, 5*time.Second)
		b.waitFor("the figures of "+name, `[...document.querySelectorAll('details summary')].some(s => s.textContent === `+jsString(name)+`)`, 5*time.Second)
	}
	// Leaving one run out drops its lines, and the chart of a component only it has.
	b.do("leave a run out", chromedp.Click(chromedp.CSS(`fieldset input[type=checkbox]:nth-of-type(1)`)))
	b.do("leave the other run out too", chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('fieldset input[type=checkbox]')[1].click()`))
	b.waitFor("no run chosen", `document.body.innerText.includes('Choose at least one run') && document.querySelectorAll('canvas').length === 0`, 5*time.Second)
	b.do("take the second run back", chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('fieldset input[type=checkbox]')[1].click()`))
	b.waitFor("the second run's charts only", `document.querySelectorAll('canvas').length === 4 + 2 + 1`, 5*time.Second)

	// A file that is not in the format says what is wrong with it.
	results.Store([]byte(`[{"category": "broken", "runs": [{"additional_load": 0}]}]`))
	b.do("open the results page again", chromedp.Navigate(srv.URL+"/results"))
	b.waitFor("the format error", `document.body.innerText.includes('results[0].runs[0]: mean is missing')`, 20*time.Second)
}
