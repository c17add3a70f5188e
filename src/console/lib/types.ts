/** The shapes the console's operations select (see operations.ts). */

export interface FailureRow {
  id: string;
  taskType: string;
  taskId: string;
  pattern: string;
  severity: string;
  status: string;
  errorType: string;
  errorMessage: string;
  occurredAt: string;
  receivedAt: string;
  attempt: number;
  service: { name: string };
  group: { id: string };
}

export interface GroupRow {
  id: string;
  taskType: string;
  errorType: string;
  messageTemplate: string;
  status: string;
  regressed: boolean;
  count: number;
  openCount: number;
  firstSeenAt: string;
  lastSeenAt: string;
  rankScore: number;
  service: { name: string };
  recentCounts?: number[];
}

export interface HistoryEntry {
  at: string;
  action: string;
  actor: string;
  note: string | null;
}

export interface FailureDetail extends Omit<FailureRow, 'group' | 'service'> {
  source: string | null;
  stackTrace: string | null;
  payload: unknown;
  attributes: Record<string, string>;
  updatedAt: string;
  idempotencyKey: string;
  service: { name: string; team: string };
  group: { id: string; messageTemplate: string; count: number; openCount: number };
  history: HistoryEntry[];
}

export interface Suspect {
  attribute: string;
  value: string;
  count: number;
  share: number;
  baselineShare: number;
  lift: number;
  description: string;
}

export interface IncidentRow {
  id: string;
  status: string;
  severity: string;
  provider: string;
  externalKey: string;
  rankScore: number;
  failureCount: number;
  triggeredAt: string;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  resolvedAt: string | null;
  resolvedBy: string | null;
  deliveryError: string | null;
  service: { name: string };
  group: { id: string; messageTemplate: string };
  deliveries: Array<{ at: string; action: string; status: string; httpStatus: number | null; error: string | null }>;
}
