"""The demo's stand-in for a building access system: an outbox target that writes what it is
told to a file instead of opening doors."""

from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campuscard.cards.states import PUSHED_EVENTS
from campuscard.core import outbox

DEMO_TARGET = "campuscard.demo.access.DemoAccessTarget"


def access_log_path():
    return Path(settings.HOME) / "demo" / "access-control.log"


class DemoAccessTarget(outbox.Target):
    """One line a push in $CAMPUSCARD_HOME/demo/access-control.log."""

    name = "demo-access"
    label = _("Demo access control")
    events = PUSHED_EVENTS

    def deliver(self, item):
        path = access_log_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        stamp = timezone.localtime().isoformat(timespec="seconds")
        with path.open("a", encoding="utf-8") as log:
            log.write(f"{stamp} {item.operation} card {item.object_id}\n")
