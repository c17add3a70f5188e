import { useContext, useState } from 'preact/hooks';
import { Ago, ChoiceSelect, Empty, Loadable, SeverityBadge, StatusBadge } from '../components/common';
import { type ConfirmRequest, ConfirmDialog } from '../components/confirm';
import { ConsoleContext } from '../lib/context';
import { routeHref } from '../lib/filters';
import { type ActionKind, formatCount, formatShare, formatUtc, groupActionQuestion, plural, truncate } from '../lib/format';
import { useNow, useQuery, useSubscription, useThrottled } from '../lib/hooks';
import { DISCARD_GROUP, FAILURE_REPORTED, FAILURE_UPDATED, GROUP_DETAIL, GROUP_UPDATED, RESOLVE_GROUP, RETRY_GROUP } from '../lib/operations';
import type { FailureRow, GroupRow, Suspect } from '../lib/types';

interface GroupDetailData {
  failureGroup: GroupRow & { fingerprint: string; resolvedAt: string | null };
  failed: { totalCount: number };
  examples: { totalCount: number; edges: Array<{ node: FailureRow }> };
  failureGroupSuspects: Suspect[];
}

const GROUP_ACTIONS: Record<ActionKind, { mutation: string; title: string; label: string; textLabel?: string; textVar?: string; danger?: boolean }> = {
  retry: { mutation: RETRY_GROUP, title: 'Retry the group', label: 'Retry failures' },
  discard: { mutation: DISCARD_GROUP, title: 'Discard the group', label: 'Discard failures', textLabel: 'Reason (required)', textVar: 'reason', danger: true },
  resolve: { mutation: RESOLVE_GROUP, title: 'Resolve the group by hand', label: 'Mark resolved', textLabel: 'What was done (required)', textVar: 'note' },
};

/** The period the root-cause hints look at: the pattern's whole life, or its last hours up to now. */
const HINT_PERIODS = ['life', '24h', '1h'] as const;
type HintPeriod = (typeof HINT_PERIODS)[number];
const HINT_PERIOD_LABEL: Record<HintPeriod, string> = { life: 'its whole life', '24h': 'the last 24 hours', '1h': 'the last hour' };
const HINT_PERIOD_MS: Record<Exclude<HintPeriod, 'life'>, number> = { '24h': 86_400_000, '1h': 3_600_000 };

