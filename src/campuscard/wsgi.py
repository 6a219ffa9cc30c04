import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "campuscard.settings")
django_application = get_wsgi_application()

from campuscard.router.fast_status import with_fast_status  # noqa: E402 - needs the apps loaded

application = with_fast_status(django_application)
# Everything loaded so far lives as long as the process: keep it out of the garbage
# collector's full passes, which otherwise pause a worker for tens of milliseconds.
gc.freeze()
