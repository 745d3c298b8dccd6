"""Jinja2 rendering with ``StrictUndefined``; errors name the template line and show context.

Template source text is compiled in one module-level environment (``StrictUndefined``, trailing
newline kept, no autoescaping: these are config files, not HTML). A ready ``jinja2.Template``
is rendered as it is, with its own environment's settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import Any

import jinja2

from kxconsole.errors import TemplateError

ENVIRONMENT = jinja2.Environment(
    undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False
)
CONTEXT_LINES = 2


def _context(source: str | None, line: int | None) -> str:
    """A few numbered lines around ``line``, the failing one marked with ``>``."""
    if not source or not line:
        return ""
    lines = source.splitlines()
    start, end = max(1, line - CONTEXT_LINES), min(len(lines), line + CONTEXT_LINES)
    width = len(str(end))
    return "\n".join(
        f"{'>' if n == line else ' '} {n:>{width}} | {lines[n - 1]}" for n in range(start, end + 1)
    )


def _template_line(tb: TracebackType | None, filename: str) -> int | None:
    """The last traceback frame inside the template (Jinja2 maps those to template lines)."""
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _error(
    kind: str, exc: Exception, name: str, source: str | None, line: int | None
) -> TemplateError:
    where = f"{name}, line {line}" if line else name
    context = _context(source, line)
    message = f"{kind} in template {where}: {exc}" + (f"\n{context}" if context else "")
    message += (
        "\nPass the missing value in the data or fix the template."
        if kind == "undefined value"
        else "\nFix the template."
    )
    return TemplateError(message, template=name, line=line)


def compile_template(source: str, name: str = "<template>") -> jinja2.Template:
    try:
        return ENVIRONMENT.from_string(source)
    except jinja2.TemplateSyntaxError as exc:
        raise _error("syntax error", exc, name, source, exc.lineno) from None


def render_to_string(
    template: jinja2.Template | str, data: Mapping[str, Any], name: str | None = None
) -> str:
    """Render ``template`` (source text or a ``jinja2.Template``) with ``data``.

    Raises :class:`TemplateError` (with ``line``) for a syntax error or an undefined value.
    """
    source = template if isinstance(template, str) else None
    label = name or (getattr(template, "name", None) if source is None else None) or "<template>"
    compiled = compile_template(template, label) if isinstance(template, str) else template
    try:
        return compiled.render(dict(data))
    except jinja2.TemplateSyntaxError as exc:  # e.g. from an {% include %}
        raise _error("syntax error", exc, exc.name or label, exc.source, exc.lineno) from None
    except Exception as exc:  # undefined values, and errors raised by filters or expressions
        filename = compiled.filename or "<template>"
        line = _template_line(exc.__traceback__, filename)
        kind = "undefined value" if isinstance(exc, jinja2.UndefinedError) else "render error"
        raise _error(kind, exc, label, source, line) from None
