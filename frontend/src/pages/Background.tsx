import { Link } from 'react-router';
import { sourceUrl } from '../lib/config';

const ORIGINAL = 'https://github.com/openweb-nl/open-bank-mark';
const SUCCESSOR = 'https://github.com/gklijs/kafka-graphql-examples';

/** A folder of this repository: a link when config.js names where the source is, its path otherwise. */
function Source({ path, children }: { path: string; children: React.ReactNode }) {
  const base = sourceUrl();
  return base ? (
    <a href={`${base.replace(/\/$/, '')}/${path}`}>
      {children} (<code>{path}</code>)
    </a>
  ) : (
    <>
      {children} (<code>{path}</code>)
    </>
  );
}

function Box({ name, what, kind = '' }: { name: string; what: string; kind?: string }) {
  return (
    <div className={`arch-box ${kind}`}>
      <strong>{name}</strong>
      <span>{what}</span>
    </div>
  );
}

export function Background() {
  return (
    <div className="content measure-wide">
      <h1 className="title">Background</h1>
      <p className="subtitle">How this bank works, and how it is measured.</p>

      <h2 id="bank">An event-sourced bank</h2>
      <p>
        Open Bank is a simulation of a bank built on Apache Kafka. Nothing on these pages changes a database directly: opening an account,
        a deposit and a transfer are each a <em>command</em>, a record on the <code>commands</code> topic. One service, the command handler,
        decides on every command by the bank's rules (a password, a token per account, a balance that may go to −€500) and answers with
        events: a confirmation or a refusal with its reason, and a <code>BalanceChanged</code> event for every account whose balance moved.
        Everything you see is built from those events, as they happen.
      </p>
      <p>
        It is a Go port of <a href={ORIGINAL}>open-bank-mark</a> (Clojure, Kotlin and Rust versions of the same bank, compared by the same
        load test) and its successor <a href={SUCCESSOR}>kafka-graphql-examples</a>.
      </p>

      <h2 id="architecture">Architecture</h2>
      <figure className="arch" aria-labelledby="arch-caption">
        <div className="arch-row">
          <Box name="This page" what="React, one WebSocket" kind="is-client" />
          <span className="arch-arrow" aria-hidden="true">
            ⇄
          </span>
          <Box name="GraphQL gateway" what="queries, subscriptions; keeps transactiondb" />
          <span className="arch-arrow" aria-hidden="true">
            ⇄
          </span>
          <Box name="Kafka" what="commands · feedback · balance_changed · heartbeat" kind="is-kafka" />
          <span className="arch-arrow" aria-hidden="true">
            ⇄
          </span>
          <Box name="Command handler" what="the bank's rules; keeps balancedb" />
        </div>
        <div className="arch-row">
          <Box name="Heartbeat" what="a beat per message, at a rate the load test sets" kind="is-load" />
          <span className="arch-arrow" aria-hidden="true">
            →
          </span>
          <Box name="Command generator" what="turns each beat into a command" kind="is-load" />
          <Box name="PostgreSQL" what="balancedb, transactiondb, schemas" kind="is-db" />
          <Box name="Schema registry" what="Avro schemas of every record" kind="is-db" />
        </div>
        <figcaption id="arch-caption">
          The page sends commands through the gateway; the command handler decides and emits events; the gateway stores each balance change
          and streams it to every page that follows that account. The heartbeat and command generator add synthetic load. A one-shot
          synchronizer creates the topics and registers the schemas before anything starts.
        </figcaption>
      </figure>
      <ol>
        <li>
          You press <em>Transfer</em>: the page sends <code>money_transfer</code> with a fresh id over its WebSocket.
        </li>
        <li>The gateway writes a <code>ConfirmMoneyTransfer</code> command to Kafka, keyed by that id.</li>
        <li>
          The command handler checks the token and the balance, updates both accounts in one database transaction, and writes
          <code>MoneyTransferConfirmed</code> (or <code>MoneyTransferFailed</code> with the reason) and two <code>BalanceChanged</code> events.
        </li>
        <li>The gateway answers your subscription with the outcome, stores the balance changes and pushes them to every page following those accounts: your list, the employee's, the home page.</li>
      </ol>
      <p>Repeating an id repeats the first answer without transferring again, so a retry after a lost connection is safe.</p>

      <h2 id="load-test">The load test</h2>
      <p>
        The load test acts as a client: once a second it deposits or transfers, and measures the time until the new transaction shows, in
        the browser on the client page (as the original did) or on the GraphQL stream. Meanwhile it raises the heartbeat's rate step by step;
        every beat becomes a command, so the bank gets busier. When three interactions take longer than the time-out (5 s), the run ends: the
        load then is the <em>breaking point</em>. CPU and memory of every component are sampled along the way: memory both resident and
        without the page cache (the mapped program), which is what the original counted. The{' '}
        <Link to="/results">Results</Link> page compares runs: pick two categories (a Kafka client and its settings, such as{' '}
        <code>linger.ms</code>) under <Link to="/results#compare">Compare two</Link> for the ratio of their latencies at each load both
        reached, their CPU and memory, their breaking points and a one-line verdict.
      </p>

      <h2 id="source">Source</h2>
      <ul>
        <li>
          <Source path="services/command-handler">the command handler</Source>, <Source path="services/graphql-endpoint">the GraphQL gateway</Source>,{' '}
          <Source path="services/heartbeat">heartbeat</Source>, <Source path="services/command-generator">command generator</Source>,{' '}
          <Source path="services/synchronizer">synchronizer</Source>
        </li>
        <li>
          <Source path="schemas">the Avro schemas</Source>, <Source path="topology">the Kafka topology</Source>
        </li>
        <li>
          <Source path="frontend">this page</Source>, <Source path="loadtest">the load test</Source>, <Source path="docs/loadtest">measured results</Source>
        </li>
        <li>
          The originals: <a href={ORIGINAL}>open-bank-mark</a>, <a href={SUCCESSOR}>kafka-graphql-examples</a>
        </li>
      </ul>
    </div>
  );
}
