"""The report's template environment: Jinja2 with autoescaping on, perfkit's filters, and the
template folders searched in order (a user's own first, then the package's).

Every page and every block of a report is a template under ``perfkit/report/templates/perfkit/``
(found with :mod:`importlib.resources`, so an installed wheel has them)::

    base.html.j2              the frame of every page: head, Content-Security-Policy, CSS, footer
    index.html.j2             nbconvert's template: a notebook's outputs inside the frame
    error.html.j2             the page written in place of a report that could not be generated
    fallback_index.html.j2    the index written when the overview notebook failed
    perfkit.css               the page CSS (A4 print)
    blocks/*.html.j2          one template per block of the unit report and of the index
    blocks/blocks.css         the CSS of the blocks (shown by blocks/stylesheet.html.j2)

Python hands each template a view model (the ``<block>_view`` functions of :mod:`perfkit.report`):
numbers, texts, rows, row spans. Templates print them through the filters of
:mod:`perfkit.report.filters`. Every value is escaped by the environment; the only value marked
safe is a narrative's sanitised HTML (:func:`narrative`). Every value printed goes through
:func:`printed` (the environment's ``finalize``) first: marked safe or not, it is put under the
text policy (:func:`perfkit.core.text.clean`: no control character or non-character reaches a
page); a text not marked safe is also isolated from the text around it when it could reorder it
(:func:`perfkit.core.bidi.isolate`: a right-to-left override in a unit's name must not turn
perfkit's own words around).

A user's templates: a folder holding files of the same names (``blocks/problems_section.html.j2``
…), searched before the package's. It is given as ``perfkit render --templates DIR`` (the
pipeline puts it into the environment variable :data:`ENV_VAR`, which the notebook kernels and
the HTML export inherit) or set directly in ``PERFKIT_TEMPLATES`` (several folders separated by
``os.pathsep``).
"""

from __future__ import annotations

import functools
import os
from importlib.resources import files
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from perfkit.core.bidi import isolate
from perfkit.core.text import clean, has_forbidden
from perfkit.report import filters, markdown

#: the environment variable naming the user's template folders (os.pathsep-separated)
ENV_VAR = "PERFKIT_TEMPLATES"
#: the package's templates, in the folder nbconvert knows as the template "perfkit"
TEMPLATE_NAME = "perfkit"


def package_templates() -> Path:
    """The folder holding the package's templates (``perfkit/report/templates``)."""
    return Path(str(files("perfkit.report").joinpath("templates")))


def package_dir() -> Path:
    """The package's template folder searched by name (``templates/perfkit``)."""
    return package_templates() / TEMPLATE_NAME


def user_dirs(templates: str | os.PathLike[str] | None = None) -> tuple[str, ...]:
    """The user's template folders: ``templates`` if given, else those of ``PERFKIT_TEMPLATES``
    (either may list several folders separated by ``os.pathsep``)."""
    value = str(templates) if templates else os.environ.get(ENV_VAR, "")
    return tuple(str(Path(p).expanduser().resolve()) for p in value.split(os.pathsep) if p)


def printed(value: Any) -> Any:
    """What ``{{ value }}`` prints, before escaping (also in a user's own templates and the error
    pages): every text under the text policy, forbidden characters left out, a value marked safe
    still marked safe (issue 16 §6); a text not marked safe also isolated from the text around it
    when it could reorder it (:func:`perfkit.core.bidi.isolate`, issue 16 §8); markup (a
    narrative, a chart) is not isolated, and other values are as they are."""
    if not isinstance(value, str):
        return value
    if has_forbidden(value):
        cleaned = clean(value)
        value = Markup(cleaned) if isinstance(value, Markup) else cleaned
    return value if isinstance(value, Markup) else isolate(value)


@functools.lru_cache(maxsize=8)
def environment(user: tuple[str, ...] = ()) -> Environment:
    """The Jinja2 environment for the given user folders (built once per set of folders)."""
    env = Environment(
        loader=FileSystemLoader([*user, str(package_dir())]),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=StrictUndefined,
        keep_trailing_newline=False,
        finalize=printed,
    )
    env.filters.update(filters.FILTERS)
    return env


def render(name: str, templates: str | os.PathLike[str] | None = None, **context: Any) -> str:
    """Render the template ``name`` (e.g. ``"blocks/toc.html.j2"``) with ``context``.

    ``templates`` is a user's folder searched first; by default ``PERFKIT_TEMPLATES``.
    """
    template = environment(user_dirs(templates)).get_template(name)
    return template.render(**context)


def narrative(text: str | None) -> Markup:
    """A narrative's Markdown as sanitised HTML, marked safe: the one value templates print
    unescaped (see :mod:`perfkit.report.markdown`)."""
    return Markup(markdown.render(text))  # sanitised by nh3's allow-list
