"""Pure protocol rules: no I/O, no clock reads. Everything here takes `now` (and randomness) as arguments."""
