import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import express, { type Express, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import type { IncidentService } from '../incidents/incident.service';
import { IncidentStatus } from '../incidents/incident.state';
import { type TransactionRunner, toDbTimestamp } from '../platform/db';
import type { Dialect } from '../platform/db';
import type { ChangeLog } from '../failures';
import type { OutboxWorker } from '../platform/outbox';

const WEBHOOK_BODY_LIMIT = '256kb';

export interface InboundWebhookOptions {
  pagerDutySecret?: string;
  opsgenieSecret?: string;
  incidents: IncidentService;
  transactions: TransactionRunner;
  dialect: Dialect;
  outbox: OutboxWorker;
  changes: ChangeLog;
  logger: Logger;
}

/** What a provider's webhook asks of an incident. */
interface InboundChange {
  receiptId: string;
  externalKey: string;
  to: IncidentStatus;
  actor: string;
}

/**
 * POST /webhooks/pagerduty (V3 webhooks, `X-PagerDuty-Signature: v1=<hmac>` with rotation)
 * and POST /webhooks/opsgenie (outgoing webhooks, shared secret in `X-Webhook-Secret`).
 * A verified change moves the incident (audited with the pager user's name) without calling the
 * provider back; repeated deliveries are recognised and answered 200 without effect; a bad
 * signature gets 403 and changes nothing.
 */
export function mountInboundWebhooks(app: Express, options: InboundWebhookOptions): void {
  const raw = express.raw({ type: () => true, limit: WEBHOOK_BODY_LIMIT });

  app.post('/webhooks/pagerduty', raw, (req, res) =>
    handle(req, res, options, options.pagerDutySecret, (body, secret) => {
      if (!verifyPagerDutySignature(secret, body, req.header('x-pagerduty-signature'))) return 'forbidden';
      const event = (JSON.parse(body.toString('utf8')) as { event?: PagerDutyEvent }).event;
      const to = event?.event_type === 'incident.acknowledged' ? IncidentStatus.ACKNOWLEDGED : event?.event_type === 'incident.resolved' ? IncidentStatus.RESOLVED : null;
      const externalKey = event?.data?.incident_key;
      if (!event || !to || !externalKey) return 'ignored';
      return { receiptId: `pagerduty:${req.header('x-webhook-id') ?? event.id ?? digest(body)}`, externalKey, to, actor: `pagerduty: ${event.agent?.summary ?? 'unknown user'}` };
    }),
  );

  app.post('/webhooks/opsgenie', raw, (req, res) =>
    handle(req, res, options, options.opsgenieSecret, (body, secret) => {
      if (!secretsEqual(secret, req.header('x-webhook-secret') ?? '')) return 'forbidden';
      const payload = JSON.parse(body.toString('utf8')) as OpsgenieWebhook;
      const to = payload.action === 'Acknowledge' ? IncidentStatus.ACKNOWLEDGED : payload.action === 'Close' ? IncidentStatus.RESOLVED : null;
      const externalKey = payload.alert?.alias;
      if (!to || !externalKey) return 'ignored';
      return { receiptId: `opsgenie:${digest(body)}`, externalKey, to, actor: `opsgenie: ${payload.alert?.username ?? payload.source?.name ?? 'unknown user'}` };
    }),
  );
}

async function handle(
  req: Request,
  res: Response,
  options: InboundWebhookOptions,
  secret: string | undefined,
  parse: (body: Buffer, secret: string) => InboundChange | 'forbidden' | 'ignored',
): Promise<void> {
  if (!secret) {
    res.status(404).json({ error: 'This webhook is not configured (set its secret)' });
    return;
  }
  const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  let change: InboundChange | 'forbidden' | 'ignored';
  try {
    change = parse(body, secret);
  } catch {
    res.status(400).json({ error: 'The body is not valid JSON' });
    return;
  }
  if (change === 'forbidden') {
    res.status(403).json({ error: 'Signature or secret does not match' });
    return;
  }
  if (change === 'ignored') {
    res.status(200).json({ status: 'ignored' });
    return;
  }
  try {
    const outcome = await apply(change, options);
    res.status(outcome === 'applied' ? 202 : 200).json({ status: outcome });
  } catch (error) {
    options.logger.error({ err: error }, 'inbound webhook failed');
    res.status(500).json({ error: 'Could not apply the change; deliver it again' });
  }
}

async function apply(change: InboundChange, options: InboundWebhookOptions): Promise<'applied' | 'duplicate' | 'unknown' | 'unchanged'> {
  const outcome = await options.transactions.run(async (manager) => {
    // The receipt and the change commit together: a redelivery after a failure is applied then.
    const inserted = await manager.queryRunner!.query(
      `${options.dialect.insertIgnore()} webhook_receipts (id, received_at) VALUES (?, ?)`,
      [change.receiptId.slice(0, 300), toDbTimestamp(new Date())],
      true,
    );
    if (!inserted.affected) return 'duplicate' as const;
    const found = await options.incidents.findByExternalKey(change.externalKey);
    if (!found) return 'unknown' as const;
    const incident = await options.incidents.lock(manager, found.id);
    if (!incident || incident.status === IncidentStatus.RESOLVED || incident.status === change.to) return 'unchanged' as const;
    await options.incidents.moveLocked(manager, incident, change.to, { actor: change.actor, note: 'changed on the pager', fromProvider: true });
    return 'applied' as const;
  });
  if (outcome === 'applied') {
    options.outbox.nudge();
    options.changes.committed();
  }
  return outcome;
}

/** PagerDuty signs with HMAC-SHA256 of the raw body; during rotation several `v1=` values come. */
export function verifyPagerDutySignature(secret: string, body: Buffer, header: string | undefined): boolean {
  if (!header) return false;
  const expected = createHmac('sha256', secret).update(body).digest();
  return header
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.startsWith('v1='))
    .some((part) => {
      const given = Buffer.from(part.slice(3), 'hex');
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
}

function secretsEqual(expected: string, given: string): boolean {
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(given).digest();
  return timingSafeEqual(a, b);
}

function digest(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}

interface PagerDutyEvent {
  id?: string;
  event_type?: string;
  agent?: { summary?: string };
  data?: { incident_key?: string };
}

interface OpsgenieWebhook {
  action?: string;
  alert?: { alias?: string; username?: string };
  source?: { name?: string };
}
