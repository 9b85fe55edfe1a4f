from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from extractor.cli import app

REPO = Path(__file__).resolve().parent.parent
AGREEMENT = REPO / "evals" / "agreement"


def test_an_annotation_folder_scores_as_predictions() -> None:
    args = [
        "eval",
        "--predictions",
        str(AGREEMENT / "annotator_a"),
        "--gold",
        str(AGREEMENT / "annotator_a"),
        "--articles",
        str(REPO / "seeds"),
        "--name",
        "self",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    rows = [
        line.split() for line in result.output.splitlines() if line.startswith("allegations.f1")
    ]
    assert rows and rows[0][1] == "1.000"


def test_two_annotators_disagree_only_where_the_readme_says() -> None:
    args = [
        "eval",
        "--predictions",
        str(AGREEMENT / "annotator_b"),
        "--gold",
        str(AGREEMENT / "annotator_a"),
        "--articles",
        str(REPO / "seeds"),
        "--name",
        "b",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    scores = {
        line.split()[0]: line.split()[1]
        for line in result.output.splitlines()
        if line[:1].isalpha() and len(line.split()) > 2 and "." in line.split()[0]
    }
    assert scores["parties.entity_f1"] == "1.000"
    assert scores["allegations.f1"] == "0.891"  # the ceiling reported in evals/README.md


def test_an_empty_folder_is_an_error_with_exit_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["eval", "--predictions", str(tmp_path)])
    assert result.exit_code == 2
    assert "no annotation files" in result.output
