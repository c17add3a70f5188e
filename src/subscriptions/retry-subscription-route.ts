import type { DataSource, EntityManager } from 'typeorm';
import type { RetryRequest, RetryRoute } from '../failures/retry-dispatcher';
import { FailureEntity } from '../failures/failure.entity';
import { FailureStatus } from '../failures/failure.state';
import { FailureGroupEntity } from '../grouping/failure-group.entity';
import { DeliveryError, type OutboxHandler, type OutboxWorker } from '../platform/outbox';
import type { EventBus } from '../platform/pubsub';
import type { ServiceEntity, ServiceRegistry } from '../registry';
import { LiveTopic, type RetryRequestedEvent, snapshotFailure } from './live-events';
import { retryPresenceKey } from './live-subscriptions';

export const RETRY_LIVE_KIND = 'retry.live';

/**
 * Hands retries to the service's own `retryRequested` subscriber, on any instance. Preferred
 * over the webhook whenever such a subscriber is connected. A request that no subscriber takes
 * (it disconnected in between) is caught by the retry timeout, which puts the failure back.
 */
export class SubscriptionRetryRoute implements RetryRoute, OutboxHandler<RetryRequest> {
  readonly name = 'subscription';
  readonly kind = RETRY_LIVE_KIND;

  constructor(
    private readonly options: { bus: EventBus; outbox: OutboxWorker; dataSource: DataSource; registry: ServiceRegistry },
  ) {}

  canDeliver(service: ServiceEntity): Promise<boolean> {
    return this.options.bus.hasPresence(retryPresenceKey(service.id));
  }

  enqueue(manager: EntityManager, _service: ServiceEntity, request: RetryRequest): Promise<void> {
    return this.options.outbox.enqueue(manager, RETRY_LIVE_KIND, `failure:${request.failureId}`, request);
  }

  async handle(request: RetryRequest): Promise<void> {
    const failure = await this.options.dataSource.getRepository(FailureEntity).findOneBy({ id: request.failureId });
    if (!failure || failure.status !== FailureStatus.RETRYING) return;
    const group = await this.options.dataSource.getRepository(FailureGroupEntity).findOneByOrFail({ id: failure.groupId });
    const service = await this.options.registry.getById(failure.serviceId);
    const event: RetryRequestedEvent = {
      requestId: request.requestId,
      attempt: request.attempt,
      requestedAt: new Date().toISOString(),
      failure: snapshotFailure(failure, service, group),
    };
    try {
      await this.options.bus.publish(LiveTopic.retryRequested(service.id), event);
    } catch (error) {
      throw new DeliveryError(`retry request not published: ${(error as Error).message}`, true);
    }
  }
}
