"""The rules a reader applies, below both the data and the scoring: the target notation
(:mod:`~perfkit.rules.notation`), the rulebooks and their presets (:mod:`~perfkit.rules.rulebook`,
``rulebooks/*.toml``) and the qualitative tiers (:mod:`~perfkit.rules.qualitative`).
Validation needs them to check a table; scoring needs them to score it."""
