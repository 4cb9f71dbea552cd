/**
 * Which certificate authorities verify the service (and an identity
 * provider). Verification is never turned off; a site with a private CA says
 * which CA to trust:
 *
 * 1. an explicit file (`ca_file` in an endpoint's config.yaml, the SDK's
 *    `caFile`, FUNCX_CA_FILE) replaces the system store;
 * 2. else SSL_CERT_FILE (OpenSSL's and Python's convention) replaces it too;
 * 3. else NODE_EXTRA_CA_CERTS is added to Node's built-in roots. Node reads
 *    that variable itself, but only when the process starts with it; reading
 *    it here as well makes an environment handed to the SDK behave the same.
 *
 * Every file is checked when the client is built, so a missing or non-PEM
 * file is refused with its setting's name rather than as a TLS error later.
 * Dependency-free (node: only) so the SDK and the endpoint can share it.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { rootCertificates } from 'node:tls';
import { TransportSettingInvalid, type Environment } from './proxyRules.js';

export interface TrustedCas {
  /** The PEM certificates to verify against (undefined: Node's default store). */
  ca?: string[];
  /** Where they came from, for messages: `ca_file /path`, `SSL_CERT_FILE /path`, ... */
  source?: string;
}

/** A PEM bundle read from `file`, or an error naming `setting` (missing, unreadable, or no certificate in it). */
export function readPemBundle(file: string, setting: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new TransportSettingInvalid(setting, code === 'ENOENT' ? `${file} does not exist` : `cannot read ${file} (${code ?? (error as Error).message})`);
  }
  if (!/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.test(text)) {
    throw new TransportSettingInvalid(setting, `${file} is not a PEM certificate file (no -----BEGIN CERTIFICATE----- block)`);
  }
  return text;
}

/** The CAs to trust: `explicit` (with its setting's name) first, then the environment (see the module comment). */
export function trustedCas(env: Environment, explicit?: { file: string; setting: string }): TrustedCas {
  const chosen = explicit ?? (env.FUNCX_CA_FILE ? { file: env.FUNCX_CA_FILE, setting: 'FUNCX_CA_FILE' } : env.SSL_CERT_FILE ? { file: env.SSL_CERT_FILE, setting: 'SSL_CERT_FILE' } : undefined);
  if (chosen) {
    const file = path.resolve(chosen.file);
    return { ca: [readPemBundle(file, chosen.setting)], source: `${chosen.setting} ${file}` };
  }
  if (env.NODE_EXTRA_CA_CERTS) {
    const file = path.resolve(env.NODE_EXTRA_CA_CERTS);
    return { ca: [...rootCertificates, readPemBundle(file, 'NODE_EXTRA_CA_CERTS')], source: `NODE_EXTRA_CA_CERTS ${file}` };
  }
  return {};
}

/** TLS verification failures by OpenSSL code, said so a person knows it is about the certificate and where to look. */
const CERTIFICATE_PROBLEMS = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_UNTRUSTED', 'CERT_SIGNATURE_FAILURE',
]);

/** For an error whose code is a certificate problem: a hint naming the problem and the settings that fix it; else undefined. */
export function certificateProblem(code: string | undefined, trust: TrustedCas): string | undefined {
  if (!code || !CERTIFICATE_PROBLEMS.has(code)) return undefined;
  const trusted = trust.source ? `trusting only ${trust.source}` : 'trusting the system CAs';
  return `the service's TLS certificate was refused (${code}) ${trusted}; if a private CA signed it, set ca_file / FUNCX_CA_FILE (or SSL_CERT_FILE, NODE_EXTRA_CA_CERTS) to that CA's PEM file`;
}
