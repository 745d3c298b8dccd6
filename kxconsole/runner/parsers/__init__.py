"""Pure parsers, one per kind of probe output; ``kxconsole.runner.facts`` combines them.

Each takes text and returns a value, raising ValueError (with the reason) on output it cannot
read, so the caller can record a per-field error and keep the other facts."""
