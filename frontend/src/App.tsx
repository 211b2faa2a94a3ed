import { Suspense, lazy, useEffect, useRef, useState } from 'react';
import { NavLink, Route, Routes, useLocation } from 'react-router';
import { ConnectionBanner, ConnectionTag } from './components/ConnectionBanner';
import { Client } from './pages/Client';
import { Employee } from './pages/Employee';
import { Background } from './pages/Background';
import { Home } from './pages/Home';

// The charts library is only needed on the Results page: load it with that page.
const Results = lazy(() => import('./pages/Results').then((m) => ({ default: m.Results })));

const PAGES = [
  { to: '/', label: 'Home', end: true },
  { to: '/employee', label: 'Bank employee' },
  { to: '/client', label: 'Client' },
  { to: '/results', label: 'Results' },
  { to: '/background', label: 'Background' },
];

export function App() {
  const [menuOpen, setMenuOpen] = useState(false);
  const location = useLocation();
  const main = useRef<HTMLElement>(null);
  const firstRender = useRef(true);

  // After a page change, keyboard and screen reader users start at the new content.
  useEffect(() => {
    setMenuOpen(false);
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    main.current?.focus();
  }, [location.pathname]);

  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <nav className="navbar is-primary" aria-label="main navigation">
        <div className="container">
          <div className="navbar-brand">
            <NavLink className="navbar-item has-text-weight-bold" to="/">
              Open Bank
            </NavLink>
            <div className="navbar-item">
              <ConnectionTag />
            </div>
            <button
              type="button"
              className={`navbar-burger ${menuOpen ? 'is-active' : ''}`}
              aria-label="menu"
              aria-expanded={menuOpen}
              aria-controls="main-menu"
              onClick={() => setMenuOpen((o) => !o)}
            >
              <span aria-hidden="true" />
              <span aria-hidden="true" />
              <span aria-hidden="true" />
              <span aria-hidden="true" />
            </button>
          </div>
          <div id="main-menu" className={`navbar-menu ${menuOpen ? 'is-active' : ''}`}>
            <div className="navbar-start">
              {PAGES.map((p) => (
                <NavLink key={p.to} to={p.to} end={p.end} className={({ isActive }) => `navbar-item ${isActive ? 'is-active' : ''}`}>
                  {p.label}
                </NavLink>
              ))}
            </div>
          </div>
        </div>
      </nav>
      <ConnectionBanner />
      <main id="main" ref={main} tabIndex={-1} className="section pt-5">
        <div className="container">
          <Routes>
            <Route path="/" element={<Home />} />
            <Route path="/employee" element={<Employee />} />
            <Route path="/client" element={<Client />} />
            <Route path="/background" element={<Background />} />
            <Route
              path="/results"
              element={
                <Suspense fallback={<p aria-busy="true">Loading…</p>}>
                  <Results />
                </Suspense>
              }
            />
            <Route
              path="*"
              element={
                <p className="notification">
                  No such page. <NavLink to="/">Go to the home page</NavLink>.
                </p>
              }
            />
          </Routes>
        </div>
      </main>
      <footer className="footer py-4">
        <div className="content has-text-centered is-size-7">
          Open Bank: an event-sourced bank on Apache Kafka, a Go port of <a href="https://github.com/openweb-nl/open-bank-mark">open-bank-mark</a>.{' '}
          <NavLink to="/background">How it works and where the source is</NavLink>.
        </div>
      </footer>
    </>
  );
}
