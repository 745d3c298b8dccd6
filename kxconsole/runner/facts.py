"""Facts in one round trip: FACTS_SCRIPT (POSIX sh, tagged sections) and pure parsers."""

FACTS_SCRIPT = ""  # filled in by the facts work
