/**
 * A foreground `funcx-endpoint start` gets AGENT_NODE_FLAGS through the bin's shebang (the
 * detached, local and per-user starts pass them to spawn), and node accepts them.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { AGENT_NODE_FLAGS } from '../../endpoint/agentNodeFlags.js';

test('the funcx-endpoint shebang passes the agent node flags', (t) => {
  const bin = fileURLToPath(new URL('../../endpoint/cli/funcx-endpoint.js', import.meta.url));
  const shebang = readFileSync(bin, 'utf8').split('\n')[0];
  t.is(shebang, `#!/usr/bin/env -S node ${AGENT_NODE_FLAGS.join(' ')}`);
});

test('the agent node flags are ones this node accepts', (t) => {
  t.true(AGENT_NODE_FLAGS.length > 0);
  for (const flag of AGENT_NODE_FLAGS) t.true(process.allowedNodeEnvironmentFlags.has(flag.split('=')[0]), flag);
});