export function GroupDetailView({ id }: { id: string }) {
  const { api, can } = useContext(ConsoleContext);
  // The start is fixed when the period is chosen (a moving one would refetch on every render).
  const [hints, setHints] = useState<{ period: HintPeriod; from: string | null }>({ period: 'life', from: null });
  const query = useQuery<GroupDetailData>(GROUP_DETAIL, { id, hintsFrom: hints.from });
  const chooseHints = (period: HintPeriod) => setHints({ period, from: period === 'life' ? null : new Date(Date.now() - HINT_PERIOD_MS[period]).toISOString() });
  const [confirm, setConfirm] = useState<ConfirmRequest | null>(null);
  const [outcome, setOutcome] = useState<string | null>(null);
  const now = useNow();
  const refresh = useThrottled(query.refetch, 300);

  useSubscription(GROUP_UPDATED, { filter: { id } }, refresh);
  useSubscription(FAILURE_UPDATED, { filter: { group: id } }, refresh);
  useSubscription(FAILURE_REPORTED, { filter: { group: id } }, refresh);

  const ask = (action: ActionKind, data: GroupDetailData) => {
    const spec = GROUP_ACTIONS[action];
    const count = action === 'retry' ? data.failed.totalCount : data.failureGroup.openCount;
    setConfirm({
      title: spec.title,
      question: groupActionQuestion(action, count),
      confirmLabel: spec.label,
      textLabel: spec.textLabel,
      danger: spec.danger,
      possible: count > 0,
      onConfirm: async (text) => {
        try {
          const result = await api.request<Record<string, { affected: number }>>(spec.mutation, spec.textVar ? { id, [spec.textVar]: text } : { id });
          const affected = Object.values(result)[0].affected;
          setOutcome(`${spec.title}: ${plural(affected, 'failure')} changed.`);
        } catch (error) {
          setOutcome(`${spec.title} failed: ${(error as Error).message}`);
        }
        query.refetch();
      },
    });
  };

  return (
    <section aria-labelledby="group-title">
      <Loadable state={query} what="the error pattern">
        {(data) => {
          const g = data.failureGroup;
          return (
            <>
              <header class="view-header">
                <div>
                  <p class="breadcrumb">
                    <a href={routeHref({ view: 'groups', order: 'RANK' })}>Error patterns</a> / {g.service.name} · {g.taskType}
                  </p>
                  <h1 id="group-title" class="template">
                    {g.messageTemplate}
                  </h1>
                  <p class="markers">
                    <StatusBadge status={g.status} /> <span class="muted">{g.errorType}</span>
                    {g.regressed && <span class="badge marker-regressed">regressed</span>}
                  </p>
                </div>
                {can.act && (
                  <div class="actions" role="group" aria-label="Group actions">
                    <button type="button" onClick={() => ask('retry', data)}>
                      Retry group…
                    </button>
                    <button type="button" onClick={() => ask('discard', data)}>
                      Discard group…
                    </button>
                    <button type="button" onClick={() => ask('resolve', data)}>
                      Resolve group…
                    </button>
                  </div>
                )}
              </header>
              {outcome && (
                <p class="notice" role="status" data-testid="action-outcome">
                  {outcome}
                </p>
              )}
              <dl class="facts">
                <div>
                  <dt>Failures</dt>
                  <dd data-testid="group-count">{formatCount(g.count)}</dd>
                </div>
                <div>
                  <dt>Open</dt>
                  <dd data-testid="group-open">{formatCount(g.openCount)}</dd>
                </div>
                <div>
                  <dt>Waiting for a retry</dt>
                  <dd>{formatCount(data.failed.totalCount)}</dd>
                </div>
                <div>
                  <dt>First seen</dt>
                  <dd>{formatUtc(g.firstSeenAt)}</dd>
                </div>
                <div>
                  <dt>Last seen</dt>
                  <dd>
                    <Ago at={g.lastSeenAt} now={now} />
                  </dd>
                </div>
                <div>
                  <dt>Rank</dt>
                  <dd>{Math.round(g.rankScore)}</dd>
                </div>
              </dl>
              <div class="section-header">
                <h2>Root-cause hints</h2>
                <ChoiceSelect label="Over" value={hints.period} choices={HINT_PERIODS} describe={(p) => HINT_PERIOD_LABEL[p]} onChange={(p) => chooseHints(p ?? 'life')} />
              </div>
              {data.failureGroupSuspects.length === 0 ? (
                <Empty>No attribute value stands out in this pattern over {HINT_PERIOD_LABEL[hints.period]}.</Empty>
              ) : (
                <ul class="suspects" data-testid="suspects">
                  {data.failureGroupSuspects.map((s) => (
                    <li key={`${s.attribute}=${s.value}`}>
                      <strong>
                        {s.attribute} = {s.value}
                      </strong>{' '}
                      — {formatShare(s.share)} of this pattern, {formatShare(s.baselineShare)} of the service ({s.lift.toFixed(1)}×)
                    </li>
                  ))}
                </ul>
              )}
              <h2>Recent failures ({formatCount(data.examples.totalCount)})</h2>
              <table class="rows" data-testid="group-failures">
                <thead>
                  <tr>
                    <th scope="col">Received</th>
                    <th scope="col">Task id</th>
                    <th scope="col">Severity</th>
                    <th scope="col">Error</th>
                    <th scope="col">Attempt</th>
                    <th scope="col">Status</th>
                  </tr>
                </thead>
                <tbody>
                  {data.examples.edges.map(({ node: f }) => (
                    <tr key={f.id} data-failure-id={f.id}>
                      <td>
                        <Ago at={f.receivedAt} now={now} />
                      </td>
                      <td>
                        <a href={routeHref({ view: 'failure', id: f.id })}>{f.taskId}</a>
                      </td>
                      <td>
                        <SeverityBadge severity={f.severity} />
                      </td>
                      <td>{truncate(f.errorMessage, 120)}</td>
                      <td class="num">{f.attempt}</td>
                      <td>
                        <StatusBadge status={f.status} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          );
        }}
      </Loadable>
      <ConfirmDialog request={confirm} onClose={() => setConfirm(null)} />
    </section>
  );
}
