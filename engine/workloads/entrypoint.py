"""What a container's main process is: the image's ENTRYPOINT and CMD as the pod's
`command` and `args` override them, then the image's entrypoint script.

Why: the program decides what the container prints and what listens. Kubernetes runs
`command` in place of the image's ENTRYPOINT and `args` in place of its CMD (a `command`
alone drops the CMD too), so `kubectl run r --image=redis -- sleep 3600` (args) and
`command: ["sh", "-c", "sleep 3600"]` run no redis-server: no start-up banner, nothing on
6379. The official images start through a `docker-entrypoint.sh` that runs whatever it is
given (`exec "$@"`): redis's puts `redis-server` in front of options (`--port 6380`, a
`.conf` file), nginx's prints its configuration lines only when it starts `nginx`. A
shell script that ends by running one of the image's servers (`sh -c 'exec redis-server
--port 7000'`) runs that server: it is what listens and logs (`script_server`).
"""
from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

#: Shells: `sh -c SCRIPT` runs the script, a bare shell reads its stdin.
SHELLS = frozenset({"sh", "ash", "bash"})
#: Programs that do their work and exit (the shell's one-shot tools and coreutils).
ONE_SHOT = frozenset({"echo", "true", "false", "exit", "nslookup", "dig", "host", "wget", "curl", "cat", "env",
                      "printenv", "hostname", "ls", "date", "pwd", "id", "whoami", "uname", "apk", "grep", "wc",
                      "head", "sort", "cut", "awk", "tr", "uniq", "tar", "which", "test", "[", "printf", "seq"})
#: Programs that open no socket: a container running one of them refuses every connection.
NO_LISTENER = ONE_SHOT | {"sleep", "tail"}


@dataclass(frozen=True)
class ImageConfig:
    """An image's ENTRYPOINT and CMD (its config, as `docker inspect` shows it)."""

    entrypoint: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ()


_NGINX = ImageConfig(("/docker-entrypoint.sh",), ("nginx", "-g", "daemon off;"))
#: The images whose config svcflow knows (the official Dockerfiles' ENTRYPOINT and CMD).
IMAGE_CONFIGS: dict[str, ImageConfig] = {
    "redis": ImageConfig(("docker-entrypoint.sh",), ("redis-server",)),
    "nginx": _NGINX, "nginx-unprivileged": _NGINX,
    "httpd": ImageConfig((), ("httpd-foreground",)),
    "coredns": ImageConfig(("/coredns",), ()),
    "busybox": ImageConfig((), ("sh",)),
    "alpine": ImageConfig((), ("/bin/sh",)),
}


#: The servers each image installs, where its PATH finds them (its Dockerfile's build:
#: redis's `make install` into /usr/local/bin, nginx's Debian package in /usr/sbin, httpd's
#: own build and its foreground wrapper). A shell in the container runs them by name.
IMAGE_SERVERS: dict[str, dict[str, str]] = {
    "redis": {"redis-server": "/usr/local/bin/redis-server"},
    "nginx": {"nginx": "/usr/sbin/nginx", "nginx-debug": "/usr/sbin/nginx-debug"},
    "nginx-unprivileged": {"nginx": "/usr/sbin/nginx", "nginx-debug": "/usr/sbin/nginx-debug"},
    "httpd": {"httpd-foreground": "/usr/local/bin/httpd-foreground", "httpd": "/usr/local/apache2/bin/httpd"},
}


def image_servers(image: str) -> dict[str, str]:
    """The servers `image` has (name -> path); none for an image svcflow does not know."""
    return IMAGE_SERVERS.get(image_base(image), {})


def stays_in_foreground(argv: list[str] | tuple[str, ...]) -> bool:
    """Whether the server `argv` runs in the foreground: nginx daemonizes unless told
    `daemon off;` (`-g 'daemon off;'`: a script that runs a bare `nginx` ends at once, its
    container with it); redis-server and httpd-foreground stay."""
    name = argv[0].rsplit("/", 1)[-1] if argv else ""
    if name in ("nginx", "nginx-debug"):
        return any(a == "-g" and re.search(r"\bdaemon\s+off\s*;", b) for a, b in zip(argv, argv[1:]))
    return name != "httpd"  # (httpd without -DFOREGROUND forks away too)


@dataclass(frozen=True)
class Program:
    """The process the container runs: its argv once the entrypoint script has exec'd it
    (None: the image's own default, for an image whose config svcflow does not know), and
    whether the image's entrypoint script ran first (nginx's prints its lines then).
    `server`: for a shell script that ends by running one of the image's servers in the
    foreground (`sh -c 'exec redis-server --port 7000'`), that server's argv (it is what
    listens and logs); `server_is_pid1` when the shell exec'd it, so it, not the shell, gets
    SIGTERM: `exec`, or simply being the script's last command -- dash (the redis and nginx
    images' sh: main.c `evalstring(minusc, EV_EXIT)`, the last command of the string run
    without a fork) and bash 5 run it in their own place -- unless the script sets a `trap`
    (the shell stays to run it)."""

    argv: tuple[str, ...] | None
    via_entrypoint: bool = False
    server: tuple[str, ...] | None = None
    server_is_pid1: bool = False

    @property
    def name(self) -> str:
        """The program's file name (`/usr/local/bin/redis-server` -> `redis-server`); "" for
        the image's unknown default."""
        return self.argv[0].rsplit("/", 1)[-1] if self.argv else ""


