/** `npm run bench -- <name>`: prints the figures the issues ask for. */
import { runLedgerBench } from './ledger.js';
import { runE2eBench } from './e2e.js';
import { runFleetBench } from './fleet.js';
import { runPeersBench } from './peers.js';
import { runScalingBench } from './scaling.js';
import { runRecoveryBench } from './recovery.js';
import { runCancelBench } from './cancel.js';
import { runWanBench } from './wan.js';
import { runStatementsBench } from './statements.js';
import { runSingleFileBench } from './singleFile.js';
import { runIdleBench } from './idleEndpoints.js';
import { runCpuPerTaskBench } from './cpuPerTask.js';
import { runFloodBench } from './flood.js';
import { runRequestCpuBench } from './requestCpu.js';

const BENCHES: Record<string, () => Promise<void>> = {
  ledger: runLedgerBench,
  e2e: runE2eBench,
  fleet: runFleetBench,
  peers: runPeersBench,
  scaling: runScalingBench,
  recovery: runRecoveryBench,
  cancel: runCancelBench,
  wan: runWanBench,
  statements: runStatementsBench,
  sea: runSingleFileBench,
  idle: runIdleBench,
  cpu: runCpuPerTaskBench,
  flood: runFloodBench,
  reqcpu: runRequestCpuBench,
};

const names = process.argv.slice(2);
if (names.length === 0 || names.some((name) => !(name in BENCHES))) {
  console.error(`usage: npm run bench -- <${Object.keys(BENCHES).join('|')}> ...`);
  process.exit(2);
}
for (const name of names) await BENCHES[name]();
