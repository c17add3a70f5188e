import { useContext, useState } from 'preact/hooks';
import { Loadable, SeverityBadge, StatusBadge } from '../components/common';
import { type ConfirmRequest, ConfirmDialog } from '../components/confirm';
import { ConsoleContext } from '../lib/context';
import { routeHref } from '../lib/filters';
import { formatUtc, prettyJson } from '../lib/format';
import { useQuery, useSubscription, useThrottled } from '../lib/hooks';
import { DISCARD_FAILURE, FAILURE_DETAIL, FAILURE_UPDATED, RESOLVE_FAILURE, RETRY_FAILURE } from '../lib/operations';
import type { FailureDetail } from '../lib/types';

/** One failure: what failed and how, its payload and attributes, its history, and the actions. */
export function FailureDetailView({ id }: { id: string }) {
  const { api, can } = useContext(ConsoleContext);
  const query = useQuery<{ failure: FailureDetail }>(FAILURE_DETAIL, { id });
  const [confirm, setConfirm] = useState<ConfirmRequest | null>(null);
  const [error, setError] = useState<string | null>(null);
  const refresh = useThrottled(query.refetch, 200);
  useSubscription(FAILURE_UPDATED, { filter: { id } }, refresh);

  const act = async (mutation: string, variables: Record<string, unknown>) => {
    setError(null);
    try {
      await api.request(mutation, { id, ...variables });
    } catch (e) {
      setError((e as Error).message);
    }
    query.refetch();
  };

  return (
    <section aria-labelledby="failure-title">
      <Loadable state={query} what="the failure">
        {({ failure: f }) => {
          const open = f.status === 'FAILED' || f.status === 'RETRYING';
          return (
            <>
              <header class="view-header">
                <div>
                  <p class="breadcrumb">
                    <a href={routeHref({ view: 'group', id: f.group.id })}>{f.group.messageTemplate}</a>
                  </p>
                  <h1 id="failure-title">
                    {f.errorType} in {f.taskType}
                  </h1>
                  <p class="markers">
                    <span data-testid="failure-status">
                      <StatusBadge status={f.status} />
                    </span>{' '}
                    <SeverityBadge severity={f.severity} /> <span class="muted">attempt {f.attempt}</span>
                  </p>
                </div>
                {can.act && (
                  <div class="actions" role="group" aria-label="Failure actions">
                    <button type="button" disabled={f.status !== 'FAILED'} onClick={() => act(RETRY_FAILURE, {})}>
                      Retry
                    </button>
                    <button
                      type="button"
                      disabled={!open}
                      onClick={() =>
                        setConfirm({ title: 'Discard this failure', question: 'The task will not be tried again.', confirmLabel: 'Discard', textLabel: 'Reason (required)', danger: true, onConfirm: (reason) => act(DISCARD_FAILURE, { reason }) })
                      }
                    >
                      Discard…
                    </button>
                    <button
                      type="button"
                      disabled={!open}
                      onClick={() =>
                        setConfirm({ title: 'Resolve by hand', question: 'Mark the failure as fixed outside Failure Desk.', confirmLabel: 'Mark resolved', textLabel: 'What was done (required)', onConfirm: (note) => act(RESOLVE_FAILURE, { note }) })
                      }
                    >
                      Resolve…
                    </button>
                  </div>
                )}
              </header>
              {error && (
                <p class="state error" role="alert">
                  {error}
                </p>
              )}
              <dl class="facts">
                <div>
                  <dt>Service</dt>
                  <dd>
                    {f.service.name} <span class="muted">({f.service.team})</span>
                  </dd>
                </div>
                <div>
                  <dt>Task id</dt>
                  <dd>
                    <code>{f.taskId}</code>
                  </dd>
                </div>
                <div>
                  <dt>Pattern · source</dt>
                  <dd>
                    {f.pattern}
                    {f.source ? ` · ${f.source}` : ''}
                  </dd>
                </div>
                <div>
                  <dt>Occurred</dt>
                  <dd>{formatUtc(f.occurredAt)}</dd>
                </div>
                <div>
                  <dt>Received</dt>
                  <dd>{formatUtc(f.receivedAt)}</dd>
                </div>
              </dl>
              <h2>Error</h2>
              <pre class="error-message">{f.errorMessage}</pre>
              <details open={Boolean(f.stackTrace)}>
                <summary>Stack trace</summary>
                <pre>{f.stackTrace ?? '(none reported)'}</pre>
              </details>
              <details open>
                <summary>Payload (redacted)</summary>
                <pre data-testid="payload">{prettyJson(f.payload)}</pre>
              </details>
              <h2>Attributes</h2>
              {Object.keys(f.attributes).length === 0 ? (
                <p class="muted">None reported.</p>
              ) : (
                <table class="kv">
                  <tbody>
                    {Object.entries(f.attributes).map(([k, v]) => (
                      <tr key={k}>
                        <th scope="row">{k}</th>
                        <td>{String(v)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
              <h2>History</h2>
              <ol class="history" data-testid="history">
                {f.history.map((h, i) => (
                  <li key={i}>
                    <time dateTime={h.at}>{formatUtc(h.at)}</time> <strong>{h.action}</strong> by {h.actor}
                    {h.note ? <span class="note"> — {h.note}</span> : null}
                  </li>
                ))}
              </ol>
            </>
          );
        }}
      </Loadable>
      <ConfirmDialog request={confirm} onClose={() => setConfirm(null)} />
    </section>
  );
}
