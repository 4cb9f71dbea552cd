/**
 * The Dockerfile cannot be built on these machines (no Docker engine), so
 * `npm run lint` (after `npm run build`) checks it instead:
 *
 *  1. dockerfile-utils' validator: the syntax and instruction errors Docker's builder reports;
 *  2. a few of hadolint's rules (hadolint itself is in no registry these machines reach):
 *     the `# syntax` directive is line 1, base images are pinned, apt-get installs skip
 *     recommends and clean their lists, the final stage runs as a non-root USER and has a HEALTHCHECK;
 *  3. the build stage: every path it COPYs from the context exists and is not in
 *     .dockerignore, and it copies everything `npm run build` reads (package files,
 *     tsconfig.json, schemas/, every tsconfig "include" entry);
 *  4. the runtime stage: every path it COPYs from the build stage exists after the build,
 *     at the same place relative to the app folder, the ENTRYPOINT passes the service's node flags
 *     (src/cli/serviceNodeFlags.ts), and the program it runs can load:
 *     every relative import reachable from it is inside what the stage copied, and every
 *     package it imports is a production dependency (npm prune removes the rest).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { packageRoot } from '../src/util/paths.js';
import { SERVICE_NODE_FLAGS } from '../src/cli/serviceNodeFlags.js';

const root = packageRoot();
const problems: string[] = [];
const problem = (text: string) => problems.push(`Dockerfile: ${text}`);

const dockerfilePath = path.resolve(root, process.argv[2] ?? 'Dockerfile'); // another file: for testing this lint
const text = readFileSync(dockerfilePath, 'utf8');

// 1. The validator.
// It exits 1 when it found errors (warnings alone: 0) and prints them either way.
const validator = spawnSync(path.join(root, 'node_modules/.bin/dockerfile-utils'), ['lint', dockerfilePath], { encoding: 'utf8' });
if (validator.error || (validator.status !== 0 && !validator.stdout.trim())) problem(`dockerfile-utils did not run: ${validator.error?.message ?? validator.stderr}`);
if (validator.stdout.trim()) problems.push(validator.stdout.trim());

// Instructions: continuation lines joined, comments dropped.
interface Instruction { line: number; keyword: string; args: string }
const instructions: Instruction[] = [];
{
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (/^\s*(#|$)/.test(lines[i])) continue;
    const start = i;
    let joined = lines[i];
    while (/\\\s*$/.test(joined) && i + 1 < lines.length) joined = joined.replace(/\\\s*$/, ' ') + (/^\s*#/.test(lines[++i]) ? '' : lines[i]);
    const match = /^\s*(\w+)\s*(.*)$/.exec(joined);
    if (match) instructions.push({ line: start + 1, keyword: match[1].toUpperCase(), args: match[2].trim() });
  }
}

interface Stage { name: string; from: string; workdir: string; user?: string; healthcheck: boolean; copies: { from?: string; sources: string[]; dest: string; intoFolder: boolean; line: number }[]; entrypoint?: string[] }
const stages: Stage[] = [];
for (const ins of instructions) {
  const stage = stages.at(-1);
  if (ins.keyword === 'FROM') {
    const [image, , name] = ins.args.split(/\s+/);
    stages.push({ name: name ?? String(stages.length), from: image, workdir: '/', healthcheck: false, copies: [] });
  } else if (!stage) {
    if (ins.keyword !== 'ARG') problem(`line ${ins.line}: ${ins.keyword} before the first FROM`);
  } else if (ins.keyword === 'WORKDIR') stage.workdir = path.posix.resolve(stage.workdir, ins.args);
  else if (ins.keyword === 'USER') stage.user = ins.args;
  else if (ins.keyword === 'HEALTHCHECK') stage.healthcheck = !/^NONE$/i.test(ins.args);
  else if (ins.keyword === 'ENTRYPOINT') stage.entrypoint = ins.args.startsWith('[') ? (JSON.parse(ins.args) as string[]) : ins.args.split(/\s+/);
  else if (ins.keyword === 'COPY' || ins.keyword === 'ADD') {
    const words = ins.args.split(/\s+/);
    const flags = words.filter((w) => w.startsWith('--'));
    const paths = words.filter((w) => !w.startsWith('--'));
    const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length);
    const dest = paths.at(-1) ?? '.';
    stage.copies.push({ from, sources: paths.slice(0, -1), dest: path.posix.resolve(stage.workdir, dest), intoFolder: dest.endsWith('/') || dest === '.' || paths.length > 2, line: ins.line });
  }
}

// 2. hadolint-style rules.
const lines = text.split('\n');
const directive = lines.findIndex((l) => /^#\s*syntax\s*=/i.test(l));
if (directive > 0) problem(`line ${directive + 1}: the "# syntax=" parser directive only counts on line 1`);
for (const stage of stages) {
  if (!/[:@]/.test(stage.from) && !stages.some((s) => s.name === stage.from)) problem(`FROM ${stage.from}: pin a tag`);
  if (/:latest$/.test(stage.from)) problem(`FROM ${stage.from}: pin a tag other than latest`);
}
for (const ins of instructions.filter((i) => i.keyword === 'RUN' && /apt-get install/.test(i.args))) {
  if (!/--no-install-recommends/.test(ins.args)) problem(`line ${ins.line}: apt-get install without --no-install-recommends`);
  if (!/rm -rf \/var\/lib\/apt\/lists/.test(ins.args)) problem(`line ${ins.line}: apt-get install without removing /var/lib/apt/lists in the same RUN`);
  if (!/\s-y\b|--yes|--assume-yes/.test(ins.args)) problem(`line ${ins.line}: apt-get install without -y`);
}
const final = stages.at(-1);
if (!final) problem('no FROM');
else {
  if (!final.user || /^(root|0)(:|$)/.test(final.user)) problem('the final stage must switch to a non-root USER');
  if (!final.healthcheck) problem('the final stage has no HEALTHCHECK');
}

// 3. The build stage's context.
const ignorePatterns = existsSync(path.join(root, '.dockerignore'))
  ? readFileSync(path.join(root, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#') && !l.startsWith('!'))
  : [];
const globToRegExp = (glob: string) =>
  new RegExp(`^${glob.replace(/\/$/, '').replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*\*\//g, '(?:.*/)?').replace(/\*\*/g, '.*').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')}(?:/.*)?$`);
const ignored = (relative: string) => ignorePatterns.some((p) => globToRegExp(p).test(path.posix.normalize(relative)));

const contextSources = new Set<string>();
for (const stage of stages) {
  for (const copy of stage.copies.filter((c) => c.from === undefined)) {
    for (const source of copy.sources) {
      const relative = path.posix.normalize(source).replace(/\/$/, '');
      contextSources.add(relative);
      if (!existsSync(path.join(root, relative))) problem(`line ${copy.line}: COPY ${source}: no such path in the repository`);
      else if (ignored(relative)) problem(`line ${copy.line}: COPY ${source}: excluded by .dockerignore`);
    }
  }
}
const tsconfig = JSON.parse(readFileSync(path.join(root, 'tsconfig.json'), 'utf8')) as { include?: string[] };
const workspaceFolders = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { workspaces?: string[] }).workspaces ?? [];
const buildReads = ['package.json', 'package-lock.json', 'tsconfig.json', 'schemas', ...workspaceFolders, ...(tsconfig.include ?? [])];
for (const needed of buildReads) {
  const covered = [...contextSources].some((s) => s === '.' || needed === s || needed.startsWith(`${s}/`));
  if (!covered && existsSync(path.join(root, needed))) problem(`\`npm run build\` reads ${needed}, but no stage COPYs it from the context`);
}

