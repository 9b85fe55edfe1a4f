"""The `extractor` benchmark (not a test): ``python -m bench`` or ``make bench``.

It measures what the scaling issue asks for: LLM-backend throughput against the ideal under
injected faults, lost and duplicated articles, pipeline overhead per article, peak memory of
``extract run``, the offline backend's speed per core, and the start time of ``extract --help``.
See ``bench/README.md`` for the command, the numbers and the machine they came from.
"""
