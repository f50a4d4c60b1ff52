"""Name -> class registries: how losses, regularisers, networks and datasets are found.

Adding a component means writing one class and decorating it with ``@REGISTRY.register``;
nothing else in the package branches on names.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from gankit.checks import check_value, hints
from gankit.errors import GankitError

T = TypeVar("T")


def did_you_mean(word: str, options) -> str:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.5)
    return f" (did you mean '{close[0]}'?)" if close else ""


class Registry(Generic[T]):
    """A named collection of classes with early argument checking."""

    def __init__(self, kind: str):
        self.kind = kind
        self._items: dict[str, type[T]] = {}

    def register(self, name: str) -> Callable[[type[T]], type[T]]:
        """Class decorator; the class learns its name as ``registered_name``."""

        def decorator(cls: type[T]) -> type[T]:
            self.add(name, cls)
            cls.registered_name = name
            return cls

        return decorator

    def add(self, name: str, factory) -> None:
        """Register a class we do not own (e.g. a torch optimizer) without touching it."""
        if name in self._items:
            raise ValueError(f"{self.kind} '{name}' registered twice")
        self._items[name] = factory

    def adopt(self, cls: type) -> str:
        """The name ``cls`` is registered under here; a class not registered yet is registered
        under its class name (the API's ``gankit.train(G=MyGenerator)``). A name that is already
        another class's is refused in one line."""
        for name, item in self._items.items():
            if item is cls:
                return name
        name = cls.__name__
        if name in self._items:
            raise GankitError(
                f"{self.kind} '{name}' is already another class; rename {cls.__qualname__} or "
                f"register it under another name (@{self.kind.upper()}S.register(...))"
            )
        self.register(name)(cls)
        return name

    def names(self) -> list[str]:
        return sorted(self._items)

    def __contains__(self, name: str) -> bool:
        return name in self._items

    def get(self, name: str) -> type[T]:
        if name not in self._items:
            raise GankitError(
                f"unknown {self.kind} '{name}'{did_you_mean(name, self._items)}; "
                f"choose one of: {', '.join(self.names())} (one of your own: gankit --import "
                f"the module that registers it)"
            )
        return self._items[name]

    def check_args(
        self, name: str, args: dict[str, Any], positional: int = 0, where: str = ""
    ) -> None:
        """Reject unknown, missing or ill-typed keyword arguments before anything is built;
        ``where`` (e.g. ``data``) is the config key the arguments came from, for the message."""
        check_call_args(self.get(name), args, f"{self.kind} '{name}'", positional, where)

    def build(self, name: str, *positional, **args) -> T:
        self.check_args(name, args, len(positional))
        return self.get(name)(*positional, **args)


def check_call_args(
    fn, args: dict[str, Any], what: str, positional: int = 0, where: str = ""
) -> None:
    params = list(inspect.signature(fn).parameters.values())[positional:]
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return
    known = {p.name for p in params if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)}
    for key in args:
        if key not in known:
            options = ", ".join(sorted(known)) or "none"
            raise GankitError(
                f"unknown option '{key}' for {what}{did_you_mean(key, known)}; its options: {options}"
            )
    missing = [
        p.name
        for p in params
        if p.default is p.empty
        and p.name not in args
        and p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    if missing:
        raise GankitError(f"{what} needs option(s) {', '.join(missing)}; set them with --set")
    types = hints(fn)
    for key, value in args.items():
        if key in types:
            check_value(
                types[key],
                value,
                f"{where}.{key} ({what})" if where else f"option '{key}' of {what}",
            )
