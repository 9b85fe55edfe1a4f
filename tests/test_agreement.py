from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from extractor.cli import app

REPO = Path(__file__).resolve().parent.parent
AGREEMENT = REPO / "evals" / "agreement"


def micro_scores(predictions: str, gold: str) -> dict[str, str]:
    """Score one annotation folder against another; the table's micro column by metric."""
    args = ["eval", "--predictions", str(AGREEMENT / predictions), "--gold", str(AGREEMENT / gold),
            "--articles", str(REPO / "seeds"), "--name", predictions]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return {
        line.split()[0]: line.split()[1]
        for line in result.output.splitlines()
        if line[:1].isalpha() and len(line.split()) > 2 and "." in line.split()[0]
    }


def test_an_annotation_folder_scores_as_predictions() -> None:
    assert micro_scores("annotator_a", "annotator_a")["allegations.f1"] == "1.000"


def test_two_annotators_disagree_only_where_the_readme_says() -> None:
    scores = micro_scores("annotator_b", "annotator_a")
    assert scores["parties.entity_f1"] == "1.000"
    assert scores["allegations.f1"] == "0.891"  # the ceiling reported in evals/README.md


def test_an_empty_folder_is_an_error_with_exit_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["eval", "--predictions", str(tmp_path)])
    assert result.exit_code == 2
    assert "no annotation files" in result.output
