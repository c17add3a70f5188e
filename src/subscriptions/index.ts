export { LIVE_CHANGES_KIND, LiveFeed } from './live-feed';
export { LiveSubscriptions } from './live-subscriptions';
export { LiveResolver } from './live.resolver';
export { RETRY_LIVE_KIND, SubscriptionRetryRoute } from './retry-subscription-route';
export { LiveTopic, type IncidentUpdatedEvent } from './live-events';
