import pino, { type Logger } from 'pino';

/** Structured JSON logs. Authorization headers and tokens are redacted wherever they appear. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'failure-desk' },
    redact: {
      paths: ['req.headers.authorization', 'headers.authorization', '*.token', '*.apiKey', '*.routingKey', '*.secret', 'token', 'authorization'],
      censor: '[REDACTED]',
    },
  });
}

export type { Logger };
