/**
 * Build step (npm run build): bundles the web console (console/src, plain
 * TypeScript and the DOM) with esbuild into dist/console/app.js, next to its
 * page and stylesheet. Type-checked separately by tsconfig.console.json.
 */
import { copyFileSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { packageRoot } from '../src/util/paths.js';

const root = packageRoot();
const out = path.join(root, 'dist', 'console');
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [path.join(root, 'console', 'src', 'main.ts')],
  bundle: true,
  format: 'esm',
  target: 'es2022',
  minify: true,
  sourcemap: false,
  outfile: path.join(out, 'app.js'),
  logLevel: 'warning',
});
for (const file of ['index.html', 'style.css']) copyFileSync(path.join(root, 'console', file), path.join(out, file));
console.log(`console: dist/console/app.js (${statSync(path.join(out, 'app.js')).size} bytes)`);
