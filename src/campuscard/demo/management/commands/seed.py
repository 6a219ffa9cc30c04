import random

from django.core.management.base import BaseCommand, CommandError

from campuscard.demo import seeding


class Command(BaseCommand):
    help = ("Add synthetic load-test data: N people and M cards spread over them, in every "
            "state (mostly enabled, disabled and expired history, some requests in progress). "
            "Written in bulk (COPY on PostgreSQL), bypassing the services on purpose: no audit "
            "entries, no outbox rows, no photos. For benchmarks only, never on a real instance.")

    def add_arguments(self, parser):
        parser.add_argument("--people", type=int, required=True, help="People to add.")
        parser.add_argument("--cards", type=int, required=True,
                            help="Cards to add, spread at random over the new people.")
        parser.add_argument("--establishments", type=int, default=2,
                            help="Establishments to spread them over (default 2; created if "
                                 "missing).")
        parser.add_argument("--batch", type=int, default=10_000,
                            help="People written per transaction (default 10000).")
        parser.add_argument("--random-seed", type=int, default=None,
                            help="Make the data reproducible.")

    def handle(self, *, people, cards, establishments, batch, random_seed, **options):
        self.verbosity = options["verbosity"]
        if people < 0 or cards < 0 or establishments < 1 or batch < 1:
            raise CommandError("--people and --cards must be ≥ 0, the others ≥ 1.")
        if cards and not people:
            raise CommandError("Cards need people: give --people too.")
        report = seeding.seed(people, cards, establishments, batch=batch,
                              rng=random.Random(random_seed), progress=self.progress)
        self.stdout.write(f"Added {report.people} people and {report.cards} cards "
                          f"in {report.seconds:.1f} s.")

    def progress(self, report):
        if self.verbosity >= 2 or report.people % 50_000 == 0:
            self.stdout.write(f"  {report.people} people, {report.cards} cards…")
