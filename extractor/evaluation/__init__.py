"""Score event records against hand-labelled gold: matching, metrics, reports, regression gate.

Imports no backend, no SDK and no CLI; `extract eval` (extractor/cli/eval.py) drives it.
"""
