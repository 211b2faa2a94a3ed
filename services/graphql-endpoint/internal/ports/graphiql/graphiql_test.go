package graphiql

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestPageLoadsOnlyLocalFiles(t *testing.T) {
	rec := httptest.NewRecorder()
	Page("Open Bank", "/graphql", "/graphiql/").ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	body := rec.Body.String()
	if strings.Contains(body, "http://") || strings.Contains(body, "https://") || strings.Contains(body, "//") && strings.Contains(body, `src="//`) {
		t.Errorf("the page loads something from elsewhere:\n%s", body)
	}
	for _, f := range []string{"graphiql.min.js", "graphiql.min.css", "react.production.min.js", "react-dom.production.min.js"} {
		if !strings.Contains(body, "/graphiql/"+f) {
			t.Errorf("page lacks %s", f)
		}
		for _, gz := range []bool{true, false} {
			req := httptest.NewRequest(http.MethodGet, "/graphiql/"+f, nil)
			if gz {
				req.Header.Set("Accept-Encoding", "gzip, deflate")
			}
			rec := httptest.NewRecorder()
			Files().ServeHTTP(rec, req)
			raw, _ := io.ReadAll(rec.Body)
			if rec.Code != http.StatusOK || len(raw) < 1000 || (rec.Header().Get("Content-Encoding") == "gzip") != gz {
				t.Errorf("%s (gzip %v): %d, %d bytes, encoding %q", f, gz, rec.Code, len(raw), rec.Header().Get("Content-Encoding"))
			}
		}
	}
}
