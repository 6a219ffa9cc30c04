"""European Student Card Numbers: RFC 4122 version-1 UUIDs whose node is prefix + PIC."""

import secrets
import uuid


def generate_escn(prefix, pic):
    """A new ESCN for an establishment: node = 3-digit prefix then 9-digit PIC, as digits."""
    node = int(f"{int(prefix):03d}{pic}", 16)
    return uuid.uuid1(node=node, clock_seq=secrets.randbits(14))
