// Package graph is the GraphQL port of the gateway: the schema (schema.graphqls),
// gqlgen's generated executor (generated/, model/) and the hand-written resolvers.
package graph

//go:generate go tool gqlgen generate --config gqlgen.yml
