/**
 * The listening server: HTTPS when a certificate and key are configured (else
 * HTTP, e.g. behind a TLS-terminating proxy), with time limits that disconnect
 * slow clients while letting long-polls (60 s) and keep-alive endpoints be.
 */
import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import type { Config } from '../config.js';

type Handler = http.RequestListener;

export function createHttpServer(config: Config, handler: Handler): http.Server {
  const limits: http.ServerOptions = {
    headersTimeout: config.headersTimeout,
    requestTimeout: config.requestTimeout,
    // Node checks those limits on this period (30 s by default): short limits need a shorter check.
    connectionsCheckingInterval: Math.max(50, Math.min(30_000, Math.floor(config.headersTimeout / 2))),
    // Endpoints and SDKs keep connections between polls; idle ones close after this.
    keepAliveTimeout: 75 * 1000,
  };
  const server = config.tlsCertFile
    ? https.createServer({ ...limits, cert: readFileSync(config.tlsCertFile), key: readFileSync(config.tlsKeyFile), minVersion: 'TLSv1.2' }, handler)
    : http.createServer(limits, handler);
  server.keepAliveTimeout = 75 * 1000;
  return server;
}
