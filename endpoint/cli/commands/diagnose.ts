/**
 * `funcx-endpoint diagnose NAME [--output FILE] [--lines N]`: a .tar.gz an admin can send when
 * asking for help, as upstream's globus-compute-diagnostic makes (endpoint/diagnose/bundle.ts
 * says what is in it; secrets are redacted). Packed with the system's tar.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { optionString, UsageError, type RunnableCommand } from '@funcx-ts/shared/cli/commandTable.js';
import { endpointPaths, funcxHome } from '../../paths.js';
import { writeBundle } from '../../diagnose/bundle.js';

export const diagnoseCommand: RunnableCommand = {
  name: 'diagnose',
  synopsis: 'NAME [--output FILE.tar.gz] [--lines N]',
  summary: 'a .tar.gz to send when asking for help: config (secrets redacted), the last log lines, versions, connectivity, disk, open files',
  options: { output: { type: 'string', short: 'o' }, lines: { type: 'string' } },
  positionals: { min: 1, max: 1 },
  async run(values, [name]) {
    const paths = endpointPaths(name);
    if (!existsSync(paths.dir)) {
      console.error(`funcx-endpoint: no endpoint "${name}" in ${funcxHome()}`);
      return 1;
    }
    const linesText = optionString(values, 'lines') ?? '500';
    const logLines = Number(linesText);
    if (!Number.isInteger(logLines) || logLines < 0) throw new UsageError(`--lines: expected a whole number, got "${linesText}"`);
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
    const folder = `funcx-diagnose-${name}-${stamp}`;
    const output = path.resolve(optionString(values, 'output') ?? `${folder}.tar.gz`);
    const staging = mkdtempSync(path.join(os.tmpdir(), 'funcx-diagnose-'));
    try {
      mkdirSync(path.join(staging, folder), { mode: 0o700 });
      await writeBundle(path.join(staging, folder), paths, { logLines, env: process.env });
      const tar = spawnSync('tar', ['-czf', output, '-C', staging, folder], { encoding: 'utf8', timeout: 120_000 });
      if (tar.error || tar.status !== 0) {
        console.error(`funcx-endpoint: tar failed: ${tar.error?.message ?? tar.stderr.trim()}`);
        return 1;
      }
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
    chmodSync(output, 0o600);
    console.log(output);
    console.error(`wrote ${output}: look it over before sending it (secrets are redacted, hostnames and paths are not)`);
    return 0;
  },
};
