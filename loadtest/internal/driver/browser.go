package driver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/chromedp/chromedp"
)

// Page is how the browser driver finds its way on the frontend's client page
// (frontend/src/pages/Client.tsx and components/TransactionTable.tsx: the
// element ids and classes it renders).
type Page struct {
	Username      string // login form
	Password      string
	Login         string // button that opens a new account
	IBAN          string // shows the logged-in account's iban
	DepositButton string // fmt pattern with the amount in cents, e.g. #deposit-%d
	TransferTo    string // transfer form
	TransferAmt   string // amount in euros
	TransferDescr string
	TransferSend  string
	Transaction   string // one row of the account's transaction list, newest first, with data-id
}

// ClientPage is the frontend's client page.
var ClientPage = Page{
	Username:      "#username",
	Password:      "#password",
	Login:         "#open-account", // #login only logs in to an existing account
	IBAN:          "#iban",
	DepositButton: "#deposit-%d",
	TransferTo:    "#transfer-to",
	TransferAmt:   "#transfer-amount",
	TransferDescr: "#transfer-descr",
	TransferSend:  "#transfer-submit",
	Transaction:   "#transactions tr.transaction",
}

// Browser clicks the real page in headless Chromium, as the original's load
// test did, and measures until the new transaction is visible on it.
type Browser struct {
	URL      string // the client page, with ?graphql= naming the gateway
	Chromium string
	Page     Page
	log      *slog.Logger

	userDir     string
	cancelAlloc context.CancelFunc
	cancelTab   context.CancelFunc
	tab         context.Context
	version     string
}

// NewBrowser returns a browser driver for the client page at pageURL (e.g.
// http://127.0.0.1:8181/client), pointed at the gateway graphqlURL through
// the page's ?graphql= parameter unless pageURL already has one; chromium is
// the binary (empty: chromium or chromium-browser on PATH).
func NewBrowser(pageURL, graphqlURL, chromium string, log *slog.Logger) *Browser {
	return &Browser{URL: ClientURL(pageURL, graphqlURL), Chromium: chromium, Page: ClientPage, log: log}
}

// ClientURL adds ?graphql=graphqlURL to pageURL unless it has the parameter.
func ClientURL(pageURL, graphqlURL string) string {
	u, err := url.Parse(pageURL)
	if err != nil || graphqlURL == "" {
		return pageURL
	}
	q := u.Query()
	if q.Get("graphql") == "" {
		q.Set("graphql", graphqlURL)
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// FindChromium returns the Chromium binary to use.
func FindChromium(given string) (string, error) {
	if given != "" {
		return given, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "/usr/bin/chromium"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no Chromium found: install it (apt-get install chromium) or give --chromium")
}

// BrowserVersion is Chromium's version, for the result header.
func (b *Browser) BrowserVersion() string {
	if b.version != "" {
		return b.version
	}
	bin, err := FindChromium(b.Chromium)
	if err != nil {
		return ""
	}
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		return ""
	}
	b.version = strings.TrimSpace(string(out))
	return b.version
}

// Open starts headless Chromium with a fresh profile, opens the client page
// and logs in as a new user.
func (b *Browser) Open(ctx context.Context) error {
	bin, err := FindChromium(b.Chromium)
	if err != nil {
		return err
	}
	b.userDir, err = os.MkdirTemp("", "loadtest-chromium-")
	if err != nil {
		return err
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.UserDataDir(b.userDir),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 1000),
	}
	// Chromium lives as long as the driver, not as long as Open's context.
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.WithoutCancel(ctx), opts...)
	tab, cancelTab := chromedp.NewContext(allocCtx)
	b.cancelAlloc, b.cancelTab, b.tab = cancelAlloc, cancelTab, tab
	// The first action starts Chromium, which lives as long as that action's
	// context: the tab's own, without a time-out.
	if err := chromedp.Do(tab); err != nil {
		return fmt.Errorf("start %s: %w", bin, err)
	}

	openCtx, cancel := context.WithTimeout(tab, 60*time.Second)
	defer cancel()
	p := b.Page
	url := b.URL
	if err := chromedp.Do(openCtx, chromedp.Navigate(url)); err != nil {
		return fmt.Errorf("open %s in Chromium: %w", url, err)
	}
	// Fail clearly when the page is not the client page we know.
	if err := b.expect(openCtx, p.Username, p.Password, p.Login); err != nil {
		return fmt.Errorf("%s is not the frontend's client page: %w", url, err)
	}
	user := "loadtest-" + randomHex(6)
	err = chromedp.Do(openCtx,
		chromedp.SendKeys(chromedp.CSS(p.Username), user),
		chromedp.SendKeys(chromedp.CSS(p.Password), "loadtest-"+user),
		chromedp.Click(chromedp.CSS(p.Login)),
		chromedp.WaitVisible(chromedp.CSS(p.IBAN)),
	)
	if err != nil {
		return fmt.Errorf("log in on %s: %w", url, err)
	}
	if err := b.expect(openCtx, fmt.Sprintf(p.DepositButton, amounts[0]), p.TransferTo, p.TransferAmt, p.TransferSend); err != nil {
		return fmt.Errorf("after logging in on %s: %w", url, err)
	}
	return nil
}

