"""Where the API is and how to authenticate: provider settings -> an ``openai`` client.

Credentials come only from the environment or an env file the user names
(``--env-file``); they live in :class:`Connection` (hidden from ``repr``) and in
the client, and are never printed, logged or written to the registry.

>>> conn = connection("openai", environ={"OPENAI_API_KEY": "sk-..."})
>>> client = make_client(conn)
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .. import catalog
from ..errors import InputError, UsageError

LOCAL_URL = "local://this-machine"  # the local backend (toolkit.local): jobs run here, data stays here
_ENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")
ENV_FILE_LIMIT = 1 << 20  # an env file is a few lines; more is the wrong file (or /dev/zero)
CREDENTIAL_HEADERS = ("authorization", "api-key")
NOT_SET = "<{variable} (not set)>"  # a dry run's endpoint when none is given: shown, never sent to


@dataclass(frozen=True)
class Connection:
    """One provider endpoint and its credentials (secrets are excluded from ``repr``)."""

    provider: str
    base_url: str
    api_key: str | None = field(default=None, repr=False)
    ad_token: str | None = field(default=None, repr=False)
    organization: str | None = None
    project: str | None = None
    api_version: str | None = None

    @property
    def host(self) -> str:
        """The endpoint's host (and port): safe to show and to store."""
        return urlsplit(self.base_url).netloc or self.base_url

    @property
    def account(self) -> str:
        """What identifies "the same account" for file reuse, without any secret."""
        return "|".join([self.provider, self.host, self.organization or "", self.project or ""])

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every secret value, for scrubbing text before it is shown (the base URL's query values too)."""
        query = [v for _, v in parse_qsl(urlsplit(self.base_url).query)]
        return tuple(s for s in (self.api_key, self.ad_token, *query) if s)


def read_env_file(path: str | os.PathLike[str]) -> dict[str, str]:
    """Parse a dotenv-style file: ``KEY=value`` lines, ``#`` comments, optional quotes and ``export``."""
    p = Path(path)
    try:
        text = _read_small(p).decode("utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{p}: env file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{p}: cannot read env file ({exc.__class__.__name__})") from None
    values: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        m = _ENV_LINE.match(line)
        if not m:  # never echo the line: it may hold a secret
            raise InputError(f"{p}:{number}: expected KEY=value")
        values[m.group(1)] = _unquote(m.group(2))
    return values


def _read_small(path: Path) -> bytes:
    """The bytes of a regular file or a pipe (``<(...)``), refusing devices, folders and big files."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO without a writer must not block the open
    try:
        mode = os.fstat(fd).st_mode
        if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode)):
            raise InputError(f"{path}: not an env file (a {'folder' if stat.S_ISDIR(mode) else 'device'}, "
                             "not a regular file)")
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb") as file:
            fd = -1
            data = file.read(ENV_FILE_LIMIT + 1)
    finally:
        if fd >= 0:
            os.close(fd)
    if len(data) > ENV_FILE_LIMIT:
        raise InputError(f"{path}: too large for an env file (over {ENV_FILE_LIMIT} bytes); is it the right file?")
    return data


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return re.sub(r"\s+#.*$", "", value)


def connection(provider: str = catalog.DEFAULT_PROVIDER, *, base_url: str | None = None, api_version: str | None = None,
               env_file: str | os.PathLike[str] | None = None,
               environ: Mapping[str, str] | None = None, named: str | None = None, dry_run: bool = False
               ) -> Connection:
    """Resolve a :class:`Connection` from flags, an env file (wins) and the environment.

    Which variables are read, and the default endpoint, come from the provider's profile
    (``api`` in the catalog). Raises :class:`UsageError` naming every missing variable, and the
    provider as ``named`` says where it came from (:meth:`toolkit.config.Settings.provider_named`).
    ``dry_run``: nothing will be sent, so no credential is needed, and a missing endpoint is shown as
    ``<VARIABLE (not set)>`` in :attr:`Connection.base_url` (which then is not a URL to send to).
    """
    api = catalog.provider(provider).api  # an unknown provider is a UsageError naming the known ones
    if api.local:  # this machine: no endpoint, no credential
        return Connection(provider, LOCAL_URL)
    if api_version and not api.api_version_env:
        classic = [n for n in catalog.PROVIDERS if catalog.provider(n).api.api_version_env]
        raise UsageError(f"--api-version is for a classic api-version endpoint ({', '.join(classic) or 'none'}); "
                         f"{provider} has none")
    env = dict(os.environ if environ is None else environ)
    if env_file is not None:
        env.update(read_env_file(env_file))
    endpoint = base_url or env.get(api.url_env) or api.default_url
    key, token = env.get(api.key_env), env.get(api.token_env) if api.token_env else None
    missing = [] if endpoint or dry_run else [api.url_env]
    if not key and not token and not dry_run:
        missing.append(api.key_env + (f" (or a token in {api.token_env})" if api.token_env else "") + (
            " (any non-empty value for a compatible endpoint that needs no key)" if api.compatible_endpoints else ""))
    if missing:
        raise UsageError(f"{named or '--provider ' + provider} needs {' and '.join(missing)}: set "
                         f"{'them' if len(missing) > 1 else 'it'} in the environment or in the file given to "
                         "--env-file")
    for name in (api.key_env, api.token_env, api.org_env, api.project_env):
        if name and env.get(name):
            _check_header_value(name, env[name])
    version = (api_version or env.get(api.api_version_env) or None) if api.api_version_env else None
    shown = _check_url(str(endpoint)) if endpoint else NOT_SET.format(variable=api.url_env)
    url = endpoint_url(shown, api.url_path, classic=version is not None)
    return Connection(provider, url, api_key=None if token else key, ad_token=token or None,
                      organization=env.get(api.org_env) or None if api.org_env else None,
                      project=env.get(api.project_env) or None if api.project_env else None, api_version=version)


def endpoint_url(url: str, path: str, *, classic: bool = False) -> str:
    """The URL the SDK needs: the endpoint with the API's ``path`` (``…/openai/v1``), or its root for a classic
    api-version (whose SDK client adds the path itself).

    The endpoint may be pasted with the path or a leading part of it (``/openai``); all of them work.
    """
    root = url.rstrip("/")
    parts = path.strip("/").split("/") if path else []
    for n in range(len(parts), 0, -1):
        tail = "/" + "/".join(parts[:n])
        if root.endswith(tail):
            root = root[: -len(tail)]
            break
    return root if classic or not path else root + path


def _check_header_value(name: str, value: str) -> None:
    """A key, token or id goes into an HTTP header: printable ASCII only (never echo it, not even in part)."""
    for position, char in enumerate(value, 1):
        if not "!" <= char <= "~":
            what = "a space" if char == " " else f"a non-ASCII character (U+{ord(char):04X})" if ord(char) > 127 \
                else f"a control character (U+{ord(char):04X})"
            raise UsageError(f"{name} has {what} at position {position} of {len(value)}: keys, tokens and ids "
                             "are plain ASCII (a copy-paste may have added a curly quote, a non-breaking space or a "
                             "line break); copy it again")


def _check_url(url: str) -> str:
    shown = re.sub(r"[?#].*", "?...", url, flags=re.DOTALL)  # the query may hold a secret: never echo it
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises on a port that is not a number from 0 to 65535)
    except ValueError:
        raise UsageError(f"base URL {shown!r} is not a valid URL (check the host and the port)") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"base URL {shown!r} must start with http:// or https:// and name a host")
    if parts.username or parts.password:
        raise UsageError("put credentials in the provider's key variable (e.g. OPENAI_API_KEY), not in the base URL")
    if not url.isprintable() or any(c.isspace() for c in url):
        raise UsageError(f"base URL {shown!a} has spaces or control characters: percent-encode them")
    import httpx2  # the SDK's HTTP library: what it cannot parse, it cannot send

    try:
        httpx2.URL(url)
    except (httpx2.InvalidURL, ValueError) as exc:
        raise UsageError(f"base URL {shown!r} is not a valid URL: {str(exc).replace(url, shown)}") from None
    return url


def origin(url: str) -> tuple[str, str, int]:
    """``(scheme, host, port)`` of ``url``, ports made explicit: two URLs of one origin share it."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or (443 if scheme == "https" else 80)


def credentials_stay_home(base_url: str) -> Callable[[Any], None]:
    """An HTTP request hook: a request to another origin than ``base_url`` goes without credentials.

    The SDK follows redirects, and its HTTP library strips only ``Authorization`` when one leaves
    the origin: Azure's ``api-key`` would follow it to any host. The hook runs before every request,
    redirects included, and drops both headers whenever the origin is not the endpoint's.
    """
    home = origin(base_url)

    def hook(request: Any) -> None:
        if origin(str(request.url)) != home:
            for name in CREDENTIAL_HEADERS:
                request.headers.pop(name, None)

    return hook


def make_client(conn: Connection, *, max_retries: int = 2, timeout: float | None = None) -> Any:
    """An ``openai.OpenAI`` (or ``AzureOpenAI`` for a classic ``api-version`` endpoint) for ``conn``."""
    api = catalog.provider(conn.provider).api
    if api.local:
        from ..local.client import LocalClient

        return LocalClient()
    import openai

    from .responses import check_response
    from .retry import client_classes

    client_cls, azure_cls = client_classes()  # their retries skip a 429 insufficient_quota
    opts: dict[str, Any] = {"max_retries": max_retries, "http_client": openai.DefaultHttpxClient(
        event_hooks={"request": [credentials_stay_home(conn.base_url)], "response": [check_response]})}
    if timeout is not None:
        opts["timeout"] = timeout
    if conn.api_version:  # the classic endpoint (Azure's api-version): the SDK's client for it sends api-key
        auth = {"azure_ad_token": conn.ad_token} if conn.ad_token else {"api_key": conn.api_key}
        return azure_cls(azure_endpoint=conn.base_url, api_version=conn.api_version, **auth, **opts)
    if api.auth_header == "api-key" and conn.api_key:
        opts["default_headers"] = {"api-key": conn.api_key}  # the provider's own header, next to the bearer
    # the bearer: OpenAI, compatible endpoints, and Azure's v1 endpoint (which takes the key or token as one)
    return client_cls(api_key=conn.ad_token or conn.api_key, base_url=conn.base_url,
                      organization=conn.organization, project=conn.project, **opts)
