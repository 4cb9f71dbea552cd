/**
 * Rendering a Jinja template with Jinja2 itself (jinja_render.py, its
 * SandboxedEnvironment) through python3, so a site's upstream
 * user_config_template.yaml.j2 renders exactly as upstream renders it
 * (docs/multi-user-endpoints.md says why not a JavaScript look-alike).
 *
 * One short-lived process per rendering: `python3 -I` (no user site, no
 * PYTHON* variables) in an empty environment, its address space and CPU time
 * limited by the renderer itself, killed past a wall-clock timeout, its
 * output capped. A template error comes back as TemplateRenderError with the
 * template and line; the renderer itself failing (no python3, killed) as
 * TemplateRendererFailed.
 */
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { endpointRoot } from '../packageRoot.js';

/** Not compiled by tsc: loaded from the source tree whichever build runs (or the single file's unpacked copy). */
export const JINJA_RENDERER = path.join(endpointRoot(), 'templates', 'jinja_render.py');

export interface RenderLimits {
  /** Wall clock, then the renderer is killed. */
  timeoutMs: number;
  /** The renderer's address space (RLIMIT_AS). */
  memoryBytes: number;
  /** The renderer's CPU time (RLIMIT_CPU). */
  cpuSeconds: number;
  /** The rendered text, at most. */
  outputBytes: number;
}

export const DEFAULT_RENDER_LIMITS: Readonly<RenderLimits> = Object.freeze({ timeoutMs: 20_000, memoryBytes: 512 * 1024 * 1024, cpuSeconds: 5, outputBytes: 1024 * 1024 });

export interface RenderRequest {
  /** The template file; its folder is the only one include/extends/import may read. */
  templateFile: string;
  variables: Record<string, unknown>;
  python?: string;
  limits?: Partial<RenderLimits>;
}

/** The template did not render: its syntax, an undefined value, a refused access, a missing include. */
export class TemplateRenderError extends Error {
  constructor(readonly kind: string, readonly detail: string, readonly template: string | null, readonly line: number | null) {
    super(`${template ?? 'template'}${line ? ` line ${line}` : ''}: ${detail}`);
  }
}

/** The renderer could not do its job (python3 or jinja2 missing, killed at a limit). */
export class TemplateRendererFailed extends Error {}

interface RendererReply {
  ok: boolean;
  text?: string;
  kind?: string;
  message?: string;
  template?: string | null;
  line?: number | null;
}

export async function renderJinja(request: RenderRequest): Promise<string> {
  const limits = { ...DEFAULT_RENDER_LIMITS, ...request.limits };
  const input = JSON.stringify({
    template_dir: path.dirname(path.resolve(request.templateFile)),
    template_name: path.basename(request.templateFile),
    variables: request.variables,
    memory_bytes: limits.memoryBytes,
    cpu_seconds: limits.cpuSeconds,
  });
  const python = request.python ?? 'python3';
  const child = spawn(python, ['-I', JINJA_RENDERER], { env: {}, cwd: '/', stdio: ['pipe', 'pipe', 'pipe'] });
  const stdout: Buffer[] = [];
  let size = 0;
  let stderr = '';
  let overflow = false;
  let timedOut = false;
  child.stdout.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > limits.outputBytes) {
      overflow = true;
      child.kill('SIGKILL');
    } else stdout.push(chunk);
  });
  child.stderr.on('data', (chunk: Buffer) => {
    if (stderr.length < 4000) stderr += chunk.toString('utf8');
  });
  child.stdin.on('error', () => {}); // a renderer that died early: its exit says why
  child.stdin.end(input);
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, limits.timeoutMs);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.once('error', (error) => reject(new TemplateRendererFailed(`could not run ${python}: ${error.message}`)));
    child.once('close', (exitCode, exitSignal) => resolve([exitCode, exitSignal]));
  }).finally(() => clearTimeout(timer));
  if (timedOut) throw new TemplateRenderError('TemplateTimeout', `rendering took longer than ${limits.timeoutMs} ms`, null, null);
  if (overflow) throw new TemplateRenderError('TemplateTooLarge', `the rendered config is over ${limits.outputBytes} bytes`, null, null);
  // RLIMIT_CPU ends the renderer with SIGXCPU (or SIGKILL at the hard limit).
  if (signal === 'SIGXCPU' || signal === 'SIGKILL') throw new TemplateRenderError('TemplateTimeout', `rendering used more than ${limits.cpuSeconds} s of CPU`, null, null);
  let reply: RendererReply;
  try {
    reply = JSON.parse(Buffer.concat(stdout).toString('utf8')) as RendererReply;
  } catch {
    throw new TemplateRendererFailed(`the template renderer (${python}) failed (exit ${code ?? signal}): ${lastLine(stderr)}`);
  }
  if (reply.ok) return reply.text ?? '';
  if (reply.kind === 'JinjaMissing') throw new TemplateRendererFailed(reply.message ?? 'no jinja2');
  throw new TemplateRenderError(reply.kind ?? 'TemplateError', reply.message ?? 'the template did not render', reply.template ?? null, reply.line ?? null);
}

/**
 * At start-up: the template compiles (its syntax, with the line) and the
 * renderer works (python3 and its jinja2 module), so a broken template or a
 * missing jinja2 stops the start instead of failing the first user's tasks.
 */
export function checkJinjaTemplate(templateFile: string, python = 'python3'): void {
  const input = JSON.stringify({
    template_dir: path.dirname(path.resolve(templateFile)),
    template_name: path.basename(templateFile),
    variables: {},
    memory_bytes: DEFAULT_RENDER_LIMITS.memoryBytes,
    cpu_seconds: DEFAULT_RENDER_LIMITS.cpuSeconds,
    check_only: true,
  });
  const child = spawnSync(python, ['-I', JINJA_RENDERER], { input, env: {}, cwd: '/', timeout: DEFAULT_RENDER_LIMITS.timeoutMs, encoding: 'utf8', maxBuffer: DEFAULT_RENDER_LIMITS.outputBytes });
  if (child.error) throw new TemplateRendererFailed(`could not run ${python}: ${child.error.message}`);
  let reply: RendererReply;
  try {
    reply = JSON.parse(child.stdout) as RendererReply;
  } catch {
    throw new TemplateRendererFailed(`the template renderer (${python}) failed (exit ${child.status ?? child.signal}): ${lastLine(child.stderr)}`);
  }
  if (reply.ok) return;
  if (reply.kind === 'JinjaMissing') throw new TemplateRendererFailed(reply.message ?? 'no jinja2');
  throw new TemplateRenderError(reply.kind ?? 'TemplateError', reply.message ?? 'the template does not compile', reply.template ?? null, reply.line ?? null);
}

function lastLine(text: string): string {
  return text.trim().split('\n').slice(-1)[0] ?? '';
}
