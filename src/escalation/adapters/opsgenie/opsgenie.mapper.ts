import type { AlertContent, OpsgeniePriority, ProviderCredentials, ProviderSeverity, Responder } from '../../escalation.port';
import { fitDetails, limitTags, requiredText, truncateText } from '../text-limits';

export const OPSGENIE_US_API_URL = 'https://api.opsgenie.com';
export const OPSGENIE_EU_API_URL = 'https://api.eu.opsgenie.com';

/** Field limits of Opsgenie's Create Alert (Alert API v2 documentation). */
export const OpsgenieLimits = {
  messageLength: 130,
  aliasLength: 512,
  descriptionLength: 15_000,
  tagCount: 20,
  tagLength: 50,
  /** Keys and values of `details` together. */
  detailsTotalLength: 8_000,
  entityLength: 512,
  sourceLength: 100,
  userLength: 100,
} as const;

/** Severity → priority unless `credentials.priorities` says otherwise. */
export const DEFAULT_OPSGENIE_PRIORITIES: Readonly<Record<ProviderSeverity, OpsgeniePriority>> = {
  critical: 'P1',
  error: 'P2',
  warning: 'P3',
  info: 'P5',
};

/** Who Failure Desk's acknowledge and close requests name as user and source. */
export const OPSGENIE_ACTOR = 'Failure Desk';

/** The body of POST /v2/alerts. */
export interface OpsgenieCreateAlertBody {
  message: string;
  alias: string;
  description?: string;
  responders?: Responder[];
  tags?: string[];
  details: Record<string, string>;
  entity?: string;
  source: string;
  priority: OpsgeniePriority;
}

/** The body of an acknowledge or close request. */
export interface OpsgenieActionBody {
  user: string;
  source: string;
}

export function opsgenieBaseUrl(apiUrl: string | undefined, region: ProviderCredentials['region']): string {
  return (apiUrl ?? (region === 'EU' ? OPSGENIE_EU_API_URL : OPSGENIE_US_API_URL)).replace(/\/+$/, '');
}

export function mapPriority(severity: ProviderSeverity, overrides?: ProviderCredentials['priorities']): OpsgeniePriority {
  return overrides?.[severity] ?? DEFAULT_OPSGENIE_PRIORITIES[severity];
}

/**
 * Create Alert body: message cut to 130 characters (never empty), description with the links
 * appended and cut to 15,000, at most 20 tags of 50 characters, details within 8,000 characters
 * with the original severity first, source cut to 100 and entity (the component) to 512. The
 * alias is the dedup key unchanged: the provider refuses keys Opsgenie cannot take.
 */
export function toCreateAlertBody(credentials: ProviderCredentials, alert: AlertContent): OpsgenieCreateAlertBody {
  const source = requiredText(alert.source, OpsgenieLimits.sourceLength, 'failure-desk');
  const description = describe(alert, OpsgenieLimits.descriptionLength);
  const tags = limitTags(alert.tags, OpsgenieLimits.tagCount, OpsgenieLimits.tagLength);
  return {
    message: requiredText(alert.summary, OpsgenieLimits.messageLength, `Failure in ${source}`),
    alias: alert.dedupKey,
    ...(description ? { description } : {}),
    ...(credentials.responders?.length ? { responders: credentials.responders } : {}),
    ...(tags.length > 0 ? { tags } : {}),
    details: toDetails(alert),
    ...(alert.component ? { entity: truncateText(alert.component, OpsgenieLimits.entityLength) } : {}),
    source,
    priority: mapPriority(alert.severity, credentials.priorities),
  };
}

export function toActionBody(): OpsgenieActionBody {
  return { user: OPSGENIE_ACTOR, source: OPSGENIE_ACTOR };
}

/** Path of an acknowledge or close by alias; without identifierType Opsgenie reads an alert id. */
export function alertActionPath(alias: string, action: 'acknowledge' | 'close'): string {
  return `/v2/alerts/${encodeURIComponent(alias)}/${action}?identifierType=alias`;
}

/** Our fields first so the 8,000-character budget never loses them, then the alert's details. */
export function toDetails(alert: AlertContent): Record<string, string> {
  const ours: Array<readonly [string, unknown]> = [
    ['severity', alert.severity],
    ['component', alert.component],
    ['group', alert.group],
    ['class', alert.class],
    ['timestamp', alert.timestamp],
  ];
  const present = ours.filter(([, value]) => value !== undefined && value !== '');
  return fitDetails([...present, ...Object.entries(alert.details)], OpsgenieLimits.detailsTotalLength);
}

/** The description, cut so that the links back to the console after it always fit. */
function describe(alert: AlertContent, maxLength: number): string {
  const links = alert.links.filter((link) => link.href).map((link) => `${link.text || link.href}: ${link.href}`).join('\n');
  const room = links ? maxLength - links.length - 2 : maxLength;
  if (room < 0) return truncateText(links, maxLength);
  const text = truncateText(alert.description, room);
  return [text, links].filter(Boolean).join('\n\n');
}
