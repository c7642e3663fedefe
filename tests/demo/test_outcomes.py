"""The demo's outcomes framework on SQLite and PostgreSQL: its partnerships own the demo's results and oversee its
programmes, and building the framework again adds none."""

from pathlib import Path

from sqlalchemy.orm import Session

from tests.support.factories import MOMENT
from wholeplace.demo.outcomes import ATTENDANCE, EARLY_HELP, PARTNERSHIPS, PROGRAMME_MANAGER, build_outcomes
from wholeplace.demo.service import build_demo
from wholeplace.outcomes.service import partnerships


def test_the_demo_partnerships_are_made_once_with_their_members_results_and_programmes(
    db: Session, tmp_path: Path
) -> None:
    build_demo(db, now=MOMENT)
    first = build_outcomes(db, work=tmp_path, now=MOMENT)
    again = build_outcomes(db, work=tmp_path, now=MOMENT)
    assert first.partnerships == again.partnerships == len(PARTNERSHIPS) == 2
    children, safety = (
        {one.name: one for one in partnerships.partnerships(db)}[demo.name] for demo in PARTNERSHIPS
    )
    assert children.chair == PROGRAMME_MANAGER
    assert [one.name for one in partnerships.members_of(db, children.id)] == [
        "Riverford Borough Council",
        "Riverford Children's Services",
        "Riverford Health Partnership",
        "Riverford Schools",
    ]
    assert {one.title for one in partnerships.results_of(db, children.id)} == {
        "Children attend school and learn",
        "Families get help before problems grow",
    }
    assert [one.name for one in partnerships.programmes_of(db, children.id)] == [
        ATTENDANCE.name,
        EARLY_HELP.name,
    ]
    assert [one.title for one in partnerships.results_of(db, safety.id)] == ["Everyone is safe at home"]
    assert partnerships.programmes_of(db, safety.id) == []
