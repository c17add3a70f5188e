/** Bounds on what one report may store (see README, "Limits"). */
export const REPORT_LIMITS = {
  batchSize: 1_000,
  messageBytes: 8 * 1024,
  stackTraceBytes: 32 * 1024,
  payloadBytes: 64 * 1024,
  attributes: 50,
  attributeKeyChars: 100,
  attributeValueBytes: 1024,
  taskTypeChars: 200,
  shortTextChars: 255, // taskId, errorType, source, idempotencyKey, fingerprint
} as const;

