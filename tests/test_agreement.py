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


REAL = REPO / "evals" / "real"


def test_real_journalism_agreement_is_what_its_readme_reports() -> None:
    args = ["eval", "--predictions", str(REAL / "agreement" / "annotator_b"),
            "--gold", str(REAL / "agreement" / "annotator_a"),
            "--articles", str(REAL / "dev"), "--name", "annotator_b"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    readme = (REAL / "agreement" / "README.md").read_text(encoding="utf-8")
    for line in result.output.splitlines():
        cells = line.split()
        if len(cells) > 2 and cells[0] in {"parties.entity_f1", "allegations.f1", "denials.f1"}:
            assert f"| {cells[0]} | {cells[1]} |" in readme, line
    assert len(list((REAL / "agreement" / "annotator_b").glob("*.json"))) >= 10
