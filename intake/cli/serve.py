"""`beredning serve`: run the web app."""

from __future__ import annotations

import click

from intake.cli._context import CliContext, pass_ctx


@click.command("serve")
@click.option("--host", default=None, help="Address to bind (default from BEREDNING_HOST: 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default from BEREDNING_PORT: 8000).")
@click.option("--log-level", default="info", type=click.Choice(["debug", "info", "warning", "error"]))
@pass_ctx
def serve(ctx: CliContext, host: str | None, port: int | None, log_level: str) -> None:
    """Serve the intake form, the API and /health."""
    import uvicorn

    from flows.embedded import EmbeddedFlows
    from intake.domain.glossary import GlossaryFileError
    from intake.domain.process import ProcessFileError
    from intake.domain.retention import RetentionFileError
    from intake.drafting.checklists import ChecklistFileError
    from intake.migrate import SchemaOutOfDate
    from intake.web.access_log import log_config
    from intake.web.app import create_app

    settings = ctx.settings
    try:
        app = create_app(settings, job_flows=EmbeddedFlows())  # the web layer never imports the flows
    except (
        SchemaOutOfDate,
        ProcessFileError,
        ChecklistFileError,
        RetentionFileError,
        GlossaryFileError,
    ) as exc:
        raise click.ClickException(str(exc)) from exc
    uvicorn.run(
        app,
        host=host or settings.host,
        port=port or settings.port,
        log_level=log_level,
        log_config=log_config(),
        # uvicorn would believe X-Forwarded-For from 127.0.0.1 by default, so any local caller
        # could pick its address; the app reads it itself, from `server.trusted_proxies` only
        proxy_headers=False,
        limit_concurrency=200,
        timeout_keep_alive=5,
    )


def register(main: click.Group) -> None:
    """Add `serve` to the CLI."""
    main.add_command(serve)
