"""The connection to a real API server: kubeconfig, authentication, raw GETs.

`kubernetes_asyncio` (the optional extra `svcflow[attach]`) loads the kubeconfig and keeps
the credentials fresh: client certificates, bearer tokens and exec plugins (EKS, GKE, AKS,
OIDC helpers) (apiserver-spec §9). It is only asked for raw responses
(`_preload_content=False`): svcflow reads the JSON itself, into the store's shape, with no
generated models in between. It is imported here and nowhere else, when attaching starts,
so the simulated dashboard runs without it.

Only GET is ever sent (`KubeClient.get_page`, `KubeClient.watch_lines`): the mirror is
read-only by construction, there is no method that could write.

Every failure a user can act on becomes an `AttachError` with one line to show.
"""
from __future__ import annotations

import asyncio
import importlib.util
import logging
import os
from dataclasses import dataclass
from typing import Any, AsyncIterator, Callable

import aiohttp
import yaml

from engine.attach.decoding import decode_json, without_managed_fields

INSTALL_HINT = "attaching to a cluster needs kubernetes_asyncio: pip install 'svcflow[attach]'"
#: What a line about a failure the dashboard keeps trying again ends with; the headless
#: commands, which do not retry, leave it off (`without_retrying`).
RETRYING = " (retrying)"
#: The first words of the line about a server that cannot be reached (`engine.attach.source`
#: says "reconnected" once no reflector says them any more).
UNREACHABLE = "cannot reach the API server at "
CONNECT_TIMEOUT = 10.0  # seconds to open a connection (and to wait for a list's answer to start)
LIST_TIMEOUT = 120.0  # seconds one page of a list may take
#: Seconds a list page may go without a byte (a stopped or hung server takes the connection
#: and says nothing: kubectl then waits for ever; a headless command says so and exits).
PAGE_SILENCE = 30.0


class AttachError(Exception):
    """A problem with one line for the user (`line`); `retry` says whether trying again may help."""

    def __init__(self, line: str, *, retry: bool = True, status: int = 0, reason: str = "") -> None:
        super().__init__(line)
        self.line = line
        self.retry = retry
        self.status = status
        self.reason = reason


class NoAnswer(AttachError):
    """The server took the connection (or did not refuse it) but answered nothing in time."""


class Gone(AttachError):
    """410 Gone / ERROR Expired: the resourceVersion is too old; list again."""


class TooLargeResourceVersion(Gone):
    """504 Timeout with the cause `ResourceVersionTooLarge`: the server is behind the
    resourceVersion asked (a restarted or different server at the same address); as
    client-go's reflector does on `apierrors.IsTooLargeResourceVersion`, list again from
    scratch (a consistent read, resourceVersion "")."""

    @staticmethod
    def said_by(body: dict | None) -> bool:
        """apierrors.IsTooLargeResourceVersion: a Status with reason `Timeout` and a cause
        `ResourceVersionTooLarge` (an error answer, or a watch's ERROR event)."""
        if not isinstance(body, dict) or body.get("reason") != "Timeout":
            return False
        causes = (body.get("details") or {}).get("causes") or ()
        return any(isinstance(c, dict) and c.get("reason") == "ResourceVersionTooLarge" for c in causes)


def without_retrying(line: str) -> str:
    """The line as a command that does not retry says it."""
    return line.removesuffix(RETRYING)


class Forbidden(AttachError):
    """RBAC refuses the request: the kind is skipped (or, for a namespaced kind listed
    cluster-wide, listed in the namespaces RBAC allows: engine.attach.source). `message` is
    the API server's own (`pods is forbidden: User "x" cannot list resource "pods" in API
    group "" at the cluster scope`), `path` what was asked."""

    message: str = ""
    path: str = ""


class Disconnected(AttachError):
    """The connection dropped mid-stream: resume the watch from the last resourceVersion."""


