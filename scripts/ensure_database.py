"""Create the PostgreSQL database named by DATABASE_URL if it does not exist."""

import os
import sys

import environ
import psycopg
from psycopg import sql


def main() -> int:
    url = os.environ.get("DATABASE_URL", "")
    config = environ.Env.db_url_config(url)
    if "postgresql" not in config["ENGINE"]:
        print("DATABASE_URL must name a PostgreSQL database.", file=sys.stderr)
        return 1
    params = {
        "host": config.get("HOST") or None,
        "port": config.get("PORT") or None,
        "user": config.get("USER") or None,
        "password": config.get("PASSWORD") or None,
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]
        ).fetchone()
        if not exists:
            conn.execute(
                sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"]))
            )
            print(f"Created database {config['NAME']}.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
