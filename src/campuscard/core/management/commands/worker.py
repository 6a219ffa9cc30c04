from django.core.management.base import BaseCommand

from campuscard.core.worker import Worker


class Command(BaseCommand):
    help = "Deliver outbox pushes and run background jobs until stopped (SIGTERM or Ctrl+C)."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=1.0,
                            help="Seconds to wait when there is nothing to do.")
        parser.add_argument("--batch", type=int, default=50, help="Pushes claimed per round.")
        parser.add_argument("--once", action="store_true", help="Do one round, then exit.")

    def handle(self, *, interval, batch, once, **options):
        worker = Worker(interval=interval, batch=batch)
        if once:
            worker.run_once()
        else:
            worker.run()
