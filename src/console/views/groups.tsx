import { useState } from 'preact/hooks';
import { Sparkline } from '../components/charts';
import { Ago, ChoiceSelect, Empty, Loadable, StatusBadge } from '../components/common';
import { GROUP_ORDERS, GROUP_STATUSES, type GroupOrder, type GroupStatus, routeHref } from '../lib/filters';
import { formatCount, truncate } from '../lib/format';
import { useNow, useQuery, useSubscription } from '../lib/hooks';
import { GROUPS, GROUP_UPDATED } from '../lib/operations';
import type { GroupRow } from '../lib/types';
import { ServiceSelect } from './service-select';

const ORDER_LABEL: Record<GroupOrder, string> = { RANK: 'Rank', COUNT: 'Count', LAST_SEEN: 'Last seen' };
const NEW_WITHIN_MS = 24 * 3_600_000;

/** First seen within the last 24 hours. */
export function isNewGroup(group: Pick<GroupRow, 'firstSeenAt'>, now: Date): boolean {
  return now.getTime() - new Date(group.firstSeenAt).getTime() < NEW_WITHIN_MS;
}

export function GroupsView(props: {
  order: GroupOrder;
  service?: string;
  status?: GroupStatus;
  navigate: (next: { order: GroupOrder; service?: string; status?: GroupStatus }) => void;
}) {
  const filter = { service: props.service, status: props.status ? [props.status] : undefined };
  const query = useQuery<{ failureGroups: { totalCount: number; edges: Array<{ node: GroupRow }> } }>(GROUPS, { filter, orderBy: props.order, first: 50 });
  const [updates, setUpdates] = useState<Record<string, GroupRow>>({});
  const [unseen, setUnseen] = useState(0);
  const now = useNow();

  useSubscription<{ failureGroupUpdated: GroupRow }>(GROUP_UPDATED, { filter: { service: props.service } }, ({ failureGroupUpdated: group }) => {
    const listed = query.data?.failureGroups.edges.some((e) => e.node.id === group.id);
    if (listed) setUpdates((u) => ({ ...u, [group.id]: group }));
    else if (!props.status || group.status === props.status) setUnseen((n) => n + 1);
  });

  const reload = () => {
    setUnseen(0);
    setUpdates({});
    query.refetch();
  };

  return (
    <section aria-labelledby="groups-title">
      <header class="view-header">
        <h1 id="groups-title">Error patterns</h1>
        {unseen > 0 && (
          <button type="button" class="primary" onClick={reload}>
            {unseen === 1 ? '1 more pattern changed' : `${unseen} more patterns changed`}: refresh
          </button>
        )}
      </header>
      <form class="filters" aria-label="Pattern filters" onSubmit={(e) => e.preventDefault()}>
        <ChoiceSelect label="Order by" value={props.order} choices={GROUP_ORDERS} describe={(o) => ORDER_LABEL[o]} onChange={(order) => props.navigate({ ...props, order: order ?? 'RANK' })} />
        <ServiceSelect value={props.service} onChange={(service) => props.navigate({ ...props, service })} />
        <ChoiceSelect label="Status" value={props.status} choices={GROUP_STATUSES} anyLabel="Any status" onChange={(status) => props.navigate({ ...props, status })} />
      </form>
      <Loadable state={query} what="error patterns">
        {(data) => {
          const rows = data.failureGroups.edges.map((e) => updates[e.node.id] ?? e.node);
          if (rows.length === 0) return <Empty>No error pattern matches. Patterns form as failures are reported.</Empty>;
          return (
            <table class="rows" data-testid="groups-table">
              <caption class="sr-only">Error patterns by {ORDER_LABEL[props.order].toLowerCase()}</caption>
              <thead>
                <tr>
                  <th scope="col">Last hour</th>
                  <th scope="col">Pattern</th>
                  <th scope="col">Service · task</th>
                  <th scope="col">Status</th>
                  <th scope="col" class="num">
                    Failures
                  </th>
                  <th scope="col" class="num">
                    Open
                  </th>
                  <th scope="col" class="num">
                    Rank
                  </th>
                  <th scope="col">Last seen</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((g) => (
                  <tr key={g.id} data-group-id={g.id}>
                    <td>{g.recentCounts && <Sparkline counts={g.recentCounts} label={`Failures per minute of ${g.errorType}`} />}</td>
                    <td>
                      <a href={routeHref({ view: 'group', id: g.id })}>{truncate(g.messageTemplate, 120)}</a>
                      <div class="markers">
                        <span class="muted">{g.errorType}</span>
                        {g.regressed && <span class="badge marker-regressed">regressed</span>}
                        {isNewGroup(g, now) && <span class="badge marker-new">new</span>}
                      </div>
                    </td>
                    <td>
                      {g.service.name} · {g.taskType}
                    </td>
                    <td>
                      <StatusBadge status={g.status} />
                    </td>
                    <td class="num" data-testid="group-count">
                      {formatCount(g.count)}
                    </td>
                    <td class="num">{formatCount(g.openCount)}</td>
                    <td class="num">{Math.round(g.rankScore)}</td>
                    <td>
                      <Ago at={g.lastSeenAt} now={now} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          );
        }}
      </Loadable>
    </section>
  );
}
