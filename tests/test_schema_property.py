"""Property: every instance of the schema we send is an answer we accept.

A grammar-constrained server can return any instance of `extract schema --llm`; hypothesis
generates such instances (hypothesis-jsonschema, from the schema itself) and each must pass
draft validation and become a record. A schema-valid answer that the draft refused would be
re-asked in vain by a server that can only answer within the schema. None is refused today:
what the schema cannot say is repaired, not refused (README, "The record": a denial's
`allegation` index outside `allegations` becomes null, a date `value` that is not an ISO date
becomes null, parties with the same name are merged).
"""

from __future__ import annotations

from typing import Any

import jsonschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from extractor.articles import Article
from extractor.pipeline import ground_draft, normalise_record
from extractor.schema import EventDraft, llm_json_schema

SCHEMA = llm_json_schema()
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
ARTICLE = Article(
    id="p1",
    text="Freedonia and Sylvania signed a ports agreement in Lisbon on Monday, officials said.",
)


def instances(node: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Instances of a node of `SCHEMA`. Closed objects whose properties are all required (every
    object of a strict schema) are drawn property by property and arrays item by item, the
    rest by hypothesis-jsonschema: its own object strategy rebuilds sub-strategies on every
    draw, 0.4 s an example here, and would not fit a few hundred examples in the suite."""
    while "$ref" in node:
        node = SCHEMA["$defs"][node["$ref"].rsplit("/", 1)[-1]]
    if "anyOf" in node:
        return st.one_of([instances(branch) for branch in node["anyOf"]])
    properties = node.get("properties")
    if node.get("type") == "object" and properties is not None:
        closed = node.get("additionalProperties") is False
        if closed and set(node.get("required", [])) == set(properties):
            return st.fixed_dictionaries({k: instances(v) for k, v in properties.items()})
    if node.get("type") == "array" and set(node) <= {"type", "items", "description"}:
        return st.lists(instances(node["items"]), max_size=4)
    return from_schema({**node, "$defs": SCHEMA.get("$defs", {})})


@settings(
    max_examples=300,
    derandomize=True,  # the same examples on every run: no flaky CI
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(instances(SCHEMA))
def test_every_instance_of_the_sent_schema_becomes_a_record(answer: dict[str, Any]) -> None:
    VALIDATOR.validate(answer)  # the strategy draws instances of the schema, nothing else
    draft = EventDraft.model_validate(answer)
    record = normalise_record(ground_draft(draft, ARTICLE), ARTICLE)

    assert record.title == answer["title"]
    assert (record.date is None) == (answer["date"] is None)
    assert (record.location is None) == (answer["location"] is None)
    assert len(record.parties) <= len(answer["parties"])  # same-name parties merge
    for key in ("treaty_terms", "allegations", "denials"):
        assert len(getattr(record, key)) == len(answer[key])
    for denial in record.denials:
        assert denial.allegation is None or 0 <= denial.allegation < len(record.allegations)
    if record.date is not None and record.date.value is not None:
        assert record.date.precision is not None
