"""What a container's main process is: the image's ENTRYPOINT and CMD as the pod's
`command` and `args` override them, then the image's entrypoint script.

Why: the program decides what the container prints and what listens. Kubernetes runs
`command` in place of the image's ENTRYPOINT and `args` in place of its CMD (a `command`
alone drops the CMD too), so `kubectl run r --image=redis -- sleep 3600` (args) and
`command: ["sh", "-c", "sleep 3600"]` run no redis-server: no start-up banner, nothing on
6379. The official images start through a `docker-entrypoint.sh` that runs whatever it is
given (`exec "$@"`): redis's puts `redis-server` in front of options (`--port 6380`, a
`.conf` file), nginx's prints its configuration lines only when it starts `nginx`.
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


@dataclass(frozen=True)
class Program:
    """The process the container runs: its argv once the entrypoint script has exec'd it
    (None: the image's own default, for an image whose config svcflow does not know), and
    whether the image's entrypoint script ran first (nginx's prints its lines then)."""

    argv: tuple[str, ...] | None
    via_entrypoint: bool = False

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
        return Program(tuple(rest), via_entrypoint=True)
    return Program(tuple(argv))


def listens(prog: Program) -> bool:
    """Whether the program may listen on the container's declared ports: not one that opens
    no socket (`sleep`, `echo`), nor a shell script made only of such commands."""
    if prog.argv is None:
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
    `&` and newlines; the reserved words before a command dropped); a part that does not
    split (an open quote) is one unknown command."""
    commands = []
    for part in re.split(r"\n|;|&&|\|\||\||&", script):
        try:
            words = shlex.split(part)
        except ValueError:
            return [["?"]]
        while words and words[0] in _OPENERS:
            words = words[1:]
        if words and words[0] not in _CLOSERS:
            commands.append(words)
    return commands
