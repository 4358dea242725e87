"""Data: the contract (:mod:`~perfkit.data.contract`), reading CSV folders and workbooks
(:mod:`~perfkit.data.readers`), the pandera schemas and cross-table validation, loading into a
:class:`~perfkit.data.dataset.Dataset`, writing datasets back, and the demo generator."""
