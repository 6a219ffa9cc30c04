"""Inserting many rows at once: COPY on PostgreSQL, bulk_create elsewhere.

The sync writes tens of thousands of people, audit entries and source links in a run; through
the ORM each row is a model instance and a dozen compiled parameters. Here a row is a dict of
column values (by attname); on PostgreSQL the primary keys are drawn from the table's sequence
first and the rows are streamed with COPY, so the caller gets the new ids without a RETURNING.
"""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models
from django.utils import timezone


def insert(model, rows):
    """Insert `rows` (dicts attname -> value; missing columns take the field's default) and
    return their new primary keys, in order. Must run inside the caller's transaction."""
    if not rows:
        return []
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    if connection.vendor != "postgresql":
        objects = [model(**_complete(fields, row)) for row in rows]
        model.objects.bulk_create(objects, batch_size=1000)
        return [obj.pk for obj in objects]
    table, pk = model._meta.db_table, model._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) "
                       "FROM generate_series(1, %s)", [table, pk, len(rows)])
        ids = [row[0] for row in cursor.fetchall()]
        columns = ", ".join(connection.ops.quote_name(c) for c in [pk, *(f.column
                                                                        for f in fields)])
        json_fields = {f.attname for f in fields if isinstance(f, models.JSONField)}
        sql = f"COPY {connection.ops.quote_name(table)} ({columns}) FROM STDIN"
        with cursor.cursor.copy(sql) as copy:
            for pk_value, row in zip(ids, rows, strict=True):
                values = _complete(fields, row)
                copy.write_row([pk_value, *(
                    _json(values[f.attname]) if f.attname in json_fields else values[f.attname]
                    for f in fields)])
    return ids


def _complete(fields, row):
    values = dict(row)
    for field in fields:
        if field.attname in values:
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            values[field.attname] = timezone.now()
        else:
            values[field.attname] = field.get_default()
    return values


def _json(value):
    return None if value is None else json.dumps(value, cls=DjangoJSONEncoder)
