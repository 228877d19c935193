"""`( ... )` subshells and `{ ...; }` groups as learners type them in a pod's shell: a
subshell is a forked shell (its `cd`, variables and `exit` stay in it, its status is its last
command's), a group runs in this shell; both keep their output in order and send it where
their redirections say."""
from __future__ import annotations

from engine.kubectl.session import Session
from tests.helpers import SAMPLES, pod_shell


def test_what_a_subshell_changes_stays_in_it(cluster):
    sh = pod_shell(cluster, "deploy/counter")
    assert sh.feed("(cd /tmp; pwd); pwd") == "/tmp\n/app\n"
    assert sh.prompt == "/app # "
    assert sh.feed("x=1; (x=2; echo $x); echo $x") == "2\n1\n"
    assert sh.feed("(export GREETING=hi); printenv GREETING; echo $?") == "1\n"
    # `exit` ends the subshell only: its code is the subshell's status
    assert sh.feed("(exit 3); echo $?") == "3\n"
    assert sh.feed("(echo in; exit 5; echo never); echo out $?") == "in\nout 5\n"
    assert sh.feed("(false) && echo yes || echo no") == "no\n"
    assert sh.feed("( (echo nested) ); echo $?") == "nested\n0\n"
    # an arithmetic error ends the subshell, not the line
    assert sh.feed("(echo $((1/0)); echo no); echo $?") == "sh: divide by zero\n2\n"


def test_a_group_runs_in_this_shell(cluster):
    sh = pod_shell(cluster, "deploy/counter")
    assert sh.feed("{ cd /tmp; x=7; }; pwd; echo $x") == "/tmp\n7\n"
    assert sh.prompt == "/tmp # "
    assert sh.feed("{ false; }; echo $?") == "1\n"
    # `exit` in a group ends the shell itself
    assert sh.feed("{ echo bye; exit 4; }; echo never") == "bye\n"
    assert sh.shell is None


def test_output_order_pipes_and_redirections(cluster):
    sh = pod_shell(cluster, "deploy/counter")
    assert sh.feed("echo 1; (echo 2; echo 3); echo 4") == "1\n2\n3\n4\n"
    assert sh.feed("(echo a; echo b) | wc -l") == "2\n"
    assert sh.feed("{ echo a; echo b; } | wc -l") == "2\n"
    assert sh.feed("(echo out; echo err >&2) 2>/dev/null") == "out\n"
    assert sh.feed("(echo first; echo second) > /tmp/both; cat /tmp/both") == "first\nsecond\n"
    assert sh.feed("{ echo x; echo y; } >> /tmp/both; wc -l < /tmp/both") == "4\n"


def test_malformed_subshells_and_groups_in_each_shells_words(cluster):
    ash = pod_shell(cluster, "deploy/counter")
    assert ash.feed("( )") == 'sh: syntax error: unexpected ")"\n'
    assert ash.feed("{ }") == 'sh: syntax error: unexpected "}"\n'
    assert ash.feed("(echo a) b") == "sh: syntax error: unexpected word\n"
    assert ash.feed("echo $?") == "2\n"
    dash = pod_shell(cluster, "deploy/redis")
    assert dash.feed("( )") == 'sh: 1: Syntax error: ")" unexpected\n'
    assert dash.feed("(echo a) b") == "sh: 2: Syntax error: word unexpected\n"  # (its second line)
    bash = pod_shell(cluster, "deploy/redis", "bash")
    assert bash.feed("(cd /tmp && pwd); pwd") == "/tmp\n/data\n"
    assert bash.feed("( )") == "bash: syntax error near unexpected token `)'\n"
    assert bash.feed("(echo a) b") == "bash: syntax error near unexpected token `b'\n"


def test_a_script_given_to_sh_c(cluster):
    s = Session(cluster, cwd=SAMPLES.parent)
    assert s.feed("kubectl exec deploy/counter -- sh -c "
                  "'(exit 3); echo $?; (cd /etc; pwd); pwd; { echo g1; echo g2; } | wc -l; (echo b; exit 5)'") == (
        "3\n/etc\n/app\n2\nb\ncommand terminated with exit code 5\n")
