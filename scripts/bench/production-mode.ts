/**
 * Imported first by the benchmarks: the service runs as in production (NODE_ENV=production), so
 * graphql-js skips its development-only checks (`instanceOf` on every type test, ~6% of a large
 * response's CPU). The app's own configuration is passed explicitly and does not read this.
 */
process.env.NODE_ENV ??= 'production';
