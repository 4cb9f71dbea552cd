/**
 * Opens a URL in the user's browser, best effort: only when someone sits at
 * a terminal (never from scripts, CI or tests), and a failure is silent
 * because the URL has been printed anyway.
 */
import { spawn } from 'node:child_process';
import type { CliIo } from './io.js';

export function canOpenBrowser(io: CliIo): boolean {
  return io.stdin.isTTY === true && io.stderr.isTTY === true;
}

export function openBrowser(url: string): void {
  const [command, args] = process.platform === 'darwin' ? ['open', [url]]
    : process.platform === 'win32' ? ['cmd', ['/c', 'start', '""', url.replace(/&/g, '^&')]]
      : ['xdg-open', [url]];
  try {
    const child = spawn(command, args, { stdio: 'ignore', detached: true });
    child.on('error', () => {});
    child.unref();
  } catch {
    // the printed URL is the fallback
  }
}
