/** A live service in oidc mode against its own test OpenID provider, once per database kind. */
import test, { type ExecutionContext } from 'ava';
import { DATABASE_KINDS, MYSQL_BASE_URL } from './databases.js';
import { startLiveService, type LiveService } from './service.js';
import { startTestProvider, type TestProvider } from './oidcProvider.js';

export function oidcServiceTest(
  title: string,
  implementation: (t: ExecutionContext, live: LiveService, provider: TestProvider) => Promise<void>,
  extraConfig: Record<string, unknown> = {},
  users?: string[],
): void {
  for (const kind of DATABASE_KINDS) {
    const name = `${title} [${kind}]`;
    if (kind === 'mariadb' && !MYSQL_BASE_URL) {
      test.skip(name, () => {});
      continue;
    }
    test(name, async (t) => {
      const provider = await startTestProvider(t, users);
      const live = await startLiveService(t, kind, provider.serviceConfig(extraConfig));
      await implementation(t, live, provider);
    });
  }
}
