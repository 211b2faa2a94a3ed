package service

import (
	"maps"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"

	"openbank/kit/env"
	"openbank/kit/metric"
)

// BuildInfoMetric names the gauge, always 1, whose labels say what a service
// runs: its name, commit and Go, and the settings that shape the load test's
// figures, read from the service itself (the load test records them with
// each run, so the Results page can name what it compares).
const BuildInfoMetric = "bank_build_info"

// figureSettings are the settings the build info shows, as a service runs
// with them; a service shows those it reads. None is secret.
var figureSettings = []string{
	"KAFKA_CLIENT", "KAFKA_LINGER_MS", "KAFKA_COMPRESSION", "KAFKA_FETCH_WAIT_MS", "KAFKA_COMMIT_INTERVAL_MS",
	"COMMAND_BATCH_SIZE", "COMMAND_BATCH_WAIT_MS", "COMMAND_PIPELINE",
}

// buildInfo registers BuildInfoMetric for service on set.
func buildInfo(set *metric.Set, service string) {
	labels := map[string]string{"service": service, "go_version": runtime.Version(),
		"gomaxprocs": strconv.Itoa(runtime.GOMAXPROCS(0)), "revision": revision()}
	for _, s := range env.Settings() {
		for _, name := range figureSettings {
			if s.Name == name {
				labels[strings.ToLower(name)] = s.Value
			}
		}
	}
	var pairs []string
	for _, name := range slices.Sorted(maps.Keys(labels)) { // sorted, as the Prometheus client wrote them
		pairs = append(pairs, name, labels[name])
	}
	metric.NewGaugeFunc(set, metric.Name(BuildInfoMetric, pairs...),
		"Always 1: the service, its commit and Go, and the settings that shape its figures, as it runs.",
		func() float64 { return 1 })
}

// revision is the commit the binary was built from, "" when unknown.
func revision() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	rev, dirty := "", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if dirty && rev != "" {
		rev += "-dirty"
	}
	return rev
}
