from django.db import models
from django.utils.translation import gettext_lazy as _


class WorkerBeat(models.Model):
    """A task worker saying it is alive (`ops.liveness`): its row is written
    every WORKER_BEAT_SECONDS while it runs, and removed when it stops."""

    worker_id = models.CharField(_("worker"), max_length=64, primary_key=True)
    host = models.CharField(_("host"), max_length=255)
    pid = models.PositiveIntegerField(_("process"))
    started_at = models.DateTimeField(_("started at"))
    seen_at = models.DateTimeField(_("last seen at"))

    class Meta:
        verbose_name = _("task worker")
        verbose_name_plural = _("task workers")

    def __str__(self) -> str:
        return f"{self.host}:{self.pid}"
