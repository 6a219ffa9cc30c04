"""`__in` on an integer column, safe with values the column cannot hold.

Django already turns an `exact`, `gt`, `lt`… with such a value into "no row" (or "every row");
`in` passes it on, and SQLite raises OverflowError (a 500) on anything beyond 64 bits. Values
from outside are checked before (core.params); this keeps a forgotten one (say a filter in the
admin's query string, `?id__in=…`) from reaching the driver: they match nothing, so they are
left out, and a list left empty matches nothing.
"""

from django.db.models import IntegerField
from django.db.models.lookups import In


class IntegerIn(In):
    def process_rhs(self, compiler, connection):
        if self.rhs_is_direct_value():
            low, high = connection.ops.integer_field_range(
                self.lhs.output_field.get_internal_type())
            self.rhs = [value for value in self.rhs
                        if not isinstance(value, int)
                        or ((low is None or value >= low) and (high is None or value <= high))]
        return super().process_rhs(compiler, connection)


def install():
    IntegerField.register_lookup(IntegerIn)
