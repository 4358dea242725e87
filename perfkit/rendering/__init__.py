"""Rendering: the batch pipeline (:mod:`~perfkit.rendering.pipeline`), the warm-kernel papermill
engine, the nbconvert export with perfkit's template, and printing to PDF."""