// 4. The runtime stage.
if (final) {
  const runtimePaths: string[] = [];
  for (const copy of final.copies) {
    if (copy.from === undefined) continue;
    const source = stages.find((s) => s.name === copy.from);
    if (!source) {
      problem(`line ${copy.line}: COPY --from=${copy.from}: no such stage`);
      continue;
    }
    for (const from of copy.sources) {
      const absolute = path.posix.resolve(source.workdir, from);
      const relative = path.posix.relative(source.workdir, absolute);
      if (relative.startsWith('..')) {
        problem(`line ${copy.line}: COPY --from=${copy.from} ${from}: outside the build stage's WORKDIR ${source.workdir}`);
        continue;
      }
      if (!existsSync(path.join(root, relative))) problem(`line ${copy.line}: COPY --from=${copy.from} ${from}: ${relative} does not exist after \`npm run build\``);
      const isFile = existsSync(path.join(root, relative)) && statSync(path.join(root, relative)).isFile();
      // A folder's contents land in dest; a file lands in dest/ (a folder) or as dest.
      const target = isFile && copy.intoFolder ? path.posix.join(copy.dest, path.posix.basename(relative)) : copy.dest;
      const landsAt = path.posix.relative(final.workdir, target);
      if (landsAt !== relative) {
        problem(`line ${copy.line}: ${relative} lands at ${landsAt || '.'}: keep the build's layout, the service finds its files from its package root`);
      }
      runtimePaths.push(relative);
    }
  }
  const inRuntime = (relative: string) => runtimePaths.some((p) => relative === p || relative.startsWith(`${p}/`));
  for (const needed of ['package.json', 'schemas', 'node_modules']) if (!inRuntime(needed)) problem(`the final stage must contain ${needed}`);

  const [program, ...words] = final.entrypoint ?? [];
  const scriptAt = words.findIndex((word) => !word.startsWith('-'));
  const script = scriptAt < 0 ? undefined : words[scriptAt];
  const nodeFlags = scriptAt < 0 ? words : words.slice(0, scriptAt);
  if (nodeFlags.join(' ') !== SERVICE_NODE_FLAGS.join(' ')) {
    problem(`ENTRYPOINT passes node ${JSON.stringify(nodeFlags)}; the service's are ${JSON.stringify(SERVICE_NODE_FLAGS)} (src/cli/serviceNodeFlags.ts)`);
  }
  if (program !== 'node' || !script) problem(`ENTRYPOINT should be ["node", ${SERVICE_NODE_FLAGS.map((flag) => `"${flag}", `).join('')}"<script>"]`);
  else if (!inRuntime(path.posix.normalize(script))) problem(`ENTRYPOINT runs ${script}, which the final stage does not contain`);
  else if (existsSync(path.join(root, script))) {
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { dependencies?: Record<string, string>; workspaces?: string[] };
    const production = new Set(Object.keys(pkg.dependencies ?? {}));
    // A workspace package is a link into its folder: the final stage needs its package.json and its build.
    const workspaces = new Map((pkg.workspaces ?? []).map((folder) => [(JSON.parse(readFileSync(path.join(root, folder, 'package.json'), 'utf8')) as { name: string }).name, folder]));
    const builtins = new Set(builtinModules);
    const seen = new Set<string>();
    const queue = [path.posix.normalize(script)];
    while (queue.length > 0) {
      const file = queue.pop()!;
      if (seen.has(file)) continue;
      seen.add(file);
      const code = readFileSync(path.join(root, file), 'utf8');
      for (const [, specifier] of code.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm)) {
        if (specifier.startsWith('.')) {
          const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier));
          if (!inRuntime(target)) problem(`${file} imports ${target}, which the final stage does not contain`);
          else if (!existsSync(path.join(root, target))) problem(`${file} imports ${target}, which the build did not produce`);
          else queue.push(target);
        } else if (!specifier.startsWith('node:') && !builtins.has(specifier)) {
          const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0];
          if (!production.has(name)) problem(`${file} imports ${name}, which is not in "dependencies" (npm prune --omit=dev removes it)`);
          const folder = workspaces.get(name);
          for (const needed of folder ? [`${folder}/package.json`, `${folder}/dist`] : []) {
            if (!inRuntime(needed)) problem(`${file} imports ${name}, a workspace package, but the final stage does not contain ${needed}`);
          }
        }
      }
    }
  }
}

if (problems.length > 0) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log('Dockerfile: ok');
