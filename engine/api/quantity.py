"""resource.Quantity (k8s.io/apimachinery/pkg/api/resource): the one parser of `100m`, `64Mi`,
`1e3`, used wherever svcflow reads one -- the API server's decoding of a pod's resources, the
QoS class, kube-scheduler's NodeResourcesFit, `kubectl describe node`'s sums and
`--sort-by` (which tries a quantity before a string).

A Quantity is an exact value (a Fraction: `100m` is 1/10, never a float) and the format it
was written in, because its String() -- what `describe node` prints for a sum -- keeps the
first operand's format (`170Mi` + `70Mi` is `240Mi`, `100m` + `1` is `1100m`).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction
from functools import total_ordering

DECIMAL_SI, BINARY_SI, DECIMAL_EXPONENT = "DecimalSI", "BinarySI", "DecimalExponent"

_DEC_SUFFIX = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_BIN_SUFFIX = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_DEC_BY_EXP = {v: k for k, v in _DEC_SUFFIX.items()}
_BIN_BY_EXP = {v: k for k, v in _BIN_SUFFIX.items()}
_NANO = Fraction(1, 10 ** 9)
# parseQuantityString's grammar: sign, digits, an optional `.` and digits (`1.` is allowed:
# "we currently allow 1.G"), then a suffix of those letters, an optional sign and digits.
_GRAMMAR = re.compile(r"([+-]?)([0-9]*)(?:\.([0-9]*))?([eEinumkKMGTP]*)([-+]?[0-9]*)")
# A decimal exponent beyond this is refused rather than computed: Go keeps `1e999999999` as an
# inf.Dec scale, a Fraction would have to build the number (the largest a real request needs
# is E, 1e18).
_MAX_EXPONENT = 4096

#: resource.ErrFormatWrong, ErrNumeric, ErrSuffix: the API server's words for a bad quantity
#: (`Pod in version "v1" cannot be handled as a Pod: quantities must match ...`).
ERR_FORMAT_WRONG = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
ERR_NUMERIC = "unable to parse numeric part of quantity"
ERR_SUFFIX = "unable to parse quantity's suffix"


class QuantityError(ValueError):
    """ParseQuantity's error; its text is the API server's."""


@total_ordering
@dataclass(frozen=True, eq=False)
class Quantity:
    """An exact value plus the format (DecimalSI, BinarySI, DecimalExponent) it prints in.
    Quantities compare by value alone, as Quantity.Cmp does (`1` equals `1000m`)."""

    value: Fraction = Fraction(0)
    format: str = DECIMAL_SI

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Quantity) and self.value == other.value

    def __lt__(self, other: "Quantity") -> bool:
        return self.value < other.value

    def __hash__(self) -> int:
        return hash(self.value)

    @classmethod
    def parse(cls, raw: object) -> "Quantity":
        """resource.ParseQuantity (a JSON number is read as its text, as UnmarshalJSON does);
        QuantityError with the API server's words when it would refuse the string."""
        if isinstance(raw, Quantity):
            return raw
        if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
            raise QuantityError(ERR_FORMAT_WRONG)
        text = str(raw).strip() if isinstance(raw, str) else _json_number(raw)
        if not text:
            raise QuantityError(ERR_FORMAT_WRONG)
        m = _GRAMMAR.fullmatch(text)
        if m is None:
            raise QuantityError(ERR_FORMAT_WRONG)
        sign, whole, frac, letters, digits = m.groups()
        if not whole.strip("0") and frac is None and not letters and not digits:
            return cls()  # (`0`, `-`, `+000`: the leading-zero loop reaches the end: zero)
        if not whole and not frac:
            raise QuantityError(ERR_NUMERIC)
        num = Fraction(f"{whole or '0'}.{frac or '0'}")
        suffix = letters + digits
        if suffix in _BIN_SUFFIX:
            value, fmt = num * 2 ** _BIN_SUFFIX[suffix], BINARY_SI
        elif suffix in _DEC_SUFFIX:
            value, fmt = num * Fraction(10) ** _DEC_SUFFIX[suffix], DECIMAL_SI
        elif re.fullmatch(r"[eE][+-]?[0-9]+", suffix):
            exp = int(suffix[1:])
            if abs(exp) > _MAX_EXPONENT:
                raise QuantityError(ERR_SUFFIX)
            value, fmt = num * Fraction(10) ** exp, DECIMAL_EXPONENT
        else:
            raise QuantityError(ERR_SUFFIX)
        # ParseQuantity rounds anything finer than nano up (away from zero) to the next nano.
        value = Fraction(math.ceil(value / _NANO)) * _NANO
        return cls(-value if sign == "-" else value, fmt)

    def __add__(self, other: "Quantity") -> "Quantity":
        """Quantity.Add: the receiver's format is kept."""
        return Quantity(self.value + other.value, self.format)

    def milli_value(self) -> int:
        """MilliValue: thousandths, rounded up (`1n` of cpu is 1m)."""
        return math.ceil(self.value * 1000)

    def int_value(self) -> int:
        """Value: rounded up to a whole unit."""
        return math.ceil(self.value)

    def __str__(self) -> str:
        """Quantity.String(): the canonical form (`1500m`, `1536Mi`, `1e3` stays `1e3`)."""
        if self.value == 0:
            return "0"
        fmt = self.format
        if fmt == BINARY_SI:
            if -1024 < self.value < 1024 or self.value.denominator != 1:
                fmt = DECIMAL_SI
            else:
                return self._base1024()
        return self._base10(fmt)

    def _base1024(self) -> str:
        amount, exp = int(self.value), 0
        while amount % 1024 == 0 and exp < 60:
            amount //= 1024
            exp += 10
        return f"{amount}{_BIN_BY_EXP[exp]}"

    def _base10(self, fmt: str) -> str:
        exp = -9
        amount = int(self.value / _NANO)
        while amount % 10 == 0:
            amount //= 10
            exp += 1
        shift = exp % 3
        amount *= 10 ** shift
        exp -= shift
        if fmt == DECIMAL_EXPONENT:
            return f"{amount}" if exp == 0 else f"{amount}e{exp}"
        if exp in _DEC_BY_EXP:
            return f"{amount}{_DEC_BY_EXP[exp]}"
        return f"{amount}e{exp}"


ZERO = Quantity()


def parse_quantity(raw: object) -> Quantity | None:
    """The Quantity, or None where the API server would refuse it."""
    try:
        return Quantity.parse(raw)
    except QuantityError:
        return None


def quantity_error(raw: object) -> str | None:
    """The API server's words for a value that is not a quantity, or None."""
    try:
        Quantity.parse(raw)
    except QuantityError as e:
        return str(e)
    return None


def _json_number(v: int | float) -> str:
    """A JSON number's text as the decoder hands it to UnmarshalJSON (`1`, `0.5`, `1e+21`)."""
    if isinstance(v, int):
        return str(v)
    if v.is_integer() and abs(v) < 1e21:
        return str(int(v))
    return repr(v)
