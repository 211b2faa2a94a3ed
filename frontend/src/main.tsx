import 'bulma/css/bulma.min.css';
import './app.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router';
import { App } from './App';
import { Connection } from './graphql/connection';
import { ConnectionContext } from './graphql/hooks';
import { graphqlUrl } from './lib/config';

const root = createRoot(document.getElementById('root')!);
let url: string;
try {
  url = graphqlUrl();
} catch (err) {
  root.render(
    <div className="section">
      <p className="notification is-danger">The page is misconfigured: {(err as Error).message}. Check config.js or the ?graphql= parameter.</p>
    </div>,
  );
  throw err;
}
const connection = new Connection(url);

root.render(
  <StrictMode>
    <ConnectionContext.Provider value={connection}>
      <BrowserRouter>
        <App />
      </BrowserRouter>
    </ConnectionContext.Provider>
  </StrictMode>,
);
