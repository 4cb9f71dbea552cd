/** `npm run bench -- <name>`: prints the figures the issues ask for. */
import { runLedgerBench } from './ledger.js';

const BENCHES: Record<string, () => Promise<void>> = {
  ledger: runLedgerBench,
  // e2e (service + a local endpoint and its workers) is registered by bench/e2e.ts once the endpoint lands.
};

const names = process.argv.slice(2);
if (names.length === 0 || names.some((name) => !(name in BENCHES))) {
  console.error(`usage: npm run bench -- <${Object.keys(BENCHES).join('|')}> ...`);
  process.exit(2);
}
for (const name of names) await BENCHES[name]();
