package httpapi

import (
	"context"
	"fmt"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// Cost is what a parsed document asks for once every fragment spread is
// expanded where it is spread: what validation's walks, gqlgen's complexity
// calculation and execution will visit.
type Cost struct {
	Fields   int // field selections, expanded; stops counting just past the limit
	Depth    int // the deepest operation in fields (introspection fields not counted)
	Password int // password fields (PasswordFields) at an operation's root, expanded
	// SubscriptionRoots is the most root fields a subscription operation
	// selects, expanded (aliases of one field are several; one is allowed).
	SubscriptionRoots int
	// Steps is the work Measure did: one per selection of the document it
	// visited. Each fragment is walked once (memoised), so Steps never exceeds
	// the document's selections, whatever the expansion is.
	Steps int
}

// ErrFragmentCycle means a fragment spreads itself, directly or through others.
var ErrFragmentCycle = fmt.Errorf("fragment spreads itself")

// Measure counts doc's expanded fields, depth and root password fields
// without expanding anything: a fragment's cost is computed once and added
// at each spread. It stops as soon as the fields pass maxFields (then
// Cost.Fields is maxFields+1), at a cycle, or when ctx ends.
func Measure(ctx context.Context, doc *ast.QueryDocument, maxFields int) (Cost, error) {
	m := &measurer{ctx: ctx, doc: doc, limit: maxFields, memo: map[string]*cost{}}
	var total Cost
	for _, op := range doc.Operations {
		c, err := m.set(op.SelectionSet)
		if err != nil {
			total.Steps = m.steps
			return total, err
		}
		total.Fields = m.add(total.Fields, c.fields)
		total.Depth = max(total.Depth, c.depth)
		total.Password = m.add(total.Password, c.password)
		if op.Operation == ast.Subscription {
			total.SubscriptionRoots = max(total.SubscriptionRoots, c.roots)
		}
		if total.Fields > m.limit {
			break
		}
	}
	total.Steps = m.steps
	return total, nil
}

// cost of one selection set; password and roots count fields reachable
// without entering a field (the root fields when the set is an operation's).
type cost struct{ fields, depth, password, roots int }

type measurer struct {
	ctx   context.Context
	doc   *ast.QueryDocument
	limit int
	memo  map[string]*cost // nil value: being measured (a cycle if met again)
	steps int
}

// add saturates just past the limit, so no count can overflow however the
// fragments multiply.
func (m *measurer) add(a, b int) int { return min(a+b, m.limit+1) }

func (m *measurer) set(set ast.SelectionSet) (cost, error) {
	var c cost
	for _, sel := range set {
		m.steps++
		// Checked now and then: the walk is bounded, but need not outlive its client.
		if m.steps%1024 == 0 && m.ctx.Err() != nil {
			return c, m.ctx.Err()
		}
		var s cost
		var err error
		switch sel := sel.(type) {
		case *ast.Field:
			var child cost
			child, err = m.set(sel.SelectionSet)
			s.fields = m.add(1, child.fields)
			if !strings.HasPrefix(sel.Name, "__") {
				s.depth = 1 + child.depth
			}
			if PasswordFields[sel.Name] {
				s.password = 1
			}
			s.roots = 1
		case *ast.InlineFragment:
			s, err = m.set(sel.SelectionSet)
		case *ast.FragmentSpread:
			s, err = m.fragment(sel.Name)
		}
		if err != nil {
			return c, err
		}
		c.fields = m.add(c.fields, s.fields)
		c.depth = max(c.depth, s.depth)
		c.password = m.add(c.password, s.password)
		c.roots = m.add(c.roots, s.roots)
		if c.fields > m.limit {
			return c, nil // early stop: the document is refused anyway
		}
	}
	return c, nil
}

func (m *measurer) fragment(name string) (cost, error) {
	if c, seen := m.memo[name]; seen {
		if c == nil {
			return cost{}, fmt.Errorf("%w: %s", ErrFragmentCycle, name)
		}
		return *c, nil
	}
	def := m.doc.Fragments.ForName(name)
	if def == nil {
		return cost{}, nil // validation names the unknown fragment
	}
	m.memo[name] = nil
	c, err := m.set(def.SelectionSet)
	if err != nil {
		return c, err
	}
	m.memo[name] = &c
	return c, nil
}
