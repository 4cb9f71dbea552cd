/**
 * `funcx-endpoint start` on a full disk cannot write its pidfile: it fails at once with one
 * line naming the file and ENOSPC and exit code 4 (EXIT_LOCAL_DISK_FULL), not a stack, and
 * leaves no temporary file behind (endpoint/localDiskFull.ts, docs/troubleshooting.md).
 */
import test from 'ava';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { requireRealPart } from '../helpers/realPart.js';
import { fillDisk, mountTmpfs, tmpfsUnavailable } from '../helpers/tmpfs.js';
import { runEndpointCli } from '../helpers/endpointProcess.js';
import { configTemplate } from '../../endpoint/config.js';
import { endpointPaths } from '../../endpoint/paths.js';
import { EXIT_LOCAL_DISK_FULL } from '../../endpoint/localDiskFull.js';

const TITLE = 'funcx-endpoint start on a full disk exits 4 with one line naming the pidfile and ENOSPC, no stack, no temporary file left';

if (requireRealPart(TITLE, tmpfsUnavailable())) {
  test(TITLE, async (t) => {
    t.timeout(120_000);
    const home = await mountTmpfs(t, 1);
    const paths = endpointPaths('full', home);
    mkdirSync(paths.dir, { recursive: true });
    // Nothing listens there: the start must fail before it tries the service.
    writeFileSync(paths.config, configTemplate({ name: 'full', serviceUrl: 'http://127.0.0.1:9', maxWorkers: 1 }));
    const before = readdirSync(paths.dir).sort();
    fillDisk(home);

    const { code, stderr } = await runEndpointCli(home, ['start', 'full']);
    t.is(code, EXIT_LOCAL_DISK_FULL, stderr);
    t.is(EXIT_LOCAL_DISK_FULL, 4, 'the documented exit code');
    const lines = stderr.trim().split('\n');
    const line = lines.find((l) => l.includes('ENOSPC') && !l.includes('endpoint.state.json'));
    t.is(line, `funcx-endpoint: cannot write ${paths.pidfile}: ENOSPC (no space left on the device); free space on that disk and start again`, stderr);
    t.false(/^\s+at /m.test(stderr), `a stack was printed:\n${stderr}`);
    t.deepEqual(readdirSync(paths.dir).sort(), before, 'the failed start left a file behind (the pidfile\'s temporary twin?)');
  });
}
