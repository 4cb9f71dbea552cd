/**
 * Build step (npm run build, after tsc): writes the OpenAPI document the
 * service serves, dist/src/openapi/openapi.json, from the compiled route table
 * and schemas/ (src/openapi/document.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { appRoutes } from '../src/openapi/appRoutes.js';
import { buildDocument } from '../src/openapi/document.js';
import { DOCUMENT_FILE } from '../src/openapi/routes.js';
import { packageRoot } from '../src/util/paths.js';

const root = packageRoot();
const { version } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
const { routes, actionProviderPrefix } = await appRoutes();
const document = buildDocument({ routes, schemaDir: path.join(root, 'schemas'), version, actionProviderPrefix });
document['x-action-provider-base-path'] = actionProviderPrefix;
writeFileSync(DOCUMENT_FILE, `${JSON.stringify(document, null, 1)}\n`);
console.log(`openapi: ${routes.length} operations -> ${path.relative(root, DOCUMENT_FILE)}`);
