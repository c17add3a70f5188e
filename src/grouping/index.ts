export { FailureGroupEntity, FailureGroupStatus } from './failure-group.entity';
export { computeFingerprint, normalizeMessage } from './fingerprint';
export { GroupingService, type GroupIncrement } from './grouping.service';
