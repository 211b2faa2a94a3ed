package graph

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/gqlerror"

	"openbank/services/graphql-endpoint/internal/app/gateway"
	"openbank/services/graphql-endpoint/internal/domain/transaction"
	"openbank/services/graphql-endpoint/internal/ports/graph/model"
)

func TestToModel(t *testing.T) {
	m := ToModel(transaction.Transaction{ID: 42, IBAN: "NL66OPEN0000000000", NewBalance: 123456, ChangedBy: -1050,
		FromTo: "cash", Descr: "withdrawal"})
	if m.ID != 42 || *m.Iban != "NL66OPEN0000000000" || *m.NewBalance != "€1.234,56" || *m.ChangedBy != "€10,50" ||
		*m.Direction != model.DtypeDebit || *m.FromTo != "cash" || *m.Descr != "withdrawal" {
		t.Errorf("%+v", m)
	}
	m = ToModel(transaction.Transaction{ChangedBy: 1000, NewBalance: -500})
	if *m.Direction != model.DtypeCredit || *m.ChangedBy != "€10,00" || *m.NewBalance != "€-5,00" {
		t.Errorf("credit: %s %s %s", *m.Direction, *m.ChangedBy, *m.NewBalance)
	}
}

func TestStreamFilter(t *testing.T) {
	iban, dir, min, descr := "NL66OPEN0000000000", model.DtypeCredit, int64(500), "PIZZA"
	f := StreamFilter(&iban, &min, nil, &dir, &descr)
	ok := transaction.Transaction{IBAN: iban, ChangedBy: 500, Descr: "pizza night"}
	if !f.Matches(ok) {
		t.Error("matching transaction filtered out")
	}
	for name, tx := range map[string]transaction.Transaction{
		"other iban": {IBAN: "NL24OPEN0000000001", ChangedBy: 500, Descr: "pizza"},
		"too small":  {IBAN: iban, ChangedBy: 499, Descr: "pizza"},
		"debit":      {IBAN: iban, ChangedBy: -500, Descr: "pizza"},
		"descr":      {IBAN: iban, ChangedBy: 500, Descr: "sushi"},
	} {
		if f.Matches(tx) {
			t.Errorf("%s passed", name)
		}
	}
	if !StreamFilter(nil, nil, nil, nil, nil).Matches(transaction.Transaction{}) {
		t.Error("no arguments must pass everything")
	}
}

func TestCheckTransferErrors(t *testing.T) {
	_, err := CheckTransfer("nope", "", 0, "cash", "", "d")
	list, ok := err.(gqlerror.List)
	if !ok {
		t.Fatalf("error %T %v, want a list of GraphQL errors", err, err)
	}
	var args []string
	for _, e := range list {
		args = append(args, e.Extensions["argument"].(string))
		if e.Extensions["code"] != "BAD_USER_INPUT" {
			t.Errorf("code %v", e.Extensions["code"])
		}
	}
	if strings.Join(args, ",") != "uuid,token,amount,to" {
		t.Errorf("arguments %v", args)
	}
	cmd, err := CheckTransfer("0a4c8b2e-5a43-4f8e-9a0e-3f1f6f5b6c7d", "cash", 1, "cash", "NL66OPEN0000000000", "d")
	if err != nil || cmd.Amount != 1 {
		t.Errorf("valid: %+v %v", cmd, err)
	}
}

func TestCheckMaxItems(t *testing.T) {
	for n, ok := range map[int64]bool{-1: false, 0: false, 1: true, 500: true, 1000: true, 1001: false} {
		if err := CheckMaxItems(n); (err == nil) != ok {
			t.Errorf("max_items %d: %v", n, err)
		}
	}
}

func TestResultModels(t *testing.T) {
	a := accountModel(gateway.AccountResult{Reason: "incorrect password"})
	if a.Iban != nil || a.Token != nil || *a.Reason != "incorrect password" {
		t.Errorf("%+v", a)
	}
	a = accountModel(gateway.AccountResult{IBAN: "NL66OPEN0000000000", Token: "t"})
	if *a.Iban != "NL66OPEN0000000000" || *a.Token != "t" || a.Reason != nil {
		t.Errorf("%+v", a)
	}
	m := transferModel("u", gateway.TransferResult{Success: false, Reason: "invalid token"})
	if *m.UUID != "u" || *m.Success || *m.Reason != "invalid token" {
		t.Errorf("%+v", m)
	}
	m = transferModel("u", gateway.TransferResult{Success: true})
	if !*m.Success || m.Reason != nil {
		t.Errorf("%+v", m)
	}
}

func TestCheckStreamFilter(t *testing.T) {
	long, nul := strings.Repeat("x", 101), "a\x00"
	iban := "NL66OPEN0000000000"
	for _, c := range []struct {
		iban, descr *string
		arg         string
	}{
		{nil, nil, ""}, {&iban, nil, ""}, {nil, &long, "descr_includes"}, {&nul, nil, "iban"},
	} {
		err := CheckStreamFilter(c.iban, c.descr)
		if c.arg == "" {
			if err != nil {
				t.Errorf("%v", err)
			}
			continue
		}
		list, ok := err.(gqlerror.List)
		if !ok || len(list) != 1 || list[0].Extensions["argument"] != c.arg {
			t.Errorf("error %v, want one naming %s", err, c.arg)
		}
	}
}

type shortPasswords struct{ Commands }

func (shortPasswords) GetAccount(_ context.Context, username, password string, _ gateway.Mode) (gateway.AccountResult, error) {
	if username != "jan" { // the resolver passes the NFKC form on
		return gateway.AccountResult{}, errors.New("not normalised: " + username)
	}
	return gateway.AccountResult{}, gateway.ErrPasswordTooShort
}

// TestShortPasswordNamesTheArgument: the gateway's refusal of a short new
// password reaches the client as an error naming password.
func TestShortPasswordNamesTheArgument(t *testing.T) {
	r := &Resolver{Commands: shortPasswords{}}
	_, err := r.Mutation().OpenAccount(context.Background(), "ｊａｎ", "short")
	var gqlErr *gqlerror.Error
	if !errors.As(err, &gqlErr) || gqlErr.Extensions["argument"] != "password" || !strings.Contains(gqlErr.Message, "at least 8") {
		t.Errorf("%v", err)
	}
}