var amounts = [...]int64{1000, 2000, 5000, 10000, 20000}

// expect fails naming the selectors the page does not have (within 10 s).
func (b *Browser) expect(ctx context.Context, selectors ...string) error {
	var missing []string
	for _, s := range selectors {
		c, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := chromedp.Do(c, chromedp.WaitReady(chromedp.CSS(s)))
		cancel()
		if err != nil {
			missing = append(missing, s)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("no element %s on the page", strings.Join(missing, ", "))
	}
	return nil
}

// Do clicks a deposit button or fills and sends the transfer form, then
// waits until a newer transaction heads the page's list (newest first, capped
// in length). The time is taken in the page (performance.now()) from just
// before the click to the DOM mutation that added the row, so Chrome DevTools
// round trips do not count.
func (b *Browser) Do(ctx context.Context, in Interaction, timeout time.Duration) Measurement {
	p := b.Page
	// Up to timeout waiting for the previous interaction, timeout measuring.
	ctx, cancel := context.WithTimeout(b.tabCtx(ctx), 2*timeout+2*time.Second)
	defer cancel()
	button := p.TransferSend
	if in.Kind == KindDeposit {
		button = fmt.Sprintf(p.DepositButton, in.AmountCents)
	}
	// The page allows one transfer (and one deposit per button) at a time: wait
	// until the previous one is answered, before the clock starts.
	ready := fmt.Sprintf(`(() => { const b = document.querySelector(%q); return !b || !b.disabled; })()`, button)
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](ready, chromedp.WithPollingTimeout(timeout), chromedp.WithPollingInterval(20*time.Millisecond))); err != nil {
		return Measurement{Err: fmt.Errorf("%s button still busy with the previous one after %s: %w", in.Kind, timeout, err)}
	}
	if in.Kind == KindTransfer {
		// Filled as typing would (the native value setter and an input event,
		// which React's controlled inputs listen to), before the clock starts.
		fill := fmt.Sprintf(`(() => {
  const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
  const missing = [];
  for (const [sel, v] of %s) {
    const el = document.querySelector(sel);
    if (!el) { missing.push(sel); continue; }
    setter.call(el, v);
    el.dispatchEvent(new Event('input', {bubbles: true}));
  }
  return missing.join(', ');
})()`, jsPairs([][2]string{
			{p.TransferTo, BankIBAN},
			{p.TransferAmt, fmt.Sprintf("%d,%02d", in.AmountCents/100, in.AmountCents%100)},
			{p.TransferDescr, in.Description},
		}))
		missing, err := chromedp.Run(ctx, chromedp.Evaluate[string](fill))
		if err != nil {
			return Measurement{Err: fmt.Errorf("fill the transfer form: %w", err)}
		}
		if missing != "" {
			return Measurement{Err: fmt.Errorf("fill the transfer form: no element %s on the page", missing)}
		}
	}
	// One expression: note the newest row, click, and resolve when a newer
	// one heads the list (or after the time-out, with -1).
	script := fmt.Sprintf(`new Promise(resolve => {
  const sel = %q;
  const top = () => { const r = document.querySelector(sel); return r ? Number(r.dataset.id) : -1; };
  const before = top();
  const t0 = performance.now();
  const done = v => { obs.disconnect(); clearTimeout(timer); resolve(v); };
  const obs = new MutationObserver(() => { if (top() > before) done(performance.now() - t0); });
  obs.observe(document.body, {childList: true, subtree: true});
  const timer = setTimeout(() => done(-1), %d);
  const btn = document.querySelector(%q);
  if (!btn) { done(-2); return; }
  btn.click();
})`, p.Transaction, timeout.Milliseconds(), button)
	ms, err := chromedp.Run(ctx, chromedp.Evaluate[float64](script, chromedp.EvalAwaitPromise))
	switch {
	case err != nil:
		return Measurement{Err: fmt.Errorf("%s on the page: %w", in.Kind, err)}
	case ms == -2:
		return Measurement{Err: fmt.Errorf("no element %s on the page", button)}
	case ms < 0:
		return Measurement{Timeout: true}
	}
	return Measurement{Visible: time.Duration(ms * float64(time.Millisecond))}
}

// jsPairs is a JavaScript array literal of [selector, value] pairs.
func jsPairs(pairs [][2]string) string {
	b, _ := json.Marshal(pairs)
	return string(b)
}

// tabCtx is the browser tab's context, ending also when ctx ends.
func (b *Browser) tabCtx(ctx context.Context) context.Context {
	tab, cancel := context.WithCancel(b.tab)
	stop := context.AfterFunc(ctx, cancel)
	context.AfterFunc(tab, func() { stop() })
	return tab
}

// Close ends Chromium and removes its profile.
func (b *Browser) Close() error {
	if b.cancelTab != nil {
		b.cancelTab()
		b.cancelAlloc()
	}
	if b.userDir != "" {
		return os.RemoveAll(b.userDir)
	}
	return nil
}
