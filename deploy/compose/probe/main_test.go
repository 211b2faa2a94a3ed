package main

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestCheck(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" {
			http.Error(w, "starting", http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	if err := check(srv.URL+"/readyz", time.Second); err != nil {
		t.Errorf("ready service: %v", err)
	}
	if err := check(srv.URL+"/other", time.Second); err == nil {
		t.Error("a 503 passed the check")
	}
	if err := check("http://127.0.0.1:1/readyz", time.Second); err == nil {
		t.Error("a closed port passed the check")
	}
}
