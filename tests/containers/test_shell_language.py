"""The pods' shell reads a line as busybox ash does (engine/containers): pipes and the filters
learners put after them, `;` `&&` `||`, redirections, quoting, `$?`, `exit N`, and sh's own
words for what it cannot run. What a learner sees in `svcflow session` (the same shell as the
`:` prompt's pod shell and the served API's exec)."""
from __future__ import annotations

import pytest

from engine.kubectl.session import Session
from tests.helpers import SAMPLES


@pytest.fixture()
def pod_shell(cluster) -> Session:
    """A session inside the counter pod (Alpine), as after `kubectl exec -it deploy/counter -- sh`."""
    s = Session(cluster, cwd=SAMPLES.parent)
    assert s.feed("kubectl exec -it deploy/counter -- sh") == "" and s.prompt == "/app # "
    return s


def redis_ip(cluster) -> str:
    return cluster.store.get("Service", "default", "redis")["spec"]["clusterIP"]


def test_a_pipe_feeds_the_next_command(pod_shell, cluster):
    ip = redis_ip(cluster)
    assert pod_shell.feed("env | grep REDIS_PORT") == (
        f"REDIS_PORT=6379\nREDIS_PORT_6379_TCP=tcp://{ip}:6379\nREDIS_PORT_6379_TCP_PROTO=tcp\n"
        "REDIS_PORT_6379_TCP_PORT=6379\nREDIS_PORT_6379_TCP_ADDR=" + ip + "\n")
    assert pod_shell.feed("echo hi | wc -c") == "3\n"
    assert pod_shell.feed("env | grep -c REDIS") == "8\n"
    assert pod_shell.feed("env | grep -i redis_host") == "REDIS_HOST=redis\n"
    assert pod_shell.feed("env | grep -v REDIS | grep -E '^(PATH|HOME)='") == (
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nHOME=/root\n")
    assert pod_shell.feed("env | cut -d= -f1 | sort -r | head -n 3") == (
        "REDIS_SERVICE_PORT\nREDIS_SERVICE_HOST\nREDIS_PORT_6379_TCP_PROTO\n")
    assert pod_shell.feed("env | grep REDIS | tail -n 2 | cut -d= -f1") == (
        "REDIS_PORT_6379_TCP_PORT\nREDIS_PORT_6379_TCP_ADDR\n")
    assert pod_shell.feed("cat /etc/resolv.conf | awk '{print $1}' | sort -u") == "nameserver\noptions\nsearch\n"
    assert pod_shell.feed("printf 'a b\\nc d\\n' | wc -l") == "2\n"
    assert pod_shell.feed("printf 'a b\\nc d\\n' | wc") == "        2         4         8\n"


def test_lists_and_exit_codes(pod_shell):
    assert pod_shell.feed("true; echo $?") == "0\n"
    assert pod_shell.feed("false; echo $?") == "1\n"
    assert pod_shell.feed("false && echo yes || echo no") == "no\n"
    assert pod_shell.feed("true && echo yes || echo no") == "yes\n"
    assert pod_shell.feed("! false; echo $?") == "0\n"
    assert pod_shell.feed("echo a; echo b") == "a\nb\n"
    assert pod_shell.feed("grep -q nope /etc/hosts; echo $?") == "1\n"
    assert pod_shell.feed("sh -c 'exit 7'; echo $?") == "7\n"


def test_an_unknown_command_is_shs_not_found_127(pod_shell):
    assert pod_shell.feed("foo") == "sh: foo: not found\n"
    assert pod_shell.feed("echo $?") == "127\n"
    assert pod_shell.feed("curl localhost:3000; echo $?") == "sh: curl: not found\n127\n"  # until apk add curl


def test_redirections(pod_shell):
    assert pod_shell.feed("echo hi > /tmp/x; cat /tmp/x") == "hi\n"
    assert pod_shell.feed("echo there >> /tmp/x; wc -l < /tmp/x") == "2\n"
    assert pod_shell.feed("cat /nope") == "cat: can't open '/nope': No such file or directory\n"
    assert pod_shell.feed("cat /nope 2>/dev/null; echo $?") == "1\n"
    assert pod_shell.feed("cat /nope >/dev/null 2>&1") == ""
    assert pod_shell.feed("cat /nope 2>&1 | wc -l") == "1\n"
    assert pod_shell.feed("cat /nope 2>&1 >/dev/null | grep -c such") == "1\n"
    assert pod_shell.feed("echo hi > /no/dir/x") == "sh: can't create /no/dir/x: nonexistent directory\n"
    assert pod_shell.feed("wc -l < /nope") == "sh: can't open '/nope': No such file or directory\n"


def test_apk_quiet_then_the_next_command(pod_shell):
    """The tester's line: `apk add bind-tools >/dev/null; which dig` installs, prints nothing of
    apk's, and dig is on the PATH."""
    assert pod_shell.feed("apk add bind-tools >/dev/null; which dig") == "/usr/bin/dig\n"
    ip = redis_ip(pod_shell.cluster)
    assert pod_shell.feed("dig +short redis.default.svc.cluster.local") == f"{ip}\n"
    assert "status: NXDOMAIN" in pod_shell.feed("dig redis | grep status")  # (dig uses no search list)
    assert pod_shell.feed("apk add nope 2>/dev/null; echo $?") == "1\n"


def test_quoting_and_expansion(pod_shell):
    assert pod_shell.feed("echo 'a  |  b' \"$HOME\" '$HOME' \\$HOME") == "a  |  b /root $HOME $HOME\n"
    assert pod_shell.feed("echo a#b # a comment") == "a#b\n"
    assert pod_shell.feed("X='one two'; echo \"$X\" ${X}") == "one two one two\n"
    assert pod_shell.feed("echo $(hostname | wc -c)") == f"{len(pod_shell.shell.pod['metadata']['name']) + 1}\n"
    assert pod_shell.feed("A=1 printenv A; echo \"[$A]\"") == "1\n[]\n"
    assert pod_shell.feed("export B=2; printenv B") == "2\n"
    assert pod_shell.feed("echo 'unterminated") == "sh: syntax error: unterminated quoted string\n"
    assert pod_shell.feed("| wc") == 'sh: syntax error: unexpected "|"\n'
    assert pod_shell.feed("echo $?") == "2\n"


def test_the_programs_of_the_image(pod_shell, cluster):
    pod = pod_shell.shell.pod["metadata"]["name"]
    assert pod_shell.feed("ls /bin/tar; which tar") == "/bin/tar\n/bin/tar\n"
    assert pod_shell.feed("which curl; echo $?") == "1\n"
    assert pod_shell.feed("printenv HOSTNAME REDIS_PORT") == f"{pod}\n6379\n"
    assert pod_shell.feed("printenv NOPE; echo $?") == "1\n"
    assert pod_shell.feed("test -d /tmp && echo dir") == "dir\n"
    assert pod_shell.feed("[ -f /etc/hostname ] && cat /etc/hostname") == f"{pod}\n"
    assert pod_shell.feed("sleep 2; echo slept") == "slept\n"  # (simulated: no wall-clock wait)
    assert pod_shell.feed("pwd; cd /tmp; pwd") == "/app\n/tmp\n"


def test_exit_n_ends_the_shell_with_its_status(pod_shell):
    assert pod_shell.feed("echo bye; exit 3") == "bye\n"
    assert pod_shell.prompt == "$ "


def test_debian_images_speak_dash(cluster):
    s = Session(cluster, cwd=SAMPLES.parent)
    assert s.feed("kubectl exec -it deploy/redis -- sh") == "" and s.prompt == "# "
    assert s.feed("foo") == "sh: 1: foo: not found\n"
    # (dash numbers its complaints with the lines it has read: its parser's count goes on)
    assert s.feed("wget -qO- localhost") == "sh: 2: wget: not found\n"
    assert s.feed("echo 'x") == "sh: 3: Syntax error: Unterminated quoted string\n"
    assert s.feed("redis-cli dbsize | wc -l") == "1\n"


def test_one_shot_exec_runs_sh_c_as_sh_does(cluster):
    s = Session(cluster, cwd=SAMPLES.parent)
    assert s.feed("kubectl exec deploy/counter -- sh -c 'echo hi | wc -c'") == "3\n"
    assert s.feed("kubectl exec deploy/counter -- sh -c 'env | grep REDIS_HOST'") == "REDIS_HOST=redis\n"
    assert s.feed("kubectl exec deploy/counter -- printenv REDIS_HOST") == "redis\n"


def test_loops_ifs_and_groups(pod_shell):
    """The load-balancing demo's loop, and the compound commands around it."""
    assert pod_shell.feed("for i in $(seq 3); do wget -qO- counter-np:3000; echo; done | grep -c .") == "3\n"
    assert pod_shell.feed("for i in 1 2 3; do echo $i; done") == "1\n2\n3\n"
    assert pod_shell.feed("echo $(seq 3); echo \"$(seq 2)\"") == "1 2 3\n1\n2\n"
    assert pod_shell.feed("X='a b'; for w in $X; do echo \"[$w]\"; done; for w in \"$X\"; do echo \"[$w]\"; done") == (
        "[a]\n[b]\n[a b]\n")
    assert pod_shell.feed("if grep -q localhost /etc/hosts; then echo found; else echo missing; fi") == "found\n"
    assert pod_shell.feed("if false; then echo 1; elif [ a = a ]; then echo 2; else echo 3; fi") == "2\n"
    assert pod_shell.feed("{ echo a; echo b; } | wc -l") == "2\n"
    assert pod_shell.feed("for i in 1 2; do echo $i; done > /tmp/f; cat /tmp/f") == "1\n2\n"
    assert pod_shell.feed("until true; do echo never; done; echo $?") == "0\n"
    # `while true` runs until Ctrl-C in a shell; svcflow answers the line, so it stops the loop and says so
    assert pod_shell.feed("while true; do sleep 1; done; echo $?") == (
        "svcflow: the loop was stopped after 100 rounds (a shell runs it until Ctrl-C)\n130\n")
    assert pod_shell.feed("for i in 1 2") == 'sh: syntax error: unexpected end of file (expecting "do")\n'
    assert pod_shell.feed("done") == 'sh: syntax error: unexpected "done"\n'
    assert pod_shell.feed("echo ~ $NOPE x") == "/root x\n"
