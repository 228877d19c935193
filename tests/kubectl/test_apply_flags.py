"""`kubectl apply`'s flags at svcflow's prompt parsed as pflag parses them (the one flag
parser, engine.kubectl.cliflags): shorthands together (`-Rf DIR`), `-f=PATH`, `-oname`,
`--recursive=false`, and pflag's words for a flag without its value or one apply lacks."""
from __future__ import annotations

from engine.apply.workspace import cluster_from_paths
from engine.kubectl.session import Session
from tests.helpers import SAMPLES

NAMES = "deployment.apps/counter\nservice/counter-np\ndeployment.apps/redis\nservice/redis\n"


def _session() -> Session:
    s = Session(cluster_from_paths([SAMPLES], deterministic=True)[0], cwd=SAMPLES.parent)
    s.cluster.run_until_idle()
    return s


def test_apply_takes_its_flags_in_every_form_pflag_takes():
    s = _session()
    assert s.feed("kubectl apply -Rf samples -o name") == NAMES
    assert s.feed("kubectl apply -f=samples/ --recursive=false -oname") == NAMES
    assert s.feed("kubectl apply --filename samples/counter-app.yml --output=name") == "deployment.apps/counter\n"


def test_apply_says_what_pflag_says_of_a_missing_value_or_an_unknown_flag():
    s = _session()
    usage = "\nSee 'kubectl apply --help' for usage.\n"
    assert s.feed("kubectl apply -f") == "error: flag needs an argument: 'f' in -f" + usage
    assert s.feed("kubectl apply -f samples -o") == "error: flag needs an argument: 'o' in -o" + usage
    assert s.feed("kubectl apply -x") == "error: unknown shorthand flag: 'x' in -x" + usage
    assert s.feed("kubectl apply --bogus=1") == "error: unknown flag: --bogus" + usage
    assert s.feed("kubectl apply") == "error: must specify one of -f and -k\n"
