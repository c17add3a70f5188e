export { AuditEntryEntity } from './audit-entry.entity';
export { FailureActionService, FailureAction } from './failure-action.service';
export { FailureQueryService } from './failure-query.service';
export { FailureEntity, Severity, TaskPattern } from './failure.entity';
export { FailureGroupResolver, FailureResolver } from './failure.resolver';
export { FailureStatus } from './failure.state';
export { RetryDispatcher, type RetryRequest, type RetryRoute } from './retry-dispatcher';
export { RETRY_REQUEST_ID_HEADER, RETRY_SIGNATURE_HEADER, signRetryRequest, verifyRetrySignature } from './retry-signature';
export { RetryWebhookHandler, WebhookRetryRoute, type RetryWebhookBody } from './retry-webhook';
