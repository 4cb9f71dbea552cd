/** A live service in oidc mode against its own test OpenID provider, once per database kind. */
import type { ExecutionContext } from 'ava';
import { registerPerDatabase } from './databases.js';
import { startLiveService, type LiveService } from './service.js';
import { startTestProvider, type TestProvider } from './oidcProvider.js';

export function oidcServiceTest(
  title: string,
  implementation: (t: ExecutionContext, live: LiveService, provider: TestProvider) => Promise<void>,
  extraConfig: Record<string, unknown> = {},
  users?: string[],
): void {
  registerPerDatabase(title, async (t, kind) => {
    const provider = await startTestProvider(t, users);
    const live = await startLiveService(t, kind, provider.serviceConfig(extraConfig));
    await implementation(t, live, provider);
  });
}
