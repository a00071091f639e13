"""The `modelyard` command: run the server and administer users, credits, keys, channels and the catalogue."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import aiohttp
import typer
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from modelyard.accounts.service import AccountError, create_user, ensure_first_admin, get_user_by_email
from modelyard.billing import ledger
from modelyard.billing.codes import CodeError, create_batch
from modelyard.catalog import providers
from modelyard.catalog.importer import CatalogFormatError, catalog_is_empty, import_models, load_document
from modelyard.catalog.sync import DEFAULT_URL as DEFAULT_CATALOG_URL
from modelyard.catalog.sync import SyncError
from modelyard.catalog.sync import apply as apply_sync
from modelyard.catalog.sync import download as download_catalogue
from modelyard.catalog.sync import plan as plan_sync
from modelyard.channels.probe import CredentialError, ProbeResult, ProbeTarget, load_target, probe_channel
from modelyard.channels.service import (
    MIN_PROBE_INTERVAL_SECONDS,
    OPTION_NAMES,
    QUANTIZATIONS,
    ChannelError,
    add_channel,
    delete_channel,
    key_count,
    list_channels,
    parse_headers,
    parse_model_mappings,
    update_channel,
    validate_options,
)
from modelyard.config import ConfigError, Settings, generate_secret_key, load_settings
from modelyard.db import migrate
from modelyard.db.engine import create_engine, session_factory
from modelyard.keys.service import KeyServiceError, KeySettings, create_key
from modelyard.kit.money import MoneyError, nanos_to_usd_str, usd_to_nanos
from modelyard.kit.secrets import SecretBox
from modelyard.models import Channel, LedgerKind
from modelyard.secret_rotation import (
    RotationCounts,
    RotationError,
    check_new_key,
    install_key,
    key_file,
    rotate,
    stage_key,
)

T = TypeVar("T")

app = typer.Typer(
    name="modelyard",
    help="Modelyard: an OpenAI- and OpenRouter-compatible LLM gateway.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
users_app = typer.Typer(help="User accounts.", no_args_is_help=True)
credits_app = typer.Typer(help="Credit balances.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys.", no_args_is_help=True)
channels_app = typer.Typer(help="Upstream provider channels.", no_args_is_help=True)
catalog_app = typer.Typer(help="The model catalogue and its prices.", no_args_is_help=True)
ledger_app = typer.Typer(help="The balance ledger.", no_args_is_help=True)
codes_app = typer.Typer(help="Redemption codes.", no_args_is_help=True)
secrets_app = typer.Typer(help="The secret key and the values it encrypts.", no_args_is_help=True)
for sub, name in (
    (db_app, "db"),
    (users_app, "users"),
    (credits_app, "credits"),
    (keys_app, "keys"),
    (channels_app, "channels"),
    (catalog_app, "catalog"),
    (ledger_app, "ledger"),
    (codes_app, "codes"),
    (secrets_app, "secrets"),
):
    app.add_typer(sub, name=name)


class CommandError(Exception):
    """A failure the user can fix; printed without a traceback."""


def fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def settings_or_exit() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        fail(str(exc))


def run(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]], *, notify: bool = False) -> T:
    """Prepares the database, runs `work` in one transaction and, if it changed what a running server caches,
    tells servers through Redis."""

    async def main() -> T:
        engine = await prepare_database(settings)
        try:
            async with session_factory(engine)() as session, session.begin():
                result = await work(session)
        finally:
            await engine.dispose()
        if notify:
            from modelyard.app import publish_invalidation

            try:
                await publish_invalidation(settings.redis_url)
            except Exception as exc:  # the change is saved; servers pick it up at their next refresh
                typer.echo(f"warning: could not notify running servers through Redis: {exc}", err=True)
        return result

    return _run_async(main())


def _run_async(coro: Coroutine[Any, Any, T]) -> T:
    try:
        return asyncio.run(coro)
    except (
        AccountError,
        ChannelError,
        CatalogFormatError,
        MoneyError,
        KeyServiceError,
        CodeError,
        CommandError,
        RotationError,
    ) as exc:
        fail(str(exc))
    except (OperationalError, DBAPIError, OSError) as exc:
        fail(f"cannot use the database: {getattr(exc, 'orig', None) or exc}")


async def prepare_database(settings: Settings) -> AsyncEngine:
    """Migrates to the newest schema and, into an empty catalogue, imports the one shipped in the package."""
    engine = create_engine(settings.database_url_resolved)
    try:
        await migrate.upgrade(engine)
        if settings.auto_import_catalog:
            async with session_factory(engine)() as session, session.begin():
                if await catalog_is_empty(session):
                    await import_models(session, load_document(None))
                await providers.seed_if_empty(session)
        async with session_factory(engine)() as session, session.begin():
            password = settings.admin_password.get_secret_value() if settings.admin_password else None
            await ensure_first_admin(session, settings.admin_email, password)
    except BaseException:
        await engine.dispose()
        raise
    return engine


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on [default: MODELYARD_HOST]")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on [default: MODELYARD_PORT]")] = None,
) -> None:
    """Upgrade the database, then serve the API."""
    import uvicorn

    from modelyard.app import create_asgi_app
    from modelyard.ops.logs import configure as configure_logs

    settings = settings_or_exit()
    overrides: dict[str, Any] = {}
    if host is not None:
        overrides["host"] = host
    if port is not None:
        if not 1 <= port <= 65535:
            fail("--port must be between 1 and 65535")
        overrides["port"] = port
    settings = settings.model_copy(update=overrides)

    async def prepare() -> None:
        engine = await prepare_database(settings)
        await engine.dispose()

    _run_async(prepare())
    configure_logs(settings.log_level, settings.log_format)
    typer.echo(
        f"Modelyard listening on http://{settings.host}:{settings.port} (database: {_describe_db(settings)})"
    )
    uvicorn.run(
        create_asgi_app(settings),
        host=settings.host,
        port=settings.port,
        loop="uvloop" if sys.platform != "win32" else "asyncio",
        http="httptools",
        access_log=False,
        log_level=settings.log_level,
        log_config=None,  # configure_logs above: JSON lines with request ids
        timeout_graceful_shutdown=30,
    )


def _describe_db(settings: Settings) -> str:
    url = settings.database_url_resolved
    if url.startswith("sqlite"):
        return url
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration."""
    settings = settings_or_exit()

    async def main() -> str | None:
        engine = create_engine(settings.database_url_resolved)
        try:
            await migrate.upgrade(engine)
            return await migrate.current_revision(engine)
        finally:
            await engine.dispose()

    typer.echo(f"database at revision {_run_async(main())}")


