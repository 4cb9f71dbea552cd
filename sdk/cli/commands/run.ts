/** `funcx run FUNCTION [ARGS...]`: submit one task; each ARG is one JSON value. */
import { optionString, type Command } from '../command.js';
import { EXIT_OK, UsageError, print, printJson } from '../io.js';
import { idArgument, jsonArgument } from '../parse.js';

export const runCommand: Command = {
  name: 'run',
  synopsis: "FUNCTION_ID [ARG...] [--endpoint ID] [--kwargs '{\"k\": 1}']   (each ARG is JSON: 3, '\"text\"', '[1,2]')",
  summary: 'submit a task (the endpoint defaults to FUNCX_ENDPOINT_ID or quickstart.json); prints its id',
  options: { endpoint: { type: 'string' }, kwargs: { type: 'string' } },
  positionals: { min: 1, max: Infinity },
  async run({ io, values, positionals, json, client }) {
    const [functionText, ...argTexts] = positionals;
    const functionId = idArgument(functionText, 'function');
    const args = argTexts.map((text, i) => jsonArgument(text, `argument ${i + 1}`));
    const kwargsText = optionString(values, 'kwargs');
    const kwargs = kwargsText === undefined ? undefined : jsonArgument(kwargsText, '--kwargs');
    if (kwargs !== undefined && (typeof kwargs !== 'object' || kwargs === null || Array.isArray(kwargs))) {
      throw new UsageError('--kwargs must be a JSON object');
    }
    const fx = client();
    const endpointText = optionString(values, 'endpoint');
    const endpointId = fx.endpointOrDefault(endpointText === undefined ? undefined : idArgument(endpointText, 'endpoint'));
    const taskId = await fx.run(...args, { functionId, endpointId, kwargs: kwargs as Record<string, unknown> | undefined });
    if (json) printJson(io, { task_id: taskId, function_id: functionId, endpoint_id: endpointId });
    else print(io, taskId);
    return EXIT_OK;
  },
};
