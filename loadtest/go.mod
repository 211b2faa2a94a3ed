module openbank/loadtest

go 1.26

require (
	openbank/schemas v0.0.0
	openbank/topology v0.0.0
)

require (
	github.com/coder/websocket v1.8.15 // indirect
	github.com/prometheus/common v0.62.0 // indirect
	github.com/prometheus/procfs v0.15.1 // indirect
	golang.org/x/sys v0.28.0 // indirect
)

replace (
	openbank/schemas => ../schemas
	openbank/topology => ../topology
)
