"""DESFire's native status codes (the `91 xx` of a wrapped answer) and one exception for each,
so that a caller can catch exactly what a real card reports."""

from django.utils.translation import gettext_lazy as _

OK = 0x00
NO_CHANGES = 0x0C
ADDITIONAL_FRAME = 0xAF


class DesfireError(Exception):
    """A status other than OK or additional frame; `status` is the card's byte."""

    status = None
    message = _("The card refused the command.")

    def __init__(self, detail="", status=None):
        if status is not None:
            self.status = status
        self.detail = detail
        super().__init__(f"{self.code}: {detail}" if detail else self.code)

    @property
    def code(self):
        return f"91{self.status:02X}" if self.status is not None else "transport"


def _error(name, status, message):
    return type(name, (DesfireError,), {"status": status, "message": message,
                                        "__doc__": f"Status 91 {status:02X}."})


OutOfEeprom = _error("OutOfEeprom", 0x0E, _("The card's memory is full."))
IllegalCommand = _error("IllegalCommand", 0x1C, _("The card does not support this command."))
IntegrityError = _error("IntegrityError", 0x1E,
                        _("The card found a wrong checksum, MAC or padding."))
NoSuchKey = _error("NoSuchKey", 0x40, _("The card has no such key."))
LengthError = _error("LengthError", 0x7E, _("The command had the wrong length."))
PermissionDenied = _error("PermissionDenied", 0x9D,
                          _("The card's access rights do not allow this."))
ParameterError = _error("ParameterError", 0x9E, _("The card refused a parameter."))
ApplicationNotFound = _error("ApplicationNotFound", 0xA0,
                             _("The application is not on the card."))
ApplicationIntegrityError = _error("ApplicationIntegrityError", 0xA1,
                                   _("The application on the card is damaged."))
AuthenticationError = _error("AuthenticationError", 0xAE,
                             _("The card refused the key: authentication failed."))
BoundaryError = _error("BoundaryError", 0xBE, _("The read or write went past the file's end."))
PiccIntegrityError = _error("PiccIntegrityError", 0xC1, _("The card's memory is damaged."))
CommandAborted = _error("CommandAborted", 0xCA,
                        _("The card aborted the command (a chained command was interrupted)."))
PiccDisabled = _error("PiccDisabled", 0xCD, _("The card has been disabled."))
CountError = _error("CountError", 0xCE, _("The card holds as many applications as it can."))
DuplicateError = _error("DuplicateError", 0xDE,
                        _("The application or file already exists on the card."))
EepromError = _error("EepromError", 0xEE, _("The card could not write its memory."))
FileNotFound = _error("FileNotFound", 0xF0, _("The file is not on the card."))
FileIntegrityError = _error("FileIntegrityError", 0xF1, _("The file on the card is damaged."))

BY_STATUS = {error.status: error for error in (
    OutOfEeprom, IllegalCommand, IntegrityError, NoSuchKey, LengthError, PermissionDenied,
    ParameterError, ApplicationNotFound, ApplicationIntegrityError, AuthenticationError,
    BoundaryError, PiccIntegrityError, CommandAborted, PiccDisabled, CountError,
    DuplicateError, EepromError, FileNotFound, FileIntegrityError)}


class TransportError(DesfireError):
    """The reader or the link failed (card pulled, no card, a non-DESFire answer)."""

    message = _("The card could not be reached: is it still on the reader?")


class ResponseError(DesfireError):
    """The card answered, but its MAC, checksum or cryptogram did not check out."""

    message = _("The card's answer did not check out.")


def raise_for_status(status, detail=""):
    if status in (OK, ADDITIONAL_FRAME):
        return
    raise BY_STATUS.get(status, DesfireError)(detail, status=status)