def _status_line(server: str, path: str, status: int, body: dict | None) -> AttachError:
    msg = (body or {}).get("message") or ""
    reason = (body or {}).get("reason") or ""
    if status == 401:
        return AttachError(f"{server} refused the credentials (401 Unauthorized): they may have expired; "
                           "log in again (or refresh the token your kubeconfig's exec plugin gets)",
                           status=status, reason=reason)
    if status == 403:
        e = Forbidden(f"forbidden: {msg or path} ({path}; RBAC: this kind is skipped; grant get, list and watch "
                      "to show it)", retry=False, status=status, reason=reason)
        e.message, e.path = msg, path
        return e
    if TooLargeResourceVersion.said_by(body):
        return TooLargeResourceVersion(f"{path}: {msg or 'too large resource version'} (listing again)",
                                       status=status, reason=reason)
    if status == 410:
        return Gone(f"{path}: {msg or 'resourceVersion too old'} (listing again)", status=status, reason=reason)
    return AttachError(f"{server}{path}: {status} {reason or ''} {msg}".rstrip(), status=status, reason=reason)


@dataclass
class KubeClient:
    """Authenticated raw GETs on one cluster. Built by `connect`; close it when done."""

    api: Any  # kubernetes_asyncio.client.ApiClient
    server: str
    context: str
    namespace: str = "default"  # the context's namespace (kubectl's default namespace)

    async def _get(self, path: str, query: dict[str, str], timeout: aiohttp.ClientTimeout):
        try:
            return await self.api.call_api(path, "GET", query_params=list(query.items()),
                                           header_params={"Accept": "application/json"},
                                           auth_settings=["BearerToken"], _preload_content=False,
                                           _request_timeout=timeout)
        except aiohttp.ClientConnectorCertificateError as e:
            # (reached: its certificate was refused, as kubectl's "tls: failed to verify certificate")
            raise AttachError(f"{self.server}: tls: failed to verify certificate: {_cert_reason(e)}; check the "
                              f"kubeconfig's certificate-authority{RETRYING}") from None
        except asyncio.TimeoutError as e:  # (aiohttp's ServerTimeoutError among them: no answer in time)
            waited = (timeout.sock_connect if isinstance(e, aiohttp.ConnectionTimeoutError)
                      else timeout.sock_read if isinstance(e, aiohttp.SocketTimeoutError) else None) or timeout.total
            raise NoAnswer(f"{UNREACHABLE}{self.server}: no answer within {waited:g} s{RETRYING}") from None
        except (aiohttp.ClientConnectorError, aiohttp.ServerDisconnectedError, ConnectionError) as e:
            raise AttachError(f"{UNREACHABLE}{self.server}: {_reason(e)}{RETRYING}") from None
        except aiohttp.ClientError as e:
            raise AttachError(f"{self.server}: {type(e).__name__}: {e}{RETRYING}") from None

    async def get_page(self, path: str, query: dict[str, str]) -> "ListPage":
        """One page of a list, as it came: its bytes and its ListMeta (the continue token
        the next page is asked with); an error status is an AttachError."""
        resp = await self._get(path, query, aiohttp.ClientTimeout(total=LIST_TIMEOUT, sock_connect=CONNECT_TIMEOUT,
                                                                  sock_read=PAGE_SILENCE))
        async with resp:
            try:
                raw = await resp.read()
            except (aiohttp.ClientError, asyncio.TimeoutError, ConnectionError) as e:
                raise Disconnected(f"{self.server}{path}: the connection dropped: {_reason(e)}") from None
            if 200 <= resp.status <= 299:
                meta = list_meta(raw)
                if meta is not None:
                    return ListPage(raw, meta)
            body = decode_json(raw, page=True)
            if resp.status == 404 and not await self._is_kubernetes_api():
                raise AttachError(f"{self.server} is not a Kubernetes API server (GET /api: 404){RETRYING}",
                                  status=404)
            if not 200 <= resp.status <= 299:
                raise _status_line(self.server, path, resp.status, body)
            if body is None:
                raise AttachError(f"{self.server}{path}: the answer is not JSON")
            md = body.get("metadata")
            return ListPage(raw, md if isinstance(md, dict) else {}, body)

    async def answers(self, timeout: float) -> bool | None:
        """Whether the server answers a GET /version within `timeout` seconds (any status:
        it answered); False when it takes the connection but says nothing (a stopped or
        overloaded server, whose quiet watches look like a quiet cluster); None when it
        cannot be reached at all (the reflectors say that)."""
        try:
            resp = await self._get("/version", {}, aiohttp.ClientTimeout(total=timeout))
        except NoAnswer:
            return False
        except AttachError:
            return None
        async with resp:
            try:
                await resp.read()
            except asyncio.TimeoutError:
                return False
            except (aiohttp.ClientError, ConnectionError):
                return None
        return True

    async def _is_kubernetes_api(self) -> bool:
        """Whether GET /api answers as kube-apiserver does (`APIVersions`), asked when a list
        is not found: every list a URL that is not an API answers 404, and that is one line,
        not one per kind."""
        try:
            resp = await self._get("/api", {}, aiohttp.ClientTimeout(total=CONNECT_TIMEOUT))
        except AttachError:
            return True  # (gone meanwhile: the next try says so)
        async with resp:
            try:
                body = decode_json(await resp.read())
            except (aiohttp.ClientError, asyncio.TimeoutError, ConnectionError):
                return True
        return resp.status != 404 and (body is None or body.get("kind") in ("APIVersions", "Status"))

    async def watch_lines(self, path: str, query: dict[str, str], read_timeout: float,
                          on_open: Callable[[], None] = lambda: None) -> AsyncIterator[dict]:
        """The events of a watch, one JSON object per line, until the server ends the stream;
        `on_open` once the server has accepted the watch."""
        resp = await self._get(path, {**query, "watch": "true"},
                               aiohttp.ClientTimeout(total=None, sock_connect=CONNECT_TIMEOUT,
                                                     sock_read=read_timeout))
        async with resp:
            if not 200 <= resp.status <= 299:
                raise _status_line(self.server, path, resp.status, decode_json(await resp.read()))
            on_open()
            try:
                async for line in resp.content:
                    ev = decode_json(line)
                    if ev is not None:
                        yield ev
            except (aiohttp.ClientError, asyncio.TimeoutError, ConnectionError) as e:
                raise Disconnected(f"{self.server}{path}: the watch dropped: {_reason(e)}") from None

    async def close(self) -> None:
        try:
            await self.api.close()
        except Exception:  # noqa: BLE001 - closing never fails the caller
            pass


