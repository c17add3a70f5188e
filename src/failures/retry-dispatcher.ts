import type { EntityManager } from 'typeorm';
import { ConflictError } from '../platform/errors';
import type { ServiceEntity } from '../registry';

/** One retry asked of the owning service. `requestId` lets the service drop a repeated delivery. */
export interface RetryRequest {
  requestId: string;
  failureId: string;
  serviceId: string;
  attempt: number;
}

/**
 * A way to hand a retry to the owning service: a signed webhook today; a live subscription
 * and broker republish slot in as further routes, tried in the order given.
 */
export interface RetryRoute {
  readonly name: string;
  canDeliver(service: ServiceEntity): boolean | Promise<boolean>;
  /** Records the request inside the action's transaction (normally as an outbox row). */
  enqueue(manager: EntityManager, service: ServiceEntity, request: RetryRequest): Promise<void>;
}

export class NoRetryRouteError extends ConflictError {
  constructor(serviceName: string) {
    super(`Service "${serviceName}" has no way to receive retries: set its retryWebhookUrl (or subscribe to retryRequested)`, { service: serviceName });
  }
}

/** Picks the first route that can reach the service; refuses rather than send a retry to nobody. */
export class RetryDispatcher {
  constructor(private readonly routes: readonly RetryRoute[]) {}

  async assertDeliverable(service: ServiceEntity): Promise<void> {
    await this.routeFor(service);
  }

  async dispatch(manager: EntityManager, service: ServiceEntity, request: RetryRequest): Promise<string> {
    const route = await this.routeFor(service);
    await route.enqueue(manager, service, request);
    return route.name;
  }

  private async routeFor(service: ServiceEntity): Promise<RetryRoute> {
    for (const route of this.routes) if (await route.canDeliver(service)) return route;
    throw new NoRetryRouteError(service.name);
  }
}
