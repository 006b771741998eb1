"""Service settings: database, outbox, SMTP, recipients and schedule (pydantic-settings).

Precedence, highest first: arguments to ``load_settings`` > environment (``FRAGWATCH_...``,
nested with ``__``) > ``.env`` > ``config/fragwatch.toml`` > defaults. A settings file named
explicitly must exist (pydantic-settings would silently ignore a missing one). Secrets are
``SecretStr``: never printed, never read from the committed TOML file.
"""

from __future__ import annotations

import ipaddress
import os
import re
from datetime import date
from pathlib import Path
from typing import Literal
from urllib.parse import urljoin, urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from fragwatch.errors import ConfigError
from fragwatch.settings.model import line_of, read_toml

SETTINGS_FILE = "fragwatch.toml"
# local@domain, no spaces, separators or angle brackets (a header cannot be smuggled in).
ADDRESS = re.compile(r"^[^@\s<>,;\"']+@[A-Za-z0-9.-]+$")


def _address(value: str) -> str:
    if not ADDRESS.match(value):
        raise ValueError(f"'{value}' is not an e-mail address")
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SmtpSettings(_Strict):
    """Where mail goes. With no host, messages are written as .eml files to the outbox folder."""

    host: str | None = None
    port: int = Field(587, gt=0, lt=65536)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    user: str | None = None
    password: SecretStr | None = None
    password_file: Path | None = None  # a secrets file holding only the password
    sender: str = "fragwatch@localhost"
    timeout_seconds: float = Field(30.0, gt=0)
    # A new connection after this many messages: Debian's exim queues (defers) every message
    # after the 10th of one connection instead of delivering it at once.
    messages_per_connection: int = Field(10, ge=1)
    # Extra certificate authorities to trust (PEM), e.g. an internal CA; the system store is
    # always used as well. Certificates are always verified.
    ca_file: Path | None = None
    # Plain-text SMTP to a host other than this machine must be asked for explicitly.
    allow_insecure: bool = False

    @field_validator("sender")
    @classmethod
    def _sender(cls, value: str) -> str:
        return _address(value)

    @model_validator(mode="after")
    def _secure_and_complete(self) -> SmtpSettings:
        insecure = self.host and self.security == "none" and not _is_loopback(self.host)
        if insecure and not self.allow_insecure:
            raise ValueError(
                f"security 'none' to non-loopback host '{self.host}' sends mail and"
                " passwords in clear; use starttls or ssl, or set allow_insecure = true"
            )
        if self.ca_file is not None and not self.ca_file.is_file():
            raise ValueError(f"ca_file {self.ca_file} does not exist")
        if self.password_file is not None and self.password is None:
            if not self.password_file.is_file():
                raise ValueError(f"password_file {self.password_file} does not exist")
            secret = self.password_file.read_text(encoding="utf-8").strip()
            self.password = SecretStr(secret)
        if self.host and self.user and self.password is None:
            raise ValueError(
                f"user '{self.user}' needs a password: set FRAGWATCH_SMTP__PASSWORD or"
                " smtp.password_file"
            )
        return self


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Recipients(_Strict):
    """Routing by severity: the watch officer gets critical and high, the list the rest."""

    watch_officer: str = "watch-officer@localhost"
    watch_list: list[str] = Field(default_factory=list)
    report_readers: list[str] = Field(default_factory=list)

    @field_validator("watch_officer")
    @classmethod
    def _officer(cls, value: str) -> str:
        return _address(value)

    @field_validator("watch_list", "report_readers")
    @classmethod
    def _lists(cls, value: list[str]) -> list[str]:
        return [_address(v) for v in value]


