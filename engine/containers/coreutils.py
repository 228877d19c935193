"""The small programs of busybox (and Debian's coreutils) that look at the container itself:
env, printenv, cat, ls, hostname, sleep, which, sh (a nested `sh -c` / a script on stdin)."""
from __future__ import annotations

from engine.containers.getopt import OptionError, getopt
from engine.containers.proc import Applet, Proc, to_text
from engine.kubelet.env import kernel_hostname, pod_hostname
from engine.kubelet.runtime import sleep_seconds


def env(p: Proc) -> int:
    """The container's environment (the kubelet's: spec env, then Service links), what this
    shell exported, and `NAME=value env`'s own."""
    for k, v in p.shell.environment(p.env):
        p.out(f"{k}={v}\n")
    return 0


def printenv(p: Proc) -> int:
    env = dict(p.shell.environment(p.env))
    if not p.args:
        for k, v in env.items():
            p.out(f"{k}={v}\n")
        return 0
    status = 0
    for name in p.args:
        if name in env:
            p.out(env[name] + "\n")
        else:
            status = 1
    return status


def cat(p: Proc) -> int:
    if not p.args:
        p.out(p.input())
        return 0
    status = 0
    for f in p.args:
        if f == "-":
            p.out(p.input())
            continue
        path = p.shell.path(f)
        if p.shell.files.is_dir(path):
            p.err("cat: read error: Is a directory\n" if p.shell.distro != "debian" else f"cat: {f}: Is a directory\n")
            status = 1
            continue
        data = p.shell.files.read(path)
        if data is None:
            p.err(f"cat: can't open '{f}': No such file or directory\n" if p.shell.distro != "debian"
                  else f"cat: {f}: No such file or directory\n")
            status = 1
            continue
        p.out(to_text(data))
    return status


def ls(p: Proc) -> int:
    try:
        o = getopt(p.args, "1aAlhdFR")
    except OptionError as e:
        return p.fail(str(e))
    targets = o.operands or ["."]
    status = 0
    files_out: list[str] = []
    dirs: list[str] = []
    for t in targets:
        path = p.shell.path(t)
        if not p.shell.files.exists(path):
            p.err(f"ls: {t}: No such file or directory\n" if p.shell.distro != "debian"
                  else f"ls: cannot access '{t}': No such file or directory\n")
            status = 2 if p.shell.distro == "debian" else 1
        elif p.shell.files.is_dir(path) and not o.has("d"):
            dirs.append(t)
        else:
            files_out.append(t)
    for f in sorted(files_out):
        p.out(f + "\n")
    for i, d in enumerate(dirs):
        if len(targets) > 1:
            p.out(("\n" if i or files_out else "") + f"{d}:\n")
        for name in p.shell.files.listdir(p.shell.path(d)):
            p.out(name + "\n")
    return status


def hostname(p: Proc) -> int:
    """busybox hostname: the kernel's hostname; -f the FQDN (the pod's /etc/hosts line names
    it when the pod has a subdomain), -s the short name, -d the domain, -i the address."""
    topo, pod = p.shell.cluster.topology, p.shell.pod
    host, domain = pod_hostname(topo, pod)
    flag = next((a for a in p.args if a in ("-f", "-s", "-d", "-i")), "")
    if flag == "-f":
        p.out((f"{host}.{domain}" if domain else host) + "\n")
    elif flag == "-s":
        p.out(host + "\n")
    elif flag == "-d":
        p.out(domain + "\n")
    elif flag == "-i":
        p.out((pod.get("status") or {}).get("podIP", "") + "\n")
    else:
        p.out(kernel_hostname(topo, pod) + "\n")
    return 0


def sleep(p: Proc) -> int:
    """Simulated time: the seconds are added to what this shell has slept (a container's
    later output is logged that much later), nothing waits on the wall clock."""
    if not p.args:
        p.err("BusyBox v1.37.0 (2025-01-17 18:12:01 UTC) multi-call binary.\n\nUsage: sleep [N]...\n"
              if p.shell.distro != "debian" else "sleep: missing operand\nTry 'sleep --help' for more information.\n")
        return 1
    if p.args == ["infinity"]:
        p.shell.wait_forever()
        return 0
    secs = sleep_seconds(p.args)
    if secs is None:
        bad = next((a for a in p.args if sleep_seconds([a]) is None), p.args[0])
        return p.fail(f"invalid number '{bad}'" if p.shell.distro != "debian" else f"invalid time interval '{bad}'")
    p.shell.elapsed += secs
    return 0


def which(p: Proc) -> int:
    status = 0
    for name in p.args:
        if p.shell.has(name) and name not in ("exit", "cd", "export"):
            p.out(p.shell.which(name) + "\n")
        else:
            status = 1
    return status


def seq(p: Proc) -> int:
    """`seq [-s SEP] [FIRST [INC]] LAST` (whole numbers: what loops count with)."""
    try:
        o = getopt(p.args, "ws:")
    except OptionError as e:
        return p.fail(str(e))
    nums = o.operands
    if not 1 <= len(nums) <= 3:
        p.err("BusyBox v1.37.0 (2025-01-17 18:12:01 UTC) multi-call binary.\n\nUsage: seq [-w] [-s SEP] "
              "[FIRST [INC]] LAST\n" if p.shell.distro != "debian" else "seq: missing operand\n")
        return 1
    for n in nums:
        if not n.lstrip("-").isdigit():
            return p.fail(f"invalid number '{n}'" if p.shell.distro != "debian" else f"invalid floating point "
                                                                                      f"argument: '{n}'")
    first, inc, last = (1, 1, int(nums[0])) if len(nums) == 1 else \
        (int(nums[0]), 1, int(nums[1])) if len(nums) == 2 else (int(nums[0]), int(nums[1]), int(nums[2]))
    values = list(range(first, last + (1 if inc > 0 else -1), inc)) if inc else []
    if values:
        p.out((o.value("s") or "\n").join(str(v) for v in values) + "\n")
    return 0


def sh(p: Proc) -> int:
    """`sh -c SCRIPT` (a child shell: its variables and `cd` stay in it), or `sh` reading a
    script from its stdin."""
    if p.args[:1] == ["-c"]:
        if len(p.args) < 2:
            p.err("sh: -c requires an argument\n")
            return 2
        return p.shell.subshell(p, p.args[1], command_string=True)
    if p.args:
        data = p.shell.files.read(p.shell.path(p.args[0]))
        if data is None:
            return p.fail(f"can't open '{p.args[0]}': No such file or directory", 2)
        return p.shell.subshell(p, to_text(data), p.args[0])
    if p.stdin is None:
        p.shell.enter(p.name)  # (an interactive shell in this one: its prompt until its `exit`)
        return 0
    return p.shell.subshell(p, p.input())


APPLETS: dict[str, Applet] = {"env": env, "printenv": printenv, "cat": cat, "ls": ls, "hostname": hostname,
                              "sleep": sleep, "which": which, "seq": seq, "sh": sh, "ash": sh, "bash": sh}
