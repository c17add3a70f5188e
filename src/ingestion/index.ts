export { INGESTION_ROLES, IngestionResolver } from './ingestion.resolver';
export { IngestionService, MYSQL_CONCURRENT_COMMITS, type IngestionResult } from './ingestion.service';
export { DEFAULT_REDACT_KEYS, normalizeRedactKeys } from './redaction';
