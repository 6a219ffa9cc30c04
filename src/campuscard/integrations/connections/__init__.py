"""What every connection a card office configures shares: a code and a label, on/off, which
cards it is about (establishments, populations, states, and the cards other establishments'
agreements add), and how it becomes an outbox target."""
