/**
 * The web console: a single page served by the service at /console, built by
 * esbuild at build time. It signs in with a token the user pastes (a local API
 * token, or an access token from the configured OpenID provider) kept in
 * sessionStorage, and only calls the public API with it: a user sees here what
 * the API shows them and nothing else. Pages are chosen by the URL hash.
 */
import { api, token } from './api.js';
import { h } from './dom.js';
import { endpointView, endpointsView, functionView, functionsView, taskGroupView, taskView, tasksView, type Stop } from './views.js';

const view = document.getElementById('view')!;
const who = document.getElementById('who')!;
const signout = document.getElementById('signout') as HTMLButtonElement;
let stop: Stop | undefined;

signout.addEventListener('click', () => {
  token.clear();
  location.hash = '#/';
  void route();
});
window.addEventListener('hashchange', () => void route());
void route();

async function route(): Promise<void> {
  stop?.();
  stop = undefined;
  if (!token.get()) return signIn();
  signout.hidden = false;
  const [, page, id] = location.hash.replace(/^#\/?/, '/').split('/');
  if (page === 'tasks' && id) stop = taskView(view, id);
  else if (page === 'taskgroups' && id) stop = taskGroupView(view, id);
  else if (page === 'endpoints' && id) stop = endpointView(view, id);
  else if (page === 'endpoints') stop = endpointsView(view);
  else if (page === 'functions' && id) functionView(view, id);
  else if (page === 'functions') functionsView(view);
  else tasksView(view);
}

async function signIn(): Promise<void> {
  signout.hidden = true;
  who.textContent = '';
  const version = await api<{ auth_mode: string; oidc?: { issuer: string } }>('GET', '/v2/version');
  const input = h('input', { type: 'password', name: 'token', placeholder: version.auth_mode === 'oidc' ? 'access token' : 'API token (fxu_...)', autocomplete: 'off' }) as HTMLInputElement;
  const message = h('p', { class: 'error' });
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
  const hint = version.auth_mode === 'oidc' && version.oidc
    ? h('p', {}, `This service accepts access tokens from ${version.oidc.issuer}: get one with \`funcx login\` (then the token field of ~/.funcx/credentials.json), or your provider's tools.`)
    : h('p', {}, 'Paste an API token (from `funcx-service token create` or quickstart.json).');
  view.replaceChildren(h('h1', {}, 'Sign in'), hint, form);
}
