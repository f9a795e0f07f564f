"""Raions, communities (hromadas) and settlements of the example study (Kharkiv oblast).

Names are real; adult populations are rounded, illustrative figures, not census counts.
Chuhuiv raion is the pilot (community policing introduced between the waves); Zmiiv,
Balakliia and Izium raions are the controls.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import pandas as pd

#: raion code -> (name_uk, name_en, arm)
RAIONS: dict[int, tuple[str, str, str]] = {
    1: ("Чугуївський", "Chuhuiv", "pilot"),
    2: ("Зміївський", "Zmiiv", "control"),
    3: ("Балаклійський", "Balakliia", "control"),
    4: ("Ізюмський", "Izium", "control"),
}

#: community code (text, as the questionnaire's ``community`` item) -> (raion, uk, en)
COMMUNITIES: dict[str, tuple[int, str, str]] = {
    "chuhuivska": (1, "Чугуївська міська громада", "Chuhuiv city community"),
    "malynivska": (1, "Малинівська селищна громада", "Malynivka settlement community"),
    "novopokrovska": (1, "Новопокровська селищна громада", "Novopokrovka settlement community"),
    "chkalovska": (1, "Чкаловська селищна громада", "Chkalovske settlement community"),
    "zmiivska": (2, "Зміївська міська громада", "Zmiiv city community"),
    "slobozhanska": (2, "Слобожанська селищна громада", "Slobozhanske settlement community"),
    "taranivska": (2, "Таранівська сільська громада", "Taranivka rural community"),
    "balakliiska": (3, "Балаклійська міська громада", "Balakliia city community"),
    "savynska": (3, "Савинська селищна громада", "Savyntsi settlement community"),
    "andriivska": (3, "Андріївська селищна громада", "Andriivka settlement community"),
    "iziumska": (4, "Ізюмська міська громада", "Izium city community"),
    "oskilska": (4, "Оскільська сільська громада", "Oskil rural community"),
}

# community, name_uk, name_en, type (2 town / 1 village), adults
_SETTLEMENTS = [
    ("chuhuivska", "Чугуїв", "Chuhuiv", 2, 26000),
    ("chuhuivska", "Кам'яна Яруга", "Kamiana Yaruha", 1, 1700),
    ("chuhuivska", "Стара Покровка", "Stara Pokrovka", 1, 1100),
    ("chuhuivska", "Тетлега", "Tetleha", 1, 600),
    ("malynivska", "Малинівка", "Malynivka", 2, 5800),
    ("malynivska", "Кочеток", "Kochetok", 2, 2900),
    ("malynivska", "Зарожне", "Zarozhne", 1, 1200),
    ("novopokrovska", "Новопокровка", "Novopokrovka", 2, 3300),
    ("novopokrovska", "Базаліївка", "Bazaliivka", 1, 1100),
    ("chkalovska", "Чкаловське", "Chkalovske", 2, 4200),
    ("chkalovska", "Есхар", "Eskhar", 2, 3200),
    ("chkalovska", "Мосьпанове", "Mospanove", 1, 1100),
    ("zmiivska", "Зміїв", "Zmiiv", 2, 11800),
    ("zmiivska", "Скрипаї", "Skrypai", 1, 1000),
    ("zmiivska", "Соколове", "Sokolove", 1, 1500),
    ("zmiivska", "Гайдари", "Haidary", 1, 800),
    ("slobozhanska", "Слобожанське", "Slobozhanske", 2, 10200),
    ("slobozhanska", "Лиман", "Lyman", 1, 2500),
    ("slobozhanska", "Донець", "Donets", 1, 1200),
    ("taranivska", "Таранівка", "Taranivka", 1, 2900),
    ("taranivska", "Задонецьке", "Zadonetske", 1, 1200),
    ("taranivska", "Мохнач", "Mokhnach", 1, 700),
    ("balakliiska", "Балаклія", "Balakliia", 2, 22500),
    ("balakliiska", "Волохів Яр", "Volokhiv Yar", 1, 1400),
    ("balakliiska", "Яковенкове", "Yakovenkove", 1, 1200),
    ("balakliiska", "Вербівка", "Verbivka", 1, 2500),
    ("savynska", "Савинці", "Savyntsi", 2, 3800),
    ("savynska", "Бригадирівка", "Bryhadyrivka", 1, 900),
    ("andriivska", "Андріївка", "Andriivka", 2, 5800),
    ("andriivska", "Шебелинка", "Shebelynka", 1, 2400),
    ("iziumska", "Ізюм", "Izium", 2, 37500),
    ("iziumska", "Капитолівка", "Kapytolivka", 1, 1700),
    ("iziumska", "Кам'янка", "Kamianka", 1, 1600),
    ("oskilska", "Оскіл", "Oskil", 1, 2100),
    ("oskilska", "Студенок", "Studenok", 1, 1100),
    ("oskilska", "Співаківка", "Spivakivka", 1, 750),
    ("oskilska", "Бражківка", "Brazhkivka", 1, 500),
]


def settlements() -> pd.DataFrame:
    """The sampling frame: one row per settlement with raion, community, type and adults."""
    frame = pd.DataFrame(
        _SETTLEMENTS, columns=["community", "name_uk", "name_en", "settlement", "adults"]
    )
    frame.insert(0, "raion", frame["community"].map(lambda c: COMMUNITIES[c][0]))
    frame.insert(0, "settlement_id", range(1, len(frame) + 1))
    return frame


def communities() -> pd.DataFrame:
    """The community -> arm table (``communities.csv`` of the example study)."""
    rows = [
        {
            "community": code,
            "raion": raion,
            "name_uk": uk,
            "name_en": en,
            "arm": RAIONS[raion][2],
        }
        for code, (raion, uk, en) in COMMUNITIES.items()
    ]
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class Geography:
    """Where a generated study samples: raions, communities (with their arm) and settlements.

    ``communities`` has columns ``community, raion, name_uk, name_en, arm``; ``settlements``
    those of :func:`settlements`; ``raion_term`` is each raion's term of the latent trust.
    """

    raions: dict[int, tuple[str, str]]
    communities: pd.DataFrame
    settlements: pd.DataFrame
    raion_term: dict[int, float]

    def arm(self, community: str) -> str:
        """``pilot`` or ``control`` of one community."""
        return str(self._arms[community])

    @cached_property
    def _arms(self) -> dict[str, str]:
        return dict(zip(self.communities["community"], self.communities["arm"], strict=True))

    def population(self) -> pd.DataFrame:
        """Adults per community: ``community, population`` in community order."""
        adults = self.settlements.groupby("community", sort=False)["adults"].sum()
        order = [c for c in self.communities["community"] if c in adults.index]
        return pd.DataFrame({"community": order, "population": adults[order].to_numpy()})


def example_geography() -> Geography:
    """The example's four raions of Kharkiv oblast and their twelve communities."""
    from trustsurvey.example.responses import RAION_TERM

    return Geography(
        raions={code: (uk, en) for code, (uk, en, _) in RAIONS.items()},
        communities=communities(),
        settlements=settlements(),
        raion_term=dict(RAION_TERM),
    )
