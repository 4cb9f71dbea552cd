/**
 * A certificate authority made for one test with openssl (nothing committed):
 * its certificate, and server certificates it signs for given names.
 * Removed with the test's temp folder.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ExecutionContext } from 'ava';

export interface ThrowawayCa {
  certFile: string;
  /** A server certificate and key signed by this CA for the subject alternative names given (e.g. IP:127.0.0.1). */
  issue(name: string, altNames: string[]): { certFile: string; keyFile: string };
}

const openssl = (dir: string, args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export function makeThrowawayCa(t: ExecutionContext): ThrowawayCa {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'funcx-ca-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  openssl(dir, ['req', '-x509', ...EC_KEY, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=funcx throwaway test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  return {
    certFile: path.join(dir, 'ca.crt'),
    issue(name, altNames) {
      openssl(dir, ['req', ...EC_KEY, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
      writeFileSync(path.join(dir, `${name}.ext`), `subjectAltName=${altNames.join(',')}\nextendedKeyUsage=serverAuth\n`);
      openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '1', '-extfile', `${name}.ext`]);
      return { certFile: path.join(dir, `${name}.crt`), keyFile: path.join(dir, `${name}.key`) };
    },
  };
}
