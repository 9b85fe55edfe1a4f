"""A synthetic corpus: N small, varied news-like articles as JSON Lines, reproducible by seed.

The text only has to look like news to the fake server (sentences, capitalised names) and vary
enough that no two articles share a cache key; it is not meant to be extracted well.
"""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from pathlib import Path

_STATES = (
    "Ardania",
    "Borovia",
    "Calderon",
    "Dravia",
    "Elmora",
    "Fennick",
    "Galvia",
    "Harrowland",
    "Istria Minor",
    "Jorvik",
    "Kestrel Isles",
    "Lunaria",
    "Marovia",
    "Norland",
    "Ostrava",
    "Pellucia",
    "Quarrin",
    "Rivenland",
    "Sarnath",
    "Tolvania",
)
_PEOPLE = (
    "Anna Keller",
    "Boris Lund",
    "Carla Mendes",
    "Dmitri Orlov",
    "Elena Voss",
    "Farid Nasser",
    "Grace Okafor",
    "Hiro Tanaka",
    "Ines Duarte",
    "Jonas Berg",
    "Karim Haddad",
    "Lena Novak",
)
_CITIES = (
    "Port Avalon",
    "Mirelle",
    "Kostgrad",
    "Sundhaven",
    "Treval",
    "Ostmark",
    "Velcor",
    "Lindau",
)
_EVENTS = (
    ("signed a trade agreement with", "The agreement cuts tariffs on {goods} by {n} percent."),
    ("accused", "Officials said the {goods} shipments had been seized without warning."),
    ("announced joint military exercises with", "About {n},000 troops will take part."),
    ("agreed a ceasefire with", "The truce is due to take effect at midnight on {day}."),
    ("expelled diplomats from", "Four attachés were given {n} days to leave the country."),
    ("opened talks on a border treaty with", "Negotiators will meet again in {city} in {month}."),
)
_GOODS = ("grain", "steel", "natural gas", "fertiliser", "timber", "semiconductors", "fish")
_FILLER = (
    "Analysts in {city} said the move had been expected for several weeks.",
    "{person}, a spokesperson for the foreign ministry, declined to comment further.",
    "The announcement came after {n} hours of talks behind closed doors.",
    "Markets in {city} rose slightly on the news before closing flat.",
    "{other} denied the allegations and called them politically motivated.",
    "Opposition leaders demanded that parliament be allowed to debate the terms.",
    "Previous negotiations collapsed in {month} over the question of {goods} quotas.",
    "{person} told reporters that the deal would be reviewed in {n} years.",
    "Residents near the border said they hoped the tension would ease.",
    "The United Nations welcomed the step and urged both sides to keep talking.",
)
_MONTHS = ("January", "March", "April", "June", "August", "October", "November")


def make_article(index: int, rng: random.Random) -> dict[str, str]:
    """One article as a JSON Lines object with id, title, text and published date."""
    first, second = rng.sample(_STATES, 2)
    verb, detail = rng.choice(_EVENTS)
    fields = {
        "city": rng.choice(_CITIES),
        "person": rng.choice(_PEOPLE),
        "goods": rng.choice(_GOODS),
        "n": str(rng.randint(2, 90)),
        "month": rng.choice(_MONTHS),
        "day": rng.choice(("Monday", "Tuesday", "Friday", "Sunday")),
        "other": second,
    }
    published = date(2024, 1, 1) + timedelta(days=rng.randint(0, 365))
    title = f"{first} {verb} {second}"
    sentences = [
        f"{first} {verb} {second} on {fields['day']}, officials in {fields['city']} said.",
        detail.format(**fields),
    ]
    # 6 to 14 more sentences: about 1 to 2 KB of text per article.
    for _ in range(rng.randint(6, 14)):
        fields["n"] = str(rng.randint(2, 90))
        fields["person"] = rng.choice(_PEOPLE)
        sentences.append(rng.choice(_FILLER).format(**fields))
    paragraphs = [" ".join(sentences[i : i + 3]) for i in range(0, len(sentences), 3)]
    text = f"{title}\n\n" + "\n\n".join(paragraphs) + f"\n\n(Report number {index}.)"
    return {
        "id": f"bench-{index:06d}",
        "title": title,
        "text": text,
        "published": published.isoformat(),
    }


def write_corpus(path: Path, count: int, seed: int = 0) -> list[str]:
    """Write `count` articles to `path` as JSON Lines; return their ids in file order."""
    rng = random.Random(seed)
    ids = []
    with path.open("w", encoding="utf-8") as handle:
        for index in range(count):
            article = make_article(index, rng)
            ids.append(article["id"])
            handle.write(json.dumps(article, ensure_ascii=False) + "\n")
    return ids
