"""Telling people: the bell, and e-mail as each person chose.

`notify` puts a notification in each person's bell, once per key. E-mail is
then sent by the caller, in the task worker: `send_mail_for` sends one mail
to everyone who chose "an e-mail at once" and has not had it yet, so a task
that runs again (a retry, a restart) mails nobody twice. Those who chose the
daily digest get it there (`for_digest`).
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet
from django.tasks import task
from django.utils import timezone
from django.utils.crypto import salted_hmac

from core.mail import send_text_mail

from .models import Delivery, Kind, Notification, Preference

logger = logging.getLogger(__name__)

DEFAULT_DELIVERY = Delivery.EMAIL


def notify(
    users: Iterable[Any],
    *,
    kind: str,
    key: str,
    title: str,
    body: str = "",
    url: str = "",
) -> list[Notification]:
    """Put a notification in the bell of each active user, unless one with
    this `key` is there already; returns those made now."""
    User = get_user_model()
    made = []
    for user in users:
        if not user.is_active:
            continue
        try:
            # The row and the bell's count together: `mark_read` recounts
            # under the user's lock, which waits for both.
            with transaction.atomic():
                notification = Notification.objects.create(
                    user=user, kind=kind, key=key, title=title[:300], body=body, url=url
                )
                User.objects.filter(pk=user.pk).update(
                    unread_notifications=F("unread_notifications") + 1
                )
        except IntegrityError:
            continue  # made before, by an earlier run or another worker
        made.append(notification)
    return made


def delivery_of(user_ids: Iterable[int], kind: str) -> dict[int, str]:
    """How each of these people wants to hear of `kind`."""
    chosen = dict(
        Preference.objects.filter(user_id__in=list(user_ids), kind=kind).values_list(
            "user_id", "delivery"
        )
    )
    return {pk: chosen.get(pk, DEFAULT_DELIVERY) for pk in user_ids}


def wants_digest(user_ids: Iterable[int], digest: str) -> set[int]:
    """Those of these people who want `digest` (everyone, unless turned off)."""
    ids = set(user_ids)
    off = Preference.objects.filter(
        user_id__in=ids, kind=digest, delivery=Delivery.NONE
    ).values_list("user_id", flat=True)
    return ids - set(off)


def to_mail(key: str) -> QuerySet[Notification]:
    """The notifications of `key` still to be e-mailed at once."""
    not_now = Preference.objects.filter(
        user=OuterRef("user"), kind=OuterRef("kind")
    ).exclude(delivery=Delivery.EMAIL)
    return (
        Notification.objects.filter(key=key, mailed_at=None, user__is_active=True)
        .exclude(user__email="")
        .exclude(Exists(not_now))
        .select_related("user")
    )


def send_mail_for(
    key: str,
    subject: str,
    lines: list[str],
    *,
    retry: Any,
    retry_kwargs: dict,
    attempt: int,
) -> int:
    """E-mail the notifications of `key` to those who want them at once.

    The rows are taken first (`mailing_since`, in a short transaction), the
    mail sent with no lock held, then the rows marked mailed. Another run
    (a retry, a second worker) leaves taken rows alone; a worker killed
    before the mark leaves them to the task's next run (`ops.liveness`
    queues it again), which takes them once WORKER_LOST_SECONDS have
    passed: only a kill between the server's "accepted" and the mark could
    send one twice, and then under the same Message-ID. Rows that another
    run holds make this one come back when their claim would lapse.

    On a mail server's fault the rows are given back and the `retry` task is
    enqueued again with `retry_kwargs` after the next of MAIL_RETRY_MINUTES;
    after the last the task fails and its result records why. Returns how
    many were addressed.
    """
    rows, held_until = _take(key)
    if held_until is not None:
        retry.using(run_after=held_until).enqueue(**retry_kwargs, attempt=attempt)
    recipients = sorted({row.user.email for row in rows})
    if not recipients:
        return 0
    taken = Notification.objects.filter(pk__in=[row.pk for row in rows])
    try:
        send_text_mail(
            subject, "\n".join(lines), recipients, message_id=message_id(key, rows)
        )
    except (OSError, smtplib.SMTPException) as exc:
        taken.update(mailing_since=None)  # given back, for the retry
        delays = settings.MAIL_RETRY_MINUTES
        if attempt > len(delays):
            logger.error("Mail %s failed %d times: %s", key, attempt, exc)
            raise
        wait = dt.timedelta(minutes=delays[attempt - 1])
        logger.warning("Mail %s failed (%s); trying again in %s.", key, exc, wait)
        retry.using(run_after=timezone.now() + wait).enqueue(
            **retry_kwargs, attempt=attempt + 1
        )
        return 0
    taken.update(mailed_at=timezone.now(), mailing_since=None)
    return len(recipients)


def _take(key: str) -> tuple[list[Notification], dt.datetime | None]:
    """The rows of `key` to e-mail now, marked taken; and, if others are
    taken by another run, when that claim lapses."""
    now = timezone.now()
    lapse = dt.timedelta(seconds=settings.WORKER_LOST_SECONDS)
    with transaction.atomic():
        # Waits out a passing lock (a row being marked read, or taken by a
        # run at this moment, whose claim it then sees): only another run's
        # claim leaves a row out, never a reader's click.
        waiting = list(
            to_mail(key)
            .select_for_update(of=("self",))
            .filter(Q(mailing_since=None) | Q(mailing_since__lt=now - lapse))
        )
        Notification.objects.filter(pk__in=[row.pk for row in waiting]).update(
            mailing_since=now
        )
    others = to_mail(key).exclude(pk__in=[row.pk for row in waiting])
    held = others.aggregate(n=Count("pk"), since=Max("mailing_since"))
    if not held["n"]:
        return waiting, None
    # Taken by another run: come back when that claim lapses, in case its
    # worker died.
    return waiting, (held["since"] or now) + lapse


def message_id(key: str, rows: list[Notification]) -> str:
    """The same Message-ID for the same mail of `key` to the same rows, so
    that a mail server or reader can tell a second copy for what it is;
    keyed by SECRET_KEY, so that another installation's never match."""
    pks = ",".join(str(pk) for pk in sorted(row.pk for row in rows))
    digest = salted_hmac("notification-mail", f"{key}:{pks}", algorithm="sha256")
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip("> ") or "localhost"
    return f"<{digest.hexdigest()[:32]}@{domain}>"


