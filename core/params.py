"""What each field of a configuration dataclass means to the user, declared once on the field.

A field the user sets is declared with :func:`param`: its default stays the dataclass default and a
:class:`Param` in its metadata carries the help text, the unit, the allowed values (``choices``, in
the order the toolbox lists them: ``qgis_process`` takes their indices) and the numeric range. The
command line (:func:`add_option`), the Processing algorithms (``algorithms/params.py``) and the
configs' own checks (:func:`check_ranges`) read them, so that the toolbox, ``qgis_process``, the CLI
and the Python API share one default, one list of choices and one range per parameter.

Standard library only: the algorithms read the config modules inside QGIS, where numpy and the other
scientific packages may be missing (a test loads the plugin with numpy and pandas blocked).
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import numbers
import re
import types
import typing
from dataclasses import MISSING, dataclass
from typing import Any

from .ranges import Range

_KEY = "surface_motion"


@dataclass(frozen=True)
class Param:
    """``help``: one line for the CLI and the toolbox tooltip; ``units`` of the value; ``choices``: the
    allowed values; ``allowed``: the numeric range (its ``key`` is the Processing parameter);
    ``flags``: the CLI spellings when not ``--field-name``."""

    help: str
    units: str = ""
    choices: tuple = ()
    allowed: Range | None = None
    flags: tuple[str, ...] = ()

    def describe(self) -> str:
        """The help with its range or unit, e.g. ``bin length h [1…3,650 days]`` (as the toolbox labels)."""
        bounds = self.allowed.describe() if self.allowed else self.units
        return f"{self.help} [{bounds}]" if bounds else self.help


def param(
    default: Any = MISSING,
    help: str = "",
    *,
    default_factory: Any = MISSING,
    units: str = "",
    choices: tuple = (),
    allowed: Range | None = None,
    flags: tuple[str, ...] = (),
) -> Any:
    """A dataclass field with its :class:`Param` (the unit defaults to the range's)."""
    spec = Param(help, units or (allowed.unit if allowed else ""), tuple(choices), allowed, tuple(flags))
    return dataclasses.field(default=default, default_factory=default_factory, metadata={_KEY: spec})


def spec(cls: type, name: str) -> Param:
    """The :class:`Param` of field ``name`` of the dataclass ``cls``."""
    return _fields(cls)[name].metadata[_KEY]


def default(cls: type, name: str) -> Any:
    """The default of field ``name`` of ``cls`` (MISSING for a required field)."""
    field = _fields(cls)[name]
    return field.default_factory() if field.default_factory is not MISSING else field.default


def check_ranges(config: object) -> None:
    """Raise :class:`~.errors.ParameterError` for the first field outside its range (None: not set)."""
    for field in dataclasses.fields(config):
        spec_ = field.metadata.get(_KEY)
        value = getattr(config, field.name)
        if spec_ is not None and spec_.allowed is not None and value is not None:
            spec_.allowed.check(value)


def coerce(config: object) -> None:
    """Cast the numbers in the int, float and bool fields of ``config`` (frozen too) to the annotated
    type: a value read from JSON or a widget (12 for 12.0, numpy scalars) then hashes and prints the same."""
    for name, kind in _scalar_types(type(config)).items():
        value = getattr(config, name)
        if kind in (int, float, bool) and isinstance(value, numbers.Number) and type(value) is not kind:
            object.__setattr__(config, name, kind(value))


def comma_list(text: str) -> tuple[str, ...]:
    """A CLI list: 'a,b; c' → ('a', 'b', 'c')."""
    return tuple(item.strip() for item in re.split(r"[,;]", text) if item.strip())


#: ``add_option`` overrides for a list given one item per option (``--cube a --cube b``)
REPEATED = {"action": "append", "type": str, "default": []}


def add_option(parser: argparse.ArgumentParser, cls: type, name: str, **overrides: Any) -> None:
    """The CLI option of field ``name`` of ``cls``: flag ``--field-name`` (or the Param's ``flags``;
    one without dashes is positional), the field's default (a field without one is required), its
    choices and type (int, float, a comma-separated list for a tuple, else text), ``--x/--no-x`` for a
    bool, and the help. ``overrides`` go to ``add_argument`` as they are."""
    field, kind = _fields(cls)[name], _scalar_types(cls).get(name, str)
    spec_ = field.metadata[_KEY]
    flags = spec_.flags or (f"--{name.replace('_', '-')}",)
    value = default(cls, name)
    help_ = spec_.describe()
    if kind is tuple and spec_.choices:  # argparse lists the choices of a single value only
        help_ += f"; comma-separated among {', '.join(spec_.choices)}"
    if kind is bool:
        help_ += f" (default: --{'' if value else 'no-'}{flags[0].removeprefix('--')})"
    elif value not in (MISSING, None, "", ()):
        help_ += f" (default: {','.join(map(str, value)) if isinstance(value, tuple) else value})"
    kwargs: dict[str, Any] = {"help": help_.replace("%", "%%")}
    if flags[0].startswith("-"):
        kwargs.update(dest=name, required=value is MISSING)
    if value is not MISSING:
        kwargs["default"] = value
    if kind is bool:
        kwargs["action"] = argparse.BooleanOptionalAction
    else:
        kwargs["type"] = comma_list if kind is tuple else kind
        if spec_.choices and kind is not tuple:
            kwargs["choices"] = spec_.choices
    parser.add_argument(*flags, **{**kwargs, **overrides})


def values(cls: type, args: argparse.Namespace) -> dict[str, Any]:
    """The options of ``args`` that are fields of ``cls`` (to build it with ``cls(**values(…))``)."""
    return {k: v for k, v in vars(args).items() if k in _fields(cls)}


@functools.cache
def _fields(cls: type) -> dict[str, dataclasses.Field]:
    return {f.name: f for f in dataclasses.fields(cls)}


@functools.cache
def _scalar_types(cls: type) -> dict[str, type]:
    """Field name → int, float, bool, str or tuple: the annotation without ``| None`` (other types:
    str, what the CLI passes on for the config to parse)."""
    out = {}
    for name, hint in typing.get_type_hints(cls).items():
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
            hint = args[0] if len(args) == 1 else str
        origin = typing.get_origin(hint) or hint
        out[name] = origin if origin in (int, float, bool, tuple) else str
    return out
