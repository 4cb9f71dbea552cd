/** `funcx run FUNCTION [ARGS...]`: submit one task; each ARG is one JSON value. */
import type { ResourceSpecification } from '../../types.js';
import { optionString, type Command, type Values } from '../command.js';
import { EXIT_OK, UsageError, print, printJson } from '../io.js';
import { idArgument, integerOption, jsonArgument } from '../parse.js';

export const runCommand: Command = {
  name: 'run',
  synopsis: "FUNCTION_ID [ARG...] [--endpoint ID] [--kwargs '{\"k\": 1}'] [--num-nodes N] [--ranks-per-node N] [--num-ranks N] [--launcher-options TEXT]   (each ARG is JSON: 3, '\"text\"', '[1,2]')",
  summary: 'submit a task (the endpoint defaults to FUNCX_ENDPOINT_ID or quickstart.json); the node/rank options are its resource specification (an mpi function needs one); prints its id',
  options: {
    endpoint: { type: 'string' },
    kwargs: { type: 'string' },
    'num-nodes': { type: 'string' },
    'ranks-per-node': { type: 'string' },
    'num-ranks': { type: 'string' },
    'launcher-options': { type: 'string' },
  },
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
    const resourceSpecification = resourceSpecificationOf(values);
    const fx = client();
    const endpointText = optionString(values, 'endpoint');
    const endpointId = fx.endpointOrDefault(endpointText === undefined ? undefined : idArgument(endpointText, 'endpoint'));
    const taskId = await fx.run(...args, { functionId, endpointId, kwargs: kwargs as Record<string, unknown> | undefined, resourceSpecification });
    if (json) printJson(io, { task_id: taskId, function_id: functionId, endpoint_id: endpointId });
    else print(io, taskId);
    return EXIT_OK;
  },
};

/** The task's resource specification from --num-nodes, --ranks-per-node, --num-ranks, --launcher-options (undefined: none given). */
function resourceSpecificationOf(values: Values): ResourceSpecification | undefined {
  const spec: ResourceSpecification = {};
  const numbers = { num_nodes: 'num-nodes', ranks_per_node: 'ranks-per-node', num_ranks: 'num-ranks' } as const;
  for (const [key, option] of Object.entries(numbers) as [keyof typeof numbers, string][]) {
    const value = integerOption(values, option, 1);
    if (value !== undefined) spec[key] = value;
  }
  const launcherOptions = optionString(values, 'launcher-options');
  if (launcherOptions !== undefined) spec.launcher_options = launcherOptions;
  return Object.keys(spec).length > 0 ? spec : undefined;
}
