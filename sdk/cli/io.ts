/**
 * The `funcx` command's terminal side: where output goes, usage errors, exit
 * codes (0 ok, 1 remote failure, 2 usage), and reading a secret.
 */
import type { Readable, Writable } from 'node:stream';

import { UsageError } from '@funcx-ts/shared/cli/commandTable.js';

export { EXIT_OK, EXIT_USAGE, UsageError } from '@funcx-ts/shared/cli/commandTable.js';
export const EXIT_REMOTE_FAILURE = 1;

export interface CliIo {
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean; columns?: number };
  stdin: Readable & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
  env: Record<string, string | undefined>;
}

export function print(io: CliIo, text: string): void {
  io.stdout.write(text.endsWith('\n') ? text : text + '\n');
}

export function printJson(io: CliIo, value: unknown): void {
  io.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

export function printError(io: CliIo, text: string): void {
  io.stderr.write(text.endsWith('\n') ? text : text + '\n');
}

/** A secret: all of stdin when it is piped, else typed at a prompt without echo. */
export async function readSecret(io: CliIo, prompt: string): Promise<string> {
  if (!io.stdin.isTTY || !io.stdin.setRawMode) {
    let text = '';
    for await (const chunk of io.stdin) text += chunk;
    return text.trim();
  }
  io.stderr.write(prompt);
  io.stdin.setRawMode(true);
  io.stdin.setEncoding('utf8');
  try {
    return await new Promise<string>((resolve, reject) => {
      let typed = '';
      const onData = (chunk: string) => {
        for (const ch of chunk) {
          if (ch === '\r' || ch === '\n') return finish(() => resolve(typed));
          if (ch === '\u0003') return finish(() => reject(new UsageError('login cancelled')));
          if (ch === '\u007f' || ch === '\b') typed = typed.slice(0, -1);
          else typed += ch;
        }
      };
      const finish = (settle: () => void) => {
        io.stdin.off('data', onData);
        io.stdin.pause();
        io.stderr.write('\n');
        settle();
      };
      io.stdin.on('data', onData);
      io.stdin.resume();
    });
  } finally {
    io.stdin.setRawMode(false);
  }
}
