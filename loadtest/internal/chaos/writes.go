package chaos

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// Writes is what the gateways did to transactiondb's transactions: rows they
// offered to INSERT (each an index probe and a lock, stored or not) and rows
// they inserted, from their counters (read before each gateway kill and at
// the end), against the rows the table holds and the BalanceChanged records
// on the topic.
type Writes struct {
	Gateways int     `json:"gateways"`
	Offered  float64 `json:"insert_attempts"`
	Inserted float64 `json:"rows_inserted"`
	// Lost counts gateway kills whose counters could not be read first: then
	// the counts are lower bounds.
	Lost int `json:"counters_lost"`
	// Rows is count(*) of transactions; TupIns PostgreSQL's n_tup_ins for it
	// (reset by a crash: postgres-stop).
	Rows   int64 `json:"rows"`
	TupIns int64 `json:"n_tup_ins"`
	// IdxScans and IdxFetched are PostgreSQL's idx_scan and idx_tup_fetch of
	// the table: the reads of every gateway's stream and of the clients'
	// history queries (reset by a crash too).
	IdxScans   int64 `json:"idx_scan"`
	IdxFetched int64 `json:"idx_tup_fetch"`
}

// writesMu guards Add's sums (a kill and the end may read at once).
var writesMu sync.Mutex

// Add adds the counters of gateway s as they are now.
func (w *Writes) Add(ctx context.Context, s *Service) {
	offered, inserted, err := gatewayCounters(ctx, s.Port)
	writesMu.Lock()
	defer writesMu.Unlock()
	if err != nil {
		w.Lost++
		return
	}
	w.Offered += offered
	w.Inserted += inserted
}

// ReadTable reads the table's row count and PostgreSQL's insert count.
func (w *Writes) ReadTable(ctx context.Context, dsn string) error {
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return fmt.Errorf("connect to transactiondb: %w", err)
	}
	defer c.Close(context.WithoutCancel(ctx))
	err = c.QueryRow(ctx, `SELECT (SELECT count(*) FROM transactions), COALESCE(n_tup_ins, 0), COALESCE(idx_scan, 0), COALESCE(idx_tup_fetch, 0)
		  FROM (SELECT 1) one LEFT JOIN pg_stat_user_tables ON relname = 'transactions'`).Scan(&w.Rows, &w.TupIns, &w.IdxScans, &w.IdxFetched)
	if err != nil {
		return fmt.Errorf("count transactions: %w", err)
	}
	return nil
}

func (w *Writes) String() string {
	per := func(n float64) string {
		if w.Rows == 0 {
			return "-"
		}
		return strconv.FormatFloat(n/float64(w.Rows), 'f', 3, 64)
	}
	return fmt.Sprintf("%d rows; %d gateway(s) inserted %.0f (%s per row) after %.0f insert attempts (%s per row); n_tup_ins %d; "+
		"index scans %d, rows fetched by index %d (%s per row); counters lost %d",
		w.Rows, w.Gateways, w.Inserted, per(w.Inserted), w.Offered, per(w.Offered), w.TupIns,
		w.IdxScans, w.IdxFetched, per(float64(w.IdxFetched)), w.Lost)
}

// gatewayCounters reads a gateway's insert counters from its /metrics.
func gatewayCounters(ctx context.Context, port int) (offered, inserted float64, err error) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d/metrics", port), nil)
	if err != nil {
		return 0, 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	found := 0
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 2 {
			continue
		}
		v, perr := strconv.ParseFloat(f[1], 64)
		switch {
		case perr != nil:
		case f[0] == "graphql_transactions_insert_attempts_total":
			offered, found = v, found+1
		case f[0] == "graphql_transactions_stored_total":
			inserted, found = v, found+1
		}
	}
	if err := sc.Err(); err != nil {
		return 0, 0, err
	}
	if found != 2 {
		return 0, 0, fmt.Errorf("gateway on :%d: insert counters missing", port)
	}
	return offered, inserted, nil
}
