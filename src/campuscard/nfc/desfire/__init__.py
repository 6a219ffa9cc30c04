"""MIFARE DESFire EV1/EV2 from the reader's side, in pure Python on `cryptography`."""
