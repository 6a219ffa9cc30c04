"""A European Student Card Router (ESC-R v2) service, served under /esc-rest/.

It speaks the router's published contract (tests/contract/esc-router-v2.json), so that our
establishments, and anyone else's ESC-R client, can push persons and cards to it; and it answers
the public card status that verifiers (and our /v/<ESCN> page) read.
"""
