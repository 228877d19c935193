"""A shell's own complaints say where they come from, as bash 5.2 and dash do: typed at
bash's prompt `bash: foo: command not found`; in a script (`bash -c`, a script on stdin, a
file) `bash: line N: ...` (a file's name in place of `bash`); dash `sh: N: ...`, the line of
the script the command is on. busybox ash says neither (`sh: foo: not found`)."""
from __future__ import annotations

import pytest

from engine.kubectl.session import Session
from tests.helpers import SAMPLES


@pytest.fixture()
def s(cluster) -> Session:
    return Session(cluster, cwd=SAMPLES.parent)


def test_bash_c_names_the_line(s):
    assert s.feed("kubectl exec deploy/redis -- bash -c 'foo; echo $((1/0))'") == (
        'bash: line 1: foo: command not found\nbash: line 1: 1/0: division by 0 (error token is "0")\n'
        "command terminated with exit code 1\n")
    assert s.feed("kubectl exec deploy/redis -- bash -c 'echo a\ncd /nope\ntype nope\nexit x'") == (
        "a\nbash: line 2: cd: /nope: No such file or directory\nbash: line 3: type: nope: not found\n"
        "bash: line 4: exit: x: numeric argument required\ncommand terminated with exit code 2\n")
    assert s.feed("kubectl exec deploy/redis -- bash -c 'true\necho $(true) $((1/0))'") == (
        'bash: line 2: 1/0: division by 0 (error token is "0")\ncommand terminated with exit code 1\n')


def test_dash_names_the_line_and_busybox_does_not(s):
    assert s.feed("kubectl exec deploy/redis -- sh -c 'echo a\nfoo\necho $((1/0))'") == (
        'a\nsh: 2: foo: not found\nsh: 3: arithmetic expression: division by zero: "1/0"\n'
        "command terminated with exit code 2\n")
    assert s.feed("kubectl exec deploy/counter -- sh -c 'true\nfoo'") == (
        "sh: foo: not found\ncommand terminated with exit code 127\n")


def test_at_the_prompt_and_in_scripts_typed_there(s):
    assert s.feed("kubectl exec -it deploy/redis -- bash") == ""
    assert s.feed("foo") == "bash: foo: command not found\n"
    assert s.feed("echo $(foo) x; (nope)") == "bash: foo: command not found\nx\nbash: nope: command not found\n"
    assert s.feed("bash -c 'true\nfoo'; echo $?") == "bash: line 2: foo: command not found\n127\n"
    assert s.feed("printf 'true\\n\\nfoo\\n' > /tmp/s.sh; bash /tmp/s.sh; sh /tmp/s.sh") == (
        "/tmp/s.sh: line 3: foo: command not found\n/tmp/s.sh: 3: foo: not found\n")
    assert s.feed("foo") == "bash: foo: command not found\n"  # (back at the prompt)
    assert s.feed("exit") == "exit\n"


def test_a_main_script_s_errors_in_the_container_s_log(s, cluster):
    assert s.feed("kubectl run failing --image=python --restart=Never -- bash -c 'echo start\nnope'") == (
        "pod/failing created\n")
    cluster.run_for(10)
    assert s.feed("kubectl logs failing") == "start\nbash: line 2: nope: command not found\n"


def test_dash_at_its_prompt_counts_the_lines_it_has_read(s):
    assert s.feed("kubectl exec -it deploy/redis -- sh") == ""
    assert s.feed("foo") == "sh: 1: foo: not found\n"
    assert s.feed("true") == ""
    assert s.feed("bar; ( )") == 'sh: 3: Syntax error: ")" unexpected\n'
    assert s.feed("echo $((1/0))") == 'sh: 4: arithmetic expression: division by zero: "1/0"\n'
    assert s.feed("if true") == 'sh: 5: Syntax error: end of file unexpected (expecting "then")\n'
    # a shell typed in it counts its own; back in this one, the count goes on
    assert s.feed("sh") == ""
    assert s.feed("nope") == "sh: 1: nope: not found\n"
    assert s.feed("exit") == ""
    assert s.feed("cd /nope") == "sh: 7: cd: can't cd to /nope\n"
    # a new exec starts a new shell, counting from 1
    assert s.feed("exit") == ""
    assert s.feed("kubectl exec -it deploy/redis -- sh") == ""
    assert s.feed("foo") == "sh: 1: foo: not found\n"


def test_bash_c_shows_the_line_it_could_not_read(s):
    assert s.feed("kubectl exec deploy/redis -- bash -c 'echo a; ( )'") == (
        "bash: -c: line 1: syntax error near unexpected token `)'\nbash: -c: line 1: `echo a; ( )'\n"
        "command terminated with exit code 2\n")
    assert s.feed("kubectl exec deploy/redis -- bash -c 'true\necho (x'") == (
        "bash: -c: line 2: syntax error near unexpected token `('\nbash: -c: line 2: `echo (x'\n"
        "command terminated with exit code 2\n")
    assert s.feed("kubectl exec -it deploy/redis -- bash") == ""
    assert s.feed("( )") == "bash: syntax error near unexpected token `)'\n"  # (at the prompt: no more)
    assert s.feed("printf 'true\\n( )\\n' > /tmp/b.sh; bash /tmp/b.sh") == (
        "/tmp/b.sh: line 2: syntax error near unexpected token `)'\n/tmp/b.sh: line 2: `( )'\n")
