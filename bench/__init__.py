"""Load benchmark of the member flow: ``make bench`` runs ``python -m bench.run``."""
