"""Each active export is an outbox target `export:<code>`: it keeps the card changes it covers,
writes files when they are due, and delivers each file through its own outbox row."""

from functools import cached_property

from campuscard.integrations.connections.targets import CARD_EVENTS, ConnectionTarget
from campuscard.integrations.exports import services
from campuscard.integrations.exports.formats import FormatError, parse_format

PERSON_UPDATED = "person.updated"  # a new name must reach the doors too


class ExportConnectionTarget(ConnectionTarget):
    kind = "export"
    events = CARD_EVENTS | {PERSON_UPDATED} | services.OWN_EVENTS

    def wants(self, event, payload):
        if event in services.OWN_EVENTS:
            return payload.get("export") == self.connection.code
        return super().wants(event, payload) and self.keeps_changes

    @cached_property
    def keeps_changes(self):
        try:
            return parse_format(self.connection.format).mode == "changes"
        except FormatError:
            return True  # kept, and written once the format is fixed

    def deliver(self, item):
        if item.operation == services.FILE_WRITTEN:
            services.deliver_export_file(item.payload["file_id"])
        elif item.operation == services.SNAPSHOT_ASKED:
            services.write_snapshot(self.connection.pk)
        else:
            services.keep_change(self.connection, item)
            services.write_due_files(self.connection.pk)
