"""The Excel round trip: hand each unit its 自评表 (``forms make``), read the filled forms back
(``forms collect``). See docs/forms.md."""

from perfkit.forms.collect import CollectResult, collect_forms
from perfkit.forms.make import make_forms

__all__ = ["CollectResult", "collect_forms", "make_forms"]