class Schedule(_Strict):
    """When the service runs. Each firing of ``assess_cron`` is a period assessed as of its date."""

    assess_cron: str = "0 6 * * *"  # daily at 06:00 UTC
    # Each firing is a report period (as of its date, compared with the firing before); reports
    # go to recipients.report_readers. After the assess job, so the report sees that day's run.
    report_cron: str = "0 7 * * 1"  # weekly, Mondays at 07:00 UTC
    deliver_every_seconds: float = Field(60, gt=0)
    # With an empty store, assess every period from this date on (a backfill); unset: only
    # the current period. Once the store has a period, missed ones are caught up from there.
    backfill_from: date | None = None

    @field_validator("assess_cron", "report_cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        from fragwatch.crontab import cron_trigger

        try:
            cron_trigger(value)  # numbered weekdays mean what they mean in cron (0 = Sunday)
        except ValueError as exc:
            raise ValueError(f"'{value}' is not a crontab expression ({exc})") from None
        return value


class Delivery(_Strict):
    """How the outbox is drained: which notifier, and how failures are retried."""

    # auto: SMTP when smtp.host is set, else .eml files in outbox_dir.
    notifier: Literal["auto", "smtp", "file", "stdout"] = "auto"
    retry_base_seconds: float = Field(30.0, gt=0)  # first retry after about this long
    retry_max_seconds: float = Field(3600.0, gt=0)  # backoff stops growing here
    max_attempts: int = Field(20, gt=0)  # then the message is a dead letter
    # A message left "sending" by a crashed sender is claimed again after this long; keep it
    # above the SMTP timeout so a slow send is never sent twice by a live sender.
    lease_seconds: float = Field(300.0, gt=0)
    batch_size: int = Field(100, gt=0)


class Report(_Strict):
    """The risk report: where ``fragwatch report`` writes it and what it links to."""

    dir: Path = Path("var/reports")  # one folder per report: <country>-<as of>/
    # The method note's link. Relative by default: nothing in a report is fetched from a
    # network; point it at where your readers can open docs/methodology.md.
    methodology_url: str = "docs/methodology.md"
    # Where readers open the published documentation (http or https): a relative
    # methodology_url is resolved against it, so mail carries an absolute link. Unset, a
    # relative methodology_url is named in the report but not linked (it would be broken in a
    # mail client and beside the written report alike).
    base_url: str | None = None
    history_years: int = Field(5, gt=0, le=50)  # span of the score-history chart

    @field_validator("methodology_url")
    @classmethod
    def _url(cls, value: str) -> str:
        scheme = value.split(":", 1)[0].lower() if ":" in value else ""
        if scheme not in ("", "http", "https") or any(c.isspace() for c in value):
            raise ValueError(f"'{value}' is not an http(s) URL or a relative path")
        return value

    @field_validator("base_url")
    @classmethod
    def _base(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc or " " in value:
            raise ValueError(f"'{value}' is not an absolute http(s) URL")
        return value if value.endswith("/") else value + "/"

    @property
    def methodology_link(self) -> str:
        """The methodology link the report carries: absolute whenever a base URL is known."""
        if self.base_url is None or urlsplit(self.methodology_url).scheme:
            return self.methodology_url
        return urljoin(self.base_url, self.methodology_url)


class Feeds(_Strict):
    """Where new reports come from (``fragwatch fetch reports``) and where they are kept."""

    dir: Path = Path("var/feeds")  # reports.csv, texts/, queue.csv (the review queue)
    # The ReliefWeb API (reports by watched country); "" switches it off. A file:// URL reads a
    # saved response instead.
    reliefweb_url: str = "https://api.reliefweb.int/v1/reports"
    reliefweb_appname: str = "fragwatch"
    rss: list[str] = Field(default_factory=list)  # RSS/Atom feed URLs (http(s) or file://)
    timeout_seconds: float = Field(20.0, gt=0)
    cron: str = "30 5 * * *"  # the fetch job, daily at 05:30 UTC (before the assess job)
    top_in_digest: int = Field(5, ge=0)  # candidates quoted in the digest mail

    @field_validator("cron")
    @classmethod
    def _feed_cron(cls, value: str) -> str:
        from fragwatch.crontab import cron_trigger

        try:
            cron_trigger(value)
        except ValueError as exc:
            raise ValueError(f"'{value}' is not a crontab expression ({exc})") from None
        return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="FRAGWATCH_",
        env_nested_delimiter="__",
        env_file=".env",
        extra="forbid",
        toml_file=None,
    )

    # The store, as an SQLAlchemy URL: a SQLite file (the default, created with its folder), or
    # PostgreSQL as "postgresql+psycopg://ROLE:PASSWORD@HOST:5432/DATABASE" (fragwatch[postgres];
    # the role owns the database, fragwatch creates the tables). Errors show the URL with the
    # password masked; keep the password in FRAGWATCH_DATABASE_URL rather than in a file.
    database_url: str = "sqlite:///var/fragwatch.db"
    outbox_dir: Path = Path("var/outbox")
    countries: list[str] = Field(default_factory=list)  # empty: every country in the evidence
    smtp: SmtpSettings = SmtpSettings()
    recipients: Recipients = Recipients()
    schedule: Schedule = Schedule()
    delivery: Delivery = Delivery()
    report: Report = Report()
    feeds: Feeds = Feeds()

    @field_validator("countries")
    @classmethod
    def _iso3(cls, value: list[str]) -> list[str]:
        for code in value:
            if not re.fullmatch(r"[A-Z]{3}", code):
                raise ValueError(f"'{code}' is not an ISO3 country code")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = settings_cls.model_config.get("toml_file")
        sources = [init_settings, env_settings, dotenv_settings]
        if toml:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml))
        return (*sources, file_secret_settings)

    @model_validator(mode="after")
    def _notifier_has_host(self) -> Settings:
        if self.delivery.notifier == "smtp" and not self.smtp.host:
            raise ValueError("delivery.notifier 'smtp' needs smtp.host")
        return self

    @property
    def notifier(self) -> str:
        """The notifier in use: 'smtp', 'file' or 'stdout' ('auto' resolved)."""
        if self.delivery.notifier == "auto":
            return "smtp" if self.smtp.host else "file"
        return self.delivery.notifier

    def masked(self) -> dict:
        """The effective settings as plain data, every secret shown as '********'."""
        data = self.model_dump(mode="json")
        if self.smtp.password is not None:
            data["smtp"]["password"] = "********"
        return data


