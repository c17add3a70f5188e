import { describe, expect, it } from '@jest/globals';
import pino from 'pino';
import type { DataSource } from 'typeorm';
import type { FailureEntity } from '../../../src/failures/failure.entity';
import type { FailureGroupEntity } from '../../../src/grouping/failure-group.entity';
import { AppMetrics } from '../../../src/platform/metrics';
import type { OutboxWorker } from '../../../src/platform/outbox';
import { MemoryEventBus } from '../../../src/platform/pubsub';
import type { ServiceEntity, ServiceRegistry } from '../../../src/registry';
import { LiveFeed, LiveTopic } from '../../../src/subscriptions';
import type { FailuresReportedEvent } from '../../../src/subscriptions/live-events';
import { deferred } from '../../helpers/deferred';

const at = new Date('2026-01-01T00:00:00Z');
const service = { id: 's1', name: 'billing', createdAt: at, updatedAt: at } as unknown as ServiceEntity;
const group = { id: 'g1', serviceId: 's1', firstSeenAt: at, lastSeenAt: at, resolvedAt: null } as unknown as FailureGroupEntity;
const failure = { id: 'f1', serviceId: 's1', groupId: 'g1', occurredAt: at, receivedAt: at, updatedAt: at } as unknown as FailureEntity;

/** Reads answered from memory: the failure, its group; the registry knows the service. */
const dataSource = {
  getRepository: (entity: { name: string }) => ({ findBy: async () => (entity.name === 'FailureEntity' ? [failure] : [group]) }),
} as unknown as DataSource;
const registry = { getByIds: async () => [service] } as unknown as ServiceRegistry;

describe('LiveFeed', () => {
  it('publishes a change while a follower (escalation) is still working on it, and finishes the row only when both are done', async () => {
    const bus = new MemoryEventBus();
    const published = deferred<FailuresReportedEvent>();
    bus.subscribe(LiveTopic.FAILURE_REPORTED, (payload) => published.resolve(payload as FailuresReportedEvent));
    const follower = deferred<void>();
    const feed = new LiveFeed({
      dataSource,
      registry,
      outbox: {} as OutboxWorker,
      bus,
      metrics: new AppMetrics({ outboxDepth: async () => 0 }),
      logger: pino({ level: 'silent' }),
      coalesceMs: 250,
      followers: [() => follower.promise],
    });

    let handled = false;
    const handling = feed.handle({ reportedFailureIds: ['f1'] }).then(() => void (handled = true));
    expect((await published.promise).failures.map((f) => f.id)).toEqual(['f1']);
    expect(handled).toBe(false);
    follower.resolve();
    await handling;
    expect(handled).toBe(true);
  });
});
