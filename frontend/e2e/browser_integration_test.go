//go:build integration

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// chromiumPath is Debian's chromium (apt-get install chromium); CHROMIUM
// overrides it.
func chromiumPath(t *testing.T) string {
	t.Helper()
	p := os.Getenv("CHROMIUM")
	if p == "" {
		p = "/usr/bin/chromium"
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("no Chromium at %s (install Debian's chromium, or set CHROMIUM): %v", p, err)
	}
	return p
}

// browser is one headless Chromium tab; uncaught page errors fail the test.
type browser struct {
	t   *testing.T
	ctx context.Context

	mu      sync.Mutex
	console []string
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	b := &browser{t: t, ctx: ctx}
	messages := chromedp.Console(ctx) // starts the browser
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.console = append(b.console, fmt.Sprintf("%s: %s", m.Type, m.String()))
			if m.IsException() {
				t.Errorf("uncaught error in the page: %s", m.String())
			}
			b.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		if t.Failed() {
			b.mu.Lock()
			t.Logf("browser console:\n%s", strings.Join(b.console, "\n"))
			b.mu.Unlock()
		}
	})
	return b
}

// do runs actions, failing the test with what was being done.
func (b *browser) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v\npage text:\n%s", what, err, b.pageText())
	}
}

// waitFor waits until the JavaScript expression is true.
func (b *browser) waitFor(what, expr string, timeout time.Duration) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, timeout+5*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(timeout), chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		b.t.Fatalf("waiting %s for %s: %v\npage text:\n%s", timeout, what, err, b.pageText())
	}
}

func (b *browser) eval(expr string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

func (b *browser) pageText() string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	v, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ''`))
	return v
}

// replace types text into the field in place of what it holds, as a person
// selecting it all would (React only sees real input events).
func replace(id, text string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.getElementById(%q).select()`, id)),
		chromedp.SendKeys(chromedp.ID(id), kb.Delete+text),
	)
}

