"""redis-cli as the redis image runs it (redis-cli.c 7.4): its replies formatted for a
terminal only when its stdout is one (`kubectl exec -it`, a line typed in `exec -it ... sh`),
raw otherwise (`kubectl exec deploy/redis -- redis-cli incr a`, a pipe, `$(...)`, a file);
`--raw` / `--no-raw`; `-e`; its REPL on a terminal (`kubectl exec -it redis -- redis-cli`)
and over piped stdin; the words of a failed connection and of a bad option."""
from __future__ import annotations

import pytest

from engine.containers.rediscli import parse_reply, render
from engine.kubectl.session import Session
from engine.workloads.redis import quote_arg, split_args
from tests.helpers import SAMPLES, pod_shell


@pytest.fixture
def s(cluster) -> Session:
    return Session(cluster, cwd=SAMPLES.parent)


def test_without_a_terminal_replies_are_raw(s):
    assert s.feed("kubectl exec deploy/redis -- redis-cli del ra rb") in ("0\n", "1\n", "2\n")
    assert s.feed("kubectl exec deploy/redis -- redis-cli incr ra") == "1\n"
    assert s.feed("kubectl exec deploy/redis -- redis-cli get ra") == "1\n"
    assert s.feed("kubectl exec deploy/redis -- redis-cli get ra-none") == "\n"  # (nil: nothing, then the newline)
    assert s.feed("kubectl exec deploy/redis -- redis-cli keys 'ra*'") == "ra\n"
    assert s.feed("kubectl exec deploy/redis -- redis-cli keys 'zz-none*'") == "\n"
    assert s.feed("kubectl exec deploy/redis -- redis-cli set rb 'two words'") == "OK\n"
    assert s.feed("kubectl exec deploy/redis -- redis-cli get rb") == "two words\n"
    # an error reply: no `(error) `, its own newline and the command's, and still exit 0
    assert s.feed("kubectl exec deploy/redis -- redis-cli incr rb") == "ERR value is not an integer or out of range\n\n"
    assert s.feed("kubectl exec deploy/redis -- redis-cli nosuch x") == (
        "ERR unknown command 'nosuch', with args beginning with: 'x' \n\n")


def test_on_a_terminal_replies_are_formatted(s):
    s.feed("kubectl exec deploy/redis -- redis-cli set ta 1")
    assert s.feed("kubectl exec -it deploy/redis -- redis-cli get ta") == '"1"\n'
    assert s.feed("kubectl exec -it deploy/redis -- redis-cli incr ta") == "(integer) 2\n"
    assert s.feed("kubectl exec -it deploy/redis -- redis-cli get ta-none") == "(nil)\n"
    assert s.feed("kubectl exec -it deploy/redis -- redis-cli keys 'zz-none*'") == "(empty array)\n"
    assert s.feed("kubectl exec -it deploy/redis -- redis-cli nosuch x") == (
        "(error) ERR unknown command 'nosuch', with args beginning with: 'x' \n")
    # -t without -i is no terminal (kubectl allocates none without stdin)
    assert s.feed("kubectl exec -t deploy/redis -- redis-cli get ta") == "2\n"


def test_raw_and_no_raw_choose_whatever_stdout_is(s):
    s.feed("kubectl exec deploy/redis -- redis-cli set oa 5")
    assert s.feed("kubectl exec deploy/redis -- redis-cli --no-raw get oa") == '"5"\n'
    assert s.feed("kubectl exec -it deploy/redis -- redis-cli --raw get oa") == "5\n"
    assert s.feed("kubectl exec deploy/redis -- redis-cli --no-raw incr oa") == "(integer) 6\n"


def test_dash_e_sends_an_error_to_stderr_and_fails(s):
    s.feed("kubectl exec deploy/redis -- redis-cli set ea text")
    assert s.feed("kubectl exec deploy/redis -- redis-cli -e incr ea") == (
        "ERR value is not an integer or out of range\ncommand terminated with exit code 1\n")


def test_in_an_exec_it_shell_a_pipe_or_a_substitution_is_not_the_terminal(cluster):
    sh = pod_shell(cluster, "deploy/redis")
    sh.feed("redis-cli set sa 41")
    assert sh.feed("redis-cli get sa") == '"41"\n'
    assert sh.feed("redis-cli get sa | cat") == "41\n"
    assert sh.feed("echo x$(redis-cli incr sa)") == "x42\n"
    assert sh.feed("redis-cli get sa > /tmp/sa; cat /tmp/sa") == "42\n"
    assert sh.feed("redis-cli get sa 1>&2") == '"42"\n'  # (stderr is the same terminal)
    # stdin piped in: the REPL reads it line by line, no prompt; `quit` ends it
    assert sh.feed("printf 'incr sa\\nget sa\\nquit\\nget sa\\n' | redis-cli") == '(integer) 43\n"43"\n'
    assert sh.feed("printf 'get sa\\n\"open\\n' | redis-cli | cat") == "43\nInvalid argument(s)\n"


