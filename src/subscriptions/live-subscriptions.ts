import type { AppMetrics } from '../platform/metrics';
import { BoundedStream, type EventBus } from '../platform/pubsub';
import {
  type FailuresReportedEvent,
  type FailuresUpdatedEvent,
  type GroupsUpdatedEvent,
  type IncidentUpdatedEvent,
  type LiveFailure,
  type LiveGroup,
  LiveTopic,
  type RetryRequestedEvent,
  reviveFailure,
  reviveGroup,
} from './live-events';

/** A filter as subscribers give it; `key` identifies equal filters, `matches` decides. */
export interface LiveFilter<T> {
  key: string;
  matches(item: T): boolean;
}

export interface LiveRetryRequest {
  requestId: string;
  attempt: number;
  requestedAt: Date;
  failure: LiveFailure;
}

interface Subscriber<T> {
  filter: LiveFilter<T>;
  stream: BoundedStream<T>;
}

/**
 * One bus subscription per topic per instance, fanned out to local subscribers. Each bus
 * message is revived once; each item is tested once per distinct filter, whatever the number
 * of sockets sharing that filter; every subscriber receives the same item object.
 */
class TopicFanout<T> {
  private readonly subscribers = new Set<Subscriber<T>>();
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly bus: EventBus,
    private readonly topic: string,
    private readonly split: (payload: unknown) => T[],
    private readonly onEmpty: () => void,
  ) {}

  add(subscriber: Subscriber<T>): () => void {
    this.subscribers.add(subscriber);
    this.unsubscribe ??= this.bus.subscribe(this.topic, (payload) => this.dispatch(payload));
    return () => {
      this.subscribers.delete(subscriber);
      if (this.subscribers.size === 0) {
        this.unsubscribe?.();
        this.unsubscribe = undefined;
        this.onEmpty();
      }
    };
  }

  private dispatch(payload: unknown): void {
    for (const item of this.split(payload)) {
      const verdicts = new Map<string, boolean>();
      for (const { filter, stream } of this.subscribers) {
        let verdict = verdicts.get(filter.key);
        if (verdict === undefined) verdicts.set(filter.key, (verdict = filter.matches(item)));
        if (verdict) stream.push(item);
      }
    }
  }
}

export interface LiveSubscriptionsOptions {
  bus: EventBus;
  metrics: AppMetrics;
  /** Undelivered events one subscription may hold before its socket is closed as too slow. */
  bufferLimit: number;
}

/** The subscribing side of the live feeds, for the subscription resolvers. */
export class LiveSubscriptions {
  private readonly fanouts = new Map<string, TopicFanout<unknown>>();
  private readonly retrySubscribers = new Map<string, number>();

  constructor(private readonly options: LiveSubscriptionsOptions) {}

  failureReported(filter: LiveFilter<LiveFailure>, onSlow: () => void): AsyncIterableIterator<LiveFailure> {
    return this.stream(LiveTopic.FAILURE_REPORTED, 'failureReported', splitFailures, filter, onSlow);
  }

  failureUpdated(filter: LiveFilter<LiveFailure>, onSlow: () => void): AsyncIterableIterator<LiveFailure> {
    return this.stream(LiveTopic.FAILURE_UPDATED, 'failureUpdated', splitFailures, filter, onSlow);
  }

  failureGroupUpdated(filter: LiveFilter<LiveGroup>, onSlow: () => void): AsyncIterableIterator<LiveGroup> {
    return this.stream(LiveTopic.FAILURE_GROUP_UPDATED, 'failureGroupUpdated', splitGroups, filter, onSlow);
  }

  incidentUpdated(filter: LiveFilter<IncidentUpdatedEvent>, onSlow: () => void): AsyncIterableIterator<IncidentUpdatedEvent> {
    return this.stream(LiveTopic.INCIDENT_UPDATED, 'incidentUpdated', (p) => [p as IncidentUpdatedEvent], filter, onSlow);
  }

  /** Retry requests of one service; while any is open, the service counts as reachable live. */
  retryRequested(serviceId: string, onSlow: () => void): AsyncIterableIterator<LiveRetryRequest> {
    const key = retryPresenceKey(serviceId);
    const count = (this.retrySubscribers.get(serviceId) ?? 0) + 1;
    this.retrySubscribers.set(serviceId, count);
    if (count === 1) this.options.bus.setPresence(key, true);
    const release = () => {
      const left = (this.retrySubscribers.get(serviceId) ?? 1) - 1;
      if (left > 0) this.retrySubscribers.set(serviceId, left);
      else {
        this.retrySubscribers.delete(serviceId);
        this.options.bus.setPresence(key, false);
      }
    };
    const all: LiveFilter<LiveRetryRequest> = { key: '*', matches: () => true };
    return this.stream(LiveTopic.retryRequested(serviceId), 'retryRequested', splitRetry, all, onSlow, release);
  }

  private stream<T>(
    topic: string,
    field: string,
    split: (payload: unknown) => T[],
    filter: LiveFilter<T>,
    onSlow: () => void,
    onEnd: () => void = () => undefined,
  ): AsyncIterableIterator<T> {
    const { metrics, bufferLimit } = this.options;
    let fanout = this.fanouts.get(topic) as TopicFanout<T> | undefined;
    if (!fanout) {
      fanout = new TopicFanout<T>(this.options.bus, topic, split, () => this.fanouts.delete(topic));
      this.fanouts.set(topic, fanout as TopicFanout<unknown>);
    }
    let remove: () => void = () => undefined;
    const stream = new BoundedStream<T>(
      bufferLimit,
      onSlow,
      () => {
        remove();
        onEnd();
        metrics.activeSubscriptions.dec({ field });
      },
    );
    remove = fanout.add({ filter, stream });
    metrics.activeSubscriptions.inc({ field });
    return stream;
  }
}

export function retryPresenceKey(serviceId: string): string {
  return `retry-subscribers:${serviceId}`;
}

function splitFailures(payload: unknown): LiveFailure[] {
  return (payload as FailuresReportedEvent | FailuresUpdatedEvent).failures.map(reviveFailure);
}

function splitGroups(payload: unknown): LiveGroup[] {
  return (payload as GroupsUpdatedEvent).groups.map(reviveGroup);
}

function splitRetry(payload: unknown): LiveRetryRequest[] {
  const event = payload as RetryRequestedEvent;
  return [{ requestId: event.requestId, attempt: event.attempt, requestedAt: new Date(event.requestedAt), failure: reviveFailure(event.failure) }];
}