@users_app.command("create")
def users_create(
    email: str,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
    admin: Annotated[bool, typer.Option("--admin", help="Make the user an administrator")] = False,
    root: Annotated[bool, typer.Option("--root", help="An administrator who can also manage admins")] = False,
) -> None:
    """Create a user."""
    role = "root" if root else "admin" if admin else "user"

    async def work(session: AsyncSession) -> str:
        user = await create_user(session, email, password, role=role)
        return f"created {role} {user.email} (id {user.id})"

    typer.echo(run(settings_or_exit(), work))


# ignore_unknown_options: a negative amount (`-5`) is the amount, not an unknown option.
@credits_app.command("grant", context_settings={"ignore_unknown_options": True})
def credits_grant(
    email: str,
    amount_usd: Annotated[str, typer.Argument(metavar="AMOUNT_USD", help="US dollars, e.g. 10 or 2.50")],
    note: Annotated[str | None, typer.Option(help="Why, for the ledger")] = None,
) -> None:
    """Add credits to a user's balance (a negative amount takes them away)."""
    try:
        amount = usd_to_nanos(Decimal(amount_usd.strip().lstrip("$")))
    except (MoneyError, ArithmeticError, ValueError):
        fail(f"AMOUNT_USD must be a number of US dollars with at most 9 decimals, got {amount_usd!r}")
    if amount == 0:
        fail("AMOUNT_USD must not be zero")
    settings = settings_or_exit()

    async def work(session: AsyncSession) -> str:
        user = await get_user_by_email(session, email)
        balances = await ledger.append(
            session,
            [
                ledger.Entry(
                    user_id=user.id,
                    kind=LedgerKind.TOPUP if amount > 0 else LedgerKind.ADJUSTMENT,
                    amount_nanos=amount,
                    reference="cli",
                    note=note,
                )
            ],
            alert_threshold_nanos=settings.low_balance_threshold_nanos,
        )
        return f"{user.email}: balance ${nanos_to_usd_str(balances[user.id])}"

    typer.echo(run(settings, work, notify=True))


