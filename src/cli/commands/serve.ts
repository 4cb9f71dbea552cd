/**
 * `funcx-service serve [--local-endpoint NAME]`: start the service (migrations first) and,
 * with --local-endpoint, a local endpoint as its child (`npm start`). Stops gracefully on the
 * first SIGINT/SIGTERM, at once on the second.
 */
import { optionString } from '@funcx-ts/shared/cli/commandTable.js';
import { loadConfig } from '../../config.js';
import { asError } from '../../errors.js';
import { startService } from '../../service.js';
import { launchLocalEndpoint, type LocalEndpoint } from '../../localEndpoint.js';
import type { ServiceCommand } from '../command.js';

export const serveCommand: ServiceCommand = {
  name: 'serve',
  synopsis: '[--local-endpoint NAME]',
  summary: 'start the service (applies migrations first); with --local-endpoint, also a local endpoint (npm start)',
  options: { 'local-endpoint': { type: 'string' } },
  positionals: { min: 0, max: 0 },
  async run(values) {
    const config = loadConfig();
    const service = await startService(config);
    let endpoint: LocalEndpoint | undefined;
    let signals = 0;
    // Handlers before the first line is printed: a supervisor (or a test) may send SIGTERM as soon as it reads it,
    // and without a handler that signal would kill the process without a graceful stop.
    const stopped = new Promise<void>((resolve) => {
      const onSignal = (signal: NodeJS.Signals) => {
        signals += 1;
        if (signals > 1) {
          console.error(`funcx-service: second ${signal}, exiting now`);
          endpoint?.kill();
          process.exit(1);
        }
        console.error(`funcx-service: ${signal}, stopping (send again to force)`);
        // The endpoint first: it posts its last results to the service.
        (endpoint?.stop() ?? Promise.resolve())
          .then(() => service.close())
          .then(resolve, (error) => {
            console.error(asError(error));
            process.exit(1);
          });
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
    });
    if (service.quickstart) {
      console.error(`funcx service at ${service.url}; credentials for clients in ${service.quickstart.file}`);
    }
    const endpointName = optionString(values, 'local-endpoint');
    if (endpointName) {
      if (!service.quickstart) throw new Error('--local-endpoint needs quickstart.json (FUNCX_WRITE_QUICKSTART=true) for its token');
      try {
        endpoint = await launchLocalEndpoint({
          name: endpointName,
          home: config.home,
          serviceUrl: service.url,
          quickstartFile: service.quickstart.file,
          logger: service.deps.logger,
        });
        console.error(`local endpoint "${endpointName}" is ${endpoint.endpointId} (in ${service.quickstart.file})`);
      } catch (error) {
        await service.close();
        throw error;
      }
    }
    endpoint?.child.once('exit', (code, signal) => {
      if (signals === 0) console.error(`funcx-service: the local endpoint exited (${signal ?? code}); the service keeps running`);
    });
    await stopped;
    return 0;
  },
};