def image_base(image: str) -> str:
    """`docker.io/library/redis:7.4` -> `redis`."""
    return image.split("@", 1)[0].rsplit("/", 1)[-1].split(":", 1)[0]


def process_argv(container: dict) -> list[str] | None:
    """The argv the runtime starts (OCI: ENTRYPOINT + CMD, `command` replacing the first and
    dropping the second, `args` replacing the second); None when neither is given and the
    image's config is unknown (it runs its own default)."""
    command = [str(x) for x in container.get("command") or []]
    args = [str(x) for x in container.get("args") or []]
    if command:
        return command + args
    config = IMAGE_CONFIGS.get(image_base(str(container.get("image", ""))))
    if config is None:
        return args or None  # (an unknown ENTRYPOINT is taken to be none: `args` run as given)
    return [*config.entrypoint, *(args or config.cmd)]


def program(container: dict) -> Program:
    """What runs once the image's `docker-entrypoint.sh` (if it is what starts) has exec'd."""
    argv = process_argv(container)
    if argv is None:
        return Program(None)
    if argv and argv[0].rsplit("/", 1)[-1] == "docker-entrypoint.sh":
        rest = argv[1:]
        if image_base(str(container.get("image", ""))) == "redis" and rest and (
                rest[0].startswith("-") or rest[0].endswith(".conf")):
            rest = ["redis-server", *rest]  # (redis's script: options are redis-server's)
        argv = rest
        if not (argv and argv[0].rsplit("/", 1)[-1] in SHELLS):
            return Program(tuple(rest), via_entrypoint=True)
    server, pid1 = script_server(argv, str(container.get("image", "")))
    return Program(tuple(argv), server=server, server_is_pid1=pid1)


def script_server(argv: list[str], image: str) -> tuple[tuple[str, ...] | None, bool]:
    """The image's server a `sh -c SCRIPT` ends by running in the foreground (its last
    command, `exec` or not, not sent to the background with `&`), and whether the shell
    exec'd it; (None, False) for any other process."""
    if not (len(argv) >= 3 and argv[0].rsplit("/", 1)[-1] in SHELLS and argv[1] == "-c"):
        return None, False
    script = argv[2].rstrip().rstrip(";").rstrip()
    if script.endswith("&") and not script.endswith("&&"):
        return None, False
    commands = script_commands(script)
    if not commands:
        return None, False
    words = commands[-1]
    pid1 = not any(c[0] == "trap" for c in commands)
    if words[0] == "exec" and len(words) > 1:
        words, pid1 = words[1:], True
    servers = image_servers(image)
    name = words[0].rsplit("/", 1)[-1]
    if name not in servers or ("/" in words[0] and words[0] != servers[name]) or not stays_in_foreground(words):
        return None, False
    return tuple(words), pid1


def listens(prog: Program) -> bool:
    """Whether the program may listen on the container's declared ports: not one that opens
    no socket (`sleep`, `echo`), nor a shell script made only of such commands."""
    if prog.argv is None or prog.server is not None:
        return True
    if prog.name in NO_LISTENER:
        return False
    if prog.name in SHELLS:
        if len(prog.argv) == 1:
            return False  # (an interactive shell)
        if prog.argv[1] == "-c" and len(prog.argv) >= 3:
            return not all(words[0] in NO_LISTENER for words in script_commands(prog.argv[2]))
    return True


_OPENERS = frozenset({"do", "then", "else", "elif", "if", "{", "!", "while", "until"})
_CLOSERS = frozenset({"for", "done", "fi", "}"})


def script_commands(script: str) -> list[list[str]]:
    """The words of each simple command of a shell script (split at `;`, `&&`, `||`, `|`,
    `&` and newlines outside quotes: `nginx -g 'daemon off;'` is one command; the reserved
    words before a command dropped); a part that does not split (an open quote) is one
    unknown command."""
    commands = []
    for line in script.split("\n"):
        lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|")
        lexer.whitespace_split = True
        words: list[str] = []
        try:
            tokens = list(lexer) + [";"]
        except ValueError:
            return [["?"]]
        for token in tokens:
            if token and set(token) <= set(";&|"):
                while words and words[0] in _OPENERS:
                    words = words[1:]
                if words and words[0] not in _CLOSERS:
                    commands.append(words)
                words = []
            else:
                words.append(token)
    return commands
