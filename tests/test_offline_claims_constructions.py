"""The offline backend on accusation, denial and agreement constructions common in news copy,
in short texts written for these tests: sides accusing each other, an outlet reporting in its
own name or only passing on another's accusation, victims of a passive act, "ruled out", and
terms stated as what an agreement will do, "under the terms of", "agreed on", contracting
sides the gazetteer does not know, and names that go on past a shorter name ("The South
Sudanese government" is not "the South")."""

from __future__ import annotations

from functools import cache

from extractor.articles import Article
from extractor.backends.offline import OfflineBackend
from extractor.schema import EventDraft


@cache
def extract(text: str) -> EventDraft:
    return OfflineBackend().extract(Article(id="t", text=text)).draft


def accusations(text: str) -> list[tuple[list[str], list[str]]]:
    return [(a.alleged_by, a.accused) for a in extract(text).allegations]


def test_sides_that_accuse_each_other_each_accuse_the_other() -> None:
    text = (
        "Armenia and Azerbaijan accused each other on Monday of violating the new ceasefire "
        "in Nagorno-Karabakh, hours after it came into effect."
    )
    assert sorted(accusations(text)) == [
        (["Armenia"], ["Azerbaijan"]),
        (["Azerbaijan"], ["Armenia"]),
    ]


def test_an_outlet_passing_on_an_accusation_is_not_the_accuser() -> None:
    text = (
        "Ukraine accused Russia on Sunday of shelling villages near the border, the BBC reported."
    )
    assert accusations(text) == [(["Ukraine"], ["Russia"])]


def test_an_outlet_reporting_in_its_own_name_is_the_accuser() -> None:
    text = (
        "The White House faced new questions on Tuesday. NBC reported that the United States "
        "had been shipping weapons to Iran as recently as last month."
    )
    assert (["NBC"], ["United States"]) in accusations(text)


def test_the_victims_of_a_passive_act_are_not_accused() -> None:
    text = (
        "Fighting continued in the south on Monday. More than 2,000 Afghan civilians have been "
        "killed in the fighting this year, according to the United Nations."
    )
    assert accusations(text) == []


def test_who_in_a_relative_clause_is_not_the_sentence_subject() -> None:
    text = (
        "Nikki Haley spoke on Tuesday. Nikki Haley praised the women who had accused "
        "Donald Trump of misconduct."
    )
    assert not any(by == ["Nikki Haley"] for by, _ in accusations(text))


def test_ruling_out_involvement_is_a_denial() -> None:
    text = (
        "A helicopter crashed in Logar province on Tuesday, killing all on board. The Taliban "
        "said they had shot it down. The Afghan government has ruled out Taliban involvement "
        "in the crash."
    )
    denials = extract(text).denials
    assert [d.denied_by for d in denials] == [["Afghanistan"]]


def test_what_the_agreement_will_do_is_a_term() -> None:
    text = (
        "GENEVA (Reuters) - Sixty countries adopted a new coffee agreement on Friday. The new "
        "pact will enter into force when ratified by countries accounting for 80 percent of "
        "world exports. The accord is due to replace the current one, which expires in "
        "October. The agreement would form the basis of trade for years to come."
    )
    statements = [t.statement for t in extract(text).treaty_terms]
    assert any(s.startswith("enter into force when ratified") for s in statements), statements
    assert any(s.startswith("replace the current one") for s in statements), statements
    assert not any("basis" in s for s in statements)  # commentary, not a provision


def test_under_the_terms_of_and_agreed_on_give_terms() -> None:
    text = (
        "Ukraine and Russia agreed a ceasefire in eastern Ukraine on Sunday. The two sides "
        "agreed on a cessation of hostilities along the front line. Under the terms of the "
        "agreement, the use of heavy weapons is prohibited."
    )
    statements = [t.statement for t in extract(text).treaty_terms]
    assert any("cessation of hostilities" in s for s in statements), statements
    assert any("heavy weapons is prohibited" in s for s in statements), statements


def test_contracting_sides_unknown_to_the_gazetteer_agree_terms() -> None:
    text = (
        "Two retailers signed a settlement with the Federal Trade Commission on Monday over "
        "misleading labels. Both Sears and Kellwood Co agreed to pay penalties of 200,000 "
        "dollars each to settle the charges."
    )
    statements = [t.statement for t in extract(text).treaty_terms]
    assert any(s.startswith("pay penalties") for s in statements), statements


def test_a_longer_name_is_not_read_as_its_first_words() -> None:
    text = (
        "The South Sudanese government and rebels agreed on a ceasefire on Friday. The "
        "Democratic People's Republic of Korea (DPRK) should abandon all nuclear programmes, "
        "the statement said. Reporters told Agence France-Presse the talks went well."
    )
    names = {p.name for p in extract(text).parties}
    assert "South Sudan" in names
    assert not names & {"South Korea", "Sudan", "France"}, names
