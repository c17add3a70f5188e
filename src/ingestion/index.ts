export { IngestionResolver } from './ingestion.resolver';
export { IngestionService, type IngestionResult } from './ingestion.service';
export { DEFAULT_REDACT_KEYS, normalizeRedactKeys } from './redaction';