_MISSING = object()


def _origin(path: Path, text: str, data: dict, loc: tuple, bad: object, overrides: dict) -> str:
    """Where a bad value came from: the file's line only if the file holds that value.

    A value from the environment (or .env) overrides the file, and blaming the file's correct
    line for it would send the user to the wrong place.
    """
    value: object = data
    for part in loc:
        value = value.get(part, _MISSING) if isinstance(value, dict) else _MISSING
    # A whole section failing a cross-field check (e.g. a user without a password) may mix
    # file and environment values: name the section in the file.
    if value is not _MISSING and (value == bad or isinstance(bad, dict)):
        line = line_of(text, loc)
        return f"{path}:{line}" if line else str(path)
    if not loc or isinstance(bad, dict):
        given = _variables_under(loc)
        if given:
            return f"environment variable(s) {', '.join(given)} (or .env)"
    if loc and loc[0] in overrides:
        return "settings given on the command line"
    if value is _MISSING and bad is None:
        return str(path)  # a required key missing from every source
    variable = "FRAGWATCH_" + "__".join(str(p) for p in loc).upper()
    return f"environment variable {variable} (or .env)"


def _variables_under(loc: tuple) -> list[str]:
    """The FRAGWATCH_* settings variables set for a section (all of them for the top level)."""
    prefix = "FRAGWATCH_" + "".join(f"{part}__" for part in loc).upper()
    fields = {name.upper() for name in Settings.model_fields}
    return sorted(
        name
        for name in os.environ
        if name.startswith(prefix) and name[len("FRAGWATCH_") :].split("__")[0] in fields
    )


def load_settings(config_dir: Path, explicit: Path | None = None, **overrides: object) -> Settings:
    """Read config/fragwatch.toml (or ``explicit``), the environment and .env; validate all."""
    path = explicit or config_dir / SETTINGS_FILE
    text, data = "", {}
    if explicit is not None or path.exists():
        data, text = read_toml(path)  # a named file that is missing is an error
        if isinstance(data.get("smtp"), dict) and "password" in data["smtp"]:
            raise ConfigError(
                "a password must not be kept in a settings file that may be committed; set"
                " FRAGWATCH_SMTP__PASSWORD or smtp.password_file",
                where=f"{path}:{line_of(text, ('smtp', 'password'))}: field 'smtp.password'",
            )
    cls = type(
        "Settings",
        (Settings,),
        {"model_config": {**Settings.model_config, "toml_file": path if text else None}},
    )
    try:
        return cls(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(first["loc"])
        field = ".".join(str(p) for p in loc) or "(top level)"
        where = _origin(path, text, data if text else {}, loc, first.get("input"), overrides)
        message = "unknown key" if first["type"] == "extra_forbidden" else first["msg"]
        message = message.removeprefix("Value error, ")
        given = _variables_under(loc) if isinstance(first.get("input"), dict) or not loc else []
        if given and not where.startswith("environment"):
            # The section mixes the file and the environment: name the variables too.
            message += f" (with environment variable(s) {', '.join(given)} or .env)"
        raise ConfigError(message, where=f"{where}: field '{field}'") from None
