/**
 * The files of a `funcx-endpoint diagnose` bundle, written into a folder (the command tars it):
 * the endpoint's configuration and identity with secrets redacted, the last lines of its log,
 * versions, connectivity to the service (directly and through the proxy, if one is set), disk,
 * open files, and the FUNCX_* / proxy environment. Everything written passes through redact.ts.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { packageVersion } from '../version.js';
import type { EndpointPaths } from '../paths.js';
import { endpointState, readPid } from '../pidfile.js';
import { diskSpace, directGet, getThroughProxy, machineSummary, openFiles, programVersion, proxyFor } from './probes.js';
import { isSecretName, REDACTED, redactText, redactValue } from './redact.js';

/** The endpoint's own files that describe it, beside config.yaml (multi-user endpoints have more). */
const CONFIG_FILES = ['config.yaml', 'multi_user.yaml', 'user_config_template.yaml', 'user_config_schema.json', 'endpoint.json'];

function redactedDocument(file: string): string {
  const text = readFileSync(file, 'utf8');
  try {
    const parsed: unknown = file.endsWith('.json') ? JSON.parse(text) : YAML.parse(text);
    const redacted = redactValue(parsed);
    return file.endsWith('.json') ? `${JSON.stringify(redacted, null, 2)}\n` : YAML.stringify(redacted);
  } catch {
    return redactText(text); // not parseable: redacted as text, line by line
  }
}

function lastLines(file: string, count: number): string {
  if (!existsSync(file)) return `(no ${path.basename(file)})\n`;
  const lines = readFileSync(file, 'utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  return `${lines.slice(-count).map(redactText).join('\n')}\n`;
}

function serviceUrlOf(paths: EndpointPaths): string | undefined {
  for (const file of [paths.identity, paths.config]) {
    try {
      const parsed = (file.endsWith('.json') ? JSON.parse(readFileSync(file, 'utf8')) : YAML.parse(readFileSync(file, 'utf8'))) as { service_url?: string };
      if (parsed?.service_url) return parsed.service_url;
    } catch {
      // absent or broken: the next, or none
    }
  }
  return undefined;
}

async function connectivity(serviceUrl: string | undefined, env: NodeJS.ProcessEnv): Promise<string> {
  if (!serviceUrl) return 'no service_url in endpoint.json or config.yaml\n';
  let url: URL;
  try {
    url = new URL('/v2/version', serviceUrl);
  } catch {
    return `service_url is not a URL: ${redactText(serviceUrl)}\n`;
  }
  const lines = [`service: ${redactText(serviceUrl)}`, `direct GET ${url.pathname}: ${redactText(await directGet(url.href))}`];
  const { proxy, note } = proxyFor(url, env);
  lines.push(`proxy: ${note}`);
  if (proxy) lines.push(`through the proxy GET ${url.pathname}: ${redactText(await getThroughProxy(url, proxy))}`);
  return `${lines.join('\n')}\n`;
}

function versions(python: string): string {
  const probes: [string, string, string[]][] = [
    ['python', python, ['--version']],
    ['slurm (sbatch)', 'sbatch', ['--version']],
    ['grid engine (qstat)', 'qstat', ['-help']],
    ['pbs (qstat)', 'qstat', ['--version']],
    ['mpiexec', 'mpiexec', ['--version']],
    ['podman', 'podman', ['--version']],
    ['apptainer', 'apptainer', ['--version']],
  ];
  return [
    `funcx-endpoint ${packageVersion()}`,
    `node ${process.version} (${process.execPath})`,
    ...probes.map(([label, command, args]) => `${label}: ${programVersion(command, args)}`),
  ].join('\n') + '\n';
}

function environment(env: NodeJS.ProcessEnv): string {
  const shown = Object.keys(env).filter((name) => /^(FUNCX_|GLOBUS_|NODE_|PYTHON|SLURM_|SGE_|PBS_)|proxy$/i.test(name) || name === 'PATH').sort();
  return shown.map((name) => `${name}=${isSecretName(name) ? REDACTED : redactText(env[name] ?? '')}`).join('\n') + '\n';
}

export async function writeBundle(dir: string, paths: EndpointPaths, options: { logLines: number; env: NodeJS.ProcessEnv }): Promise<string[]> {
  const written: string[] = [];
  const put = (name: string, text: string) => {
    writeFileSync(path.join(dir, name), text, { mode: 0o600 });
    written.push(name);
  };
  let python = 'python3';
  for (const name of CONFIG_FILES) {
    const file = path.join(paths.dir, name);
    if (!existsSync(file)) continue;
    put(name, redactedDocument(file));
    if (name === 'config.yaml') python = (YAML.parse(readFileSync(file, 'utf8')) as { python?: string } | null)?.python ?? python;
  }
  put('endpoint.log.tail', lastLines(paths.log, options.logLines));
  const rotated = existsSync(paths.dir) ? readdirSync(paths.dir).filter((f) => /^endpoint\.log\.\d+$/.test(f)).sort() : [];
  const pid = readPid(paths);
  put('state.txt', [
    `endpoint: ${paths.name} (${paths.dir})`,
    `state: ${endpointState(paths)}${pid !== undefined ? ` (pid ${pid})` : ''}`,
    `rotated logs: ${rotated.join(' ') || 'none'}`,
    `collected: ${new Date().toISOString()}`,
  ].join('\n') + '\n');
  put('versions.txt', versions(python));
  put('connectivity.txt', await connectivity(serviceUrlOf(paths), options.env));
  put('system.txt', [
    machineSummary(),
    `disk: ${diskSpace(existsSync(paths.dir) ? paths.dir : os.homedir())}`,
    `disk: ${diskSpace(os.tmpdir())}`,
    `open files: ${pid !== undefined ? openFiles(pid) : 'the agent is not running'}`,
    `open files (this command): ${openFiles(process.pid)}`,
  ].join('\n') + '\n');
  put('environment.txt', environment(options.env));
  put('README.txt', `funcx-endpoint diagnose bundle for "${paths.name}", made ${new Date().toISOString()}.\n`
    + `Secrets (tokens, credentials, client secrets, passwords, passwords in URLs) are replaced by ${REDACTED}.\n`
    + `Files: ${written.join(', ')}\n`);
  return written;
}
