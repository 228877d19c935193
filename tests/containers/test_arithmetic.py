"""`$((EXPR))` in the pods' shells: the counting loops of the tutorials (`i=$((i+1))`), C's
precedence and integer division, assignments, and the shells' words for what is not a sum."""
from __future__ import annotations

from engine.kubectl.session import Session
from tests.helpers import SAMPLES, pod_shell


def test_arithmetic_expansion(cluster):
    sh = pod_shell(cluster, "deploy/counter")
    assert sh.feed("i=0; i=$((i+1)); i=$(($i + 1)); echo $i") == "2\n"
    assert sh.feed("echo $((3*(4+2)/4)) $((-7/2)) $((-7%3)) $((1<2)) $((0x10+010)) $((2**10))") == "4 -3 -1 1 24 1024\n"
    assert sh.feed("echo $((n+=5)) $((n*=2)) $n; echo \"$((n > 5 ? 1 : 0))\"") == "5 10 10\n1\n"
    assert sh.feed("for i in 1 2 3; do echo $((i*i)); done") == "1\n4\n9\n"
    # An arithmetic error ends the line where it is (the shells jump back to their top level):
    # the echo does not run, nor what follows it, and the status says so (2 in sh, 1 in bash).
    assert sh.feed("echo $((1/0)); echo after") == "sh: divide by zero\n"
    assert sh.feed("echo $?") == "2\n"
    assert sh.feed("echo $((2+))") == "sh: arithmetic syntax error\n"


def test_an_arithmetic_error_ends_the_line_in_bash_and_ends_a_script(cluster):
    bash = pod_shell(cluster, "deploy/redis", "bash")
    assert bash.feed("echo $((1/0)); echo after") == 'bash: 1/0: division by 0 (error token is "0")\n'
    assert bash.feed("echo $?") == "1\n"
    s = Session(cluster, cwd=SAMPLES.parent)
    assert s.feed("kubectl exec deploy/counter -- sh -c 'echo before; echo $((1/0)); echo after'") == \
        "before\nsh: divide by zero\ncommand terminated with exit code 2\n"


def test_a_counting_loop_as_a_main_process(cluster):
    s = Session(cluster, cwd=SAMPLES.parent)
    assert s.feed("kubectl run counting --image=busybox -- sh -c "
                  "'i=0; while true; do i=$((i+1)); echo round $i; sleep 2; done'") == "pod/counting created\n"
    cluster.run_for(7)
    assert s.feed("kubectl logs counting") == "round 1\nround 2\nround 3\nround 4\n"


def test_bash_names_the_token_it_gave_up_at(cluster):
    """bash 5.2's expr.c ends each arithmetic error with `(error token is "...")`: the rest of
    the expression from the token its reader blames (after a division, the divisor)."""
    bash = pod_shell(cluster, "deploy/redis", "bash")
    assert bash.feed("z=0; echo $((10/z+3))") == 'bash: 10/z+3: division by 0 (error token is "z+3")\n'
    assert bash.feed("echo $((7 % 0))") == 'bash: 7 % 0: division by 0 (error token is "0")\n'
    assert bash.feed("echo $((2**-1))") == 'bash: 2**-1: exponent less than 0 (error token is "1")\n'
    assert bash.feed("echo $((2+))") == 'bash: 2+: syntax error: operand expected (error token is "+")\n'
    assert bash.feed("echo $((1 2))") == 'bash: 1 2: syntax error in expression (error token is "2")\n'
    assert bash.feed("echo $((1 @ 2))") == \
        'bash: 1 @ 2: syntax error: invalid arithmetic operator (error token is "@ 2")\n'
    assert bash.feed("echo $?") == "1\n"
    # `$NAME` is expanded before the expression is read: the complaint shows its value
    assert bash.feed("echo $((10/$z))") == 'bash: 10/0: division by 0 (error token is "0")\n'
    assert bash.feed("echo $((10/$nope))") == 'bash: 10/: syntax error: operand expected (error token is "/")\n'
    # Debian's sh (dash) says it its own way
    sh = pod_shell(cluster, "deploy/redis", "sh")
    assert sh.feed("echo $((1/0))") == 'sh: 1: arithmetic expression: division by zero: "1/0"\n'
