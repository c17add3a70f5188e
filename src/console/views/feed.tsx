import { useState } from 'preact/hooks';
import { Ago, ChoiceSelect, Empty, Loadable, SeverityBadge, StatusBadge } from '../components/common';
import { type FeedFilter, PATTERNS, SEVERITIES, routeHref, toFailureFilter, toLiveFailureFilter } from '../lib/filters';
import { formatCount, truncate } from '../lib/format';
import { useNow, useQuery, useSubscription } from '../lib/hooks';
import { FAILURE_REPORTED, FAILURE_UPDATED, FEED } from '../lib/operations';
import type { FailureRow } from '../lib/types';
import { ServiceSelect } from './service-select';

const KEEP = 200;

/** New failures as they are reported, newest first; pause holds new ones back without losing them. */
export function FeedView({ filter, navigate }: { filter: FeedFilter; navigate: (filter: FeedFilter) => void }) {
  const query = useQuery<{ failures: { totalCount: number; edges: Array<{ node: FailureRow }> } }>(FEED, { filter: toFailureFilter(filter), first: 50 });
  const [live, setLive] = useState<{ key: string; rows: FailureRow[] }>({ key: '', rows: [] });
  const [held, setHeld] = useState<FailureRow[]>([]);
  const [paused, setPaused] = useState(false);
  const [updates, setUpdates] = useState<Record<string, string>>({});
  const now = useNow();
  const key = JSON.stringify(filter);
  const liveRows = live.key === key ? live.rows : [];

  useSubscription<{ failureReported: FailureRow }>(FAILURE_REPORTED, { filter: toLiveFailureFilter(filter) }, ({ failureReported }) => {
    if (paused) setHeld((rows) => [failureReported, ...rows].slice(0, KEEP));
    else setLive((current) => ({ key, rows: [failureReported, ...(current.key === key ? current.rows : [])].slice(0, KEEP) }));
  });
  useSubscription<{ failureUpdated: FailureRow }>(FAILURE_UPDATED, { filter: toLiveFailureFilter(filter) }, ({ failureUpdated }) => {
    setUpdates((u) => ({ ...u, [failureUpdated.id]: failureUpdated.status }));
  });

  const resume = () => {
    setLive((current) => ({ key, rows: [...held, ...(current.key === key ? current.rows : [])].slice(0, KEEP) }));
    setHeld([]);
    setPaused(false);
  };

  return (
    <section aria-labelledby="feed-title">
      <header class="view-header">
        <h1 id="feed-title">Live feed</h1>
        <div class="live-controls">
          {paused ? (
            <button type="button" class="primary" onClick={resume} data-testid="resume">
              Resume{held.length > 0 ? ` (${formatCount(held.length)} new)` : ''}
            </button>
          ) : (
            <button type="button" onClick={() => setPaused(true)} data-testid="pause">
              Pause
            </button>
          )}
        </div>
      </header>
      <FeedFilters filter={filter} onChange={navigate} />
      <Loadable state={query} what="failures">
        {(data) => {
          const seen = new Set<string>();
          const rows = [...liveRows, ...data.failures.edges.map((e) => e.node)].filter((r) => !seen.has(r.id) && seen.add(r.id));
          if (rows.length === 0) return <Empty>No failures match these filters yet. New ones appear here as they are reported.</Empty>;
          return (
            <table class="rows" data-testid="feed-table">
              <caption class="sr-only">Failures, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Received</th>
                  <th scope="col">Service</th>
                  <th scope="col">Task type</th>
                  <th scope="col">Severity</th>
                  <th scope="col">Error</th>
                  <th scope="col">Status</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((row) => (
                  <tr key={row.id} data-failure-id={row.id}>
                    <td>
                      <Ago at={row.receivedAt} now={now} />
                    </td>
                    <td>{row.service.name}</td>
                    <td>{row.taskType}</td>
                    <td>
                      <SeverityBadge severity={row.severity} />
                    </td>
                    <td>
                      <a href={routeHref({ view: 'failure', id: row.id })}>
                        <strong>{row.errorType}</strong>: {truncate(row.errorMessage, 140)}
                      </a>
                    </td>
                    <td>
                      <StatusBadge status={updates[row.id] ?? row.status} />
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

function FeedFilters({ filter, onChange }: { filter: FeedFilter; onChange: (filter: FeedFilter) => void }) {
  const [taskType, setTaskType] = useState(filter.taskType ?? '');
  const [text, setText] = useState(filter.text ?? '');
  const set = (patch: Partial<FeedFilter>) => onChange({ ...filter, ...patch });
  return (
    <form
      class="filters"
      aria-label="Feed filters"
      onSubmit={(e) => {
        e.preventDefault();
        set({ taskType: taskType.trim() || undefined, text: text.trim() || undefined });
      }}
    >
      <ServiceSelect value={filter.service} onChange={(service) => set({ service })} />
      <ChoiceSelect label="Pattern" value={filter.pattern} choices={PATTERNS} anyLabel="All patterns" onChange={(pattern) => set({ pattern })} />
      <ChoiceSelect label="Severity" value={filter.severity} choices={SEVERITIES} anyLabel="All severities" onChange={(severity) => set({ severity })} />
      <label>
        Task type
        <input value={taskType} onInput={(e) => setTaskType((e.target as HTMLInputElement).value)} placeholder="exact name" />
      </label>
      <label>
        Error text
        <input type="search" value={text} onInput={(e) => setText((e.target as HTMLInputElement).value)} placeholder="contains…" />
      </label>
      <button type="submit">Apply</button>
    </form>
  );
}
