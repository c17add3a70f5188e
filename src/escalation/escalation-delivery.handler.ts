import { createHash, randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { Logger } from 'pino';
import type { FailureQueryService } from '../failures';
import { SEVERITY_BY_RANK } from '../failures/failure.entity';
import type { IncidentEntity } from '../incidents/incident.entity';
import { type DeliveryRequest, ESCALATION_DELIVERY_KIND, type IncidentService } from '../incidents/incident.service';
import { IncidentStatus } from '../incidents/incident.state';
import { toDbTimestamp } from '../platform/db';
import type { AppMetrics } from '../platform/metrics';
import { DeliveryError, type OutboxHandler } from '../platform/outbox';
import type { ServiceRegistry } from '../registry';
import type { EscalationPolicyService } from './escalation-policy.service';
import { type AlertContent, type EscalationProvider, type ProviderName, ProviderDeliveryError } from './escalation.port';
import type { Pacer } from './pacer';
import { toProviderSeverity } from './ranking';

export interface EscalationDeliveryOptions {
  incidents: IncidentService;
  policies: EscalationPolicyService;
  queries: FailureQueryService;
  registry: ServiceRegistry;
  providers: Record<ProviderName, EscalationProvider>;
  pacer: Pacer;
  /** Base URL of the ops console, for links in pages. */
  consoleUrl: string;
  metrics: AppMetrics;
  logger: Logger;
}

/**
 * Delivers one provider call of an incident (trigger, acknowledge, resolve) from the outbox,
 * in order per incident, paced per credential, recording every attempt on the incident.
 */
export class EscalationDeliveryHandler implements OutboxHandler<DeliveryRequest> {
  readonly kind = ESCALATION_DELIVERY_KIND;

  constructor(private readonly options: EscalationDeliveryOptions) {}

  async handle(request: DeliveryRequest, attempt: number): Promise<void> {
    const { incidents, policies } = this.options;
    const incident = await incidents.get(request.incidentId);
    // Resolved before it was ever paged (group wait): nobody needs waking.
    if (request.action === 'TRIGGER' && incident.status === IncidentStatus.RESOLVED && incident.notifiedCount === 0) return;
    // The pager never heard of it: nothing to acknowledge or resolve there.
    if (request.action !== 'TRIGGER' && incident.notifiedCount === 0) return;

    const policy = await policies.getById(incident.policyId);
    if (!policy) throw new DeliveryError(`The escalation policy of incident ${incident.id} no longer exists`, false);
    const credentials = policies.credentialsOf(policy);
    const provider = this.options.providers[policy.provider as ProviderName];
    const wait = this.options.pacer.take(pacingKey(policy.provider, credentials.routingKey ?? credentials.apiKey ?? policy.id));
    if (wait > 0) throw new DeliveryError(`paced: ${policy.provider} send limit reached`, true, wait, true);

    try {
      const receipt =
        request.action === 'TRIGGER'
          ? await provider.trigger(credentials, await this.content(incident))
          : request.action === 'ACKNOWLEDGE'
            ? await provider.acknowledge(credentials, incident.externalKey)
            : await provider.resolve(credentials, incident.externalKey);
      await incidents.recordDelivery(incident.id, request.action, 'DELIVERED', attempt, { httpStatus: receipt.httpStatus });
      this.options.metrics.escalationDeliveries.inc({ provider: policy.provider, action: request.action, result: 'delivered' });
    } catch (raw) {
      const error = raw instanceof ProviderDeliveryError ? raw : new ProviderDeliveryError((raw as Error).message, true);
      await incidents.recordDelivery(incident.id, request.action, error.retryable ? 'RETRYING' : 'FAILED', attempt, { httpStatus: error.httpStatus, error: error.message });
      this.options.metrics.escalationDeliveries.inc({ provider: policy.provider, action: request.action, result: error.retryable ? 'retry' : 'failed' });
      throw error;
    }
  }

  /** Given up after every attempt: say so on the incident (the live feed shows it to operators). */
  async onDead(request: DeliveryRequest, error: Error, manager: EntityManager): Promise<void> {
    if (!(error instanceof DeliveryError) || !error.retryable) return; // already recorded as FAILED
    await manager.query('UPDATE incidents SET delivery_error = ?, updated_at = ? WHERE id = ?', [
      `${request.action}: gave up after repeated failures: ${error.message}`.slice(0, 2_000),
      toDbTimestamp(new Date()),
      request.incidentId,
    ]);
    await manager.query("INSERT INTO incident_deliveries (id, incident_id, action, status, http_status, error, attempt, at) VALUES (?, ?, ?, 'FAILED', NULL, ?, 0, ?)", [
      randomUUID(),
      request.incidentId,
      request.action,
      `gave up: ${error.message}`.slice(0, 2_000),
      toDbTimestamp(new Date()),
    ]);
    this.options.logger.error({ incidentId: request.incidentId, action: request.action, err: error.message }, 'escalation delivery given up');
  }

  private async content(incident: IncidentEntity): Promise<AlertContent> {
    const group = await this.options.queries.getGroup(incident.groupId);
    const service = await this.options.registry.getById(incident.serviceId);
    const reasons = JSON.parse(incident.rankReasonsJson) as string[];
    const link = `${this.options.consoleUrl.replace(/\/$/, '')}/#/groups/${group.id}`;
    const reported = SEVERITY_BY_RANK[group.maxSeverity] ?? 'INFO';
    return {
      dedupKey: incident.externalKey,
      summary: `[${service.name}] ${group.errorType} in ${group.taskType}: ${group.messageTemplate}`,
      description: [
        `${group.count} failures (${group.openCount} open) of ${group.taskType} in ${service.name}, first ${group.firstSeenAt.toISOString()}, last ${group.lastSeenAt.toISOString()}.`,
        `Rank ${incident.rankScore}: ${reasons.join('; ')}.`,
        `Console: ${link}`,
      ].join('\n'),
      source: service.name,
      severity: toProviderSeverity(incident.severity),
      component: group.taskType,
      group: service.team,
      class: group.errorType,
      timestamp: group.lastSeenAt.toISOString(),
      details: {
        service: service.name,
        team: service.team,
        taskType: group.taskType,
        errorType: group.errorType,
        failures: String(group.count),
        openFailures: String(group.openCount),
        firstSeenAt: group.firstSeenAt.toISOString(),
        lastSeenAt: group.lastSeenAt.toISOString(),
        rankScore: String(incident.rankScore),
        rankReasons: reasons.join('; '),
        severity: incident.severity,
        highestReportedSeverity: reported,
        groupId: group.id,
        incidentId: incident.id,
      },
      tags: [`service:${service.name}`, `task:${group.taskType}`, `severity:${incident.severity.toLowerCase()}`],
      links: [{ href: link, text: 'Open in Failure Desk' }],
    };
  }
}

/** Pacing is per credential; the key itself never sits in memory maps in clear. */
function pacingKey(provider: string, secret: string): string {
  return `${provider}:${createHash('sha256').update(secret).digest('hex').slice(0, 16)}`;
}
