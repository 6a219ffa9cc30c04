"""Writing a card layout on a chip and reading it back (docs/nfc-encoding.md).

`plan` turns a layout version, the chip's UID and the card's numbers into what the chip must
hold, keys resolved; `writing` and `reading` are the programs that talk to the chip through a
Desfire client; `relay` runs them one APDU at a time for a station that relays them.
"""