@keys_app.command("create")
def keys_create(
    email: str,
    name: Annotated[str, typer.Option(help="A name to recognise the key by")],
    limit_usd: Annotated[
        str | None, typer.Option(help="Credit limit in USD (per --limit-reset period; default: none)")
    ] = None,
    limit_reset: Annotated[
        str | None,
        typer.Option(
            help="When the credit limit starts again: daily, weekly or monthly (UTC; default never)"
        ),
    ] = None,
    expires_at: Annotated[
        str | None, typer.Option(help="Expiry, ISO 8601 with a time zone, e.g. 2027-01-31T00:00:00Z")
    ] = None,
    allowed_models: Annotated[
        str | None, typer.Option(help="Comma list of model slugs or patterns, e.g. 'openai/*,anthropic/*'")
    ] = None,
    allowed_ips: Annotated[
        str | None, typer.Option(help="Comma list of client addresses or CIDR blocks, e.g. 10.0.0.0/8")
    ] = None,
    rpm: Annotated[int | None, typer.Option(help="Requests per minute (default: no limit)")] = None,
    tpm: Annotated[int | None, typer.Option(help="Tokens per minute (default: no limit)")] = None,
    management: Annotated[
        bool, typer.Option("--management", help="A management key: administers keys, cannot call models")
    ] = False,
) -> None:
    """Create an API key. The key is printed once, alone on the last line; it cannot be shown again."""
    try:
        settings = KeySettings(
            expires_at=_parse_expiry(expires_at),
            limit_nanos=usd_to_nanos(limit_usd) if limit_usd is not None else None,
            limit_reset=limit_reset,
            allowed_models=_comma_list(allowed_models),
            allowed_ips=_comma_list(allowed_ips),
            rpm_limit=rpm,
            tpm_limit=tpm,
            is_management=management,
        )
    except (CommandError, MoneyError) as exc:
        fail(str(exc))

    async def work(session: AsyncSession) -> tuple[str, str]:
        user = await get_user_by_email(session, email)
        created = await create_key(session, user.id, name, settings)
        return f"created key {created.key.name!r} ({created.key.label}) for {user.email}", created.plaintext

    summary, plaintext = run(settings_or_exit(), work, notify=True)
    typer.echo(summary)
    typer.echo("Store it now: it is shown only this once.")
    typer.echo(plaintext)


