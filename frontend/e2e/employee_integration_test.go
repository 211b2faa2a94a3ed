//go:build integration

package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// employeePage: the bank employee finds the account, follows it (on a phone
// the page scrolls to it), filters it, chooses fields and rows per page.
func employeePage(t *testing.T, bank *bank, b *browser, iban string) {
	t.Helper()
	b.phone()
	b.do("open the bank employee page", chromedp.Navigate(bank.pageURL("/employee")))
	b.do("search the account", chromedp.SendKeys(chromedp.ID("account-search"), iban[8:]))
	b.waitFor("the account in the list", fmt.Sprintf(`(document.getElementById('accounts')?.textContent || '').includes(%s)`, jsString(iban)), bankAnswer)
	b.do("follow it", chromedp.Click(chromedp.CSS("#accounts button.account")))
	b.waitFor("its transactions, scrolled into view", fmt.Sprintf(`document.querySelectorAll('#followed-transactions tr.transaction').length === 4 && %s === '€20,00' &&
		(() => { const r = document.getElementById('followed-title').getBoundingClientRect(); return window.scrollY > 0 && r.top >= 0 && r.top < window.innerHeight / 2; })()`,
		topRow("followed-transactions", "changed-by")), bankAnswer)
	b.waitFor("the page to fit 390 px with every column", fitsPhone+` && document.querySelectorAll('#followed-transactions tr.transaction:first-child td').length === 5 &&
		[...document.querySelectorAll('#accounts tr:first-child td')].length === 3`, 5*time.Second)
	b.waitFor("the followed account's balance as a headline", `document.getElementById('followed-balance')?.textContent === '€26,50'`, bankAnswer)
	b.do("every account again", replace("account-search", ""))
	b.waitFor("the bank's own account listed", fmt.Sprintf(`(document.getElementById('accounts')?.textContent || '').includes(%s)`, jsString(bankIBAN)), bankAnswer)
	// Every amount on one line at 390 px, even the bank's own balance of 25 characters.
	if broken := b.eval(`[...document.querySelectorAll('td.balance, td.new-balance, td.changed-by, #followed-balance')].filter(td => {
		const r = document.createRange(); r.selectNodeContents(td); return [...r.getClientRects()].filter(x => x.width > 0).length > 1 &&
		new Set([...r.getClientRects()].map(x => Math.round(x.top))).size > 1; }).map(td => td.textContent).join(' | ')`); broken != "" {
		t.Errorf("amounts broken across lines at %d px: %s", phoneWidth, broken)
	}
	b.do("search the account again", replace("account-search", iban[8:]))
	b.desktop()
	b.do("show debits only", chromedp.SetValue(chromedp.ID("filter-direction"), "DEBIT"), chromedp.Evaluate[chromedp.Void](
		`document.getElementById('filter-direction').dispatchEvent(new Event('change', { bubbles: true }))`), chromedp.Click(chromedp.ID("filter-apply")))
	b.waitFor("only the debits", fmt.Sprintf(`document.querySelectorAll('#followed-transactions tr.transaction').length === 2 && %s === '€1,00'`, topRow("followed-transactions", "changed-by")), bankAnswer)

	// Fewer fields: the gateway is asked for fewer, the table shows fewer.
	b.do("hide the balance", chromedp.Click(chromedp.ID("field-new_balance")))
	b.waitFor("no balance asked for nor shown", `!document.getElementById('graphql-text').textContent.includes('new_balance') &&
		document.querySelectorAll('#followed-transactions td.new-balance').length === 0 && document.querySelectorAll('#followed-transactions tr.transaction').length === 2`, bankAnswer)
	b.do("show the balance again", chromedp.Click(chromedp.ID("field-new_balance")))
	b.waitFor("the balance back", `document.querySelectorAll('#followed-transactions td.new-balance').length === 2`, bankAnswer)

	b.do("clear the search", replace("account-search", ""))
	b.do("five rows a page", chromedp.SetValue(chromedp.ID("page-size"), "5"), chromedp.Evaluate[chromedp.Void](
		`document.getElementById('page-size').dispatchEvent(new Event('change', { bubbles: true }))`))
	b.waitFor("at most five accounts shown", `document.querySelectorAll('#accounts tr').length <= 5`, 5*time.Second)
	b.do("find the account again", replace("account-search", iban))
	b.waitFor("the followed account marked, its colours kept", `(() => { const r = document.querySelector('#accounts tr[aria-current=true]');
		return !!r && getComputedStyle(r.querySelector('.last-change span')).color !== getComputedStyle(r).backgroundColor; })()`, 5*time.Second)
	b.do("every account again, 15 a page", replace("account-search", ""), chromedp.SetValue(chromedp.ID("page-size"), "15"), chromedp.Evaluate[chromedp.Void](
		`document.getElementById('page-size').dispatchEvent(new Event('change', { bubbles: true }))`))
	// Most recently changed first: the order holds while the keyboard is in the list, and says so.
	b.do("most recently changed first", chromedp.Evaluate[chromedp.Void](`(() => { const s = document.getElementById('account-order');
		s.value = 'recent'; s.dispatchEvent(new Event('change', { bubbles: true })); })()`))
	b.do("tab into the list", chromedp.Evaluate[chromedp.Void](`document.querySelector('#accounts button.account').focus()`))
	b.waitFor("the order held, and said so", `(document.getElementById('order-note')?.textContent || '').startsWith('Order held')`, 5*time.Second)
	b.do("leave the list", chromedp.Evaluate[chromedp.Void](`document.getElementById('account-search').focus()`))
	b.waitFor("the order free again", `(document.getElementById('order-note')?.textContent || '').startsWith('The order holds still')`, 5*time.Second)
	b.accessible("the employee page")
	b.screenshots("employee", true) // the bank's own balance scrolls rather than breaks
}
