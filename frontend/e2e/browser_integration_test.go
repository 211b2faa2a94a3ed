//go:build integration

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
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

// doubleClick clicks the element twice in quick succession with the mouse,
// as a person double-clicking does.
func (b *browser) doubleClick(id string) {
	b.t.Helper()
	x, _ := strconv.ParseFloat(b.eval(fmt.Sprintf(`(() => { const r = document.getElementById(%q).getBoundingClientRect(); return String(r.left + r.width / 2); })()`, id)), 64)
	y, _ := strconv.ParseFloat(b.eval(fmt.Sprintf(`(() => { const r = document.getElementById(%q).getBoundingClientRect(); return String(r.top + r.height / 2); })()`, id)), 64)
	b.do("double-click "+id, chromedp.MouseClickXY(x, y), chromedp.MouseClickXY(x, y, chromedp.ClickCount(2)))
}

// transferResults is JavaScript: how many transfers the page has sent.
const transferResults = `String(document.querySelectorAll('#transfer-results li.transfer-result').length)`

// TestClientPage is the client's whole visit: a mistyped username refused,
// open an account, deposit €10, a cut-off iban refused, a double-clicked
// transfer sent once, more than is available refused; the gateway stopped (the
// page says what it does not know instead of €0,00), then back; log in again
// with a wrong and a right password; then the employee's and the home page.
func TestClientPage(t *testing.T) {
	bank := startBank(t)
	b := newBrowser(t)
	username := fmt.Sprintf("e2e-%d", time.Now().UnixNano())
	const password = "correct horse battery"

	b.do("open the client page", chromedp.Navigate(bank.pageURL("/client")))
	b.waitFor("the connection to the gateway", `document.querySelector('#connection-state')?.dataset.state === 'connected'`, 20*time.Second)
	b.waitFor("the current page marked in the navigation bar", `document.querySelector('.navbar-start [aria-current=page]')?.textContent === 'Client'`, 5*time.Second)
	b.accessible("the log-in form")
	b.screenshots("client-login")

	// A short username and password are refused on the page, with the reasons.
	b.do("log in with a short username and password",
		chromedp.SendKeys(chromedp.ID("username"), "bob"),
		chromedp.SendKeys(chromedp.ID("password"), "short"+kb.Enter), // Enter submits: the form works from the keyboard
	)
	b.waitFor("the short username's and password's reasons", `(document.getElementById('username-error')?.textContent || '').includes('at least 8 characters') &&
		(document.getElementById('password-error')?.textContent || '').includes('at least 8 characters')`, 5*time.Second)

	// Logging in with a username nobody has (a typo) opens nothing.
	b.do("log in as someone unknown", replace("username", username), replace("password", password), chromedp.Click(chromedp.ID("login")))
	b.waitFor("the unknown username's reason", `(document.getElementById('login-reason')?.textContent || '').includes('incorrect username or password')`, bankAnswer)
	if got := b.eval(`String(!!document.getElementById('iban'))`); got != "false" {
		t.Fatal("logging in with an unknown username opened an account")
	}

	// Opening the account is its own action.
	b.do("open an account", chromedp.Click(chromedp.ID("open-account")))
	b.waitFor("the new account's iban", `!!document.getElementById('iban')`, bankAnswer)
	iban := b.eval(`document.getElementById('iban').textContent.trim()`)
	if !ibanPattern.MatchString(iban) {
		t.Fatalf("the page shows iban %q, not one of this bank", iban)
	}
	b.waitFor("the empty transaction list and a balance of €0,00", `(document.getElementById('transactions')?.textContent || '').includes('No transactions yet') &&
		document.getElementById('balance').textContent === '€0,00'`, bankAnswer)

	// Deposit €10: it appears at the top of the list.
	b.do("deposit €10", chromedp.Click(chromedp.ID("deposit-1000")))
	b.waitFor("the €10,00 deposit at the top", fmt.Sprintf(`%s === '€10,00' && %s === 'CREDIT'`, topRow("transactions", "changed-by"), topRow("transactions", "direction")), bankAnswer)
	if got := b.eval(topRow("transactions", "from-to")); got != "cash" {
		t.Errorf("the deposit's counter party is %q, want cash", got)
	}
	b.waitFor("the balance €10,00", `document.getElementById('balance').textContent === '€10,00'`, 5*time.Second)
	b.waitFor("the deposit's result", `document.querySelector('#transfer-results li.transfer-result')?.dataset.status === 'success'`, bankAnswer)

	// The form checks before sending: no transfer to the own account, nor to a cut-off iban.
	b.do("transfer to the own account",
		chromedp.SendKeys(chromedp.ID("transfer-amount"), "1"),
		chromedp.SendKeys(chromedp.ID("transfer-to"), iban),
		chromedp.SendKeys(chromedp.ID("transfer-descr"), "to myself"),
		chromedp.Click(chromedp.ID("transfer-submit")),
	)
	b.waitFor("the own-account reason", `document.body.innerText.includes("You can't transfer to your own account")`, 5*time.Second)
	b.do("transfer to a cut-off iban", replace("transfer-to", "NL66OPEN000000"), chromedp.Click(chromedp.ID("transfer-submit")))
	b.waitFor("the cut-off iban's reason", `document.body.innerText.includes('This iban has 14 characters; NL ibans have 18')`, 5*time.Second)
	if n := b.eval(transferResults); n != "1" {
		t.Fatalf("a transfer the form refused was sent anyway: %s results", n)
	}

	// On a 1366×768 laptop screen, a double-clicked transfer of €2,50 to the
	// bank is sent once, and its outcome shows without scrolling.
	b.do("a 1366×768 screen", chromedp.EmulateViewport(1366, 768), chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`))
	b.do("fill in €2,50 to the bank", replace("transfer-amount", "2,50"), replace("transfer-to", bankIBAN), replace("transfer-descr", "e2e to the bank"),
		chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`))
	b.doubleClick("transfer-submit")
	b.waitFor("the €2,50 debit at the top", fmt.Sprintf(`%s === '€2,50' && %s === 'DEBIT' && %s === %s`,
		topRow("transactions", "changed-by"), topRow("transactions", "direction"), topRow("transactions", "from-to"), jsString(bankIBAN)), bankAnswer)
	b.waitFor("the transfer's result", `document.querySelector('#transfer-results li.transfer-result')?.dataset.status === 'success'`, bankAnswer)
	if n := b.eval(transferResults); n != "2" {
		t.Fatalf("a double click sent more than one transfer: %s results, want 2 (the deposit and the transfer)", n)
	}
	if got := b.eval(`(() => { const r = document.querySelector('#transfer-results li.transfer-result').getBoundingClientRect();
		return window.scrollY + ',' + (r.top >= 0 && r.bottom <= window.innerHeight); })()`); got != "0,true" {
		t.Errorf("the transfer's outcome is not on a 1366×768 screen without scrolling (scrollY,visible = %s)", got)
	}
	// Two clicks within one task (faster than the page can show it is busy) send once too.
	b.do("fill in €1 to the bank", replace("transfer-amount", "1"), replace("transfer-descr", "e2e twice at once"))
	b.do("click Transfer twice at once", chromedp.Evaluate[chromedp.Void](`(() => { const b = document.getElementById('transfer-submit'); b.click(); b.click(); })()`))
	b.waitFor("the €1,00 debit at the top", fmt.Sprintf(`%s === '€1,00'`, topRow("transactions", "changed-by")), bankAnswer)
	b.waitFor("its result", `document.querySelector('#transfer-results li.transfer-result')?.dataset.status === 'success'`, bankAnswer)
	if n := b.eval(transferResults); n != "3" {
		t.Fatalf("two clicks at once sent more than one transfer: %s results, want 3", n)
	}
	b.waitFor("the balance €6,50", `document.getElementById('balance').textContent === '€6,50'`, 5*time.Second)
	b.desktop()

	// More than balance and limit (€500) allow: refused before sending, saying what is available.
	b.do("transfer €1.000 to the bank",
		replace("transfer-amount", "1.000"),
		replace("transfer-descr", "too much"),
		chromedp.Click(chromedp.ID("transfer-submit")),
	)
	b.waitFor("the refusal with the available amount", `document.body.innerText.includes('More than you can send: €506,50 (your balance €6,50 plus the €500,00 overdraft) is available')`, 5*time.Second)
	if n := b.eval(transferResults); n != "3" {
		t.Fatalf("a transfer of more than is available was sent: %s results, want 3", n)
	}
	b.accessible("the account with transactions and a refusal")
	b.screenshots("client")

	// The gateway stops: the page says what it does not know, never €0,00.
	if err := bank.gateway.Stop(10 * time.Second); err != nil {
		t.Fatalf("stop the gateway: %v", err)
	}
	b.waitFor("the page to show the lost connection", `document.getElementById('connection-state').dataset.state === 'reconnecting' &&
		(document.getElementById('connection-banner').textContent || '').includes('Connection to the bank lost')`, 20*time.Second)
	b.do("reload the client page", chromedp.Navigate(bank.pageURL("/client")))
	b.waitFor("the offline balance and list", `document.getElementById('balance')?.dataset.state === 'offline' &&
		document.getElementById('balance').textContent.includes('not connected') &&
		document.querySelector('#transactions .waiting')?.textContent === 'Waiting for the connection to the bank…'`, 20*time.Second)
	b.screenshots("client-offline")
	b.do("open the employee page offline", chromedp.Navigate(bank.pageURL("/employee")))
	b.waitFor("the offline account list", `document.querySelector('#accounts .waiting')?.textContent === 'Waiting for the connection to the bank…'`, 20*time.Second)
	b.do("back to the client page", chromedp.Navigate(bank.pageURL("/client")))
	b.do("log out while offline", chromedp.Click(chromedp.ID("logout")))
	b.waitFor("the note that logging in needs the connection", `!!document.getElementById('login-offline')`, 5*time.Second)
	b.do("log in while offline", chromedp.SendKeys(chromedp.ID("username"), username), chromedp.SendKeys(chromedp.ID("password"), password), chromedp.Click(chromedp.ID("login")))
	b.waitFor("the log-in to give up with a reason", `(document.getElementById('login-reason')?.textContent || '').includes('did not answer')`, 30*time.Second)

	// The gateway is back: the page reconnects by itself and works.
	bank.gateway.Restart()
	bank.gateway.WaitReady(t, fmt.Sprintf("http://127.0.0.1:%d/readyz", bank.gwPort))
	b.waitFor("the page to reconnect by itself", `document.getElementById('connection-state').dataset.state === 'connected'`, 30*time.Second)
	b.do("log in again", chromedp.Click(chromedp.ID("login")))
	b.waitFor("the same account again", fmt.Sprintf(`document.getElementById('iban')?.textContent === %s`, jsString(iban)), bankAnswer)
	b.waitFor("the balance €6,50 again", `document.getElementById('balance').textContent === '€6,50'`, bankAnswer)
	b.do("deposit €20 after the reconnect", chromedp.Click(chromedp.ID("deposit-2000")))
	b.waitFor("the €20,00 deposit at the top", fmt.Sprintf(`%s === '€20,00'`, topRow("transactions", "changed-by")), bankAnswer)
	b.waitFor("the balance €26,50", `document.getElementById('balance').textContent === '€26,50'`, 5*time.Second)

	// Logging in again: a wrong password shows the bank's reason, the right one the same account.
	b.do("log out", chromedp.Click(chromedp.ID("logout")))
	b.do("log in with a wrong password",
		chromedp.SendKeys(chromedp.ID("username"), username),
		chromedp.SendKeys(chromedp.ID("password"), "wrong horse battery"),
		chromedp.Click(chromedp.ID("login")),
	)
	b.waitFor("the wrong password's reason", `(document.getElementById('login-reason')?.textContent || '').includes('incorrect username or password')`, bankAnswer)
	b.do("log in with the right password", replace("password", password), chromedp.Click(chromedp.ID("login")))
	b.waitFor("the same account again", fmt.Sprintf(`document.getElementById('iban')?.textContent === %s`, jsString(iban)), bankAnswer)
	b.waitFor("the history after logging in", fmt.Sprintf(`%s === '€20,00'`, topRow("transactions", "changed-by")), bankAnswer)

	// A phone-sized screen: nothing sticks out sideways, every column in view.
	b.phone()
	b.waitFor("the page to fit 390 px with every column", fitsPhone+` && document.querySelectorAll('#transactions tr.transaction:first-child td').length === 5`, 5*time.Second)
	b.desktop()

	employeePage(t, bank, b, iban)

	// The home page shows the bank's account, our transfer in it.
	b.do("open the home page", chromedp.Navigate(bank.pageURL("/")))
	b.waitFor("our transfer on the bank's account", fmt.Sprintf(`[...document.querySelectorAll('#bank-transactions tr.transaction')].some(r =>
		r.querySelector('td.from-to').textContent === %s && r.querySelector('td.changed-by').textContent.endsWith('€2,50') && r.querySelector('td.direction').textContent === 'CREDIT')`, jsString(iban)), bankAnswer)
	b.accessible("the home page")
	b.screenshots("home", true) // the bank's own balance (25 characters) scrolls rather than breaks

	b.do("open the background page", chromedp.Navigate(bank.pageURL("/background")))
	b.waitFor("the architecture", `document.querySelectorAll('.arch-box').length >= 6`, 10*time.Second)
	b.accessible("the background page")
	b.screenshots("background")
}
