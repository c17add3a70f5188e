import { useEffect, useMemo } from 'preact/hooks';
import { TimeChart } from '../components/charts';
import { Ago, ChoiceSelect, Empty, Loadable, SeverityBadge, StatusBadge } from '../components/common';
import { OVERVIEW_RANGES, type OverviewRange, overviewWindow, routeHref } from '../lib/filters';
import { formatCount, truncate } from '../lib/format';
import { useNow, useQuery, useSubscription, useThrottled } from '../lib/hooks';
import { FAILURE_REPORTED, INCIDENT_UPDATED, OVERVIEW } from '../lib/operations';

interface OverviewData {
  failureStats: Array<{ key: string; points: Array<{ at: string; reported: number }> }>;
  topFailureGroups: Array<{
    count: number;
    previousCount: number;
    growth: number;
    isNew: boolean;
    regressed: boolean;
    group: { id: string; messageTemplate: string; taskType: string; status: string; service: { name: string } };
  }>;
  openIncidents: { totalCount: number; edges: Array<{ node: { id: string; status: string; severity: string; triggeredAt: string; service: { name: string }; group: { id: string; messageTemplate: string } } }> };
}

const RANGE_LABEL: Record<OverviewRange, string> = { '1h': 'last hour', '24h': 'last 24 hours', '7d': 'last 7 days' };
const REFRESH_MS = 30_000;

/** The wall-screen view: failures over time per service, top patterns, open incidents. */
export function OverviewView({ range, wall, navigate }: { range: OverviewRange; wall: boolean; navigate: (next: { range: OverviewRange; wall: boolean }) => void }) {
  const minute = Math.floor(useNow(REFRESH_MS).getTime() / 60_000);
  const window = useMemo(() => overviewWindow(range, new Date(minute * 60_000)), [range, minute]);
  const query = useQuery<OverviewData>(OVERVIEW, { from: window.from.toISOString(), to: window.to.toISOString(), bucket: window.bucket });
  const refresh = useThrottled(query.refetch, 5_000);
  useSubscription(FAILURE_REPORTED, {}, refresh);
  useSubscription(INCIDENT_UPDATED, {}, refresh);

  useEffect(() => {
    document.body.classList.toggle('wall', wall);
    return () => document.body.classList.remove('wall');
  }, [wall]);

  return (
    <section aria-labelledby="overview-title">
      <header class="view-header">
        <h1 id="overview-title">Overview — {RANGE_LABEL[range]}</h1>
        <form class="filters inline" aria-label="Overview options" onSubmit={(e) => e.preventDefault()}>
          <ChoiceSelect label="Range" value={range} choices={OVERVIEW_RANGES} describe={(r) => RANGE_LABEL[r]} onChange={(next) => navigate({ range: next ?? '24h', wall })} />
          <button type="button" aria-pressed={wall} onClick={() => navigate({ range, wall: !wall })}>
            {wall ? 'Leave wall mode' : 'Wall mode'}
          </button>
        </form>
      </header>
      <Loadable state={query} what="the overview">
        {(data) => {
          const times = (data.failureStats[0]?.points ?? []).map((p) => Date.parse(p.at) / 1000);
          const series = data.failureStats.map((s) => ({ label: s.key, values: s.points.map((p) => p.reported) }));
          const total = series.reduce((sum, s) => sum + s.values.reduce((a, b) => a + b, 0), 0);
          return (
            <div class="overview-grid">
              <div class="panel chart-panel">
                <p class="big-number">
                  <span data-testid="total-failures">{formatCount(total)}</span> failures
                </p>
                {series.length === 0 ? (
                  <Empty>No failures in the {RANGE_LABEL[range]}.</Empty>
                ) : (
                  <TimeChart times={times} series={series} title={`Failures per ${window.bucket.toLowerCase()} by service (UTC)`} height={wall ? 420 : 280} />
                )}
              </div>
              <div class="panel">
                <h2>Top patterns</h2>
                {data.topFailureGroups.length === 0 ? (
                  <Empty>No pattern failed in this range.</Empty>
                ) : (
                  <ol class="top-patterns">
                    {data.topFailureGroups.map((t) => (
                      <li key={t.group.id}>
                        <span class="count">{formatCount(t.count)}</span>{' '}
                        <a href={routeHref({ view: 'group', id: t.group.id })}>{truncate(t.group.messageTemplate, wall ? 70 : 100)}</a>
                        <span class="muted">
                          {' '}
                          {t.group.service.name}
                          {t.isNew && <span class="badge marker-new">new</span>}
                          {t.regressed && <span class="badge marker-regressed">regressed</span>}
                          {!t.isNew && t.previousCount > 0 && <span class={t.growth > 0 ? 'trend up' : 'trend'}> {t.growth > 0 ? '▲' : '▼'} {Math.round(Math.abs(t.growth) * 100)}%</span>}
                        </span>
                      </li>
                    ))}
                  </ol>
                )}
              </div>
              <div class="panel">
                <h2>Open incidents ({data.openIncidents.totalCount})</h2>
                {data.openIncidents.edges.length === 0 ? (
                  <Empty>Nothing is paging.</Empty>
                ) : (
                  <ul class="plain">
                    {data.openIncidents.edges.map(({ node: i }) => (
                      <li key={i.id}>
                        <SeverityBadge severity={i.severity} /> <StatusBadge status={i.status} /> {i.service.name}:{' '}
                        <a href={routeHref({ view: 'group', id: i.group.id })}>{truncate(i.group.messageTemplate, 60)}</a> <Ago at={i.triggeredAt} />
                      </li>
                    ))}
                  </ul>
                )}
              </div>
            </div>
          );
        }}
      </Loadable>
    </section>
  );
}
