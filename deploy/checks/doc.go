// Package checks holds the deployment checks (docker-compose.yml, the service
// Dockerfile, the Kubernetes manifests) and the generator of the Kubernetes
// topics. The checks are unit tests: they read repository files only, no Docker
// engine or cluster.
package checks

//go:generate go run ./cmd/gen-topics -o ../kubernetes/base/topics.yaml
//go:generate go run ./cmd/gen-topics -users -o ../kubernetes/base/users.yaml
//go:generate go run ./cmd/gen-topics -compose-acls -o ../compose/kafka-acls.sh