def _parse_expiry(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise CommandError(f"--expires-at: {value!r} is not an ISO 8601 time") from None
    if parsed.tzinfo is None:
        raise CommandError("--expires-at needs a time zone, e.g. 2027-01-31T00:00:00Z")
    return parsed


def _comma_list(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


# Channel options shared by `channels add` and `channels edit`; an option left out is not changed.
HeaderOption = Annotated[
    list[str] | None,
    typer.Option(
        "--header", help="Extra upstream request header 'Name: value' (repeatable; replaces the stored set)"
    ),
]
StreamOptionsOption = Annotated[
    bool | None,
    typer.Option(
        "--stream-options/--no-stream-options",
        help="Send stream_options.include_usage (openai; default on; turn off for servers that reject it)",
        show_default=False,
    ),
]
ApiVersionOption = Annotated[str | None, typer.Option(help="azure: the api-version query parameter")]
AnthropicVersionOption = Annotated[str | None, typer.Option(help="anthropic: the anthropic-version header")]
QuantizationOption = Annotated[
    str | None, typer.Option(help=f"Weights' precision shown to users: {', '.join(QUANTIZATIONS)}")
]
MaxConcurrencyOption = Annotated[
    int | None, typer.Option(help="At most this many requests in flight (default: unlimited)")
]
TimeoutOption = Annotated[float | None, typer.Option(help="Total seconds allowed for one upstream attempt")]
FirstByteTimeoutOption = Annotated[
    float | None, typer.Option(help="Seconds allowed until the upstream's first byte")
]
ProbeOption = Annotated[
    bool | None,
    typer.Option(
        "--probe/--no-probe", help="Probe the channel in the background (default on)", show_default=False
    ),
]
ProbeIntervalOption = Annotated[
    float | None, typer.Option(help=f"Seconds between background probes (>= {MIN_PROBE_INTERVAL_SECONDS})")
]
ProbeTimeoutOption = Annotated[float | None, typer.Option(help="Seconds allowed for one probe")]


def _options(
    header: list[str] | None,
    stream_options: bool | None,
    api_version: str | None,
    anthropic_version: str | None,
    quantization: str | None,
    max_concurrency: int | None,
    timeout_seconds: float | None,
    first_byte_timeout_seconds: float | None,
    probe: bool | None,
    probe_interval_seconds: float | None,
    probe_timeout_seconds: float | None,
) -> dict[str, Any]:
    """The channel options given on the command line (stored names), checked."""
    given: dict[str, Any] = {
        "headers": _or_fail(lambda: parse_headers(header)) if header else None,
        "stream_options": stream_options,
        "api_version": api_version,
        "anthropic_version": anthropic_version,
        "quantization": quantization,
        "max_concurrency": max_concurrency,
        "timeout_seconds": timeout_seconds,
        "first_byte_timeout_seconds": first_byte_timeout_seconds,
        "probe_enabled": probe,
        "probe_interval_seconds": probe_interval_seconds,
        "probe_timeout_seconds": probe_timeout_seconds,
    }
    return _or_fail(lambda: validate_options({k: v for k, v in given.items() if v is not None}))


def _secret_box(settings: Settings) -> SecretBox:
    return settings.secret_box()  # load_settings creates a key in the data dir when unset


@channels_app.command("add")
def channels_add(
    name: str,
    provider: Annotated[str, typer.Option(help="Upstream protocol: openai, azure, anthropic or gemini")],
    base_url: Annotated[str, typer.Option(help="As the provider documents it, /v1 included")],
    api_key: Annotated[
        list[str],
        typer.Option(help="A provider credential (stored encrypted); repeat to use several in turn"),
    ],
    models: Annotated[str, typer.Option(help="SLUG[=UPSTREAM_NAME],... catalogue slugs this channel serves")],
    priority: Annotated[int, typer.Option(help="Higher is tried first")] = 0,
    weight: Annotated[int, typer.Option(help="Share of traffic within one priority")] = 100,
    header: HeaderOption = None,
    stream_options: StreamOptionsOption = None,
    api_version: ApiVersionOption = None,
    anthropic_version: AnthropicVersionOption = None,
    quantization: QuantizationOption = None,
    max_concurrency: MaxConcurrencyOption = None,
    timeout_seconds: TimeoutOption = None,
    first_byte_timeout_seconds: FirstByteTimeoutOption = None,
    probe: ProbeOption = None,
    probe_interval_seconds: ProbeIntervalOption = None,
    probe_timeout_seconds: ProbeTimeoutOption = None,
    provider_slug: Annotated[
        str | None, typer.Option(help="The catalogue provider it reaches, e.g. deepinfra (shown to users)")
    ] = None,
) -> None:
    """Connect an upstream provider channel.

    Providers: openai (any OpenAI-compatible server; base URL with /v1), azure (https://RESOURCE.openai.azure.com;
    each model's upstream name is its deployment), anthropic (https://api.anthropic.com), gemini
    (https://generativelanguage.googleapis.com/v1beta)."""
    settings = settings_or_exit()
    box = _secret_box(settings)
    mappings = _or_fail(lambda: parse_model_mappings(models))
    options = _options(
        header,
        stream_options,
        api_version,
        anthropic_version,
        quantization,
        max_concurrency,
        timeout_seconds,
        first_byte_timeout_seconds,
        probe,
        probe_interval_seconds,
        probe_timeout_seconds,
    )

    async def work(session: AsyncSession) -> str:
        channel = await add_channel(
            session,
            box,
            name=name,
            provider=provider,
            base_url=base_url,
            api_key=api_key,
            models=mappings,
            priority=priority,
            weight=weight,
            options=options,
            provider_slug=provider_slug,
        )
        served = ", ".join(f"{m.slug}={m.upstream_name}" for m in mappings)
        where = f"id {channel.id}, {channel.provider}, {channel.base_url}, {key_count(box, channel)} key(s)"
        return f"added channel {channel.name} ({where}): {served}"

    typer.echo(run(settings, work, notify=True))


@channels_app.command("edit")
def channels_edit(
    channel_id: Annotated[int, typer.Argument(metavar="ID", help="The channel's id (see `channels list`)")],
    name: Annotated[str | None, typer.Option(help="A new name")] = None,
    base_url: Annotated[str | None, typer.Option(help="A new base URL")] = None,
    api_key: Annotated[
        list[str] | None, typer.Option(help="Replaces every stored key (repeat to give several)")
    ] = None,
    api_key_file: Annotated[
        Path | None,
        typer.Option(
            help="Replaces every stored key with this file's, one per line (- reads standard input); unlike "
            "--api-key, keeps them out of the process list and shell history"
        ),
    ] = None,
    models: Annotated[
        str | None,
        typer.Option(
            help="SLUG[=UPSTREAM_NAME],... replaces the served list (models that stay keep their prices)"
        ),
    ] = None,
    priority: Annotated[int | None, typer.Option(help="Higher is tried first")] = None,
    weight: Annotated[int | None, typer.Option(help="Share of traffic within one priority")] = None,
    provider_slug: Annotated[str | None, typer.Option(help="The catalogue provider it reaches")] = None,
    clear_provider_slug: Annotated[
        bool, typer.Option("--clear-provider-slug", help="Name no catalogue provider")
    ] = False,
    header: HeaderOption = None,
    stream_options: StreamOptionsOption = None,
    api_version: ApiVersionOption = None,
    anthropic_version: AnthropicVersionOption = None,
    quantization: QuantizationOption = None,
    max_concurrency: MaxConcurrencyOption = None,
    timeout_seconds: TimeoutOption = None,
    first_byte_timeout_seconds: FirstByteTimeoutOption = None,
    probe: ProbeOption = None,
    probe_interval_seconds: ProbeIntervalOption = None,
    probe_timeout_seconds: ProbeTimeoutOption = None,
    unset_option: Annotated[
        list[str] | None,
        typer.Option(help=f"Return an option to its default (repeatable): {', '.join(OPTION_NAMES)}"),
    ] = None,
) -> None:
    """Change a channel: only what is given changes; options are merged into the stored ones."""
    if provider_slug is not None and clear_provider_slug:
        fail("give either --provider-slug or --clear-provider-slug, not both")
    if api_key is not None and api_key_file is not None:
        fail("give either --api-key or --api-key-file, not both")
    if api_key_file is not None:
        lines = _read_secret_input(api_key_file, "--api-key-file").splitlines()
        api_key = [line for line in lines if line.strip()]
    settings = settings_or_exit()
    box = _secret_box(settings)
    mappings = _or_fail(lambda: parse_model_mappings(models)) if models is not None else None
    changes: dict[str, Any] = _options(
        header,
        stream_options,
        api_version,
        anthropic_version,
        quantization,
        max_concurrency,
        timeout_seconds,
        first_byte_timeout_seconds,
        probe,
        probe_interval_seconds,
        probe_timeout_seconds,
    )
    for option in unset_option or []:
        if option not in OPTION_NAMES:
            fail(f"unknown option {option!r}; known options: {', '.join(OPTION_NAMES)}")
        if option in changes:
            fail(f"option {option} is both set and unset")
        changes[option] = None

    async def work(session: AsyncSession) -> str:
        channel = await _updated(
            session,
            channel_id,
            name=name,
            base_url=base_url,
            api_keys=api_key,
            box=box,
            models=mappings,
            priority=priority,
            weight=weight,
            provider_slug=provider_slug,
            clear_provider=clear_provider_slug,
            options=changes or None,
        )
        return f"updated channel {channel.name} (id {channel.id}, {key_count(box, channel)} key(s))"

    typer.echo(run(settings, work, notify=True))


async def _updated(session: AsyncSession, channel_id: int, **changes: Any) -> Channel:
    try:
        return await update_channel(session, channel_id, **changes)
    except LookupError as exc:
        raise CommandError(str(exc)) from None


def _set_enabled(channel_id: int, enabled: bool) -> None:
    async def work(session: AsyncSession) -> str:
        channel = await _updated(session, channel_id, is_enabled=enabled)
        return f"{'enabled' if enabled else 'disabled'} channel {channel.name} (id {channel.id})"

    typer.echo(run(settings_or_exit(), work, notify=True))


@channels_app.command("enable")
def channels_enable(
    channel_id: Annotated[int, typer.Argument(metavar="ID", help="The channel's id (see `channels list`)")],
) -> None:
    """Route requests to a channel again."""
    _set_enabled(channel_id, True)


@channels_app.command("disable")
def channels_disable(
    channel_id: Annotated[int, typer.Argument(metavar="ID", help="The channel's id (see `channels list`)")],
) -> None:
    """Stop routing requests to a channel (it keeps its settings)."""
    _set_enabled(channel_id, False)


@channels_app.command("test")
def channels_test(
    channel_id: Annotated[int, typer.Argument(metavar="ID", help="The channel's id (see `channels list`)")],
    model: Annotated[str | None, typer.Option(help="A slug the channel serves (default: its first)")] = None,
) -> None:
    """Probe a channel with its first key. Exits 1 when the upstream refuses or does not answer."""
    settings = settings_or_exit()
    box = _secret_box(settings)

    async def work(session: AsyncSession) -> ProbeTarget:
        try:
            return await load_target(session, box, channel_id, model)
        except (LookupError, CredentialError) as exc:
            raise CommandError(str(exc)) from None

    target = run(settings, work)

    async def send() -> ProbeResult:
        async with aiohttp.ClientSession() as http:
            return await probe_channel(
                http, target.provider, target.config, target.upstream_model, target.timeout_seconds
            )

    result = _run_async(send())
    status = f"HTTP {result.status}" if result.status is not None else "no HTTP answer"
    channel = f"channel {target.name} (id {target.channel_id}), {target.model_slug}"
    summary = f"{channel}: {status} in {result.latency_ms} ms"
    if result.ok:
        typer.echo(f"ok: {summary}")
        return
    typer.echo(f"failed: {summary}: {result.message}")
    raise typer.Exit(1)


@channels_app.command("delete")
def channels_delete(
    channel_id: Annotated[int, typer.Argument(metavar="ID", help="The channel's id (see `channels list`)")],
    yes: Annotated[
        bool, typer.Option("--yes", help="Confirm: the channel and its endpoint prices go")
    ] = False,
) -> None:
    """Delete a channel, with its served models and their endpoint prices."""
    if not yes:
        fail(f"deleting channel {channel_id} cannot be undone; add --yes to confirm")

    async def work(session: AsyncSession) -> str:
        try:
            await delete_channel(session, channel_id)
        except LookupError as exc:
            raise CommandError(str(exc)) from None
        return f"deleted channel {channel_id}"

    typer.echo(run(settings_or_exit(), work, notify=True))


@channels_app.command("list")
def channels_list() -> None:
    """List channels (credentials are never shown, only how many keys each has)."""
    settings = settings_or_exit()
    box = _secret_box(settings)

    async def work(session: AsyncSession) -> list[str]:
        lines = []
        for channel, served in await list_channels(session):
            state = "enabled" if channel.is_enabled else "disabled"
            models = ", ".join(
                m.model_slug
                if m.upstream_name == m.model_slug.split("/", 1)[-1]
                else f"{m.model_slug}={m.upstream_name}"
                for m in served
            )
            lines.append(
                f"{channel.id}\t{channel.name}\t{channel.provider}\t{channel.base_url}\t{state}\t"
                f"priority={channel.priority}\tweight={channel.weight}\t{models}\t"
                f"keys={key_count(box, channel)}\tprovider_slug={channel.provider_slug or '-'}"
            )
        return lines

    lines = run(settings, work)
    if not lines:
        typer.echo("no channels; add one with `modelyard channels add`")
    for line in lines:
        typer.echo(line)


@catalog_app.command("import")
def catalog_import(
    path: Annotated[
        Path | None,
        typer.Argument(help="An OpenRouter /api/v1/models JSON file [default: the catalogue shipped inside]"),
    ] = None,
) -> None:
    """Import or update models and prices from an OpenRouter-format catalogue."""
    if path is not None and not path.is_file():
        fail(f"no such file: {path}")
    models = _or_fail(lambda: load_document(path))

    async def work(session: AsyncSession) -> str:
        result = await import_models(session, models)
        counts = f"{result.added} added, {result.updated} updated, {result.total} total"
        return f"imported {len(models)} models: {counts}"

    # The catalogue being imported replaces the bundled one, so an empty database is not seeded first.
    settings = settings_or_exit().model_copy(update={"auto_import_catalog": False})
    typer.echo(run(settings, work, notify=True))


@codes_app.command("create")
def codes_create(
    count: Annotated[int, typer.Option(help="How many codes")],
    amount: Annotated[str, typer.Option(help="USD each code is worth")],
    max_uses: Annotated[int, typer.Option(help="Redemptions allowed per code (each user once)")] = 1,
    expires_at: Annotated[
        str | None, typer.Option(help="ISO 8601 time with zone, e.g. 2027-01-01T00:00:00Z")
    ] = None,
) -> None:
    """Create a batch of redemption codes. They are printed once, one per line; only hashes are stored."""
    try:
        amount_nanos = usd_to_nanos(Decimal(amount.strip().lstrip("$")))
    except (MoneyError, ArithmeticError, ValueError):
        fail(f"--amount must be a number of US dollars with at most 9 decimals, got {amount!r}")
    expiry = None
    if expires_at is not None:
        try:
            expiry = datetime.fromisoformat(expires_at.replace("Z", "+00:00"))
        except ValueError:
            fail(f"--expires-at must be an ISO 8601 time, got {expires_at!r}")
        if expiry.tzinfo is None:
            fail("--expires-at needs a time zone, e.g. 2027-01-01T00:00:00Z")

    async def work(session: AsyncSession) -> tuple[str, list[str]]:
        return await create_batch(
            session, count=count, amount_nanos=amount_nanos, max_uses=max_uses, expires_at=expiry
        )

    batch, created = run(settings_or_exit(), work)
    typer.echo(
        f"# {batch}: {count} codes worth ${nanos_to_usd_str(amount_nanos)} each; shown only now", err=True
    )
    for code in created:
        typer.echo(code)


@catalog_app.command("sync")
def catalog_sync(
    url: Annotated[str, typer.Option(help="An OpenRouter-format /api/v1/models URL")] = DEFAULT_CATALOG_URL,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the changes, apply nothing")] = False,
    force: Annotated[bool, typer.Option("--force", help="Also replace prices set by hand")] = False,
    confirm: Annotated[
        bool,
        typer.Option("--confirm", help="Also apply prices that drop to zero or move more than the factor"),
    ] = False,
    max_change_factor: Annotated[
        float, typer.Option(help="A price moving more than this factor is held for --confirm")
    ] = 3.0,
) -> None:
    """Download a catalogue, show the differences (+ added, - removed, ~ price, ! held, = kept), apply."""
    if max_change_factor <= 1:
        fail("--max-change-factor must be greater than 1")
    settings = settings_or_exit()
    try:
        models = asyncio.run(download_catalogue(url))
    except SyncError as exc:
        fail(str(exc))

    async def work(session: AsyncSession) -> list[str]:
        sync_plan = await plan_sync(
            session, models, max_change_factor=Decimal(str(max_change_factor)), force=force, confirm=confirm
        )
        if not dry_run:
            await apply_sync(session, sync_plan)
        lines = sync_plan.lines() or ["no changes"]
        summary = (
            f"{len(sync_plan.added)} added, {len(sync_plan.removed)} removed, {len(sync_plan.changed)} price "
            f"changes, {len(sync_plan.held)} held, {len(sync_plan.kept)} kept"
        )
        return [*lines, ("dry run: nothing applied; " if dry_run else "applied: ") + summary]

    for line in run(settings, work, notify=not dry_run):
        typer.echo(line)


@ledger_app.command("verify")
def ledger_verify() -> None:
    """Check that every cached balance equals the sum of its ledger entries."""

    async def work(session: AsyncSession) -> list[ledger.Mismatch]:
        return await ledger.verify(session)

    mismatches = run(settings_or_exit(), work)
    for m in mismatches:
        typer.echo(
            f"MISMATCH user {m.user_id} {m.email}: balance ${nanos_to_usd_str(m.cached_nanos)}, "
            f"ledger sums to ${nanos_to_usd_str(m.ledger_nanos)}",
            err=True,
        )
    if mismatches:
        raise typer.Exit(1)
    typer.echo("ledger OK: every balance equals the sum of its entries")


@secrets_app.command("rotate")
def secrets_rotate(
    new_key_file: Annotated[
        Path | None,
        typer.Option(
            help="A file holding the new key, at least 32 characters (- reads standard input). Needed when "
            "MODELYARD_SECRET_KEY is set; with the data directory's secret.key, a random key by default. "
            "Not with MODELYARD_SECRET_KEY_PREVIOUS, where the configured key is the new one"
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="Check that every value decrypts with the configured key(s), count those under a previous "
            "key; change nothing",
        ),
    ] = False,
) -> None:
    """Re-encrypt every stored provider credential and site secret under a new secret key, all or nothing.

    Offline: stop every server first; start them with the new key afterwards. The current key is the
    configured one: MODELYARD_SECRET_KEY, else secret.key in the data directory, which then receives the new
    key (replaced in one step once the database has committed). With MODELYARD_SECRET_KEY, set it to the new
    key on every instance before starting them. Access tokens issued before are refused (clients refresh;
    sessions go on), and every user's alert-webhook signing secret changes.

    Rolling, with MODELYARD_SECRET_KEY_PREVIOUS set (every instance already restarted with the new key as
    MODELYARD_SECRET_KEY and the old one there): the servers keep running, and what is still under a previous
    key is re-encrypted under MODELYARD_SECRET_KEY; then drop MODELYARD_SECRET_KEY_PREVIOUS."""
    settings = settings_or_exit()
    assert settings.secret_key is not None  # load_settings creates one in the data dir when unset
    current = settings.secret_key.get_secret_value()
    rolling = bool(settings.previous_secret_keys())
    # Settings without the data directory's fallback: None when the key came from secret.key.
    in_key_file = Settings().secret_key is None
    replacement: str | None = None
    if rolling:
        if new_key_file is not None:
            fail(
                "MODELYARD_SECRET_KEY_PREVIOUS is set, so the configured key is the new one: run without "
                "--new-key-file to re-encrypt everything under it (a rolling rotation), or unset "
                "MODELYARD_SECRET_KEY_PREVIOUS for an offline rotation to another key"
            )
        replacement = current
    elif new_key_file is not None:
        replacement = _or_fail(
            lambda: check_new_key(_read_secret_input(new_key_file, "--new-key-file"), current)
        )
    elif not dry_run:
        if not in_key_file:
            fail(
                "MODELYARD_SECRET_KEY is set: give the new key with --new-key-file (a file, or - for "
                "standard input), e.g. from: python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )
        replacement = generate_secret_key()
    new_box = SecretBox(replacement) if replacement is not None and not dry_run else None
    committed = False

    async def main() -> RotationCounts:
        nonlocal committed
        engine = await prepare_database(settings)
        try:
            async with session_factory(engine)() as session:
                async with session.begin():
                    counts = await rotate(session, settings.secret_box(), new_box)
                # Set before anything else can fail: from here on the staged key is the one in use.
                committed = new_box is not None
        finally:
            await engine.dispose()
        return counts

    staged = None
    # Rolling, the key in use stays where it is configured: the key file keeps it.
    if new_box is not None and in_key_file and not rolling:
        assert replacement is not None
        staged = _or_fail(lambda: stage_key(settings.data_dir, replacement))
    try:
        counts = _run_async(main())
    finally:
        if staged is not None and not committed:
            staged.unlink(missing_ok=True)
        elif staged is not None:
            try:
                install_key(staged)
            except OSError as exc:
                fail(
                    f"the database now uses the new key, which is in {staged}, but it could not replace "
                    f"{key_file(settings.data_dir)} ({exc}): move it there before starting a server"
                )
    if new_box is None:
        if rolling:
            typer.echo(
                f"dry run: {counts.describe()} decrypt with the configured keys, {counts.under_previous_key} "
                "of them only with MODELYARD_SECRET_KEY_PREVIOUS; nothing changed"
            )
            return
        checked = " and the new key is usable" if replacement is not None else ""
        typer.echo(f"dry run: {counts.describe()} decrypt with the current key{checked}; nothing changed")
        return
    if rolling:
        typer.echo(
            f"re-encrypted {counts.describe()} under the current key ({counts.under_previous_key} were "
            "under a previous key); once every instance runs with this key, remove "
            "MODELYARD_SECRET_KEY_PREVIOUS and restart them one by one"
        )
        return
    typer.echo(f"re-encrypted {counts.describe()} under the new key")
    if staged is not None:
        typer.echo(f"the new key is in {key_file(settings.data_dir)}; start the server")
    else:
        typer.echo("now set MODELYARD_SECRET_KEY to the new key on every instance, then start them")


def _read_secret_input(path: Path, option: str) -> str:
    """A secret from a file, or from standard input for `-`: never from the command line, which the process
    list and shell history keep."""
    try:
        value = sys.stdin.read() if str(path) == "-" else path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"{option}: cannot read {path}: {exc}")
    if not value.strip():
        fail(f"{option}: {path} is empty")
    return value


def _or_fail(build: Callable[[], T]) -> T:
    try:
        return build()
    except (ChannelError, CatalogFormatError, RotationError, OSError) as exc:
        fail(str(exc))


def main() -> None:
    app()
