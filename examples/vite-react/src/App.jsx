import { Component, Suspense, lazy } from 'react';
import { Link, Route, Routes } from 'react-router-dom';
import { useSkewgate } from '@skewgate/sdk/react';

// A lazy route: its chunk is fetched on first visit, maybe long after a newer version went live.
const Reports = lazy(() => import('./routes/Reports.jsx'));

/** Keeps the rest of the page working when a lazy route's chunk cannot load (Skewgate shows the refresh prompt). */
class RouteBoundary extends Component {
  state = { failed: false };
  static getDerivedStateFromError() {
    return { failed: true };
  }
  render() {
    return this.state.failed ? <p id="route-error">This page could not load. Refresh to get the current version.</p>
      : this.props.children;
  }
}

export function App() {
  const { deployment, updateAvailable, config, reload } = useSkewgate();
  return (
    <main>
      <h1 id="version">{__APP_VERSION__}</h1>
      <p>Deployment: <code id="deployment">{deployment ?? 'not served by Skewgate'}</code></p>
      {/* Runtime config: changed with `skewgate config set`, no rebuild, no reload. */}
      <p>API: <code id="api">{config.API_BASE_URL ?? '-'}</code></p>
      {updateAvailable && <p id="update">A newer version is live. <button onClick={reload}>Update now</button></p>}
      <nav><Link id="home-link" to="/">Home</Link> · <Link id="reports-link" to="/reports">Reports</Link></nav>
      <RouteBoundary>
        <Suspense fallback={<p>Loading…</p>}>
          <Routes>
            <Route path="/" element={<p id="home">Home</p>} />
            <Route path="/reports" element={<Reports />} />
          </Routes>
        </Suspense>
      </RouteBoundary>
    </main>
  );
}
