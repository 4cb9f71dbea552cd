/** A `funcx-service` command: its entry in the command table (shared/cli/commandTable.ts) and what it does. */
export type { RunnableCommand as ServiceCommand } from '@funcx-ts/shared/cli/commandTable.js';
