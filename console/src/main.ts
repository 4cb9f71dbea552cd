/**
 * The web console: a single page served by the service at /console, built by
 * esbuild at build time. In oidc mode with a console client configured, the
 * user signs in at the OpenID provider (signin.ts: authorization code + PKCE);
 * otherwise they paste a token (a local API token, or an access token). The
 * token is kept in sessionStorage and the console only calls the public API
 * with it: a user sees here what the API shows them and nothing else. Pages
 * are chosen by the URL hash; "My tasks" is the landing page.
 */
import { api, token } from './api.js';
import { h } from './dom.js';
import { finishSignIn, signOut, startSignIn, type OidcHints } from './signin.js';
import { functionView, functionsView, taskGroupView, type Stop } from './views.js';
import { endpointView, endpointsView } from './endpoint.js';
import { taskView } from './task.js';
import { myTasksView } from './tasks.js';

const view = document.getElementById('view')!;
const who = document.getElementById('who')!;
const signout = document.getElementById('signout') as HTMLButtonElement;
let stop: Stop | undefined;
let version: { auth_mode: string; oidc?: OidcHints } | undefined;
const providerSignIn = () => (version?.auth_mode === 'oidc' && version.oidc?.console_client_id ? version.oidc : undefined);

signout.addEventListener('click', () => {
  stop?.();
  stop = undefined;
  const hints = providerSignIn();
  location.hash = '#/';
  if (hints) {
    void signOut(hints).then(() => route(), (error) => route(String(error)));
  } else {
    token.clear();
    void route();
  }
});
window.addEventListener('hashchange', () => void route());
// Only for a signed-in page: on the sign-in page, a refused token is that form's to report.
window.addEventListener('funcx-signed-out', () => {
  if (!signout.hidden) void route('Your session has ended (the service no longer accepts its token): sign in again.');
});
void start();

async function start(): Promise<void> {
  version = await api('GET', '/v2/version');
  const hints = providerSignIn();
  let problem: string | undefined;
  if (hints) {
    try {
      if (await finishSignIn(hints)) who.textContent = 'signed in';
    } catch (error) {
      problem = (error as Error).message;
    }
  }
  await route(problem);
}

async function route(problem?: string): Promise<void> {
  stop?.();
  stop = undefined;
  if (!token.get()) return signIn(problem);
  signout.hidden = false;
  if (!who.textContent) who.textContent = 'signed in';
  const [, page, id] = location.hash.replace(/^#\/?/, '/').split('/');
  if (page === 'tasks' && id) stop = taskView(view, id);
  else if (page === 'taskgroups' && id) stop = taskGroupView(view, id);
  else if (page === 'endpoints' && id) stop = endpointView(view, id);
  else if (page === 'endpoints') stop = endpointsView(view);
  else if (page === 'functions' && id) functionView(view, id);
  else if (page === 'functions') functionsView(view);
  else myTasksView(view);
}

function signIn(problem?: string): void {
  signout.hidden = true;
  who.textContent = '';
  const message = h('p', { class: 'error' }, problem ?? '');
  const hints = providerSignIn();
  if (hints) {
    const button = h('button', { type: 'button', id: 'signin' }, `Sign in with ${new URL(hints.issuer).host}`);
    button.addEventListener('click', () => void startSignIn(hints).catch((error) => (message.textContent = (error as Error).message)));
    view.replaceChildren(h('h1', {}, 'Sign in'), h('p', {}, `This service accepts identities from ${hints.issuer}.`), button, message);
    return;
  }
  const input = h('input', { type: 'password', name: 'token', placeholder: version?.auth_mode === 'oidc' ? 'access token' : 'API token (fxu_...)', autocomplete: 'off' }) as HTMLInputElement;
  const form = h('form', {}, input, ' ', h('button', { type: 'submit' }, 'Sign in'), message);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    token.set(input.value.trim());
    try {
      // Any authenticated call tells whether the token works.
      await api('GET', '/v3/functions?limit=1');
      who.textContent = 'signed in';
      await route();
    } catch (error) {
      token.clear();
      message.textContent = `${(error as { code?: string }).code ?? 'Error'}: the token was refused`;
    }
  });
  const hint = version?.auth_mode === 'oidc' && version.oidc
    ? h('p', {}, `This service accepts access tokens from ${version.oidc.issuer}: get one with \`funcx login\` (then the token field of ~/.funcx/credentials.json), or your provider's tools.`)
    : h('p', {}, 'Paste an API token (from `funcx-service token create` or quickstart.json).');
  view.replaceChildren(h('h1', {}, 'Sign in'), hint, form);
}
