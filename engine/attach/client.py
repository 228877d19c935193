"""The connection to a real API server: kubeconfig, authentication, raw GETs.

`kubernetes_asyncio` (the optional extra `svcflow[attach]`) loads the kubeconfig and keeps
the credentials fresh: client certificates, bearer tokens and exec plugins (EKS, GKE, AKS,
OIDC helpers) (apiserver-spec §9). It is only asked for raw responses
(`_preload_content=False`): svcflow reads the JSON itself, into the store's shape, with no
generated models in between. It is imported here and nowhere else, when attaching starts,
so the simulated dashboard runs without it.

Only GET is ever sent (`KubeClient.get_json`, `KubeClient.watch_lines`): the mirror is
read-only by construction, there is no method that could write.

Every failure a user can act on becomes an `AttachError` with one line to show.
"""
from __future__ import annotations

import asyncio
import importlib.util
import json
import os
from dataclasses import dataclass
from typing import Any, AsyncIterator, Callable

import aiohttp
import yaml

from engine.controllers.base import no_cyclic_gc

try:  # (in the attach extra: the decoder of every list page and watch line, when installed)
    import orjson
except ImportError:  # pragma: no cover - the extra's other half may be installed without it
    orjson = None  # type: ignore[assignment]

INSTALL_HINT = "attaching to a cluster needs kubernetes_asyncio: pip install 'svcflow[attach]'"
CONNECT_TIMEOUT = 10.0  # seconds to open a connection (and to wait for a list's answer to start)
LIST_TIMEOUT = 120.0  # seconds one page of a list may take


class AttachError(Exception):
    """A problem with one line for the user (`line`); `retry` says whether trying again may help."""

    def __init__(self, line: str, *, retry: bool = True, status: int = 0, reason: str = "") -> None:
        super().__init__(line)
        self.line = line
        self.retry = retry
        self.status = status
        self.reason = reason


class Gone(AttachError):
    """410 Gone / ERROR Expired: the resourceVersion is too old; list again."""


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
        except (aiohttp.ClientConnectorError, aiohttp.ServerDisconnectedError, ConnectionError,
                asyncio.TimeoutError) as e:
            raise AttachError(f"cannot reach the API server at {self.server}: {_reason(e)} (retrying)") from None
        except aiohttp.ClientError as e:
            raise AttachError(f"{self.server}: {type(e).__name__}: {e} (retrying)") from None

    async def get_json(self, path: str, query: dict[str, str]) -> dict:
        """One GET answered with JSON (a list page); an error status is an AttachError."""
        resp = await self._get(path, query, aiohttp.ClientTimeout(total=LIST_TIMEOUT, sock_connect=CONNECT_TIMEOUT))
        async with resp:
            try:
                raw = await resp.read()
            except (aiohttp.ClientError, asyncio.TimeoutError, ConnectionError) as e:
                raise Disconnected(f"{self.server}{path}: the connection dropped: {_reason(e)}") from None
            body = decode_json(raw)
            if not 200 <= resp.status <= 299:
                raise _status_line(self.server, path, resp.status, body)
            if body is None:
                raise AttachError(f"{self.server}{path}: the answer is not JSON")
            return body

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


def decode_json(raw: bytes) -> dict | None:
    """A list page's or a watch line's JSON object (None if it is not one).

    The one decoder of what the server sends. orjson when installed (the attach extra
    brings it): at 10,000 Services the lists are 315 MB of JSON, which the standard library
    decodes in ~2.9 s of the first paint's 10 and orjson in about half. orjson reads the
    API server's JSON exactly (Go's encoding of int32/int64 fields and strings; it would read
    an integer beyond 64 bits as a float, which the Kubernetes API never sends); what it
    refuses and the standard library accepts (NaN, Infinity) is tried again with `json`.
    """
    with no_cyclic_gc():  # (a page's 50,000 new dicts and lists hold no cycle: ~20 % of decoding was collections)
        if orjson is not None:
            try:
                v = orjson.loads(raw)
            except ValueError:  # (orjson.JSONDecodeError is one)
                v = _stdlib_json(raw)
        else:
            v = _stdlib_json(raw)
    return v if isinstance(v, dict) else None


def _stdlib_json(raw: bytes) -> object:
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _reason(e: BaseException) -> str:
    if isinstance(e, asyncio.TimeoutError):
        return "timed out"
    text = str(e) or type(e).__name__
    return text.splitlines()[0]


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
    path = kubeconfig_path(kubeconfig)
    shown = path or "~/.kube/config"
    if path is not None and not os.path.isfile(path):
        raise AttachError(f"no kubeconfig at {shown}", retry=False)
    missing = _missing_context(path, context)
    if missing:
        raise AttachError(f"kubeconfig {shown}: {missing}", retry=False)
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
    except (OSError, ValueError) as e:  # an unreadable file, YAML that is not a kubeconfig, an exec plugin that failed
        raise AttachError(f"kubeconfig {shown}: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}",
                          retry=False) from None
    return KubeClient(k8s_client.ApiClient(cfg), cfg.host, context or _context_name(loader), _context_namespace(loader))


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


def _missing_context(path: str | None, context: str | None) -> str:
    """`--context NAME` that the kubeconfig does not have, said as kubectl would want it."""
    if not context:
        return ""
    try:
        with open(path or os.path.expanduser("~/.kube/config"), encoding="utf-8") as f:
            doc = yaml.safe_load(f)
    except (OSError, yaml.YAMLError):
        return ""  # (the loader says what is wrong with the file)
    names = [c.get("name") for c in (doc or {}).get("contexts") or () if isinstance(c, dict)] \
        if isinstance(doc, dict) else []
    if context in names:
        return ""
    return f'no context "{context}" (it has: {", ".join(map(str, names)) or "none"})'
