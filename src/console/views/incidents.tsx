import { useContext, useState } from 'preact/hooks';
import { Ago, ChoiceSelect, Empty, Loadable, SeverityBadge, StatusBadge } from '../components/common';
import { ConsoleContext } from '../lib/context';
import { INCIDENT_SCOPES, type IncidentScope, routeHref } from '../lib/filters';
import { formatUtc, plural, truncate } from '../lib/format';
import { useNow, useQuery, useSubscription, useThrottled } from '../lib/hooks';
import { ACK_INCIDENT, INCIDENTS, INCIDENT_UPDATED, RESOLVE_INCIDENT } from '../lib/operations';
import type { IncidentRow } from '../lib/types';
import { ServiceSelect } from './service-select';

const SCOPE_LABEL: Record<IncidentScope, string> = { open: 'Open', all: 'Open and recent' };

/** What was escalated, where it went, whether the pages got through; acknowledge and resolve. */
export function IncidentsView(props: { scope: IncidentScope; service?: string; navigate: (next: { scope: IncidentScope; service?: string }) => void }) {
  const { api, can } = useContext(ConsoleContext);
  const filter = { service: props.service, status: props.scope === 'open' ? ['TRIGGERED', 'ACKNOWLEDGED'] : undefined };
  const query = useQuery<{ incidents: { totalCount: number; edges: Array<{ node: IncidentRow }> } }>(INCIDENTS, { filter, first: 50 });
  const [error, setError] = useState<string | null>(null);
  const now = useNow();
  const refresh = useThrottled(query.refetch, 300);
  useSubscription(INCIDENT_UPDATED, {}, refresh);

  const act = async (mutation: string, id: string) => {
    setError(null);
    try {
      await api.request(mutation, { id });
    } catch (e) {
      setError((e as Error).message);
    }
    query.refetch();
  };

  return (
    <section aria-labelledby="incidents-title">
      <header class="view-header">
        <h1 id="incidents-title">Incidents</h1>
      </header>
      <form class="filters" aria-label="Incident filters" onSubmit={(e) => e.preventDefault()}>
        <ChoiceSelect label="Show" value={props.scope} choices={INCIDENT_SCOPES} describe={(s) => SCOPE_LABEL[s]} onChange={(scope) => props.navigate({ ...props, scope: scope ?? 'open' })} />
        <ServiceSelect value={props.service} onChange={(service) => props.navigate({ ...props, service })} />
      </form>
      {error && (
        <p class="state error" role="alert">
          {error}
        </p>
      )}
      <Loadable state={query} what="incidents">
        {(data) =>
          data.incidents.edges.length === 0 ? (
            <Empty>{props.scope === 'open' ? 'No open incident. Nothing is paging.' : 'No incident yet.'}</Empty>
          ) : (
            <ul class="incidents" data-testid="incidents">
              {data.incidents.edges.map(({ node: i }) => (
                <li key={i.id} class="incident" data-incident-id={i.id}>
                  <div class="incident-head">
                    <SeverityBadge severity={i.severity} /> <StatusBadge status={i.status} />{' '}
                    <a href={routeHref({ view: 'group', id: i.group.id })}>{truncate(i.group.messageTemplate, 120)}</a>
                  </div>
                  <p class="muted">
                    {i.service.name} · {i.provider} · {plural(i.failureCount, 'failure')} · triggered <Ago at={i.triggeredAt} now={now} />
                    {i.acknowledgedAt && ` · acknowledged by ${i.acknowledgedBy ?? 'someone'}`}
                    {i.resolvedAt && ` · resolved by ${i.resolvedBy ?? 'someone'}`}
                  </p>
                  {i.deliveryError && (
                    <p class="state error">
                      The page did not get through: <code>{i.deliveryError}</code>
                    </p>
                  )}
                  <details>
                    <summary>Delivery attempts ({i.deliveries.length})</summary>
                    <table class="rows compact">
                      <thead>
                        <tr>
                          <th scope="col">At</th>
                          <th scope="col">Action</th>
                          <th scope="col">Outcome</th>
                          <th scope="col">HTTP</th>
                          <th scope="col">Error</th>
                        </tr>
                      </thead>
                      <tbody>
                        {i.deliveries.map((d, n) => (
                          <tr key={n}>
                            <td>{formatUtc(d.at)}</td>
                            <td>{d.action}</td>
                            <td>{d.status}</td>
                            <td>{d.httpStatus ?? '—'}</td>
                            <td>{d.error ?? ''}</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </details>
                  {can.act && i.status !== 'RESOLVED' && (
                    <div class="actions" role="group" aria-label="Incident actions">
                      {i.status === 'TRIGGERED' && (
                        <button type="button" onClick={() => act(ACK_INCIDENT, i.id)}>
                          Acknowledge
                        </button>
                      )}
                      <button type="button" onClick={() => act(RESOLVE_INCIDENT, i.id)}>
                        Resolve
                      </button>
                    </div>
                  )}
                </li>
              ))}
            </ul>
          )
        }
      </Loadable>
    </section>
  );
}