@dataclass
class ListPage:
    """A page of a list as the server sent it: the bytes, decoded when the page's turn
    comes (`decode`), and its ListMeta (`metadata`: resourceVersion, continue,
    remainingItemCount), read from the head of the bytes at once. A list asks for its next
    pages while earlier ones are still being stored (engine/attach/reflector.py); a page
    waiting its turn costs its bytes, not the several times larger decoded objects."""

    raw: bytes
    metadata: dict
    decoded: dict | None = None
    #: Its decoding in another process, under way (engine.attach.decoding.PageDecoder.submit).
    pending: asyncio.Future | None = None

    @property
    def continue_token(self) -> str:
        token = self.metadata.get("continue")
        return token if isinstance(token, str) else ""

    def decode(self) -> dict:
        """The page's JSON object (decoded once; the bytes are let go), without its objects'
        `managedFields` (`without_managed_fields`)."""
        if self.decoded is None:
            self.decoded = decode_json(without_managed_fields(self.raw), page=True) or {}
            self.raw = b""
        return self.decoded


def list_meta(raw: bytes) -> dict | None:
    """A list's `metadata`, read from the bytes before its `items` (None when that cannot be
    done: then the whole page is decoded to read it). kube-apiserver writes a list as Go
    marshals the List struct, `kind`, `apiVersion`, `metadata`, then `items`, and nothing
    before `items` holds that key (the continue token is base64), so the head, closed, is
    the list without its items."""
    at = raw.find(b'"items":')
    if at <= 0:
        return None
    head = raw[:at].rstrip()
    if head.endswith(b","):
        head = head[:-1]
    value = decode_json(head + b"}")
    md = value.get("metadata") if value is not None else None
    return md if isinstance(md, dict) else None


def _reason(e: BaseException) -> str:
    """Why a connection failed, as the operating system says it ("Connection refused"),
    without aiohttp's "Cannot connect to host H:P ssl:default [...]" around it."""
    if isinstance(e, asyncio.TimeoutError):
        return "timed out"
    if isinstance(e, aiohttp.ClientConnectorError):
        os_error = e.os_error
        if os_error.errno:
            return os.strerror(os_error.errno) if isinstance(os_error.errno, int) and os_error.errno > 0 \
                else (os_error.strerror or str(os_error))
        e = os_error
    text = str(e) or type(e).__name__
    return text.splitlines()[0]


