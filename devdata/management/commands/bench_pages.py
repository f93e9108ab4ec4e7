"""Time the main pages and exports in-process: queries, median and p95.

Each page is requested through Django's test client, so the time is what the
app spends producing the response (middleware, view, queries, template),
without network or proxy. A minimal view (/healthz) is timed in the same run
as the yardstick, and each page is shown as a multiple of it.
"""

from __future__ import annotations

import statistics
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, reset_queries
from django.db.models import Count
from django.test import Client

from access.models import Membership
from accounts.models import User
from assessments.models import Assessment, Enrolment
from devdata.clients import pass_second_factor
from wards.models import Province, Ward


class Command(BaseCommand):
    help = "Print query counts and server times of the main pages and exports."

    def add_arguments(self, parser):
        parser.add_argument("--requests", type=int, default=30)
        parser.add_argument("--year", type=int, default=None)

    def handle(self, *args, requests: int, year: int | None, **options):
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
        targets = self.targets(year)
        rows = []
        baseline = None
        for label, user, url in targets:
            client = Client(HTTP_HOST="127.0.0.1")
            if user is not None:
                self.log_in(client, user)
            client.get(url)  # warm caches, templates, connections
            queries: list[str] = []

            def count(execute, sql, params, many, context, queries=queries):
                queries.append(sql)
                return execute(sql, params, many, context)

            with connection.execute_wrapper(count):
                response = client.get(url)
            if response.status_code != 200:
                raise CommandError(f"{url} answered {response.status_code}.")
            times = []
            for _ in range(requests):
                start = time.perf_counter()
                response = client.get(url)
                if hasattr(response, "streaming_content"):
                    b"".join(response.streaming_content)
                times.append((time.perf_counter() - start) * 1000)
                reset_queries()
            median = statistics.median(times)
            p95 = sorted(times)[max(0, round(0.95 * len(times)) - 1)]
            if baseline is None:
                baseline = median
            rows.append((label, len(queries), median, p95, median / baseline))
        self.print_table(rows, requests, year)

    def targets(self, year: int):
        national = self.user("bench-national", Membership.Role.NATIONAL_LEADER)
        province, size = self.biggest_province(year)
        leader = self.user(
            "bench-leader", Membership.Role.PROVINCIAL_LEADER, province=province
        )
        reviewer = self.user(
            "bench-reviewer", Membership.Role.REVIEWER, province=province
        )
        enrolment = (
            Enrolment.objects.filter(ward__province=province, year=year)
            .order_by("ward__code")
            .first()
        )
        ward = enrolment.ward
        officer = self.user("bench-officer", Membership.Role.OFFICER, ward=ward)
        assessment = (
            Assessment.objects.filter(enrolment=enrolment)
            .order_by("-updated_at")
            .select_related("criterion")
            .first()
        )
        number = assessment.criterion.number
        return [
            ("minimal view (/healthz)", None, "/healthz"),
            ("national dashboard", national, f"/dashboard/?year={year}"),
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
                national,
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

    def print_table(self, rows, requests: int, year: int) -> None:
        width = max(len(row[0]) for row in rows)
        self.stdout.write(
            f"{requests} requests per page, year {year}, database "
            f"{connection.vendor}; times are server time in milliseconds."
        )
        header = ("page", "queries", "median", "p95", "× minimal")
        self.stdout.write(
            f"{header[0]:<{width}}  {header[1]:>7}  {header[2]:>8}  {header[3]:>8}"
            f"  {header[4]:>9}"
        )
        for label, queries, median, p95, ratio in rows:
            self.stdout.write(
                f"{label:<{width}}  {queries:>7}  {median:>8.1f}  {p95:>8.1f}"
                f"  {ratio:>9.1f}"
            )
