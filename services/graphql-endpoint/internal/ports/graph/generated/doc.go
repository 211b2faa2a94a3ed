// Package generated is the executable schema gqlgen writes from
// ../schema.graphqls (go generate in the graph package): generated code, not
// edited by hand; the resolvers it calls are ../resolver.go.
package generated
