package feedback

import (
	"testing"

	"openbank/topology/ident"
)

func TestWaiters(t *testing.T) {
	w := NewWaiters[string]()
	id, other := ident.NewCommandID(), ident.NewCommandID()
	a, cancelA := w.Wait(id)
	b, cancelB := w.Wait(id)
	c, cancelC := w.Wait(other)
	defer cancelA()
	defer cancelB()
	cancelC()
	w.Deliver(id, "done")
	w.Deliver(other, "nobody waits") // must not block
	for _, ch := range []<-chan string{a, b} {
		select {
		case got := <-ch:
			if got != "done" {
				t.Errorf("got %q", got)
			}
		default:
			t.Error("answer not delivered")
		}
	}
	select {
	case <-c:
		t.Error("cancelled waiter got an answer")
	default:
	}
	if w.Len() != 0 {
		t.Errorf("%d ids still waited for", w.Len())
	}
}
