/**
 * Realistic failure reports for the ingest benchmark: ~300-byte messages with variable parts
 * (numbers, uuids) that normalise to one template per error pattern, a short Node stack trace,
 * a small payload and 4 attributes. 20 error patterns (10 error kinds × 2 task types), so the
 * service ends up with exactly 20 failure groups.
 */
import { createHash, randomUUID } from 'node:crypto';

export interface BenchReport {
  service: string;
  taskType: string;
  taskId: string;
  pattern: 'MESSAGE_QUEUE' | 'EVENT_BUS' | 'DB_POLLING' | 'OTHER';
  source: string;
  attempt: number;
  errorType: string;
  errorMessage: string;
  stackTrace: string;
  severity: 'CRITICAL' | 'ERROR' | 'WARNING' | 'INFO';
  occurredAt: string;
  payload: Record<string, unknown>;
  attributes: Record<string, string>;
}

interface ErrorKind {
  errorType: string;
  severity: BenchReport['severity'];
  /** Top frames (application code, innermost first), after a runtime frame. */
  frames: string[];
  message(n: number, uuid: string): string;
}

const ERROR_KINDS: ErrorKind[] = [
  {
    errorType: 'SmtpConnectionError',
    severity: 'ERROR',
    frames: ['SmtpClient.connect (/app/src/mail/smtp-client.ts:88:11)', 'Mailer.send (/app/src/mail/mailer.ts:41:7)'],
    message: (n, u) =>
      `Failed to deliver message ${n} for customer ${u}: connect ECONNREFUSED smtp-relay-2.mail.internal:587 after ${n % 5} attempts ` +
      `(socket timeout ${1000 + (n % 9) * 500}ms). The relay refused the connection while the worker was draining batch ${n % 97} of the nightly run; ` +
      `the message stays queued and will be retried with backoff.`,
  },
  {
    errorType: 'DeadlockError',
    severity: 'ERROR',
    frames: ['OrderRepository.reserveStock (/app/src/orders/order.repository.ts:214:15)', 'ReserveStockHandler.handle (/app/src/orders/reserve-stock.handler.ts:37:9)'],
    message: (n, u) =>
      `Deadlock found when trying to get lock; try restarting transaction (errno 1213) while reserving stock for order ${u}, ` +
      `line ${n % 40} of ${40 + (n % 7)}: UPDATE stock_levels SET reserved = reserved + ? WHERE sku_id = ? AND warehouse_id = ? ` +
      `(transaction ${n} held 3 row locks, waited ${n % 900}ms for the fourth).`,
  },
  {
    errorType: 'HttpTimeoutError',
    severity: 'WARNING',
    frames: ['PaymentGatewayClient.capture (/app/src/payments/gateway-client.ts:132:13)', 'CapturePaymentHandler.handle (/app/src/payments/capture.handler.ts:58:11)'],
    message: (n, u) =>
      `Request to the payment gateway timed out after ${5000 + (n % 5) * 1000}ms: POST https://gateway.example.com/v2/payments/${n}/capture (idempotency key ${u}). ` +
      `No response headers were received; the capture may or may not have happened, so the task is parked until the reconciliation job ` +
      `confirms the state of payment ${n}.`,
  },
  {
    errorType: 'ValidationError',
    severity: 'WARNING',
    frames: ['InvoiceSchema.validate (/app/src/billing/invoice.schema.ts:71:19)', 'ImportInvoicesJob.processRow (/app/src/billing/import-invoices.job.ts:102:21)'],
    message: (n, u) =>
      `Invoice ${u} from import file ${n % 31} failed validation: line ${n % 50} has an amount of -${n % 1000}.00 which is below the minimum of 0.00, ` +
      `and the currency field is missing on ${1 + (n % 4)} lines. The invoice was skipped; the rest of the file continues to import normally ` +
      `and a summary goes to the billing team.`,
  },
  {
    errorType: 'S3UploadError',
    severity: 'ERROR',
    frames: ['ObjectStore.put (/app/src/storage/object-store.ts:66:9)', 'ExportReportHandler.handle (/app/src/reports/export-report.handler.ts:49:13)'],
    message: (n, u) =>
      `Upload of report export ${u} to bucket reports-archive failed with status 503 (SlowDown) after ${n % 6} retries; ` +
      `part ${n % 64} of ${64 + (n % 3)} (${n % 8} MiB) was rejected. The storage service asked the client to reduce its request rate, ` +
      `and the export job ${n} will be rescheduled in a few minutes.`,
  },
  {
    errorType: 'KafkaProducerError',
    severity: 'CRITICAL',
    frames: ['EventPublisher.publish (/app/src/events/event-publisher.ts:95:17)', 'OrderPlacedOutbox.flush (/app/src/orders/order-placed.outbox.ts:28:7)'],
    message: (n, u) =>
      `Could not publish event ${u} to topic orders.placed partition ${n % 12}: NOT_LEADER_OR_FOLLOWER after ${n % 4} metadata refreshes. ` +
      `The broker that led the partition went away during a rolling restart; the producer buffer holds ${n % 500} messages and the ` +
      `outbox row ${n} stays pending until the next flush.`,
  },
  {
    errorType: 'TypeError',
    severity: 'ERROR',
    frames: ['renderLineItems (/app/src/documents/render-line-items.ts:19:33)', 'PdfRenderer.render (/app/src/documents/pdf-renderer.ts:144:22)'],
    message: (n, u) =>
      `Cannot read properties of undefined (reading 'unitPrice') while rendering line ${n % 30} of document ${u}. ` +
      `The product referenced by the line was deleted after the order was placed, so the catalogue lookup returned nothing; ` +
      `the renderer gave up on document ${n} and no PDF was written for it this time.`,
  },
  {
    errorType: 'RateLimitExceeded',
    severity: 'INFO',
    frames: ['CrmClient.updateContact (/app/src/crm/crm-client.ts:203:11)', 'SyncContactHandler.handle (/app/src/crm/sync-contact.handler.ts:44:9)'],
    message: (n, u) =>
      `CRM API answered 429 Too Many Requests for contact ${u}: the limit of ${100 + (n % 5) * 50} requests per minute was reached ` +
      `(${n % 60} seconds until reset). The contact sync for account ${n} is postponed; other accounts keep syncing in the meantime ` +
      `and nothing was lost from the change feed.`,
  },
  {
    errorType: 'QueryTimeoutError',
    severity: 'ERROR',
    frames: ['AnalyticsWarehouse.query (/app/src/analytics/warehouse.ts:57:15)', 'DailyRollupJob.run (/app/src/analytics/daily-rollup.job.ts:88:19)'],
    message: (n, u) =>
      `Query cancelled after ${30 + (n % 30)} seconds (statement timeout) while building the daily rollup ${u} for shard ${n % 16}: ` +
      `the planner chose a sequential scan over ${n % 900} million rows of page_views. The job ${n} will retry with a narrower time window ` +
      `and a hint to use the date index.`,
  },
  {
    errorType: 'FileNotFoundError',
    severity: 'WARNING',
    frames: ['ThumbnailService.create (/app/src/media/thumbnail.service.ts:39:25)', 'GenerateThumbnailHandler.handle (/app/src/media/generate-thumbnail.handler.ts:21:5)'],
    message: (n, u) =>
      `ENOENT: no such file or directory, open /var/media/uploads/${u}/original.jpg (upload ${n}). The upload was removed by ` +
      `the retention sweep ${n % 24} hours before the thumbnail task ran, so there is nothing left to resize; the task is safe to discard ` +
      `once the owner confirms.`,
  },
];

