"""`flask reports ...`: issue a report, verify a PDF, list what was issued, run the job worker."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

from registry import clock
from registry.errors import RegistryError
from registry.extensions import db
from registry.ledger.events import cli_actor
from registry.reports import catalog, jobs, verification
from registry.reports.models import IssuedReport
from registry.reports.runtime import reports

reports_cli = AppGroup("reports", help="Signed PDF compliance reports.")


@reports_cli.command("issue")
@click.argument("report_type", type=click.Choice(sorted(catalog.TYPES)))
@click.option("--param", "-p", "params", multiple=True, metavar="NAME=VALUE", help="A report parameter; repeatable.")
@click.option("--out", type=click.Path(dir_okay=False, writable=True), help="Also write the signed PDF here.")
@click.option("--no-personal-data", is_flag=True, help="Withhold private persons' names and addresses.")
def issue(report_type: str, params: tuple[str, ...], out: str | None, no_personal_data: bool) -> None:
    """Issue a report now (the PDF is kept and a report.issued event appended)."""
    values = {}
    for pair in params:
        name, sep, value = pair.partition("=")
        if not sep:
            raise click.BadParameter(f"{pair!r} is not NAME=VALUE", param_hint="--param")
        values[name.strip()] = value
    with click.progressbar(length=100, label=f"issuing {report_type}", file=sys.stderr) as bar:
        done = [0]

        def progress(percent: int, message: str) -> None:
            bar.label = message[:40]
            bar.update(percent - done[0])
            done[0] = percent

        try:
            issued = reports().issue(
                report_type,
                values,
                actor=cli_actor(),
                personal=not no_personal_data,
                now=clock.now(),
                progress=progress,
            )
        except RegistryError as error:
            raise click.ClickException(getattr(error, "detail", str(error))) from None
    if out:
        Path(out).write_bytes(reports().pdf(issued))
    click.echo(
        f"issued {issued.title}: {issued.pages} pages, {issued.size} bytes, sha256 {issued.sha256}, "
        f"ledger entry {issued.entry_index}" + (f", written to {out}" if out else "")
    )


@reports_cli.command("verify")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def verify(path: str) -> None:
    """Check a report PDF: signature, trust, coverage, evidence, and its report.issued event. Exit 1 if invalid."""
    verdict, _ = verification.verify(Path(path).read_bytes())
    for check in verdict.checks:
        click.echo(f"{'ok  ' if check.passed else 'FAIL'} {check.name:10} {check.detail}")
    click.echo(verdict.summary())
    if verdict.level:
        click.echo(f"PAdES {verdict.level}: {verdict.level_meaning}")
    sys.exit(0 if verdict.ok else 1)


@reports_cli.command("list")
def list_reports() -> None:
    """Issued reports, newest first."""
    for report in db.session.scalars(select(IssuedReport).order_by(IssuedReport.entry_index.desc())):
        click.echo(
            f"{report.entry_index:>8}  {report.issued_at:%Y-%m-%d %H:%M}  {report.report_type:20} "
            f"{report.sha256[:16]}  {report.title}"
        )


@reports_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker(burst: bool) -> None:
    """Run report jobs from Redis (REDIS_URL) in this process."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        raise click.ClickException("REDIS_URL is not set: without it, reports run in the web process")
    from redis import Redis
    from rq import Queue, SimpleWorker

    connection = Redis.from_url(url)
    SimpleWorker([Queue(jobs.QUEUE, connection=connection)], connection=connection).work(burst=burst)


def init_app(app: Flask) -> None:
    app.cli.add_command(reports_cli)
