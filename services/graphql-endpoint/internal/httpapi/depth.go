package httpapi

import (
	"context"
	"fmt"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// DepthLimit rejects operations nested deeper than Max fields (gqlgen has a
// complexity limit but no depth limit). Introspection fields (__schema,
// __type) are not counted: the schema bounds them, and GraphiQL needs them.
type DepthLimit struct{ Max int }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = DepthLimit{}

func (DepthLimit) ExtensionName() string                   { return "DepthLimit" }
func (DepthLimit) Validate(graphql.ExecutableSchema) error { return nil }

func (d DepthLimit) MutateOperationContext(_ context.Context, op *graphql.OperationContext) *gqlerror.Error {
	if d.Max <= 0 || op.Operation == nil {
		return nil
	}
	if depth := Depth(op.Operation.SelectionSet, op.Doc.Fragments, 0); depth > d.Max {
		return &gqlerror.Error{
			Message:    fmt.Sprintf("operation is nested too deeply: depth %d, at most %d", depth, d.Max),
			Extensions: map[string]any{"code": "DEPTH_LIMIT_EXCEEDED"},
		}
	}
	return nil
}

// Depth is how many fields deep set goes; fragments are followed (validation
// has already ruled out cycles, visited guards anyway).
func Depth(set ast.SelectionSet, fragments ast.FragmentDefinitionList, visited int) int {
	if visited > 100 {
		return visited
	}
	deepest := 0
	for _, sel := range set {
		var d int
		switch s := sel.(type) {
		case *ast.Field:
			if strings.HasPrefix(s.Name, "__") {
				continue
			}
			d = 1 + Depth(s.SelectionSet, fragments, visited+1)
		case *ast.InlineFragment:
			d = Depth(s.SelectionSet, fragments, visited+1)
		case *ast.FragmentSpread:
			if f := fragments.ForName(s.Name); f != nil {
				d = Depth(f.SelectionSet, fragments, visited+1)
			}
		}
		deepest = max(deepest, d)
	}
	return deepest
}
