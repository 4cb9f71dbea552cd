"""Where the client finds the service and its token.

Each setting is taken from the first place that has it:
  1. the argument given to FuncXClient(service_url=..., token=...);
  2. the environment: FUNCX_SERVICE_URL, FUNCX_TOKEN;
  3. credentials.json, written by `funcx login` in $FUNCX_HOME (default ~/.funcx); its token
     is used only for the service it was issued by (the same URL), never sent elsewhere;
     an OpenID Connect login's token is renewed first when it is about to expire (stored_login.py);
  4. quickstart.json (its token, too, only for its own service URL), written by `npm start` / `funcx-service serve` on first start:
     $FUNCX_HOME/quickstart.json when FUNCX_HOME is set, else ./.funcx/quickstart.json
     (the service's own default home), else ~/.funcx/quickstart.json.
quickstart.json also names the local endpoint `npm start` runs (endpoint_id),
which FuncXClient exposes as `default_endpoint_id`.

HTTPS to the service is verified against the system's CAs, or only against the PEM
file given as FuncXClient(ca_file=...), FUNCX_CA_FILE, SSL_CERT_FILE or REQUESTS_CA_BUNDLE (a private
CA); never turned off. Proxies: urllib honours https_proxy/http_proxy/no_proxy (either case) itself.
"""
import json
import os

from . import stored_login
from .errors import ConfigurationError

QUICKSTART = "quickstart.json"
CREDENTIALS = "credentials.json"


class Settings:
    def __init__(self, service_url, token, endpoint_id, source, ca_file=None, stored_login=None):
        self.service_url = service_url
        # (path, credentials) when the token is a stored OpenID Connect login's: the client keeps it fresh.
        self.stored_login = stored_login
        # A PEM file of the CA(s) to trust for the service instead of the system store.
        self.ca_file = ca_file
        self.token = token
        self.endpoint_id = endpoint_id
        # Where the settings came from, for error messages ("FUNCX_TOKEN", a file path, ...).
        self.source = source


def quickstart_candidates(env, cwd, user_home):
    """The quickstart.json paths to try, in order."""
    if env.get("FUNCX_HOME"):
        return [os.path.join(os.path.join(cwd, os.path.expanduser(env["FUNCX_HOME"])), QUICKSTART)]
    return [os.path.join(cwd, ".funcx", QUICKSTART), os.path.join(user_home, ".funcx", QUICKSTART)]


def credentials_path(env, cwd, user_home):
    """Where `funcx login` keeps its token: $FUNCX_HOME, else ~/.funcx (as the TypeScript SDK)."""
    home = os.path.join(cwd, os.path.expanduser(env["FUNCX_HOME"])) if env.get("FUNCX_HOME") else os.path.join(user_home, ".funcx")
    return os.path.join(home, CREDENTIALS)


def same_url(a, b):
    return bool(a) and bool(b) and a.rstrip("/") == b.rstrip("/")


def read_settings_file(path):
    """A quickstart.json or credentials.json as a dict, or None when the file does not exist."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise ConfigurationError("cannot read %s: %s" % (path, error))
    if not isinstance(data, dict):
        raise ConfigurationError("%s: expected a JSON object with service_url and token" % path)
    return data


def resolve_ca_file(ca_file, env, cwd):
    """The CA file to verify the service with: the argument, else FUNCX_CA_FILE, SSL_CERT_FILE or
    REQUESTS_CA_BUNDLE (the conventions of OpenSSL and requests). Checked now, so a missing or
    non-PEM file names its setting instead of failing later as a TLS error."""
    candidates = [("ca_file", ca_file)] + [(name, env.get(name)) for name in ("FUNCX_CA_FILE", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE")]
    source, path = next(((name, value) for name, value in candidates if value), (None, None))
    if not path:
        return None
    path = os.path.join(cwd, os.path.expanduser(path))
    if not os.path.isfile(path):
        raise ConfigurationError("%s: %s does not exist" % (source, path))
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            pem = "-----BEGIN CERTIFICATE-----" in f.read()
    except OSError as error:
        raise ConfigurationError("%s: cannot read %s (%s)" % (source, path, error))
    if not pem:
        raise ConfigurationError("%s: %s is not a PEM certificate file (no -----BEGIN CERTIFICATE----- block)" % (source, path))
    return path


def resolve(service_url=None, token=None, env=None, cwd=None, user_home=None, ca_file=None):
    """Settings from arguments, then the environment, then the first quickstart.json found."""
    env = os.environ if env is None else env
    cwd = os.getcwd() if cwd is None else cwd
    user_home = os.path.expanduser("~") if user_home is None else user_home
    sources = []
    url = service_url
    if url:
        sources.append("argument service_url")
    elif env.get("FUNCX_SERVICE_URL"):
        url = env["FUNCX_SERVICE_URL"]
        sources.append("FUNCX_SERVICE_URL")
    secret = token
    if secret:
        sources.append("argument token")
    elif env.get("FUNCX_TOKEN"):
        secret = env["FUNCX_TOKEN"]
        sources.append("FUNCX_TOKEN")
    endpoint_id = env.get("FUNCX_ENDPOINT_ID") or None

    stored_path = credentials_path(env, cwd, user_home)
    stored = read_settings_file(stored_path) or {}
    login = None
    if not url and stored.get("service_url"):
        url = stored["service_url"]
        sources.append(stored_path)
    if not secret and stored.get("token") and same_url(stored.get("service_url"), url):
        stored = stored_login.renew_stored(stored_path, stored, stored.get("token"))
        secret = stored["token"]
        sources.append(stored_path)
        if isinstance(stored.get("oidc"), dict):
            login = (stored_path, stored)

    tried = quickstart_candidates(env, cwd, user_home)
    for path in tried:
        data = read_settings_file(path)
        if data is None:
            continue
        if not url and data.get("service_url"):
            url = data["service_url"]
            sources.append(path)
        if not secret and data.get("token") and same_url(data.get("service_url"), url):
            secret = data["token"]
            sources.append(path)
        if same_url(data.get("service_url"), url):
            endpoint_id = endpoint_id or data.get("endpoint_id")
        break

    missing = [name for name, value in (("service URL", url), ("token", secret)) if not value]
    if missing:
        raise ConfigurationError(
            "no funcX %s: pass FuncXClient(service_url=..., token=...), set FUNCX_SERVICE_URL and "
            "FUNCX_TOKEN, run `funcx login`, or start the service (npm start) so it writes quickstart.json "
            "(looked in: %s)" % (" or ".join(missing), ", ".join([stored_path] + tried)))
    return Settings(url.rstrip("/"), secret, endpoint_id, ", ".join(dict.fromkeys(sources)),
                    resolve_ca_file(ca_file, env, cwd), stored_login=login)
