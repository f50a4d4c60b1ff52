"""What a component option accepts, written as its annotation and checked before anything is built.

    def __init__(self, width: Width = 64, std: Positive = 0.01, betas: tuple[Unit, Unit] = ...)

``check_value`` reads ``Annotated[type, Range(...)]``, unions, fixed and variable tuples and
literals. A float is always finite: NaN and infinity are refused wherever a number is meant.
"""

from __future__ import annotations

import math
import re
import types
import typing
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from gankit.errors import GankitError


@dataclass(frozen=True)
class Range:
    """lo <= x <= hi (``lo_open``/``hi_open``: strict); None: unbounded on that side."""

    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False

    def __contains__(self, x) -> bool:
        return (self.lo is None or (x > self.lo if self.lo_open else x >= self.lo)) and (
            self.hi is None or (x < self.hi if self.hi_open else x <= self.hi)
        )

    def __str__(self) -> str:
        lo, hi = _num(self.lo), _num(self.hi)
        if self.lo is not None and self.hi is not None:
            return f"in {'(' if self.lo_open else '['}{lo}, {hi}{')' if self.hi_open else ']'}"
        if self.lo is not None:
            return f"{'>' if self.lo_open else '>='} {lo}"
        return f"{'<' if self.hi_open else '<='} {hi}" if self.hi is not None else "any"


def _num(x: float | None) -> str:
    """A bound the way a user would type it: 1e9 (not 1e+09), 1048576 (not 1.04858e+06)."""
    if x is None:
        return ""
    text = f"{x:g}".replace("e+0", "e").replace("e+", "e")
    exact = "e" in text and float(x).is_integer() and str(int(x)).rstrip("0") != "1"
    return str(int(x)) if exact else text


@dataclass(frozen=True)
class Pattern:
    """A string the regular expression matches whole; ``shown`` says it in words."""

    regex: str
    shown: str

    def __contains__(self, x) -> bool:
        return isinstance(x, str) and re.fullmatch(self.regex, x) is not None

    def __str__(self) -> str:
        return f"of the form {self.shown}"


def ints(lo: int | None = None, hi: int | None = None):
    return Annotated[int, Range(lo, hi)]


def floats(lo=None, hi=None, lo_open: bool = False, hi_open: bool = False):
    return Annotated[float, Range(lo, hi, lo_open, hi_open)]


Finite = float  # any finite number
NonNegative = floats(0)  # penalty weights, noise levels
Positive = floats(0, lo_open=True)  # standard deviations, learning rates, margins
Unit = floats(0, 1, hi_open=True)  # Adam betas, label smoothing
Count = ints(1)  # how many of something (at least one)
Every = ints(1, 10**6)  # cadences in steps
Width = ints(1, 4096)  # channels of the widest layer
Depth = ints(1, 64)  # layers or blocks
Resolution = ints(4, 1024)  # image side in pixels (the nets ask for a power of two)
Channels = Literal[1, 3]  # grey or RGB


def describe(tp) -> str:
    """In words; an Annotated string beside the rules is a reason shown in brackets, e.g.
    Annotated[int, Range(1, 1000), "D updates per G update; WGAN uses 5"]."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is Annotated:
        rules = " ".join(str(m) for m in args[1:] if not isinstance(m, str))
        hints = "; ".join(m for m in args[1:] if isinstance(m, str))
        return f"{describe(args[0])} {rules}" + (f" ({hints})" if hints else "")
    if origin in (typing.Union, types.UnionType):
        return " or ".join(describe(a) for a in args)
    if origin is Literal:
        return "one of " + ", ".join(map(str, args))
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return f"a list of ({describe(args[0])})"
        return f"a list of {len(args)} ({', '.join(describe(a) for a in args)})"
    names = {
        int: "an integer",
        float: "a finite number",
        bool: "true or false",
        str: "a string",
        type(None): "null",
    }
    return names.get(tp, getattr(tp, "__name__", str(tp)))


def _fits(tp, value) -> bool:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is Any:
        return True
    if origin is Annotated:
        rules = [m for m in args[1:] if not isinstance(m, str)]
        return _fits(args[0], value) and all(value in m for m in rules)
    if origin in (typing.Union, types.UnionType):
        return any(_fits(a, value) for a in args)
    if origin is Literal:
        return value in args
    if origin is tuple or tp is tuple:
        if not isinstance(value, (list, tuple)):
            return False
        if not args:
            return True
        if len(args) == 2 and args[1] is Ellipsis:
            return all(_fits(args[0], v) for v in value)
        return len(value) == len(args) and all(_fits(a, v) for a, v in zip(args, value))
    if tp is type(None):
        return value is None
    if tp is bool:
        return isinstance(value, bool)
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if tp is float:
        return (
            isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        )
    if tp is str:
        return isinstance(value, str)
    return True  # a type these checks do not know (e.g. a module): the constructor decides


def check_value(tp, value, where: str) -> None:
    """One-line GankitError unless ``value`` fits annotation ``tp``."""
    if not _fits(tp, value):
        hint = ""
        if isinstance(value, bool) and _takes_words(tp):
            # YAML reads bare on/off/yes/no as booleans, so `--set train.amp=off` arrives as False
            hint = " (YAML reads on/off/yes/no as true/false: quote the word, e.g. 'off')"
        raise GankitError(f"{where} must be {describe(tp)}, got {value!r}{hint}")


def _takes_words(tp) -> bool:
    """Whether annotation ``tp`` accepts some string (a str field or a Literal of words)."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is Annotated:
        return _takes_words(args[0])
    if origin in (typing.Union, types.UnionType):
        return any(_takes_words(a) for a in args)
    if origin is Literal:
        return any(isinstance(a, str) for a in args)
    return tp is str


def hints(fn) -> dict:
    """The resolved annotations of a function or of a class's constructor ({} if unresolvable)."""
    target = fn.__init__ if isinstance(fn, type) else fn
    try:
        return typing.get_type_hints(target, include_extras=True)
    except Exception:  # noqa: BLE001 - third-party signatures (torch optimisers) may not resolve
        return {}
