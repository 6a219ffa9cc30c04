"""The tariff (company rate, rate) CampusCard proposes for a person.

The CROUS tariff rules (fetched per CROUS number and UAI, matched by status, index and UAI) come
with the back-office work on tariffs; until then every person gets CROUS's defaults. A student's
tariff owned by CROUS is never overwritten whatever this says (services.right_holder_for).
"""

DEFAULT_COMPANY_RATE = 78
DEFAULT_RATE = 99


def local_tariff(person):
    """(idCompanyRate, idRate) for `person`."""
    return DEFAULT_COMPANY_RATE, DEFAULT_RATE
