"""`campuscard worker`: drains the outbox and runs queued jobs, until told to stop.

Several workers may run at once, on one or several machines: outbox rows are leased with
SELECT … FOR UPDATE SKIP LOCKED (PostgreSQL) or inside SQLite's single-writer transaction, and a
row whose worker died is taken over when its lease runs out.
"""

import logging
import signal
import time

from django.db import close_old_connections
from django.db.utils import OperationalError
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks.base import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker as TaskWorker
from django_tasks_db.models import DBTaskResult

from campuscard.core import outbox
from campuscard.core.tasks import periodic_tasks

logger = logging.getLogger("campuscard.worker")


class Worker:
    def __init__(self, interval=1.0, batch=50):
        self.interval = interval
        self.batch = batch
        self.running = True
        self.worker_id = get_random_string(24)

    def stop(self, signum=None, frame=None):
        self.running = False

    def run(self):
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        logger.info("worker %s started", self.worker_id)
        while self.running:
            busy = self.run_once()
            if not busy and self.running:
                time.sleep(self.interval)
        logger.info("worker %s stopped", self.worker_id)

    def run_once(self):
        """One round: pushes, then jobs. Returns True when there was something to do."""
        close_old_connections()
        try:
            claimed = outbox.claim(self.batch)
            for item in claimed:
                outbox.deliver(item)
            schedule_periodic_jobs()
            self._run_jobs()
        except OperationalError as exc:  # database locked or restarting: try again next round
            logger.warning("worker round failed: %s", exc)
            return False
        return bool(claimed)

    def _run_jobs(self):
        TaskWorker(queue_names=["default"], interval=0, batch=True, backend_name="default",
                   startup_delay=False, max_tasks=None, worker_id=self.worker_id,
                   excluded_queue_names=[]).run()


def schedule_periodic_jobs():
    """Keep one waiting run of each periodic job; a fresh install runs them at once."""
    now = timezone.now()
    for job, every in periodic_tasks():
        waiting = DBTaskResult.objects.filter(
            task_path=job.module_path, status=TaskResultStatus.READY
        )
        if waiting.exists():
            continue
        last = (DBTaskResult.objects.filter(task_path=job.module_path)
                .order_by("-run_after").values_list("run_after", flat=True).first())
        job.using(run_after=now if last is None else max(now, last + every)).enqueue()
