"""The indicator registry.

Built-in indicators are declared as data (catalogue.toml) and registered like model.toml's own
declarations; an outside package registers coded indicators with the ``register`` decorator,
found through the ``fragwatch.indicators`` entry-point group.
"""

from __future__ import annotations

from fragwatch.indicators.base import Indicator

ENTRY_POINT_GROUP = "fragwatch.indicators"

_REGISTRY: dict[str, type[Indicator]] = {}
_loaded: set[str] = set()


def register(cls: type[Indicator]) -> type[Indicator]:
    """Class decorator: make an indicator available by its code."""
    if cls.code in _REGISTRY and _REGISTRY[cls.code] is not cls:
        raise ValueError(f"indicator code '{cls.code}' is registered twice")
    _REGISTRY[cls.code] = cls
    return cls


def replace_declared(cls: type[Indicator]) -> type[Indicator]:
    """Register an indicator declared in config, replacing an earlier declaration of the same
    code (a second model file may declare it differently); a coded indicator is never
    replaced."""
    _load_builtins()
    old = _REGISTRY.get(cls.code)
    if old is not None and not getattr(old, "declared", False):
        raise ValueError(f"indicator code '{cls.code}' is already a built-in indicator")
    _REGISTRY[cls.code] = cls
    return cls


def _load_builtins() -> None:
    # The built-in indicators are declarations in the package's catalogue.toml, turned into
    # classes the way model.toml's declarations are (see indicators.declared).
    if "builtins" not in _loaded:
        _loaded.add("builtins")
        from fragwatch.indicators.declared import catalogue, declare

        for declaration in catalogue():
            declare(declaration, builtin=True)


def _load_plugins() -> None:
    # Looked up only when needed: importing importlib.metadata alone costs ~40 ms, which
    # every command would otherwise pay even when the model uses built-in indicators only.
    if "plugins" not in _loaded:
        from importlib.metadata import entry_points

        for entry in entry_points(group=ENTRY_POINT_GROUP):
            entry.load()
        _loaded.add("plugins")


def registered(*, plugins: bool = True) -> dict[str, type[Indicator]]:
    """All indicator classes by code (built-in and, unless ``plugins`` is False, those of
    installed packages)."""
    _load_builtins()
    if plugins:
        _load_plugins()
    return dict(_REGISTRY)


def get_indicator(code: str) -> type[Indicator]:
    """One indicator class by code; installed packages are searched only if no built-in has it."""
    _load_builtins()
    if code not in _REGISTRY:
        _load_plugins()
    if code not in _REGISTRY:
        raise KeyError(code)
    return _REGISTRY[code]