def _cert_reason(e: aiohttp.ClientConnectorCertificateError) -> str:
    """x509's reason for refusing the server's certificate ("self-signed certificate")."""
    cert = e.certificate_error
    return str(getattr(cert, "verify_message", "") or getattr(cert, "reason", "") or cert).splitlines()[0]


def client_installed() -> bool:
    """Whether the optional extra (`svcflow[attach]`) is installed, without importing it."""
    return importlib.util.find_spec("kubernetes_asyncio") is not None


def kubeconfig_path(given: str | None) -> str | None:
    """--kubeconfig, else $KUBECONFIG (its first file), else None (~/.kube/config)."""
    if given:
        return given
    env = os.environ.get("KUBECONFIG", "")
    first = next((p for p in env.split(os.pathsep) if p), None)
    return first


async def connect(kubeconfig: str | None, context: str | None) -> KubeClient:
    """Load the kubeconfig (and its context) and build an authenticated client."""
    try:
        # The optional extra (svcflow[attach]): imported here only, so the simulated dashboard
        # runs without it; no circle is hidden (it is not ours).
        from kubernetes_asyncio import client as k8s_client  # noqa: PLC0415
        from kubernetes_asyncio import config as k8s_config  # noqa: PLC0415
        from kubernetes_asyncio.config.config_exception import ConfigException  # noqa: PLC0415
    except ImportError:
        raise AttachError(INSTALL_HINT, retry=False) from None
    # (its kubeconfig loader logs a failing exec plugin's error before raising it: with no
    # logging set up, Python wrote that line over the dashboard; the raised one is said here)
    logging.getLogger("kubernetes_asyncio").addHandler(logging.NullHandler())
    path = kubeconfig_path(kubeconfig)
    shown = path or "~/.kube/config"
    check_kubeconfig(kubeconfig, context)
    cfg = k8s_client.Configuration()
    # Every watch holds its own HTTP/1.1 connection for minutes; with RBAC's per-namespace
    # fallback there is one per kind and namespace (engine/attach/source.py), beyond the
    # client's default pool of 100, where a further watch -- and every list after it --
    # would wait for a connection forever. The reflectors bound what is open (0: no pool limit).
    cfg.connection_pool_maxsize = 0
    try:
        loader = await k8s_config.load_kube_config(config_file=path, context=context, client_configuration=cfg,
                                                   persist_config=False)
    except ConfigException as e:
        raise AttachError(f"kubeconfig {shown}: {str(e).splitlines()[0]}", retry=False) from None
    except FileNotFoundError as e:
        if e.filename and os.path.abspath(str(e.filename)) != os.path.abspath(path or shown):
            # client-go's words for an exec credential plugin that is not installed
            raise AttachError(f"kubeconfig {shown}: getting credentials: exec: executable {e.filename} not found",
                              retry=False) from None
        raise AttachError(f"no kubeconfig at {shown}", retry=False) from None
    except (OSError, ValueError, TypeError, AttributeError, KeyError, yaml.YAMLError) as e:
        # an unreadable file, YAML that is not a kubeconfig, an exec plugin that failed
        raise AttachError(f"kubeconfig {shown}: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}",
                          retry=False) from None
    return KubeClient(k8s_client.ApiClient(cfg), cfg.host, context or _context_name(loader), _context_namespace(loader))


def check_kubeconfig(kubeconfig: str | None, context: str | None) -> None:
    """What is wrong with the kubeconfig before any server is asked -- no file, a file that
    is not YAML or not a Config, a missing context, a certificate or key file it names that
    cannot be read -- as the one line of an AttachError (retry=False), as kubectl refuses
    them at once; a command or the dashboard can call it before it starts."""
    path = kubeconfig_path(kubeconfig)
    shown = path or "~/.kube/config"
    if path is not None and not os.path.exists(path):  # (/dev/null is read: an empty kubeconfig)
        raise AttachError(f"no kubeconfig at {shown}", retry=False)
    doc = _read_kubeconfig(path, shown)
    missing = _missing_context(doc, context)
    if missing:
        raise AttachError(f"kubeconfig {shown}: {missing}", retry=False)
    unreadable = _unreadable_files(doc, context, path)
    if unreadable:
        raise AttachError(f"kubeconfig {shown}: invalid configuration: {unreadable}", retry=False)


