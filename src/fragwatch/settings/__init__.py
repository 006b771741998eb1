"""Reading user configuration: the only package that opens files under ``config/``.

``model`` reads ``model.toml`` (needed by every scoring command, so it stays light); ``service``
reads ``fragwatch.toml`` with pydantic-settings and is imported only by commands that need it.
"""

from fragwatch.settings.model import config_dir, line_of, load_model_spec, read_toml

__all__ = ["config_dir", "line_of", "load_model_spec", "read_toml"]
