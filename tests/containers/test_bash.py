"""`bash` in the Debian-based redis image is bash, not dash nor busybox: its prompt
(`root@POD:/data# `, Debian's PS1), `echo -e`, `[[ ... ]]`, `$RANDOM`, `type`, its error words
and `exit` said on the way out. `sh` there stays dash (`echo -e` prints `-e`), and Alpine has
no bash at all (ash's `not found`, or the runtime's refusal to exec it)."""
from __future__ import annotations

import pytest

from engine.kubectl.session import Session
from tests.helpers import SAMPLES


@pytest.fixture()
def bash(cluster) -> Session:
    s = Session(cluster, cwd=SAMPLES.parent)
    assert s.feed("kubectl exec -it deploy/redis -- bash") == ""
    return s


def _redis(cluster) -> str:
    return next(p["metadata"]["name"] for p in cluster.store.list("Pod", "default")
                if p["metadata"]["name"].startswith("redis-"))


def test_the_prompt_is_debian_s_for_root(bash, cluster):
    assert bash.prompt == f"root@{_redis(cluster)}:/data# "
    assert bash.feed("cd /root") == "" and bash.prompt == f"root@{_redis(cluster)}:~# "
    assert bash.feed("cd /tmp") == "" and bash.prompt == f"root@{_redis(cluster)}:/tmp# "


def test_bash_s_own_language(bash):
    assert bash.feed(r"echo -e 'a\tb'") == "a\tb\n"
    assert bash.feed(r"echo 'a\tb'") == "a\\tb\n"  # (no -e: bash leaves escapes alone)
    assert bash.feed("[[ redis == re* ]] && echo matched") == "matched\n"
    assert bash.feed("[[ -d /data && 1 -lt 2 ]] || echo no") == ""
    assert bash.feed("[[ abc =~ ^a.c$ ]]; echo $?") == "0\n"
    numbers = bash.feed("echo $RANDOM $RANDOM $RANDOM").split()
    assert len(numbers) == 3 and all(0 <= int(n) < 32768 for n in numbers) and len(set(numbers)) > 1
    assert bash.feed("echo $0 $BASH_VERSION") == "bash 5.2.15(1)-release\n"
    assert bash.feed("type echo if redis-cli ls") == (
        "echo is a shell builtin\nif is a shell keyword\nredis-cli is /usr/local/bin/redis-cli\nls is /usr/bin/ls\n")
    # Debian's merged /usr: /bin is a link to /usr/bin, which comes first on $PATH
    assert bash.feed("which tar; ls /bin/tar /usr/bin/tar") == "/usr/bin/tar\n/bin/tar\n/usr/bin/tar\n"


def test_bash_s_words_for_what_it_cannot_do(bash):
    assert bash.feed("foo; echo $?") == "bash: foo: command not found\n127\n"
    assert bash.feed("/opt/nothing") == "bash: /opt/nothing: No such file or directory\n"
    assert bash.feed("type nope; echo $?") == "bash: type: nope: not found\n1\n"
    assert bash.feed("cd /nope; echo $?") == "bash: cd: /nope: No such file or directory\n1\n"
    assert bash.feed("done") == "bash: syntax error near unexpected token `done'\n"
    assert bash.feed("exit") == "exit\n" and bash.shell is None


def test_sh_in_debian_is_dash_and_bash_typed_in_it_is_bash(cluster):
    s = Session(cluster, cwd=SAMPLES.parent)
    assert s.feed("kubectl exec -it deploy/redis -- sh") == "" and s.prompt == "# "
    assert s.feed("echo -e x") == "-e x\n"
    assert s.feed("[[ a == a ]]") == "sh: 2: [[: not found\n"  # (dash's second line read)
    assert s.feed("bash") == "" and s.prompt.startswith("root@redis-")
    assert s.feed("foo") == "bash: foo: command not found\n"
    assert s.feed("exit") == "exit\n" and s.prompt == "# "  # back in the sh it was typed in
    assert s.feed("foo") == "sh: 4: foo: not found\n"  # (its fourth: bash read the lines between)


def test_alpine_has_no_bash(cluster):
    s = Session(cluster, cwd=SAMPLES.parent)
    assert s.feed("kubectl exec -it deploy/counter -- bash").endswith(
        'exec: "bash": executable file not found in $PATH: unknown\n')
    assert s.feed("kubectl exec -it deploy/counter -- sh") == ""
    assert s.feed("bash; echo $?") == "sh: bash: not found\n127\n"
    assert s.feed("[[ a == a ]] && echo ash-has-it") == "ash-has-it\n"  # (busybox ash's bash compatibility)
