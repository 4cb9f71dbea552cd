/** `npm run docs:config`: writes docs/configuration.md from the definitions (see scripts/docs/configurationDoc.ts). */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../src/util/paths.js';
import { renderConfigurationDoc } from './docs/configurationDoc.js';

const file = path.join(packageRoot(), 'docs', 'configuration.md');
writeFileSync(file, renderConfigurationDoc());
console.log(`wrote ${path.relative(process.cwd(), file) || file}`);