def _context_name(loader: Any) -> str:
    """The kubeconfig's current-context (for the header); "" if the loader does not say."""
    try:
        return str(loader._current_context["name"])  # (kubernetes_asyncio keeps it there)
    except (AttributeError, KeyError, TypeError):
        return ""


def _context_namespace(loader: Any) -> str:
    """The context's `namespace`, "default" when it names none, as kubectl reads it."""
    try:
        ns = loader._current_context["context"].safe_get("namespace")  # (a kubernetes_asyncio ConfigNode)
    except (AttributeError, KeyError, TypeError):
        ns = None
    return str(ns) if ns else "default"


def _read_kubeconfig(path: str | None, shown: str) -> dict:
    """The kubeconfig as YAML, or the one line kubectl says of a file it cannot load
    (`error loading config file "F": yaml: line 2: ...`): the loader would raise whatever
    its parser raised."""
    try:
        with open(path or os.path.expanduser("~/.kube/config"), encoding="utf-8") as f:
            doc = yaml.safe_load(f)
    except FileNotFoundError:
        raise AttachError(f"no kubeconfig at {shown}", retry=False) from None
    except IsADirectoryError:  # (client-go's words: reading it fails)
        raise AttachError(f'error loading config file "{shown}": read {shown}: is a directory', retry=False) from None
    except OSError as e:
        raise AttachError(f'error loading config file "{shown}": {e.strerror or e}', retry=False) from None
    except UnicodeDecodeError:
        raise AttachError(f'error loading config file "{shown}": not a text file', retry=False) from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        what = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise AttachError(f'error loading config file "{shown}": yaml: {where}{what}', retry=False) from None
    if doc is None:
        # (kubectl loads an empty file as an empty configuration, then has no server to ask)
        raise AttachError(f'error loading config file "{shown}": the file is empty (invalid configuration: '
                          "no configuration has been provided)", retry=False)
    if not isinstance(doc, dict):
        raise AttachError(f'error loading config file "{shown}": not a kubeconfig (a YAML {type(doc).__name__}, '
                          "not a Config)", retry=False)
    for section in ("clusters", "users", "contexts"):
        value = doc.get(section)
        if value is not None and not (isinstance(value, list) and all(isinstance(e, dict) for e in value)):
            raise AttachError(f'error loading config file "{shown}": {section} is not a list of named '
                              f"{section} (Config.{section})", retry=False)
    return doc


def _named(doc: dict, section: str, name: object) -> dict:
    """The entry `name` of a kubeconfig's `clusters`/`users`/`contexts` list (its inner map)."""
    for entry in doc.get(section) or ():
        if isinstance(entry, dict) and entry.get("name") == name:
            inner = entry.get(section[:-1])
            return inner if isinstance(inner, dict) else {}
    return {}


def _unreadable_files(doc: dict, context: str | None, path: str | None) -> str:
    """The first file the context's user or cluster names that cannot be read, as client-go's
    clientcmd validation says it (`unable to read client-cert F for USER due to open F: no
    such file or directory`); "" when all can be. Relative paths are the kubeconfig's folder's."""
    ctx = _named(doc, "contexts", context or doc.get("current-context"))
    user_name, cluster_name = ctx.get("user"), ctx.get("cluster")
    base = os.path.dirname(os.path.abspath(path or os.path.expanduser("~/.kube/config")))
    checks = (("clusters", cluster_name, "certificate-authority", "certificate-authority"),
              ("users", user_name, "client-certificate", "client-cert"),
              ("users", user_name, "client-key", "client-key"))
    for section, name, key, said in checks:
        file = _named(doc, section, name).get(key) if name is not None else None
        if not file or not isinstance(file, str):
            continue
        full = os.path.join(base, os.path.expanduser(file))
        try:
            with open(full, "rb"):
                pass
        except OSError as e:
            return f"unable to read {said} {file} for {name} due to open {file}: {(e.strerror or str(e)).lower()}"
    return ""


def _missing_context(doc: dict, context: str | None) -> str:
    """`--context NAME` that the kubeconfig does not have, said as kubectl would want it."""
    if not context:
        return ""
    names = [c.get("name") for c in doc.get("contexts") or () if isinstance(c, dict)]
    if context in names:
        return ""
    return f'no context "{context}" (it has: {", ".join(map(str, names)) or "none"})'
