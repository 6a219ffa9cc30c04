"""`campuscard esc escn --pic PIC --prefix N --count K`: print K new ESCNs, one a line."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from campuscard.core.validators import validate_pic
from campuscard.esc.escn import generate_escns

BATCH = 10_000


class Command(BaseCommand):
    help = "European Student Card tools."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="command", required=True)
        escn = commands.add_parser("escn", help="Print new European Student Card Numbers.")
        escn.add_argument("--pic", required=True, help="the establishment's 9-digit PIC")
        escn.add_argument("--prefix", type=int, default=1,
                          help="this generator's prefix, 0 to 999 (written on 3 digits)")
        escn.add_argument("--count", type=int, default=1, help="how many (default 1)")

    def handle(self, *args, command, **options):
        if command == "escn":
            self.print_escns(options["pic"], options["prefix"], options["count"])

    def print_escns(self, pic, prefix, count):
        try:
            validate_pic(pic)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        if not 0 <= prefix <= 999:
            raise CommandError("--prefix must be between 0 and 999")
        if count < 1:
            raise CommandError("--count must be at least 1")
        for start in range(0, count, BATCH):
            numbers = generate_escns(prefix, pic, min(BATCH, count - start))
            self.stdout.write("".join(f"{escn}\n" for escn in numbers), ending="")