func (b *browser) screenshot(name string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.MkdirAll("artifacts", 0o755); err != nil {
		b.t.Fatal(err)
	}
	path := filepath.Join("artifacts", name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	abs, _ := filepath.Abs(path)
	b.t.Logf("screenshot: %s", abs)
}

// topRow is JavaScript for a field of the newest row of a transactions table.
func topRow(tbody, field string) string {
	return fmt.Sprintf(`((document.querySelector('#%s tr.transaction td.%s') || {}).textContent || '')`, tbody, field)
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

const bankIBAN = "NL66OPEN0000000000"

// What the bank's round trip may take on a busy shared machine.
const bankAnswer = 30 * time.Second

var ibanPattern = regexp.MustCompile(`^NL\d{2}OPEN\d{10}$`)

// TestClientPage is the client's whole visit: open an account, deposit
// €10, transfer to the bank, see a refusal and its reason, log in again
// with a wrong and a right password; the gateway restarting meanwhile.
func TestClientPage(t *testing.T) {
	bank := startBank(t)
	b := newBrowser(t)
	username := fmt.Sprintf("e2e-%d", time.Now().UnixNano())
	const password = "correct horse battery"

	b.do("open the client page", chromedp.Navigate(bank.pageURL("/client")))
	b.waitFor("the connection to the gateway", `document.querySelector('#connection-state')?.dataset.state === 'connected'`, 20*time.Second)

	// A short username and password are refused on the page, with the reasons.
	b.do("log in with a short username and password",
		chromedp.SendKeys(chromedp.ID("username"), "bob"),
		chromedp.SendKeys(chromedp.ID("password"), "short"+kb.Enter), // Enter submits: the form works from the keyboard
	)
	b.waitFor("the short username's and password's reasons", `(document.getElementById('username-error')?.textContent || '').includes('at least 8 characters') &&
		(document.getElementById('password-error')?.textContent || '').includes('at least 8 characters')`, 5*time.Second)

	// Opening the account.
	b.do("open an account", replace("username", username), replace("password", password), chromedp.Click(chromedp.ID("login")))
	b.waitFor("the new account's iban", `!!document.getElementById('iban')`, bankAnswer)
	iban := b.eval(`document.getElementById('iban').textContent.trim()`)
	if !ibanPattern.MatchString(iban) {
		t.Fatalf("the page shows iban %q, not one of this bank", iban)
	}
	b.waitFor("the empty transaction list", `(document.getElementById('transactions')?.textContent || '').includes('No transactions yet')`, bankAnswer)

	// Deposit €10: it appears at the top of the list.
	b.do("deposit €10", chromedp.Click(chromedp.ID("deposit-1000")))
	b.waitFor("the €10,00 deposit at the top", fmt.Sprintf(`%s === '€10,00' && %s === 'CREDIT'`, topRow("transactions", "changed-by"), topRow("transactions", "direction")), bankAnswer)
	if got := b.eval(topRow("transactions", "from-to")); got != "cash" {
		t.Errorf("the deposit's counter party is %q, want cash", got)
	}
	b.waitFor("the balance €10,00", `document.getElementById('balance').textContent === '€10,00'`, 5*time.Second)
	b.waitFor("the deposit's result", `document.querySelector('#transfer-results li.transfer-result')?.dataset.status === 'success'`, bankAnswer)

	// The form checks before sending: no transfer to the own account.
	b.do("transfer to the own account",
		chromedp.SendKeys(chromedp.ID("transfer-amount"), "1"),
		chromedp.SendKeys(chromedp.ID("transfer-to"), iban),
		chromedp.SendKeys(chromedp.ID("transfer-descr"), "to myself"),
		chromedp.Click(chromedp.ID("transfer-submit")),
	)
	b.waitFor("the own-account reason", `document.body.innerText.includes("You can't transfer to your own account")`, 5*time.Second)
	if n := b.eval(`String(document.querySelectorAll('#transfer-results li.transfer-result').length)`); n != "1" {
		t.Fatalf("a transfer the form refused was sent anyway: %s results", n)
	}

	// Transfer €2,50 to the bank: the debit appears at the top.
	b.do("transfer €2,50 to the bank",
		replace("transfer-amount", "2,50"),
		replace("transfer-to", bankIBAN),
		replace("transfer-descr", "e2e to the bank"),
		chromedp.Click(chromedp.ID("transfer-submit")),
	)
	b.waitFor("the €2,50 debit at the top", fmt.Sprintf(`%s === '€2,50' && %s === 'DEBIT' && %s === %s`,
		topRow("transactions", "changed-by"), topRow("transactions", "direction"), topRow("transactions", "from-to"), jsString(bankIBAN)), bankAnswer)
	b.waitFor("the balance €7,50", `document.getElementById('balance').textContent === '€7,50'`, 5*time.Second)
	b.waitFor("the transfer's result", `document.querySelector('#transfer-results li.transfer-result')?.dataset.status === 'success'`, bankAnswer)

	// More than balance and limit (€500) allow: the bank's reason is shown.
	b.do("transfer €1.000 to the bank",
		replace("transfer-amount", "1.000"),
		replace("transfer-descr", "too much"),
		chromedp.Click(chromedp.ID("transfer-submit")),
	)
	b.waitFor("the bank's refusal", `(() => { const r = document.querySelector('#transfer-results li.transfer-result');
		return r?.dataset.status === 'failed' && r.textContent.includes('insufficient funds'); })()`, bankAnswer)

	b.screenshot("client.png")

	// The connection drops and comes back by itself; the page keeps working.
	if err := bank.gateway.Stop(10 * time.Second); err != nil {
		t.Fatalf("stop the gateway: %v", err)
	}
	b.waitFor("the page to show the lost connection", `document.getElementById('connection-state').dataset.state === 'reconnecting' &&
		(document.getElementById('connection-banner').textContent || '').includes('Connection to the bank lost')`, 20*time.Second)
	bank.gateway.Restart()
	bank.gateway.WaitReady(t, fmt.Sprintf("http://127.0.0.1:%d/readyz", bank.gwPort))
	b.waitFor("the page to reconnect by itself", `document.getElementById('connection-state').dataset.state === 'connected'`, 30*time.Second)
	b.do("deposit €20 after the reconnect", chromedp.Click(chromedp.ID("deposit-2000")))
	b.waitFor("the €20,00 deposit at the top", fmt.Sprintf(`%s === '€20,00'`, topRow("transactions", "changed-by")), bankAnswer)
	b.waitFor("the balance €27,50", `document.getElementById('balance').textContent === '€27,50'`, 5*time.Second)

	// Logging in again: a wrong password shows the bank's reason, the right one the same account.
	b.do("log out", chromedp.Click(chromedp.ID("logout")))
	b.do("log in with a wrong password",
		chromedp.SendKeys(chromedp.ID("username"), username),
		chromedp.SendKeys(chromedp.ID("password"), "wrong horse battery"),
		chromedp.Click(chromedp.ID("login")),
	)
	b.waitFor("the wrong password's reason", `(document.getElementById('login-reason')?.textContent || '').includes('incorrect password')`, bankAnswer)
	b.do("log in with the right password", replace("password", password), chromedp.Click(chromedp.ID("login")))
	b.waitFor("the same account again", fmt.Sprintf(`document.getElementById('iban')?.textContent === %s`, jsString(iban)), bankAnswer)
	b.waitFor("the history after logging in", fmt.Sprintf(`%s === '€20,00'`, topRow("transactions", "changed-by")), bankAnswer)

	// A phone-sized screen: nothing sticks out sideways.
	b.do("a phone-sized screen", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	// Wide tables scroll inside their own box; everything else must fit.
	b.waitFor("the page to fit 390 px", `[...document.querySelectorAll('body *')].every(e =>
		e.closest('.table-container') || e.getBoundingClientRect().right <= 391)`, 5*time.Second)
	b.screenshot("client-phone.png")
	b.do("back to a desktop screen", chromedp.EmulateViewport(1280, 900))

	// The bank employee finds the account and follows it, filtered.
	b.do("open the bank employee page", chromedp.Navigate(bank.pageURL("/employee")))
	b.do("search the account", chromedp.SendKeys(chromedp.ID("account-search"), iban[8:]))
	b.waitFor("the account in the list", fmt.Sprintf(`(document.getElementById('accounts')?.textContent || '').includes(%s)`, jsString(iban)), bankAnswer)
	b.do("follow it", chromedp.Click(chromedp.CSS("#accounts button.account")))
	b.waitFor("its transactions", fmt.Sprintf(`document.querySelectorAll('#followed-transactions tr.transaction').length === 3 && %s === '€20,00'`, topRow("followed-transactions", "changed-by")), bankAnswer)
	b.do("show debits only", chromedp.SetValue(chromedp.ID("filter-direction"), "DEBIT"), chromedp.Evaluate[chromedp.Void](
		`document.getElementById('filter-direction').dispatchEvent(new Event('change', { bubbles: true }))`), chromedp.Click(chromedp.ID("filter-apply")))
	b.waitFor("only the debit", fmt.Sprintf(`document.querySelectorAll('#followed-transactions tr.transaction').length === 1 && %s === '€2,50'`, topRow("followed-transactions", "changed-by")), bankAnswer)

	// The home page shows the bank's account, our transfer in it.
	b.do("open the home page", chromedp.Navigate(bank.pageURL("/")))
	b.waitFor("our transfer on the bank's account", fmt.Sprintf(`[...document.querySelectorAll('#bank-transactions tr.transaction')].some(r =>
		r.querySelector('td.from-to').textContent === %s && r.querySelector('td.changed-by').textContent.endsWith('€2,50') && r.querySelector('td.direction').textContent === 'CREDIT')`, jsString(iban)), bankAnswer)

	// The results page says when the load test has not run (the build ships no results).
	if _, err := os.Stat(filepath.Join(distDir(t), "results.json")); err == nil {
		t.Log("dist/results.json exists: not checking the no-results note")
		return
	}
	b.do("open the results page", chromedp.Navigate(bank.pageURL("/results")))
	b.waitFor("the no-results note", `(document.getElementById('no-results')?.textContent || '').includes('No results yet')`, 20*time.Second)
}
