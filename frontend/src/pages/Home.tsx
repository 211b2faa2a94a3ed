import { Link } from 'react-router';
import { TransactionTable } from '../components/TransactionTable';
import { useLiveTransactions } from '../graphql/hooks';
import { BANK_IBAN } from '../lib/iban';
import { currentBalance } from '../lib/transactions';

const NO_FILTER = {};

export function Home() {
  const live = useLiveTransactions(BANK_IBAN, NO_FILTER, 20);
  const balance = currentBalance(live.transactions);
  return (
    <>
      <section className="content">
        <h1 className="title">Open Bank</h1>
        <p className="subtitle">A bank that runs on events.</p>
        <p>
          Every action here, opening an account, a deposit, a transfer, is a command on Apache Kafka. A command handler decides on it by
          the bank's rules, keeps the balances, and answers with events; the GraphQL gateway turns those events into the live updates you
          see on these pages. Load generators keep the bank busy, and a load test measures how quickly your own transfers show up while
          the load rises: see <Link to="/results">Results</Link>.
        </p>
        <p>
          Try it: open an account as a <Link to="/client">client</Link>, deposit some money and transfer it, or look over every account
          as a <Link to="/employee">bank employee</Link>. How it all fits together: <Link to="/background">Background</Link>.
        </p>
      </section>
      <section aria-labelledby="bank-account">
        <h2 className="title is-4" id="bank-account">
          The bank's own account
        </h2>
        <p className="mb-3">
          <span className="is-family-monospace">{BANK_IBAN}</span>
          {balance && (
            <>
              {' '}
              · balance <strong id="bank-balance">{balance}</strong>
            </>
          )}
        </p>
        <TransactionTable
          id="bank-transactions"
          caption={`Live transactions of the bank's account ${BANK_IBAN}, newest first`}
          {...live}
          empty="No transactions on the bank's account yet."
        />
      </section>
    </>
  );
}