def test_the_repl_on_a_terminal(s):
    assert s.feed("kubectl exec -it deploy/redis -- redis-cli") == ""
    assert s.prompt == "127.0.0.1:6379> "
    assert s.feed("set greeting 'hello world'") == "OK\n"
    assert s.feed("get greeting") == '"hello world"\n'
    assert s.feed('set nl "a\\nb"') == "OK\n"
    assert s.feed("get nl") == '"a\\nb"\n'  # (sdscatrepr: a newline shown escaped)
    assert s.feed("3 incr n3") == "(integer) 1\n(integer) 2\n(integer) 3\n"  # (a repeat count first)
    assert s.feed('get "open') == "Invalid argument(s)\n"
    assert s.feed("") == ""
    assert s.feed("quit") == ""
    assert s.prompt == "$ "  # (the exec ended with it)


def test_a_refused_connection(s):
    assert s.feed("kubectl exec deploy/redis -- redis-cli -p 7777 ping") == (
        "Could not connect to Redis at 127.0.0.1:7777: Connection refused\ncommand terminated with exit code 1\n")
    assert s.feed("kubectl exec -it deploy/redis -- redis-cli -p 7777") == (
        "Could not connect to Redis at 127.0.0.1:7777: Connection refused\n")
    assert s.prompt == "not connected> "
    assert s.feed("ping") == "Could not connect to Redis at 127.0.0.1:7777: Connection refused\n"
    assert s.feed("exit") == "" and s.prompt == "$ "


def test_options_as_parse_options_reads_them(s):
    assert s.feed("kubectl exec deploy/redis -- redis-cli -v") == "redis-cli 7.4.5\n"
    assert s.feed("kubectl exec deploy/redis -- redis-cli --bogus ping") == (
        "Unrecognized option or bad number of args for: '--bogus'\ncommand terminated with exit code 1\n")
    assert s.feed("kubectl exec deploy/redis -- redis-cli -p 99999 ping") == (
        "Invalid server port.\ncommand terminated with exit code 1\n")
    # options stop at the command: `-h` after it is the command's
    assert s.feed("kubectl exec deploy/redis -- redis-cli echo -h") == "-h\n"
    assert s.feed("kubectl exec deploy/redis -- redis-cli -h redis ping") == "PONG\n"
    assert s.feed("kubectl exec deploy/redis -- redis-cli help").startswith("redis-cli 7.4.5\nTo get help about")


def test_nested_arrays_and_wide_numbering_as_cliFormatReplyTTY_draws_them():
    nested = "*2\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n:3\r\n"
    assert render(nested, raw=False) == '1) 1) "a"\n   2) "b"\n2) (integer) 3\n'
    assert render(nested, raw=True) == "a\nb\n3\n"
    ten = "*10\r\n" + "".join(f"${len(str(i))}\r\n{i}\r\n" for i in range(10))
    assert render(ten, raw=False).splitlines()[0] == ' 1) "0"' and render(ten, raw=False).splitlines()[9] == '10) "9"'
    assert render("*0\r\n", raw=False) == "(empty array)\n" and render("*0\r\n", raw=True) == "\n"
    assert render("$-1\r\n", raw=False) == "(nil)\n" and render("$-1\r\n", raw=True) == "\n"
    assert parse_reply("$3\r\na\r\n\r\n").text == "a\r\n"  # (a bulk string is read by its length)


def test_split_args_reads_what_quote_arg_writes():
    assert split_args("set k 'it''s'") is None  # (a closing quote must end the word)
    assert split_args('set k "a\\x41\\tb"') == ["set", "k", "aA\tb"]
    assert split_args("set k 'don\\'t'") == ["set", "k", "don't"]
    assert split_args('a"b c"') == ["ab c"]
    for value in ("plain", "two words", 'q"uo\\te', "tab\tnl\n", "é"):
        assert split_args(quote_arg(value)) == [value]
    assert quote_arg("é") == '"\\xc3\\xa9"'  # (bytes past ASCII, as isprint sees them in the C locale)
