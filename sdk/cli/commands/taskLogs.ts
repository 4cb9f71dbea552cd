/** `funcx task logs ID [--follow]`: what a task printed (stdout and stderr), and with --follow, as it prints it. */
import type { Command } from '../command.js';
import { EXIT_OK, printJson, type CliIo } from '../io.js';
import { idArgument } from '../parse.js';

/** Said in place of output the service no longer kept (it keeps the last 1 MiB per task). */
const droppedNote = (bytes: number) => `[funcx: ${bytes} earlier bytes of output were not kept]\n`;

export const taskLogsCommand: Command = {
  name: 'task logs',
  synopsis: 'TASK_ID [--follow]',
  summary: 'what a task printed (stdout and stderr); --follow streams it while the task runs, until it ends',
  options: { follow: { type: 'boolean', short: 'f' } },
  positionals: { min: 1, max: 1 },
  async run({ io, values, positionals, json, client }) {
    const taskId = idArgument(positionals[0], 'task');
    const fx = client();
    if (!values.follow) {
      const output = await fx.getTaskOutput(taskId);
      if (json) printJson(io, output);
      else {
        if (output.dropped > 0) write(io, droppedNote(output.dropped));
        write(io, output.text);
      }
      return EXIT_OK;
    }
    for await (const piece of fx.followOutput(taskId)) {
      if (json) {
        io.stdout.write(JSON.stringify(piece) + '\n'); // one JSON document per piece (JSON lines)
        continue;
      }
      if (piece.skipped > 0) write(io, droppedNote(piece.skipped));
      write(io, piece.text);
    }
    return EXIT_OK;
  },
};

function write(io: CliIo, text: string): void {
  io.stdout.write(text);
}
