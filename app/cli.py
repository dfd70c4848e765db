"""The `interview-api` command."""

import argparse
import asyncio
import logging
import subprocess
import sys
from pathlib import Path

from app.settings import Settings


def _serve(args: argparse.Namespace, settings: Settings) -> None:
    from app.wiring import prepare_database

    asyncio.run(prepare_database(settings))
    if args.demo:
        from app.demo import seed_demo

        asyncio.run(seed_demo(settings))
    simulator = None
    if args.simulate:
        token = settings.bootstrap_admin_token
        if not token:
            raise SystemExit("--simulate needs BOOTSTRAP_ADMIN_TOKEN (the simulator acts through the API)")
        simulator = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "simulate", "--url", f"http://{args.host}:{args.port}", "--token", token]
        )
    try:
        _run_uvicorn(args, settings)
    finally:
        if simulator is not None:
            simulator.terminate()
            simulator.wait(timeout=10)


def _run_uvicorn(args: argparse.Namespace, settings: Settings) -> None:
    import uvicorn

    uvicorn.run(
        "app.main:create_app_from_env",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        ws_ping_interval=settings.ws_ping_interval,
        ws_ping_timeout=settings.ws_ping_timeout,
        log_level=settings.log_level.lower(),
    )


def _simulate(args: argparse.Namespace, settings: Settings) -> None:
    from app.simulate import run

    token = args.token or settings.bootstrap_admin_token
    if not token:
        raise SystemExit("give --token (an ADMIN token) or set BOOTSTRAP_ADMIN_TOKEN")
    try:
        asyncio.run(run(args.url, token, pace=args.pace, parallel=args.parallel, sessions=args.sessions))
    except KeyboardInterrupt:
        pass


def _migrate(args: argparse.Namespace, settings: Settings) -> None:
    from models.migrate import upgrade

    upgrade(settings.database_url)
    print("database migrated")


def _create_org(args: argparse.Namespace, settings: Settings) -> None:
    from app.wiring import prepare_database
    from models.db import create_database
    from services.auth import create_organization

    async def run() -> str:
        await prepare_database(settings)
        database = create_database(settings.database_url, pool_size=1)
        try:
            async with database.writer() as db, db.begin():
                organization, token = await create_organization(db, args.name)
            print(f"organization {organization.name!r} created; its ADMIN token:", file=sys.stderr)
            return token
        finally:
            await database.dispose()

    print(asyncio.run(run()))


def _worker(args: argparse.Namespace, settings: Settings) -> None:
    from app.background import run_worker

    asyncio.run(run_worker(settings, concurrency=args.concurrency))


def _export_schema(args: argparse.Namespace, settings: Settings) -> None:
    from schema.schema import schema

    text = schema.as_str() + "\n"
    if args.output == "-":
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="interview-api", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the API (migrates first in embedded mode)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    serve.add_argument("--demo", action="store_true", help="seed a demo organization when the database is empty")
    serve.add_argument("--simulate", action="store_true", help="also run the simulated interviewer against this server")
    serve.set_defaults(run=_serve)

    simulate = commands.add_parser("simulate", help="drive demo sessions through the API as an AI interviewer and scorer")
    simulate.add_argument("--url", default="http://127.0.0.1:8000")
    simulate.add_argument("--token", help="an ADMIN token (default: BOOTSTRAP_ADMIN_TOKEN)")
    simulate.add_argument("--pace", type=float, default=1.5, help="seconds between transcript segments")
    simulate.add_argument("--parallel", type=int, default=2, help="interviews at a time")
    simulate.add_argument("--sessions", type=int, default=None, help="stop after this many (default: run until stopped)")
    simulate.set_defaults(run=_simulate)

    commands.add_parser("migrate", help="apply the database migrations").set_defaults(run=_migrate)

    create_org = commands.add_parser("create-org", help="create an organization; prints its ADMIN token last")
    create_org.add_argument("name")
    create_org.set_defaults(run=_create_org)

    worker = commands.add_parser("worker", help="deliver webhooks until SIGTERM/SIGINT (any number may run)")
    worker.add_argument("--concurrency", type=int, default=None, help="attempts in flight (WEBHOOK_CONCURRENCY)")
    worker.set_defaults(run=_worker)

    export = commands.add_parser("export-schema", help="write the GraphQL schema (SDL)")
    export.add_argument("--output", "-o", default="schema.graphql", help="a file, or - for stdout")
    export.set_defaults(run=_export_schema)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    settings = Settings()
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request drowns the rest
    args.run(args, settings)


if __name__ == "__main__":
    main()
