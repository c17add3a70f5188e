import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { buildConsoleForTest } from '../helpers/browser';
import { type TestApp, startTestApp } from '../helpers/test-app';

describe('the console at /', () => {
  let built: Awaited<ReturnType<typeof buildConsoleForTest>>;
  let empty: string;
  let withConsole: TestApp;
  let without: TestApp;

  beforeAll(async () => {
    built = await buildConsoleForTest();
    empty = await mkdtemp(path.join(os.tmpdir(), 'fd-no-console-'));
    withConsole = await startTestApp({ overrides: { consoleDir: built.dir } });
    without = await startTestApp({ overrides: { consoleDir: empty } });
  });
  afterAll(async () => {
    await withConsole.dispose();
    await without.dispose();
    await built.dispose();
    await rm(empty, { recursive: true, force: true });
  });

  const origin = (t: TestApp) => t.url.replace('/graphql', '');

  it('serves the page and its assets from the same origin, with a policy that allows nothing else', async () => {
    const page = await fetch(`${origin(withConsole)}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('cache-control')).toBe('no-cache');
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("connect-src 'self' ws: wss:");
    const html = await page.text();
    const script = /src="(\/assets\/app\.js)"/.exec(html)?.[1];
    expect(script).toBe('/assets/app.js');
    const bundle = await fetch(`${origin(withConsole)}${script}`);
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('content-type')).toContain('javascript');
    // Everything the page loads is local: no CDN address in the bundle's imports.
    expect(await bundle.text()).not.toMatch(/https:\/\/(cdn|unpkg|fonts)\./);
  });

  it('answers 404 for a missing asset and leaves the API routes alone', async () => {
    expect((await fetch(`${origin(withConsole)}/assets/nope.js`)).status).toBe(404);
    expect((await fetch(`${origin(withConsole)}/healthz`)).status).toBe(200);
    const graphql = await fetch(withConsole.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) });
    expect(graphql.headers.get('content-security-policy')).toBeNull();
  });

  it('says how to build the console when it has not been built', async () => {
    const page = await fetch(`${origin(without)}/`);
    expect(page.status).toBe(503);
    expect(await page.text()).toContain('npm run build');
  });
});
