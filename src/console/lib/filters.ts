/**
 * The console's address: which view, and the filters that shape it. Everything a view shows
 * is in the URL hash (`#/feed?service=billing&severity=ERROR`), so a view can be shared or
 * bookmarked and the back button works. Pure functions, unit-tested without a browser.
 */

export const SEVERITIES = ['CRITICAL', 'ERROR', 'WARNING', 'INFO'] as const;
export const PATTERNS = ['MESSAGE_QUEUE', 'EVENT_BUS', 'DB_POLLING', 'OTHER'] as const;
export const GROUP_ORDERS = ['RANK', 'COUNT', 'LAST_SEEN'] as const;
export const GROUP_STATUSES = ['OPEN', 'ACKNOWLEDGED', 'RESOLVED', 'MUTED'] as const;
export const OVERVIEW_RANGES = ['1h', '24h', '7d'] as const;
export const INCIDENT_SCOPES = ['open', 'all'] as const;

export type Severity = (typeof SEVERITIES)[number];
export type TaskPattern = (typeof PATTERNS)[number];
export type GroupOrder = (typeof GROUP_ORDERS)[number];
export type GroupStatus = (typeof GROUP_STATUSES)[number];
export type OverviewRange = (typeof OVERVIEW_RANGES)[number];
export type IncidentScope = (typeof INCIDENT_SCOPES)[number];

export type Route =
  | { view: 'overview'; range: OverviewRange; wall: boolean }
  | { view: 'feed'; filter: FeedFilter }
  | { view: 'groups'; order: GroupOrder; service?: string; status?: GroupStatus }
  | { view: 'group'; id: string }
  | { view: 'failure'; id: string }
  | { view: 'incidents'; scope: IncidentScope; service?: string };

/** What the live feed shows; every field narrows it. */
export interface FeedFilter {
  service?: string;
  pattern?: TaskPattern;
  severity?: Severity;
  taskType?: string;
  text?: string;
}

const FEED_KEYS = ['service', 'pattern', 'severity', 'taskType', 'text'] as const;

function oneOf<T extends string>(allowed: readonly T[], value: string | null | undefined): T | undefined {
  return value !== null && value !== undefined && (allowed as readonly string[]).includes(value) ? (value as T) : undefined;
}

function text(value: string | null): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/** Reads a feed filter from query parameters; unknown or invalid values are dropped. */
export function feedFilterFromParams(params: URLSearchParams): FeedFilter {
  const filter: FeedFilter = {
    service: text(params.get('service')),
    pattern: oneOf(PATTERNS, params.get('pattern')),
    severity: oneOf(SEVERITIES, params.get('severity')),
    taskType: text(params.get('taskType')),
    text: text(params.get('text')),
  };
  return compact(filter);
}

/** The query parameters of a feed filter, in a fixed order, empty fields left out. */
export function feedFilterToParams(filter: FeedFilter): URLSearchParams {
  const params = new URLSearchParams();
  for (const key of FEED_KEYS) {
    const value = filter[key]?.trim();
    if (value) params.set(key, value);
  }
  return params;
}

/** The `failures` query's FailureFilter for the feed. */
export function toFailureFilter(filter: FeedFilter): Record<string, unknown> {
  return compact({
    service: filter.service,
    pattern: filter.pattern,
    severity: filter.severity ? [filter.severity] : undefined,
    taskType: filter.taskType,
    errorMessage: filter.text,
  });
}

/** The `failureReported` subscription's LiveFailureFilter: the same narrowing as the list. */
export function toLiveFailureFilter(filter: FeedFilter): Record<string, unknown> {
  return toFailureFilter(filter);
}

export function parseRoute(hash: string): Route {
  const raw = hash.replace(/^#/, '');
  const [pathPart, queryPart = ''] = raw.split('?', 2);
  const segments = pathPart.split('/').filter(Boolean).map(decodeURIComponent);
  const params = new URLSearchParams(queryPart);
  switch (segments[0]) {
    case 'feed':
      return { view: 'feed', filter: feedFilterFromParams(params) };
    case 'groups':
      if (segments[1]) return { view: 'group', id: segments[1] };
      return compact({
        view: 'groups' as const,
        order: oneOf(GROUP_ORDERS, params.get('order')) ?? 'RANK',
        service: text(params.get('service')),
        status: oneOf(GROUP_STATUSES, params.get('status')),
      });
    case 'failures':
      if (segments[1]) return { view: 'failure', id: segments[1] };
      return { view: 'feed', filter: {} };
    case 'incidents':
      return compact({ view: 'incidents' as const, scope: oneOf(INCIDENT_SCOPES, params.get('scope')) ?? 'open', service: text(params.get('service')) });
    default:
      return { view: 'overview', range: oneOf(OVERVIEW_RANGES, params.get('range')) ?? '24h', wall: params.get('wall') === '1' };
  }
}

/** The hash for a route: the inverse of parseRoute (defaults are left out of the URL). */
export function routeHref(route: Route): string {
  const withQuery = (path: string, params: URLSearchParams) => {
    const query = params.toString();
    return query ? `#/${path}?${query}` : `#/${path}`;
  };
  switch (route.view) {
    case 'feed':
      return withQuery('feed', feedFilterToParams(route.filter));
    case 'groups': {
      const params = new URLSearchParams();
      if (route.order !== 'RANK') params.set('order', route.order);
      if (route.service) params.set('service', route.service);
      if (route.status) params.set('status', route.status);
      return withQuery('groups', params);
    }
    case 'group':
      return `#/groups/${encodeURIComponent(route.id)}`;
    case 'failure':
      return `#/failures/${encodeURIComponent(route.id)}`;
    case 'incidents': {
      const params = new URLSearchParams();
      if (route.scope !== 'open') params.set('scope', route.scope);
      if (route.service) params.set('service', route.service);
      return withQuery('incidents', params);
    }
    case 'overview': {
      const params = new URLSearchParams();
      if (route.range !== '24h') params.set('range', route.range);
      if (route.wall) params.set('wall', '1');
      return withQuery('overview', params);
    }
  }
}

/** Time range and bucket of the overview chart for a range name, ending at `now`. */
export function overviewWindow(range: OverviewRange, now: Date): { from: Date; to: Date; bucket: 'MINUTE' | 'HOUR' | 'DAY' } {
  const spans = { '1h': [3_600_000, 'MINUTE'], '24h': [86_400_000, 'HOUR'], '7d': [7 * 86_400_000, 'DAY'] } as const;
  const [span, bucket] = spans[range];
  const unit = bucket === 'MINUTE' ? 60_000 : bucket === 'HOUR' ? 3_600_000 : 86_400_000;
  // End at the start of the next bucket, so the current (partial) bucket is included.
  const to = new Date(Math.floor(now.getTime() / unit) * unit + unit);
  return { from: new Date(to.getTime() - span), to, bucket };
}

function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
