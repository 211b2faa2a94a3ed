// Package model is the GraphQL types gqlgen writes from ../schema.graphqls
// (go generate in the graph package): generated code, not edited by hand.
package model
