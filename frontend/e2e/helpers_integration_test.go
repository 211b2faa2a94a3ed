//go:build integration

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/chromedp/chromedp"
)

// Screen sizes the page is checked at: a laptop and a phone.
const (
	desktopWidth, desktopHeight = 1280, 900
	phoneWidth, phoneHeight     = 390, 844
)

func (b *browser) desktop() {
	b.t.Helper()
	b.do("a desktop screen", chromedp.EmulateViewport(desktopWidth, desktopHeight))
}

func (b *browser) phone() {
	b.t.Helper()
	b.do("a phone-sized screen", chromedp.EmulateViewport(phoneWidth, phoneHeight, chromedp.EmulateMobile))
}

// screenshots saves the whole page at both widths as NAME-desktop.png and
// NAME-phone.png in artifacts/, and leaves the desktop width set. The page
// must fit the phone: with every table column in view, or, when
// tablesMayScroll, with wide tables scrolling inside their own box; and axe
// checks it at the phone's width too.
func (b *browser) screenshots(name string, tablesMayScroll ...bool) {
	b.t.Helper()
	b.phone()
	b.fitsPhone(name, len(tablesMayScroll) > 0 && tablesMayScroll[0])
	b.accessible(fmt.Sprintf("%s at %d px", name, phoneWidth))
	b.screenshot(name + "-phone.png")
	b.desktop()
	b.screenshot(name + "-desktop.png")
}

// fitsPhone is JavaScript: nothing sticks out sideways at 390 px, not even
// inside a table's scroll box (every column stays in view).
const fitsPhone = fitsPhoneScrolling + ` && [...document.querySelectorAll('.table-container')].every(c => c.scrollWidth <= c.clientWidth + 1)`

// fitsPhoneScrolling is JavaScript: nothing sticks out sideways at 390 px
// but what scrolls inside a table's box, and a box that scrolls can be
// scrolled from the keyboard (a tab stop, a named region).
const fitsPhoneScrolling = `[...document.querySelectorAll('body *')].every(e => {
  const r = e.getBoundingClientRect();
  return r.width === 0 || r.right <= window.innerWidth + 1 || !!e.closest('.table-container');
}) && [...document.querySelectorAll('.table-container')].every(c => c.scrollWidth <= c.clientWidth + 1 || c.getClientRects().length === 0 ||
  (c.tabIndex === 0 && c.getAttribute('role') === 'region' && !!c.getAttribute('aria-label')))`

// axeViolation is what axe-core reports of one rule.
type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target  []any  `json:"target"`
		Summary string `json:"failureSummary"`
	} `json:"nodes"`
}

// accessible runs axe-core (from node_modules, WCAG 2.1 A and AA rules and
// best practices) on the page as it is now and fails the test on every
// serious or critical violation.
func (b *browser) accessible(what string) {
	b.t.Helper()
	if bad := b.axe(what); len(bad) > 0 {
		b.t.Errorf("axe on %s: %d serious or critical violations:\n%s", what, len(bad), strings.Join(bad, "\n"))
	}
}

// axe runs axe-core on the page as it is now, logs the minor violations and
// returns the serious and critical ones.
func (b *browser) axe(what string) []string {
	b.t.Helper()
	script, err := os.ReadFile("../node_modules/axe-core/axe.min.js")
	if err != nil {
		b.t.Fatalf("axe-core is not installed (run `npm ci` in frontend/): %v", err)
	}
	b.do("load axe-core", chromedp.Evaluate[chromedp.Void](`void (window.axe || (0, eval)(`+jsString(string(script))+`))`))
	ctx, cancel := contextWithTimeout(b, 60*time.Second)
	defer cancel()
	out, err := chromedp.Run(ctx, chromedp.Evaluate[string](`axe.run(document, {
	  runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
	  resultTypes: ['violations'],
	}).then(r => JSON.stringify(r.violations))`, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("axe on %s: %v", what, err)
	}
	var violations []axeViolation
	if err := json.Unmarshal([]byte(out), &violations); err != nil {
		b.t.Fatalf("axe on %s: %v", what, err)
	}
	var bad []string
	for _, v := range violations {
		line := fmt.Sprintf("%s (%s): %s", v.ID, v.Impact, v.Help)
		for i, n := range v.Nodes {
			if i == 3 {
				line += fmt.Sprintf("\n    … and %d more", len(v.Nodes)-3)
				break
			}
			line += fmt.Sprintf("\n    %v: %s", n.Target, strings.ReplaceAll(n.Summary, "\n", " "))
		}
		if v.Impact == "serious" || v.Impact == "critical" {
			bad = append(bad, line)
		} else {
			b.t.Logf("axe on %s, %s", what, line)
		}
	}
	return bad
}

func contextWithTimeout(b *browser, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(b.ctx, d)
}

// fitsPhone fails the test, naming what sticks out, unless the page fits 390 px.
func (b *browser) fitsPhone(what string, tablesMayScroll bool) {
	b.t.Helper()
	ctx, cancel := contextWithTimeout(b, 10*time.Second)
	defer cancel()
	check := fitsPhone
	if tablesMayScroll {
		check = fitsPhoneScrolling
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](check, chromedp.WithPollingTimeout(5*time.Second))); err == nil {
		return
	}
	b.t.Errorf("%s does not fit a %d px screen; sticking out: %s", what, phoneWidth, b.eval(`[...document.querySelectorAll('body *')].filter(e => {
  const r = e.getBoundingClientRect(); return r.width > 0 && r.right > window.innerWidth + 1; }).slice(0, 8).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).join('; ') +
  ' | scrolling tables: ' + [...document.querySelectorAll('.table-container')].filter(c => c.scrollWidth > c.clientWidth + 1).map(c => c.scrollWidth + '>' + c.clientWidth).join(', ')`))
}
