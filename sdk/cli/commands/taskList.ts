/** `funcx task list` (your tasks) and `funcx endpoint tasks` (what is on your endpoint, from every user), newest first. */
import { optionString, type Command, type Values } from '../command.js';
import { EXIT_OK, print, printError, printJson, type CliIo } from '../io.js';
import { idArgument, integerOption } from '../parse.js';
import { renderTable, type Column } from '../../table.js';
import type { TaskListOptions, TaskListPage, TaskStatus, TaskSummary } from '../../types.js';

const FILTER_OPTIONS = {
  status: { type: 'string' },
  since: { type: 'string' },
  until: { type: 'string' },
  limit: { type: 'string' },
  cursor: { type: 'string' },
} as const;

function filters(values: Values): TaskListOptions {
  const status = optionString(values, 'status');
  return {
    ...(status !== undefined ? { status: status.split(',') as TaskStatus[] } : {}),
    since: optionString(values, 'since'),
    until: optionString(values, 'until'),
    cursor: optionString(values, 'cursor'),
    limit: integerOption(values, 'limit', 1),
  };
}

function show(io: CliIo, page: TaskListPage, json: boolean, columns: Column<TaskSummary>[]): number {
  if (json) {
    printJson(io, page);
    return EXIT_OK;
  }
  print(io, renderTable(page.tasks, columns));
  // On stderr: the table on stdout stays a table for whoever reads it.
  if (page.next_cursor) printError(io, `more: add --cursor ${page.next_cursor}`);
  return EXIT_OK;
}

const COMMON: Column<TaskSummary>[] = [
  { header: 'task_id', value: (task) => task.task_id },
  { header: 'status', value: (task) => task.status },
  { header: 'function_id', value: (task) => task.function_id },
  { header: 'created_at', value: (task) => task.created_at },
  { header: 'attempts', value: (task) => task.attempts },
];

export const taskListCommand: Command = {
  name: 'task list',
  synopsis: '[--status S[,S]] [--endpoint ID] [--function ID] [--group ID] [--since 1h|ISO] [--until ...] [--limit N] [--cursor C]',
  summary: 'your tasks, newest first (summaries: no results); --json for the page and its next_cursor',
  options: { ...FILTER_OPTIONS, endpoint: { type: 'string' }, function: { type: 'string' }, group: { type: 'string' } },
  positionals: { min: 0, max: 0 },
  async run({ io, values, json, client }) {
    const endpoint = optionString(values, 'endpoint');
    const fn = optionString(values, 'function');
    const group = optionString(values, 'group');
    const page = await client().listTasks({
      ...filters(values),
      ...(endpoint !== undefined ? { endpointId: idArgument(endpoint, 'endpoint') } : {}),
      ...(fn !== undefined ? { functionId: idArgument(fn, 'function') } : {}),
      ...(group !== undefined ? { taskGroupId: idArgument(group, 'task group') } : {}),
    });
    return show(io, page, json, [...COMMON.slice(0, 3), { header: 'endpoint_id', value: (task) => task.endpoint_id }, ...COMMON.slice(3)]);
  },
};

export const endpointTasksCommand: Command = {
  name: 'endpoint tasks',
  synopsis: '[ENDPOINT_ID] [--status S[,S]] [--since 1h|ISO] [--until ...] [--limit N] [--cursor C]   (default: queued and running)',
  summary: 'what is queued and running on your endpoint, from every user (who, what, when; never their payloads or results)',
  options: FILTER_OPTIONS,
  positionals: { min: 0, max: 1 },
  async run({ io, values, positionals, json, client }) {
    const fx = client();
    const endpointId = fx.endpointOrDefault(positionals[0] === undefined ? undefined : idArgument(positionals[0], 'endpoint'));
    const page = await fx.listEndpointTasks(endpointId, filters(values));
    return show(io, page, json, [...COMMON, { header: 'owner', value: (task) => task.owner ?? '' }]);
  },
};
