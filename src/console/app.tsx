import { useEffect, useMemo, useState } from 'preact/hooks';
import { type Api, type ConnectionState, createApi } from './lib/api';
import { ConsoleContext, type ConsoleSession } from './lib/context';
import { type Route, parseRoute, routeHref } from './lib/filters';
import { type Identity, identify } from './lib/identity';
import { capabilitiesOf } from './lib/roles';
import { forgetToken, saveToken, savedToken } from './lib/session';
import { FailureDetailView } from './views/failure-detail';
import { FeedView } from './views/feed';
import { GroupDetailView } from './views/group-detail';
import { GroupsView } from './views/groups';
import { IncidentsView } from './views/incidents';
import { OverviewView } from './views/overview';
import { SignIn } from './views/sign-in';

function useRoute(): [Route, (route: Route, replace?: boolean) => void] {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  const navigate = (next: Route, replace = false) => {
    const href = routeHref(next);
    if (replace) history.replaceState(null, '', href);
    else history.pushState(null, '', href);
    setRoute(parseRoute(href));
  };
  return [route, navigate];
}

export function App() {
  const [identity, setIdentity] = useState<Identity | null>(null);
  const [restoring, setRestoring] = useState(() => savedToken() !== null);

  useEffect(() => {
    const token = savedToken();
    if (!token) return;
    identify(token)
      .then(setIdentity, () => forgetToken())
      .finally(() => setRestoring(false));
  }, []);

  if (restoring) return <p class="state">Signing in…</p>;
  if (!identity)
    return (
      <SignIn
        onSignedIn={(who) => {
          saveToken(who.token);
          setIdentity(who);
        }}
      />
    );
  return (
    <Desk
      identity={identity}
      onSignOut={() => {
        forgetToken();
        setIdentity(null);
      }}
    />
  );
}

function Desk({ identity, onSignOut }: { identity: Identity; onSignOut: () => void }) {
  const api = useMemo<Api>(() => createApi(identity.token), [identity.token]);
  const [connection, setConnection] = useState<ConnectionState>('connecting');
  const [reconnects, setReconnects] = useState(0);
  const [route, navigate] = useRoute();

  useEffect(() => {
    let wasDown = false;
    const stop = api.onConnection((state) => {
      setConnection(state);
      if (state === 'reconnecting') wasDown = true;
      if (state === 'connected' && wasDown) {
        wasDown = false;
        setReconnects((n) => n + 1);
      }
    });
    return () => {
      stop();
      api.close();
    };
  }, [api]);

  const session: ConsoleSession = { api, role: identity.role, actor: identity.actor, can: capabilitiesOf(identity.role), reconnects };
  const wall = route.view === 'overview' && route.wall;
  return (
    <ConsoleContext.Provider value={session}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      {!wall && <Nav route={route} identity={identity} onSignOut={onSignOut} />}
      {connection === 'reconnecting' && (
        <div class="banner" role="alert" data-testid="connection-banner">
          Live connection lost. Reconnecting… Figures may be out of date until it is back.
        </div>
      )}
      <main id="main" tabIndex={-1}>
        <View route={route} navigate={navigate} />
      </main>
    </ConsoleContext.Provider>
  );
}

const NAV: Array<{ label: string; route: Route; views: Route['view'][] }> = [
  { label: 'Overview', route: { view: 'overview', range: '24h', wall: false }, views: ['overview'] },
  { label: 'Live feed', route: { view: 'feed', filter: {} }, views: ['feed', 'failure'] },
  { label: 'Error patterns', route: { view: 'groups', order: 'RANK' }, views: ['groups', 'group'] },
  { label: 'Incidents', route: { view: 'incidents', scope: 'open' }, views: ['incidents'] },
];

function Nav({ route, identity, onSignOut }: { route: Route; identity: Identity; onSignOut: () => void }) {
  return (
    <header class="top">
      <span class="brand">Failure Desk</span>
      <nav aria-label="Views">
        <ul>
          {NAV.map((item) => (
            <li key={item.label}>
              <a href={routeHref(item.route)} aria-current={item.views.includes(route.view) ? 'page' : undefined}>
                {item.label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <span class="who" data-testid="who">
        {identity.actor} · {identity.role.toLowerCase()}
      </span>
      <button type="button" onClick={onSignOut}>
        Sign out
      </button>
    </header>
  );
}

function View({ route, navigate }: { route: Route; navigate: (route: Route, replace?: boolean) => void }) {
  switch (route.view) {
    case 'overview':
      return <OverviewView range={route.range} wall={route.wall} navigate={(next) => navigate({ view: 'overview', ...next }, true)} />;
    case 'feed':
      return <FeedView filter={route.filter} navigate={(filter) => navigate({ view: 'feed', filter }, true)} />;
    case 'groups':
      return <GroupsView order={route.order} service={route.service} status={route.status} navigate={(next) => navigate({ view: 'groups', ...next }, true)} />;
    case 'group':
      return <GroupDetailView key={route.id} id={route.id} />;
    case 'failure':
      return <FailureDetailView key={route.id} id={route.id} />;
    case 'incidents':
      return <IncidentsView scope={route.scope} service={route.service} navigate={(next) => navigate({ view: 'incidents', ...next }, true)} />;
  }
}
