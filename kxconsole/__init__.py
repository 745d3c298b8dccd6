"""kxconsole: a keyboard-driven console for operating a fleet of Linux hosts."""

__version__ = "0.1.0"
