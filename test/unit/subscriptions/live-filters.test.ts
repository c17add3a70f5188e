import { describe, expect, it } from '@jest/globals';
import type { FailureEntity } from '../../../src/failures/failure.entity';
import type { FailureGroupEntity } from '../../../src/grouping/failure-group.entity';
import type { ServiceEntity } from '../../../src/registry';
import { type LiveFailure, reviveFailure, snapshotFailure } from '../../../src/subscriptions/live-events';
import { failureFilter } from '../../../src/subscriptions/live-filters';
import type { LiveFailureFilter } from '../../../src/subscriptions/subscriptions.types';

const at = new Date('2026-03-01T10:00:00Z');
const service: ServiceEntity = { id: 'svc-1', name: 'billing', team: 'payments', criticality: 3, retryWebhookUrl: null, retryWebhookSecret: 'secret', createdAt: at, updatedAt: at };
const group: FailureGroupEntity = {
  id: 'group-1',
  serviceId: service.id,
  fingerprint: 'f'.repeat(64),
  taskType: 'charge-card',
  errorType: 'CardDeclined',
  messageTemplate: 'card declined: <text>',
  status: 'OPEN',
  regressed: false,
  count: 1,
  openCount: 1,
  firstSeenAt: at,
  lastSeenAt: at,
  resolvedAt: null,
  rankScore: 0,
} as FailureGroupEntity;

/** A failure as the live feeds carry it (snapshotted and revived, as the bus does). */
function failure(overrides: Partial<FailureEntity> = {}): LiveFailure {
  const entity = {
    id: 'failure-1',
    serviceId: service.id,
    groupId: group.id,
    idempotencyKey: 'k-1',
    taskType: 'charge-card',
    taskId: 'task-1',
    pattern: 'DB_POLLING',
    source: 'commands',
    status: 'FAILED',
    attempt: 1,
    severity: 'ERROR',
    errorType: 'CardDeclined',
    errorMessage: 'Card DECLINED: quota 100% used by user_42',
    stackTrace: null,
    payloadJson: null,
    attributesJson: '{}',
    occurredAt: at,
    receivedAt: at,
    updatedAt: at,
    ...overrides,
  } as FailureEntity;
  return reviveFailure(snapshotFailure(entity, service, group));
}

const matches = (filter: LiveFailureFilter, f: LiveFailure = failure()) => failureFilter(filter).matches(f);

describe('live failure filter', () => {
  it('narrows to one failure by id', () => {
    expect(matches({ id: 'failure-1' })).toBe(true);
    expect(matches({ id: 'failure-2' })).toBe(false);
    expect(matches({ id: 'failure-2' }, failure({ id: 'failure-2' }))).toBe(true);
  });

  it.each([
    [['ERROR'], 'ERROR', true],
    [['CRITICAL', 'ERROR'], 'ERROR', true],
    [['CRITICAL', 'WARNING'], 'ERROR', false],
    [['INFO'], 'CRITICAL', false],
    [[], 'INFO', true],
  ] as const)('with severity any of %j, lets a %s failure through: %s', (severity, actual, expected) => {
    expect(matches({ severity: [...severity] }, failure({ severity: actual }))).toBe(expected);
  });

  it('applies a severity list and a minimum severity together', () => {
    expect(matches({ severity: ['WARNING', 'ERROR'], minSeverity: 'ERROR' }, failure({ severity: 'ERROR' }))).toBe(true);
    expect(matches({ severity: ['WARNING', 'ERROR'], minSeverity: 'ERROR' }, failure({ severity: 'WARNING' }))).toBe(false);
  });

  it.each([
    ['card declined', true],
    ['CARD declined: QUOTA', true],
    ['100% used', true],
    ['user_42', true],
    ['%', true],
    ['declined%quota', false],
    ['user_4_', false],
    ['card refused', false],
    ['', true],
  ])('with errorMessage %j matches the message case-insensitively as literal text: %s', (errorMessage, expected) => {
    expect(matches({ errorMessage })).toBe(expected);
  });

  it('requires every given field to match', () => {
    expect(matches({ id: 'failure-1', severity: ['ERROR'], errorMessage: 'declined', service: 'billing', group: 'group-1' })).toBe(true);
    expect(matches({ id: 'failure-1', severity: ['ERROR'], errorMessage: 'timeout' })).toBe(false);
    expect(matches({ id: 'failure-1', severity: ['INFO'], errorMessage: 'declined' })).toBe(false);
  });

  it('gives equal filters one key whatever the order of their severities, and different filters different keys', () => {
    expect(failureFilter({ severity: ['ERROR', 'CRITICAL'], id: 'a' }).key).toBe(failureFilter({ id: 'a', severity: ['CRITICAL', 'ERROR'] }).key);
    expect(failureFilter({ id: 'a' }).key).not.toBe(failureFilter({ id: 'b' }).key);
    expect(failureFilter({ errorMessage: 'x' }).key).not.toBe(failureFilter({ errorMessage: 'X' }).key);
  });
});
