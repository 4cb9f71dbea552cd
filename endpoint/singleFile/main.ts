/**
 * The entry of the single-file endpoint (scripts/release.ts bundles it with esbuild into a Node
 * single executable application). `FILE COMMAND ...` is `funcx-endpoint COMMAND ...`;
 * `FILE __program NAME ...` runs one of the programs the endpoint starts itself (selfCommand.ts).
 * Programs load lazily (dynamic imports stay lazy in the bundle), after the data files are
 * unpacked and packageRoot() points at them, because modules resolve their data paths when loaded.
 */
import { usePackageRoot } from '../packageRoot.js';
import { INTERNAL_PROGRAM_ARG, registerBundledPrograms, type EndpointProgram } from '../selfCommand.js';
import { unpackAssets } from './assets.js';

/** Unpacks the data files first; a JS worker reads none, and the launcher unpacks only as the user (via the CLI). */
const withAssets = (load: () => Promise<unknown>) => async () => {
  usePackageRoot(unpackAssets());
  return load();
};

const PROGRAMS: Readonly<Record<EndpointProgram, () => Promise<unknown>>> = {
  cli: withAssets(() => import('../cli/funcx-endpoint.js')),
  'worker-manager': withAssets(() => import('../blocks/workerManager.js')),
  'js-worker': () => import('../workers/js-worker.js'),
  'user-launcher': () => import('../multiUser/launcher.js'),
};

function isProgram(name: string | undefined): name is EndpointProgram {
  return name !== undefined && Object.hasOwn(PROGRAMS, name);
}

async function main(argv: string[]): Promise<void> {
  registerBundledPrograms(PROGRAMS);
  let program: EndpointProgram = 'cli';
  let args = argv;
  if (argv[0] === INTERNAL_PROGRAM_ARG) {
    if (!isProgram(argv[1])) {
      process.stderr.write(`funcx-endpoint: no internal program ${JSON.stringify(argv[1])}\n`);
      process.exitCode = 2;
      return;
    }
    program = argv[1];
    args = argv.slice(2);
  }
  // Programs read their arguments from process.argv.slice(2), as when run as `node SCRIPT ...`.
  process.argv = [process.execPath, process.execPath, ...args];
  await PROGRAMS[program]();
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`funcx-endpoint: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
