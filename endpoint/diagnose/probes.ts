/**
 * What `funcx-endpoint diagnose` asks the machine: program versions, the service's answer
 * (directly, and through the proxy the environment names), disk space and open files. Each
 * probe is bounded in time and answers in words; none throws.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statfsSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import tls from 'node:tls';
import { redactUrlText } from './redact.js';

const PROBE_TIMEOUT_MS = 10_000;

/** The first line a program prints for its version flag, or why there is none. */
export function programVersion(command: string, args: string[]): string {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: PROBE_TIMEOUT_MS });
  if (result.error) return (result.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not installed' : result.error.message;
  const first = `${result.stdout ?? ''}\n${result.stderr ?? ''}`.split('\n').map((line) => line.trim()).find(Boolean);
  return first ?? `(no output, exit ${result.status})`;
}

/** GET url directly (Node's fetch uses no proxy), with the time it took. */
export async function directGet(url: string): Promise<string> {
  const started = Date.now();
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    const body = (await response.text()).slice(0, 300);
    return `HTTP ${response.status} in ${Date.now() - started} ms: ${body}`;
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return `failed after ${Date.now() - started} ms: ${(error as Error).message}${cause ? ` (${cause.code ?? ''} ${cause.message ?? ''})` : ''}`;
  }
}

/** The proxy the environment names for this URL (curl's conventions), unless no_proxy covers its host. */
export function proxyFor(url: URL, env: NodeJS.ProcessEnv): { proxy?: string; note: string } {
  const names = url.protocol === 'https:' ? ['https_proxy', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY'] : ['http_proxy', 'HTTP_PROXY', 'all_proxy', 'ALL_PROXY'];
  const name = names.find((n) => env[n]);
  if (!name) return { note: `no proxy set (${names.join(', ')})` };
  const noProxy = (env.no_proxy ?? env.NO_PROXY ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const host = url.hostname;
  if (noProxy.some((entry) => entry === '*' || host === entry.replace(/^\./, '') || host.endsWith(entry.startsWith('.') ? entry : `.${entry}`))) {
    return { note: `${name} is set, but no_proxy covers ${host}` };
  }
  return { proxy: env[name], note: `${name}=${redactUrlText(env[name]!)}` };
}

/** GET url through an HTTP proxy: an absolute-URI request for http, CONNECT then TLS for https. */
export function getThroughProxy(url: URL, proxyUrl: string): Promise<string> {
  const proxy = new URL(proxyUrl);
  const started = Date.now();
  const auth = proxy.username ? { 'proxy-authorization': `Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64')}` } : {};
  const done = (text: string) => `${text} (${Date.now() - started} ms)`;
  return new Promise((resolve) => {
    const fail = (error: Error) => resolve(done(`failed: ${error.message}`));
    const timer = setTimeout(() => resolve(done('failed: timed out')), PROBE_TIMEOUT_MS);
    const finish = (text: string) => {
      clearTimeout(timer);
      resolve(done(text));
    };
    const port = Number(proxy.port || 80);
    if (url.protocol === 'http:') {
      const request = http.request({ host: proxy.hostname, port, method: 'GET', path: url.href, headers: { host: url.host, ...auth }, timeout: PROBE_TIMEOUT_MS }, (response) => {
        let body = '';
        response.on('data', (chunk) => (body += chunk));
        response.on('end', () => finish(`HTTP ${response.statusCode}: ${body.slice(0, 300)}`));
      });
      request.on('error', fail);
      request.end();
      return;
    }
    const target = `${url.hostname}:${url.port || 443}`;
    const connect = http.request({ host: proxy.hostname, port, method: 'CONNECT', path: target, headers: { host: target, ...auth }, timeout: PROBE_TIMEOUT_MS });
    connect.on('connect', (response, socket) => {
      if (response.statusCode !== 200) {
        socket.destroy();
        return finish(`the proxy refused CONNECT ${target}: HTTP ${response.statusCode}`);
      }
      const secure = tls.connect({ socket, servername: url.hostname }, () => {
        secure.write(`GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nConnection: close\r\n\r\n`);
      });
      let text = '';
      secure.on('data', (chunk) => (text += chunk));
      secure.on('end', () => finish(text.split('\r\n')[0] || 'no answer'));
      secure.on('error', (error) => finish(`TLS through the proxy failed: ${error.message}`));
    });
    connect.on('error', fail);
    connect.end();
  });
}

/** Free and total space of the file system holding `dir`. */
export function diskSpace(dir: string): string {
  try {
    const fs = statfsSync(dir);
    const gib = (blocks: number) => `${((blocks * fs.bsize) / 2 ** 30).toFixed(2)} GiB`;
    return `${dir}: ${gib(fs.bavail)} free of ${gib(fs.blocks)}; ${fs.ffree} of ${fs.files} inodes free`;
  } catch (error) {
    return `${dir}: ${(error as Error).message}`;
  }
}

/** Open descriptors of a process, and its limit (Linux /proc). */
export function openFiles(pid: number): string {
  try {
    const count = readdirSync(`/proc/${pid}/fd`).length;
    const limit = readFileSync(`/proc/${pid}/limits`, 'utf8').split('\n').find((line) => line.startsWith('Max open files'))?.replace(/\s+/g, ' ').trim();
    return `pid ${pid}: ${count} open; ${limit ?? 'limit unknown'}`;
  } catch (error) {
    return `pid ${pid}: ${(error as Error).message}`;
  }
}

export function machineSummary(): string {
  return [
    `host: ${os.hostname()}  ${os.type()} ${os.release()} ${os.arch()}`,
    `cpus: ${os.availableParallelism()}  load: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`,
    `memory: ${(os.freemem() / 2 ** 30).toFixed(2)} GiB free of ${(os.totalmem() / 2 ** 30).toFixed(2)} GiB`,
    `uptime: ${Math.round(os.uptime())} s  user: ${os.userInfo().username} (uid ${os.userInfo().uid})`,
  ].join('\n');
}
