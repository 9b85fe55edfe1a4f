from __future__ import annotations

import pytest

from extractor.articles import PublicationDate
from extractor.dates import ResolvedDate, resolve_date

WINDOW = PublicationDate.parse("2024-06-19/2024-06-20")  # a Wednesday and a Thursday
DAY = PublicationDate.parse("2024-06-20")


@pytest.mark.parametrize(
    ("phrase", "published", "expected"),
    [
        ("on Wednesday", WINDOW, ResolvedDate("2024-06-19", "day")),
        ("on Tuesday", DAY, ResolvedDate("2024-06-18", "day")),
        ("yesterday", DAY, ResolvedDate("2024-06-19", "day")),
        ("yesterday", WINDOW, None),  # names a different day at each end of the window
        ("on Wednesday", None, None),  # relative, and no publication date: no guess
        ("19 June 2024", None, ResolvedDate("2024-06-19", "day")),
        ("June 19, 2024", None, ResolvedDate("2024-06-19", "day")),
        ("on June 19", DAY, ResolvedDate("2024-06-19", "day")),
        ("on 25 December", DAY, ResolvedDate("2023-12-25", "day")),  # news looks back
        ("in July 2000", None, ResolvedDate("2000-07", "month")),
        ("in March", DAY, ResolvedDate("2024-03", "month")),
        ("earlier this month", DAY, ResolvedDate("2024-06", "month")),
        ("in 1961", None, ResolvedDate("1961", "year")),
        ("recently", DAY, None),
    ],
)
def test_resolve_date(
    phrase: str, published: PublicationDate | None, expected: ResolvedDate | None
) -> None:
    assert resolve_date(phrase, published) == expected


def test_publication_window_parsing() -> None:
    assert str(WINDOW) == "2024-06-19/2024-06-20"
    assert str(PublicationDate.parse("2024-06-20T08:00:00Z")) == "2024-06-20"
