"""JUnit XML: one test case per article and headline metric, failing below its baseline."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from extractor.evaluation.metrics import HEADLINE_METRICS
from extractor.evaluation.result import EvalResult
from extractor.output_file import write_whole_file


def render_junit(result: EvalResult) -> str:
    """The JUnit document: a case fails when the article's metric fell below its own baseline."""
    suite = ET.Element("testsuite", name=f"extract-eval.{result.key}")
    failures = skipped = 0
    for article in result.scores.articles:
        metrics = article.metrics()
        below = result.article_regressions(article)
        for metric in HEADLINE_METRICS:
            case = ET.SubElement(
                suite, "testcase", classname=f"eval.{article.article}", name=metric
            )
            score = metrics.get(metric)
            if metric in below:
                failures += 1
                value, base = below[metric]
                ET.SubElement(
                    case,
                    "failure",
                    message=f"{metric} {value:.4f} below baseline {base:.4f}"
                    f" (tolerance {result.tolerance.get(metric, 0.0):.4f})",
                )
            elif score is None:
                skipped += 1
                ET.SubElement(case, "skipped", message="nothing to score in this article")
            else:
                ET.SubElement(case, "system-out").text = f"{metric} = {score:.4f}"
    suite.set("tests", str(len(suite)))
    suite.set("failures", str(failures))
    suite.set("skipped", str(skipped))
    suite.set("errors", "0")
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def write_junit(result: EvalResult, path: Path) -> None:
    """Write the JUnit document to `path`."""
    write_whole_file(path, render_junit(result))
