"""Alpine's package manager, for the packages the tutorial and its readers install: `apk add`
fetches the indexes, installs the package and the libraries it needs (the transcript's
lines), and the programs appear on the PATH of that container from then on."""
from __future__ import annotations

from engine.containers.proc import Proc

# apk packages: name -> (version, dependencies not in the base image)
APK = {
    "curl": ("8.12.1-r1", ["ca-certificates", "brotli-libs", "c-ares", "libunistring", "libidn2",
                           "nghttp2-libs", "libpsl", "zstd-libs", "libcurl"]),
    "busybox-extras": ("1.37.0-r12", []),
    "redis": ("7.2.9-r0", []),
    "bind-tools": ("9.18.37-r0", ["fstrm", "libuv", "json-c", "libxml2", "bind-libs"]),
    "net-tools": ("2.10-r3", ["mii-tool"]),
}
APK_VERSIONS = {"ca-certificates": "20241121-r1", "brotli-libs": "1.1.0-r2", "c-ares": "1.34.5-r0",
                "libunistring": "1.3-r0", "libidn2": "2.3.7-r0", "nghttp2-libs": "1.65.0-r0",
                "libpsl": "0.21.5-r3", "zstd-libs": "1.5.6-r2", "libcurl": "8.12.1-r1", "fstrm": "0.6.1-r4",
                "libuv": "1.49.2-r0", "json-c": "0.18-r0", "libxml2": "2.13.4-r6", "bind-libs": "9.18.37-r0",
                "mii-tool": "2.10-r3"}
APK_PROVIDES = {"curl": {"curl"}, "busybox-extras": {"telnet", "telnetd", "ftpget"},
                "redis": {"redis-cli", "redis-server"}, "bind-tools": {"dig", "host"},
                "net-tools": {"ifconfig"}}


def apk(p: Proc) -> int:
    args = p.args
    if not args or args[0] != "add":
        return 0
    shell = p.shell
    pkgs = [a for a in args[1:] if not a.startswith("-")]
    unknown = [x for x in pkgs if x not in APK]
    if unknown:
        p.err("".join(f"ERROR: unable to select packages:\n  {x} (no such package):\n    required by: world[{x}]\n"
                      for x in unknown))
        return 1
    todo: list[tuple[str, str]] = []
    for x in pkgs:
        ver, deps = APK[x]
        for d in deps:
            if d not in shell.installed and (d, APK_VERSIONS[d]) not in todo:
                todo.append((d, APK_VERSIONS[d]))
        if x not in shell.installed:
            todo.append((x, ver))
    lines = ["fetch https://dl-cdn.alpinelinux.org/alpine/v3.21/main/x86_64/APKINDEX.tar.gz",
             "fetch https://dl-cdn.alpinelinux.org/alpine/v3.21/community/x86_64/APKINDEX.tar.gz"]
    for i, (name, ver) in enumerate(todo, 1):
        lines.append(f"({i}/{len(todo)}) Installing {name} ({ver})")
    if any(n == "busybox-extras" for n, _ in todo):
        lines.append(f"Executing busybox-extras-{APK['busybox-extras'][0]}.post-install")
    if todo:
        lines.append("Executing busybox-1.37.0-r12.trigger")
    if any(n == "ca-certificates" for n, _ in todo):
        lines.append(f"Executing ca-certificates-{APK_VERSIONS['ca-certificates']}.trigger")
    for name, _ in todo:
        shell.installed.add(name)
        shell.installed |= APK_PROVIDES.get(name, set())
    shell.apk_count += len(todo)
    lines.append(f"OK: {11 + len(shell.installed)} MiB in {shell.apk_count} packages")
    p.out("\n".join(lines) + "\n")
    return 0
