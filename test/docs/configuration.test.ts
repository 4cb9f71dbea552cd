/**
 * docs/configuration.md is generated (scripts/docs/configurationDoc.ts): it must be exactly what
 * the generator renders from today's src/config.ts and schemas/endpoint-config.json, so an
 * option added without rerunning `npm run docs:config` fails here.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { OPTIONS } from '../../src/config.js';
import { packageRoot } from '../../src/util/paths.js';
import { renderConfigurationDoc } from '../../scripts/docs/configurationDoc.js';

const committed = () => readFileSync(path.join(packageRoot(), 'docs', 'configuration.md'), 'utf8');

test('docs/configuration.md is up to date with src/config.ts and the endpoint config schema', (t) => {
  t.true(committed() === renderConfigurationDoc(), 'docs/configuration.md is stale: run `npm run build && npm run docs:config` and commit the result');
});

test('the generated page has a row for every service option and every config.yaml key', (t) => {
  const page = renderConfigurationDoc();
  for (const option of Object.values(OPTIONS)) t.regex(page, new RegExp(`\\| \`${option.env}\` \\| \`${option.file}\` \\|`), option.env);
  const schema = JSON.parse(readFileSync(path.join(packageRoot(), 'schemas', 'endpoint-config.json'), 'utf8'));
  for (const key of Object.keys(schema.properties)) t.true(page.includes(`| \`${key}\` |`) || key === 'provider', key);
  for (const key of Object.keys(schema.properties.provider.properties)) t.true(page.includes(`| \`provider.${key}\` |`), `provider.${key}`);
});
