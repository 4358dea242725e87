"""Scoring: execution, indicator and total scores with their rules
(:mod:`~perfkit.scoring.scores`), findings (:mod:`~perfkit.scoring.findings`), the department-wide
metrics (:mod:`~perfkit.scoring.metrics`) and results as JSON / CSV / table
(:mod:`~perfkit.scoring.results`)."""
