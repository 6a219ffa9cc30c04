"""English date formats: day/month/year by default (settings.ENGLISH_DATE_ORDER = "dmy", from
CAMPUSCARD_ENGLISH_DATE_ORDER), or the US month/day/year ("mdy"). French keeps Django's own.

Date inputs accept ISO first (the browsers' <input type="date"> sends and shows it), then the
order chosen here."""

from django.conf import settings

_US = settings.ENGLISH_DATE_ORDER == "mdy"

DATE_FORMAT = "F j, Y" if _US else "j F Y"
DATETIME_FORMAT = "F j, Y, H:i" if _US else "j F Y, H:i"
MONTH_DAY_FORMAT = "F j" if _US else "j F"
YEAR_MONTH_FORMAT = "F Y"
TIME_FORMAT = "H:i"
SHORT_DATE_FORMAT = "m/d/Y" if _US else "d/m/Y"
SHORT_DATETIME_FORMAT = "m/d/Y H:i" if _US else "d/m/Y H:i"
FIRST_DAY_OF_WEEK = 0 if _US else 1

_DAY_FIRST = ["%d/%m/%Y", "%d/%m/%y"]
_MONTH_FIRST = ["%m/%d/%Y", "%m/%d/%y"]
DATE_INPUT_FORMATS = ["%Y-%m-%d", *(_MONTH_FIRST if _US else _DAY_FIRST)]
DATETIME_INPUT_FORMATS = [
    "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M",
    *(f"{day} {time}" for day in (_MONTH_FIRST if _US else _DAY_FIRST)
      for time in ("%H:%M:%S", "%H:%M")),
]
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
