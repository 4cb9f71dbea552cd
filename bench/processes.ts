/**
 * What the benches need from the operating system: child processes in their own
 * process group (so a stop reaches every descendant, workers included), their
 * resident memory from /proc, free ports, and percentiles.
 */
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

export interface Group {
  child: ChildProcess;
  /** What it wrote to stdout and stderr, last 8 KiB (for error messages). */
  output(): string;
  /** Calls `listener` with every chunk of output from now on (stdout and stderr, as they come). */
  onOutput(listener: (chunk: string) => void): void;
  /** Resolves with the first output matching `pattern` (rejects if the process exits first or after `ms`). */
  lineMatching(pattern: RegExp, ms: number): Promise<RegExpMatchArray>;
  /** SIGTERM to the group, SIGKILL after `graceMs`; resolves once the leader exited. */
  stop(graceMs?: number): Promise<void>;
}

export function spawnGroup(command: string, args: string[], options: SpawnOptions): Group {
  const child = spawn(command, args, { ...options, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const listeners = new Set<(text: string) => void>();
  const chunkListeners: ((chunk: string) => void)[] = [];
  for (const stream of [child.stdout!, child.stderr!]) {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      output = (output + chunk).slice(-8192);
      for (const listener of chunkListeners) listener(chunk);
      for (const listener of listeners) listener(output);
    });
  }
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // the group is gone already
    }
  };
  return {
    child,
    output: () => output,
    onOutput: (listener) => void chunkListeners.push(listener),
    lineMatching: (pattern, ms) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => finish(new Error(`no line matching ${pattern} within ${ms} ms:\n${output}`)), ms);
        const check = (text: string) => {
          const match = pattern.exec(text);
          if (match) finish(undefined, match);
        };
        const onExit = () => finish(new Error(`${command} exited (${child.exitCode ?? child.signalCode}) before a line matching ${pattern}:\n${output}`));
        function finish(error?: Error, match?: RegExpMatchArray): void {
          clearTimeout(timer);
          listeners.delete(check);
          child.off('exit', onExit);
          if (error) reject(error);
          else resolve(match!);
        }
        listeners.add(check);
        child.once('exit', onExit);
        check(output);
      }),
    stop: async (graceMs = 15_000) => {
      signalGroup('SIGTERM');
      const timer = setTimeout(() => signalGroup('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
      signalGroup('SIGKILL'); // descendants that outlived their leader
    },
  };
}

/** Runs a command to its end; its stdout, or an error with its stderr. */
export function runToEnd(command: string, args: string[], options: SpawnOptions & { timeoutMs: number }): Promise<string> {
  return new Promise((resolve, reject) => {
    // In the bench's own process group: a Ctrl-C in the terminal reaches it too.
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk) => (stdout += chunk));
    child.stderr!.on('data', (chunk) => (stderr = (stderr + chunk).slice(-8192)));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else reject(new Error(`${command} ${args.join(' ')} ended with ${signal ?? code}:\n${stderr}`));
    });
  });
}

/** Whether `command args` runs and exits 0 (e.g. a Python import check). */
export function succeeds(command: string, args: string[]): boolean {
  return spawnSync(command, args, { stdio: 'ignore' }).status === 0;
}

/** Every live process's children, by parent pid, from one walk of /proc. */
export function childrenByParent(): Map<number, number[]> {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = Number(/^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // exited meanwhile
    }
  }
  return children;
}

/** `root`'s live descendants (not itself), children before their own. */
export function descendantsOf(root: number, children = childrenByParent()): number[] {
  const found: number[] = [];
  const stack = [...(children.get(root) ?? [])];
  while (stack.length > 0) {
    const pid = stack.pop()!;
    found.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return found;
}

/**
 * Resident memory (KiB) and process count of a process and (unless `descendants` is false) all its
 * descendants, from /proc. RSS counts pages the workers share (the interpreter, forked pages) once per
 * process; PSS (proportional set size, smaps_rollup) splits each shared page among its sharers, so the
 * tree's PSS is what it really costs the machine.
 */
export function processTreeStats(root: number, descendants = true): { rssKiB: number; pssKiB: number; processes: number } {
  const children = new Map<number, number[]>();
  const rss = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = readFileSync(`/proc/${entry}/status`, 'utf8');
      const ppid = Number(/^PPid:\s+(\d+)/m.exec(status)?.[1]);
      rss.set(Number(entry), Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0));
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // exited meanwhile
    }
  }
  let rssKiB = 0;
  let pssKiB = 0;
  let processes = 0;
  const stack = [root];
  while (stack.length > 0) {
    const pid = stack.pop()!;
    rssKiB += rss.get(pid) ?? 0;
    pssKiB += processPssKiB(pid);
    processes += 1;
    if (descendants) stack.push(...(children.get(pid) ?? []));
  }
  return { rssKiB, pssKiB, processes };
}

/** A process's proportional set size (KiB) from /proc/PID/smaps_rollup; 0 once it has exited. */
function processPssKiB(pid: number): number {
  try {
    return Number(/^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0; // exited meanwhile
  }
}

/** Resident memory (KiB) of a process and all its descendants. */
export function processTreeRss(root: number): number {
  return processTreeStats(root).rssKiB;
}

const CLOCK_TICKS = 100; // Linux USER_HZ

/** CPU time (user + system, seconds) a process has used, all its threads, from /proc/PID/stat. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS; // utime, stime (fields 14, 15)
}

/** The process's name as the kernel has it (/proc/PID/comm), e.g. to check a pid is the server meant. */
export function processName(pid: number): string {
  return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
}

/** A single process's resident memory (MiB). */
export function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))!;
  return Number(line.split(/\s+/)[1]) / 1024;
}

/** A process's open file descriptors, and how many of them are sockets (/proc/PID/fd). */
export function descriptors(pid: number): { fds: number; sockets: number } {
  const fds = readdirSync(`/proc/${pid}/fd`);
  let sockets = 0;
  for (const fd of fds) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:')) sockets += 1;
    } catch {
      // closed meanwhile
    }
  }
  return { fds: fds.length, sockets };
}

/** Direct children of `pid` whose command line contains `text`. */
export function childrenMatching(pid: number, text: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = Number(/^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1]);
      if (ppid === pid && readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)) found.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return found;
}

/** The p-th quantile (0..1) of samples (sorted here). */
export function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}
