"""Create or drop the PostgreSQL database named by DATABASE_URL.

scripts/database.py create   # if it does not exist (benchmarks, load tests)
scripts/database.py drop     # throwaway runs, when they end
"""

import os
import sys

import environ
import psycopg
from psycopg import sql


def main(action: str) -> int:
    config = environ.Env.db_url_config(os.environ.get("DATABASE_URL", ""))
    if "postgresql" not in config["ENGINE"]:
        print("DATABASE_URL must name a PostgreSQL database.", file=sys.stderr)
        return 1
    params = {
        "host": config.get("HOST") or None,
        "port": config.get("PORT") or None,
        "user": config.get("USER") or None,
        "password": config.get("PASSWORD") or None,
    }
    name = sql.Identifier(config["NAME"])
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
        if action == "drop":
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name)
            )
            return 0
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]
        ).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(name))
            print(f"Created database {config['NAME']}.")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in ("create", "drop"):
        sys.exit(__doc__)
    raise SystemExit(main(sys.argv[1]))
