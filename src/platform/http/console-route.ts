import { existsSync } from 'node:fs';
import path from 'node:path';
import express, { type Express } from 'express';

/** The project root: the nearest folder above this file that holds package.json. */
function projectRoot(from: string = __dirname): string {
  let dir = from;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
  return dir;
}

/** Where `npm run build` puts the console (dist/console), wherever the service runs from. */
export function defaultConsoleDir(): string {
  return path.join(projectRoot(), 'dist', 'console');
}

/**
 * Serves the ops console at `/` from its built files. The page talks only to /graphql (HTTP
 * and WebSocket on the same origin), which the Content-Security-Policy states. When the console
 * has not been built, `/` says how to build it instead of failing obscurely.
 */
export function mountConsole(app: Express, dir: string): void {
  const index = path.join(dir, 'index.html');
  app.use((req, res, next) => {
    if (req.path === '/' || req.path.startsWith('/assets/')) {
      res.setHeader(
        'Content-Security-Policy',
        "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
      );
      res.setHeader('X-Content-Type-Options', 'nosniff');
      res.setHeader('Referrer-Policy', 'no-referrer');
    }
    next();
  });
  app.get('/', (_req, res) => {
    if (!existsSync(index)) {
      res.status(503).type('text/plain').send('The ops console is not built. Run `npm run build` (or `npm run build:console`), then reload.\n');
      return;
    }
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(index);
  });
  app.use('/assets', express.static(path.join(dir, 'assets'), { index: false, fallthrough: false, maxAge: '5m' }));
}