@task
def mail_notification(key: str, attempt: int = 1) -> int:
    """E-mail a notification made by the calendar's jobs (reminders,
    escalations, expiry) to those who want it at once."""
    first = Notification.objects.filter(key=key).order_by("pk").first()
    if first is None:
        return 0
    lines = [first.body] if first.body else []
    if first.url:
        lines += ["", settings.SITE_URL + first.url]
    return send_mail_for(
        key,
        f"[Kiểu Mẫu] {first.title}",
        lines,
        retry=mail_notification,
        retry_kwargs={"key": key},
        attempt=attempt,
    )


def notify_and_mail(
    users: Iterable[Any],
    *,
    kind: str,
    key: str,
    title: str,
    body: str = "",
    url: str = "",
) -> list[Notification]:
    """`notify`, then e-mail (in the worker, once the transaction commits)
    those who want it at once."""
    made = notify(users, kind=kind, key=key, title=title, body=body, url=url)
    if made:
        transaction.on_commit(lambda: mail_notification.enqueue(key=key))
    return made


def for_digest(
    user: Any, *, since: dt.datetime | None = None
) -> QuerySet[Notification]:
    """The notifications `user` chose to get in the daily digest, not yet
    mailed."""
    kinds = Preference.objects.filter(
        user=user, kind__in=Kind.values, delivery=Delivery.DIGEST
    ).values_list("kind", flat=True)
    rows = Notification.objects.filter(user=user, kind__in=kinds, mailed_at=None)
    if since is not None:
        rows = rows.filter(created_at__gte=since)
    return rows.order_by("created_at", "pk")


def mark_read(user: Any, ids: Iterable[int] | None = None) -> int:
    """Mark some of `user`'s notifications read (all, when `ids` is None);
    keeps the count in the bell exact. Returns how many were marked."""
    User = get_user_model()
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        unread = Notification.objects.filter(user=user, read_at=None)
        if ids is not None:
            unread = unread.filter(pk__in=list(ids))
        marked = unread.update(read_at=timezone.now())
        left = Notification.objects.filter(user=user, read_at=None).count()
        User.objects.filter(pk=user.pk).update(unread_notifications=left)
    user.unread_notifications = left
    return marked


def recount_unread() -> list[tuple[Any, int, int]]:
    """Set every user's bell count to what their notifications say; returns
    (user, stored, counted) for each that was wrong."""
    User = get_user_model()
    counted = User.objects.annotate(
        counted=Count("notifications", filter=Q(notifications__read_at=None))
    ).exclude(unread_notifications=F("counted"))
    wrong = []
    for user in counted:
        with transaction.atomic():
            User.objects.select_for_update().filter(pk=user.pk).first()
            left = Notification.objects.filter(user=user, read_at=None).count()
            User.objects.filter(pk=user.pk).update(unread_notifications=left)
        wrong.append((user, user.unread_notifications, left))
    return wrong
