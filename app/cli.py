"""The `interview-api` command."""

import argparse
import asyncio
import logging
import sys
from pathlib import Path

from app.settings import Settings


def _serve(args: argparse.Namespace, settings: Settings) -> None:
    import uvicorn

    from app.wiring import prepare_database

    asyncio.run(prepare_database(settings))
    if args.demo:
        from app.demo import seed_demo

        asyncio.run(seed_demo(settings))
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
    serve.set_defaults(run=_serve)

    commands.add_parser("migrate", help="apply the database migrations").set_defaults(run=_migrate)

    create_org = commands.add_parser("create-org", help="create an organization; prints its ADMIN token last")
    create_org.add_argument("name")
    create_org.set_defaults(run=_create_org)

    export = commands.add_parser("export-schema", help="write the GraphQL schema (SDL)")
    export.add_argument("--output", "-o", default="schema.graphql", help="a file, or - for stdout")
    export.set_defaults(run=_export_schema)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    settings = Settings()
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args.run(args, settings)


if __name__ == "__main__":
    main()
