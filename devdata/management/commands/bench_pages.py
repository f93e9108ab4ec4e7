"""Time the main pages and exports in-process: queries, SQL time, median, p95.

Each page is requested through Django's test client, so the time is what the
app spends producing the response (middleware, view, queries, template),
without network or proxy. The time of the queries is summed per request with
`connection.execute_wrapper`. Two yardsticks are timed in the same run: a
minimal view (/healthz) and a cheap page signed in (/help/), and each page
is shown as a multiple of both. `--json` writes the figures to a file with
the scale, the machine, the date and the row counts.
"""

from __future__ import annotations

import gzip
import json
import os
import platform
import statistics
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import Count
from django.db.models.functions import Length
from django.test import Client
from django.utils import timezone

from access.models import Membership
from accounts.models import User
from assessments.models import Assessment, Enrolment, Evidence, ReviewEvent
from devdata import national
from devdata.clients import pass_second_factor
from wards.models import Province, Ward

HEALTHZ = "minimal view (/healthz)"
SIGNED_IN = "signed-in minimal page (/help/)"


class Command(BaseCommand):
    help = "Print query counts, SQL and server times and sizes of the main pages."

    def add_arguments(self, parser):
        parser.add_argument("--requests", type=int, default=30)
        parser.add_argument("--year", type=int, default=None)
        parser.add_argument(
            "--json",
            type=Path,
            default=None,
            dest="json_path",
            help="Also write the figures to this file.",
        )

    def handle(self, *args, requests: int, year: int | None, json_path, **options):
        if requests < 1:
            raise CommandError("--requests must be at least 1.")
        year = (
            year
            or Enrolment.objects.order_by("-year")
            .values_list("year", flat=True)
            .first()
        )
        if year is None:
            raise CommandError(
                "No enrolment: load data first (make run or bench data)."
            )
        pages = [self.measure(*target, requests) for target in self.targets(year)]
        healthz, signed_in = pages[0]["median_ms"], pages[1]["median_ms"]
        for page in pages:
            page["per_healthz"] = _ratio(page["median_ms"], healthz)
            page["per_signed_in"] = _ratio(page["median_ms"], signed_in)
        report = {
            "scale": national.loaded_scale(),
            "date": timezone.now().isoformat(timespec="seconds"),
            "year": year,
            "requests": requests,
            "machine": {
                "cpu_count": os.cpu_count(),
                "python": platform.python_version(),
                "database": database_version(),
                "platform": platform.platform(),
            },
            "rows": row_counts(year),
            "pages": pages,
        }
        self.print_report(report)
        if json_path is not None:
            json_path.parent.mkdir(parents=True, exist_ok=True)
            json_path.write_text(_dumps(report), encoding="utf-8")
            self.stdout.write(f"Wrote {json_path}.")

    def measure(self, label: str, user: User | None, url: str, requests: int):
        """Request `url` once to warm up, then `requests` times, timed."""
        client = Client(HTTP_HOST="127.0.0.1")
        if user is not None:
            self.log_in(client, user)
        body = _body(client.get(url))  # warm caches, templates, connections
        sql: list[float] = []

        def timed(execute, sql_text, params, many, context):
            start = time.perf_counter()
            try:
                return execute(sql_text, params, many, context)
            finally:
                sql.append(time.perf_counter() - start)

        times, sql_times, counts = [], [], []
        with connection.execute_wrapper(timed):
            for _ in range(requests):
                sql.clear()
                start = time.perf_counter()
                response = client.get(url)
                body = _body(response)
                times.append((time.perf_counter() - start) * 1000)
                sql_times.append(sum(sql) * 1000)
                counts.append(len(sql))
                if response.status_code != 200:
                    raise CommandError(f"{url} answered {response.status_code}.")
        median, sql_median = statistics.median(times), statistics.median(sql_times)
        return {
            "page": label,
            "url": url,
            "queries": round(statistics.median(counts)),
            "queries_min": min(counts),
            "queries_max": max(counts),
            "median_ms": median,
            "p95_ms": sorted(times)[max(0, round(0.95 * len(times)) - 1)],
            "sql_median_ms": sql_median,
            "page_per_sql": _ratio(median, sql_median),
            "bytes": len(body),
            "gzip_bytes": len(gzip.compress(body, compresslevel=6)),
        }

    def targets(self, year: int) -> list[tuple[str, User | None, str]]:
        national_leader = self.user("bench-national", Membership.Role.NATIONAL_LEADER)
        province, size = self.biggest_province(year)
        leader = self.user(
            "bench-leader", Membership.Role.PROVINCIAL_LEADER, province=province
        )
        reviewer = self.user(
            "bench-reviewer", Membership.Role.REVIEWER, province=province
        )
        # An official unit at every scale (copies have longer codes), so that
        # the ward and criterion pages compare like with like; its first
        # criterion (bench_memory.py uploads to another ward).
        assessment = (
            Assessment.objects.filter(
                enrolment__ward__province=province, enrolment__year=year
            )
            .alias(code_length=Length("enrolment__ward__code"))
            .filter(code_length__lt=national.COPY_CODE_LENGTH)
            .order_by("enrolment__ward__code", "criterion__number")
            .select_related("enrolment__ward", "criterion")
            .first()
        )
        if assessment is None:
            raise CommandError(f"No assessment in {province.name} for {year}.")
        ward, number = assessment.enrolment.ward, assessment.criterion.number
        officer = self.user("bench-officer", Membership.Role.OFFICER, ward=ward)
        return [
            (HEALTHZ, None, "/healthz"),
            (SIGNED_IN, officer, "/help/"),
            ("national dashboard", national_leader, f"/dashboard/?year={year}"),
            (
                f"province dashboard ({province.name}, {size} units)",
                leader,
                f"/dashboard/{province.code}/?year={year}",
            ),
            ("ward page", officer, f"/wards/{ward.code}/?year={year}"),
            ("criterion page", officer, f"/wards/{ward.code}/{year}/{number}/"),
            ("review queue (province)", reviewer, "/review/"),
            (
                "export: national CSV",
                national_leader,
                f"/dashboard/export/provinces.csv?year={year}",
            ),
            (
                "export: province XLSX",
                leader,
                f"/dashboard/export/wards.xlsx?year={year}&province={province.code}",
            ),
        ]

    def log_in(self, client: Client, user: User) -> None:
        """Sign in as someone who has also passed the second factor."""
        client.force_login(user)
        pass_second_factor(client, user, device_name="bench")

    def biggest_province(self, year: int) -> tuple[Province, int]:
        """The province with the most units in force at the end of `year`
        (of those with an enrolment that year), and that number."""
        enrolled = Enrolment.objects.filter(year=year).values("ward__province")
        row = (
            Ward.objects.at_year_end(year)
            .filter(province__in=enrolled)
            .values("province")
            .annotate(n=Count("pk"))
            .order_by("-n", "province")
            .first()
        )
        return Province.objects.get(pk=row["province"]), row["n"]

    def user(self, username: str, role: str, **scope) -> User:
        user, _created = User.objects.get_or_create(username=username)
        Membership.objects.filter(user=user).delete()
        Membership.objects.create(user=user, role=role, **scope)
        return user

    def print_report(self, report: dict) -> None:
        machine, rows = report["machine"], report["rows"]
        self.stdout.write(
            f"Scale {report['scale']}, year {report['year']}, {report['date']}; "
            f"{machine['cpu_count']} CPUs, Python {machine['python']}, "
            f"{machine['database']}."
        )
        self.stdout.write(
            f"{rows['units']:,} units ({rows['units_in_force']:,} in force at the "
            f"end of {report['year']}), {rows['enrolments']:,} enrolments, "
            f"{rows['assessments']:,} assessments, {rows['evidence']:,} evidence, "
            f"{rows['review_events']:,} review events."
        )
        self.stdout.write(
            f"{report['requests']} requests per page. Milliseconds: server time "
            "(median, p95), time in SQL per request (median); page/SQL, ×healthz, "
            "×help: the median over that one. Body in KB, as sent and gzipped."
        )
        columns = [
            ("page", "<", lambda p: p["page"]),
            ("queries", ">", lambda p: f"{p['queries']}"),
            ("median", ">", lambda p: f"{p['median_ms']:.1f}"),
            ("p95", ">", lambda p: f"{p['p95_ms']:.1f}"),
            ("SQL", ">", lambda p: f"{p['sql_median_ms']:.1f}"),
            ("page/SQL", ">", lambda p: _times(p["page_per_sql"])),
            ("×healthz", ">", lambda p: _times(p["per_healthz"])),
            ("×help", ">", lambda p: _times(p["per_signed_in"])),
            ("KB", ">", lambda p: f"{p['bytes'] / 1024:.1f}"),
            ("gzip KB", ">", lambda p: f"{p['gzip_bytes'] / 1024:.1f}"),
        ]
        cells = [[name for name, _align, _cell in columns]] + [
            [cell(page) for _name, _align, cell in columns] for page in report["pages"]
        ]
        widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
        for row in cells:
            self.stdout.write(
                "  ".join(
                    f"{text:{align}{width}}"
                    for text, (_name, align, _cell), width in zip(
                        row, columns, widths, strict=True
                    )
                ).rstrip()
            )


def row_counts(year: int) -> dict[str, int]:
    return {
        "units": Ward.objects.count(),
        "units_in_force": Ward.objects.at_year_end(year).count(),
        "enrolments": Enrolment.objects.count(),
        "assessments": Assessment.objects.count(),
        "evidence": Evidence.objects.count(),
        "review_events": ReviewEvent.objects.count(),
    }


def database_version() -> str:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            return f"PostgreSQL {cursor.fetchone()[0]}"
    if connection.vendor == "sqlite":
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version}"
    return connection.vendor


def _body(response) -> bytes:
    """The body as sent; a streamed one read to its end."""
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def _times(ratio: float | None) -> str:
    return "–" if ratio is None else f"{ratio:.1f}"


def _dumps(report: dict) -> str:
    def rounded(value):
        if isinstance(value, float):
            return round(value, 3)
        if isinstance(value, dict):
            return {key: rounded(item) for key, item in value.items()}
        if isinstance(value, list):
            return [rounded(item) for item in value]
        return value

    return json.dumps(rounded(report), ensure_ascii=False, indent=2) + "\n"