const TASK_TYPES = [
  { taskType: 'order-fulfilment', pattern: 'MESSAGE_QUEUE', source: 'orders.fulfilment' },
  { taskType: 'nightly-billing', pattern: 'DB_POLLING', source: 'billing_jobs' },
] as const;

/** The 20 error patterns (error kind × task type). */
export const PATTERN_COUNT = ERROR_KINDS.length * TASK_TYPES.length;

function deterministicUuid(seed: string): string {
  const hex = createHash('sha256').update(seed).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function stackFor(kind: ErrorKind): string {
  return [
    `${kind.errorType}: ${kind.errorType.replace(/Error$|Exceeded$/, '').toLowerCase()} failed`,
    '    at processTicksAndRejections (node:internal/process/task_queues:95:5)',
    ...kind.frames.map((frame) => `    at ${frame}`),
    '    at QueueConsumer.dispatch (/app/src/queue/consumer.ts:112:9)',
    '    at async Worker.run (/app/node_modules/@acme/worker/dist/worker.js:61:7)',
  ].join('\n');
}

/** Makes distinct reports for one service; `seq` numbers them across the whole run. */
export class ReportGenerator {
  private seq = 0;
  private readonly stacks = ERROR_KINDS.map(stackFor);

  constructor(
    private readonly service: string,
    private readonly runId: string,
  ) {}

  next(): BenchReport {
    const n = this.seq++;
    const patternIndex = n % PATTERN_COUNT;
    const kind = ERROR_KINDS[patternIndex % ERROR_KINDS.length]!;
    const task = TASK_TYPES[Math.floor(patternIndex / ERROR_KINDS.length)]!;
    const uuid = randomUUID();
    return {
      service: this.service,
      taskType: task.taskType,
      taskId: `${this.runId}-${n}`,
      pattern: task.pattern,
      source: task.source,
      attempt: 1,
      errorType: kind.errorType,
      errorMessage: kind.message(n, uuid),
      stackTrace: this.stacks[patternIndex % ERROR_KINDS.length]!,
      severity: kind.severity,
      occurredAt: new Date(Date.now() - (n % 60_000)).toISOString(),
      payload: {
        orderId: n,
        customerId: deterministicUuid(`customer-${n % 5000}`),
        amountCents: 1999 + (n % 10_000),
        currency: 'EUR',
        lines: [
          { sku: `SKU-${n % 800}`, quantity: 1 + (n % 3) },
          { sku: `SKU-${(n * 7) % 800}`, quantity: 1 },
        ],
        requestedBy: 'checkout',
      },
      attributes: { host: `worker-${n % 8}`, region: 'eu-west-1', version: '2.14.3', queue: task.source },
    };
  }

  /** The group id each pattern would get in a raw table (one per pattern, like the service's). */
  groupIdFor(report: BenchReport): string {
    return deterministicUuid(`group-${report.taskType}-${report.errorType}`);
  }
}

/** Column order of the raw `failures` INSERTs (the same as the service's). */
export const RAW_COLUMNS = [
  'id', 'service_id', 'group_id', 'idempotency_key', 'task_type', 'task_id', 'pattern', 'source', 'status', 'attempt', 'severity',
  'error_type', 'error_message', 'stack_trace', 'payload', 'attributes', 'occurred_at', 'received_at', 'updated_at',
] as const;

function dbTimestamp(date: Date): string {
  return date.toISOString().replace('T', ' ').replace('Z', '');
}

/** The row the service would store for `report` (no redaction needed: the reports hold no secrets). */
export function rawRow(report: BenchReport, serviceId: string, groupId: string, receivedAt: Date): unknown[] {
  const at = dbTimestamp(receivedAt);
  const attributes = Object.fromEntries(Object.entries(report.attributes).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return [
    randomUUID(), serviceId, groupId, `${report.taskId}#${report.attempt}`, report.taskType, report.taskId, report.pattern, report.source, 'FAILED',
    report.attempt, report.severity, report.errorType, report.errorMessage, report.stackTrace, JSON.stringify(report.payload), JSON.stringify(attributes),
    dbTimestamp(new Date(report.occurredAt)), at, at,
  ];
}
