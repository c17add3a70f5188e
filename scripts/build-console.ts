/**
 * Builds the ops console (src/console) into dist/console: one JavaScript bundle, one style
 * sheet and index.html, all served by the service itself (no CDN). `--watch` rebuilds on change.
 */
import { copyFile, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import * as esbuild from 'esbuild';

const root = path.resolve(__dirname, '..');
const source = path.join(root, 'src/console');
const defaultOut = path.join(root, 'dist/console');

export async function buildConsole(options: { watch?: boolean; quiet?: boolean; outDir?: string } = {}): Promise<void> {
  const out = options.outDir ?? defaultOut;
  await rm(out, { recursive: true, force: true });
  await mkdir(path.join(out, 'assets'), { recursive: true });
  await copyFile(path.join(source, 'index.html'), path.join(out, 'index.html'));
  const config: esbuild.BuildOptions = {
    entryPoints: { app: path.join(source, 'main.tsx') },
    outdir: path.join(out, 'assets'),
    bundle: true,
    minify: !options.watch,
    sourcemap: true,
    format: 'esm',
    target: ['chrome120', 'firefox120', 'safari17'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    tsconfig: path.join(root, 'tsconfig.console.json'),
    logLevel: options.quiet ? 'error' : 'info',
    legalComments: 'linked',
  };
  if (options.watch) {
    const context = await esbuild.context(config);
    await context.watch();
    return;
  }
  await esbuild.build(config);
}

if (require.main === module) {
  buildConsole({ watch: process.argv.includes('--watch') }).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
