/**
 * Projects: unit (pure logic), integration (real database through the real schema),
 * e2e (real HTTP server on port 0), contract (every EscalationProvider against its strict fake),
 * browser (the ops console in Chromium), mysql (needs TEST_DATABASE_URL; MariaDB-only behaviour).
 * `npm test` runs all but mysql on SQLite; `.ci/run` runs them again on MariaDB plus `mysql`.
 */
const transform = { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] };
const base = { preset: undefined, testEnvironment: 'node', clearMocks: true, transform, setupFiles: ['reflect-metadata'] };

const projects = [
  { ...base, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
  { ...base, displayName: 'integration', testMatch: ['<rootDir>/test/integration/**/*.test.ts'] },
  { ...base, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.test.ts'] },
  { ...base, displayName: 'contract', testMatch: ['<rootDir>/test/contract/**/*.test.ts'] },
  // The ops console in Debian's Chromium (playwright-core); screenshots go to test-artifacts/console.
  { ...base, displayName: 'browser', testMatch: ['<rootDir>/test/browser/**/*.test.ts'] },
];
if (process.env.TEST_DATABASE_URL) {
  projects.push({ ...base, displayName: 'mysql', testMatch: ['<rootDir>/test/mysql/**/*.test.ts'] });
}

module.exports = { projects, testTimeout: 30_000 };
