"""Load and validate the two inputs of an evaluation: hand-labelled gold and a run's predictions.

Gold lives in `<gold-dir>/<article-id>.json` as ``{"article", "key_facts", "notes"?, "record"}``;
predictions are the JSON Lines that `extract run` writes, one line per article. Anything malformed
raises `GoldError` naming the file, the line (for JSON Lines) and the reason.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from extractor.errors import GoldError
from extractor.lines import LineError, ResultLine
from extractor.schema import FACT_LIST_FIELDS, ErrorInfo, EventRecord

#: Gold-only annotation key, allowed at the top level and on any list item of the record.
_NOTES = "notes"


@dataclass(frozen=True)
class GoldArticle:
    """One article's gold record, the facts its summary must cover, and the article text."""

    article: str
    record: EventRecord
    key_facts: list[str]
    text: str
    notes: str | None = None


@dataclass(frozen=True)
class Prediction:
    """One article's line of a run: a record, or the error the run hit instead."""

    article: str
    record: EventRecord | None
    error: ErrorInfo | None = None
    line: int = 0


@dataclass(frozen=True)
class PredictionSet:
    """Every article of one predictions file, keyed by article id."""

    path: Path
    items: dict[str, Prediction] = field(default_factory=dict)

    def backends(self) -> list[str]:
        """Backend names found in the records' provenance, sorted and de-duplicated."""
        names = {
            p.record.provenance.backend
            for p in self.items.values()
            if p.record is not None and p.record.provenance is not None
        }
        return sorted(names)


def read_article_text(articles_dir: Path, article: str) -> str:
    """The article text exactly as stored (UTF-8, no newline translation, no stripping)."""
    path = articles_dir / f"{article}.txt"
    try:
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError as exc:
        raise GoldError(f"{path}: article text not found for gold article {article!r}") from exc
    except OSError as exc:
        raise GoldError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise GoldError(f"{path}: not valid UTF-8 ({exc.reason})") from exc


def _strip_notes(record: dict[str, Any]) -> dict[str, Any]:
    """A copy of a gold record without its annotators' `notes` keys."""
    clean = {k: v for k, v in record.items() if k != _NOTES}
    for name in FACT_LIST_FIELDS:
        items = clean.get(name)
        if isinstance(items, list):
            clean[name] = [
                {k: v for k, v in item.items() if k != _NOTES} if isinstance(item, dict) else item
                for item in items
            ]
    return clean


def _validation_reason(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "record"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{where}: {first['msg']}{more}"


def parse_gold(payload: Any, source: str, text: str) -> GoldArticle:
    """Validate one parsed gold document; `source` names it in errors."""
    if not isinstance(payload, dict):
        raise GoldError(f"{source}: a gold file must hold a JSON object")
    unknown = set(payload) - {"article", "key_facts", _NOTES, "record"}
    if unknown:
        raise GoldError(f"{source}: unknown top-level keys {sorted(unknown)}")
    article = payload.get("article")
    if not isinstance(article, str) or not article:
        raise GoldError(f"{source}: 'article' must be a non-empty string")
    facts = payload.get("key_facts", [])
    if not isinstance(facts, list) or not all(isinstance(f, str) and f.strip() for f in facts):
        raise GoldError(f"{source}: 'key_facts' must be a list of non-empty strings")
    notes = payload.get(_NOTES)
    if notes is not None and not isinstance(notes, str):
        raise GoldError(f"{source}: 'notes' must be a string")
    raw = payload.get("record")
    if not isinstance(raw, dict):
        raise GoldError(f"{source}: 'record' must be a JSON object")
    try:
        record = EventRecord.model_validate(_strip_notes(raw))
    except ValidationError as exc:
        raise GoldError(f"{source}: invalid record: {_validation_reason(exc)}") from exc
    return GoldArticle(article=article, record=record, key_facts=facts, text=text, notes=notes)


def load_gold(gold_dir: Path, articles_dir: Path) -> dict[str, GoldArticle]:
    """Every gold file in `gold_dir`, validated, with its article text from `articles_dir`."""
    if not gold_dir.is_dir():
        raise GoldError(f"{gold_dir}: gold directory not found")
    paths = sorted(gold_dir.glob("*.json"))
    if not paths:
        raise GoldError(f"{gold_dir}: no gold files (*.json)")
    gold: dict[str, GoldArticle] = {}
    for path in paths:
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise GoldError(f"{path}: line {exc.lineno}: invalid JSON: {exc.msg}") from exc
        except UnicodeDecodeError as exc:
            raise GoldError(f"{path}: not valid UTF-8 ({exc.reason})") from exc
        except OSError as exc:  # a folder named x.json, an unreadable file
            raise GoldError(f"{path}: cannot read gold file: {exc.strerror or exc}") from exc
        article = payload.get("article") if isinstance(payload, dict) else None
        if article != path.stem:
            raise GoldError(f"{path}: 'article' is {article!r} but the file is named {path.stem!r}")
        gold[path.stem] = parse_gold(payload, str(path), read_article_text(articles_dir, path.stem))
    return gold


def load_annotation(annotation_dir: Path) -> PredictionSet:
    """Read a folder of gold-format files as predictions, to score one annotator against another."""
    items: dict[str, Prediction] = {}
    for path in sorted(annotation_dir.glob("*.json")):
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
            article = str(payload["article"])
            record = EventRecord.model_validate(_strip_notes(payload["record"]))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise GoldError(f"{path}: not an annotation file: {exc}") from exc
        items[article] = Prediction(article, record)
    if not items:
        raise GoldError(f"{annotation_dir}: no annotation files (*.json)")
    return PredictionSet(path=annotation_dir, items=items)


def load_predictions(path: Path) -> PredictionSet:
    """Parse a run's JSON Lines (or, for a folder, an annotation; see `load_annotation`).

    A record for an article replaces an earlier error line for it.
    """
    if path.is_dir():
        return load_annotation(path)
    try:
        # Only "\n" ends a line: str.splitlines() would also split inside a record on U+0085.
        lines = path.read_text(encoding="utf-8").split("\n")
    except FileNotFoundError as exc:
        raise GoldError(f"{path}: predictions file not found") from exc
    except OSError as exc:
        raise GoldError(f"{path}: cannot read predictions: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise GoldError(f"{path}: not valid UTF-8 ({exc.reason})") from exc
    items: dict[str, Prediction] = {}
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        where = f"{path}: line {number}"
        try:
            line = ResultLine.parse(raw)
        except LineError as exc:
            raise GoldError(f"{where}: {exc}") from exc
        prediction = Prediction(line.article, line.record, line.error, line=number)
        earlier = items.get(prediction.article)
        if earlier is not None and earlier.record is not None:
            # Two records for one article would make the score depend on line order.
            raise GoldError(
                f"{where}: article {prediction.article!r} already has a record"
                f" on line {earlier.line}"
            )
        items[prediction.article] = prediction
    return PredictionSet(path=path, items=items)
