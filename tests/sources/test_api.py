"""Agency systems push records into their own sources through the API: one push is one batch, loaded whole or
not at all, and the same push twice changes nothing."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.support import factories
from tests.support.factories import MOMENT
from wholeplace.core import service as core
from wholeplace.core.models import Agency
from wholeplace.core.roles import Scope
from wholeplace.core.settings import Settings
from wholeplace.sources import service
from wholeplace.sources.lake import Lake
from wholeplace.sources.mapping import parse_mapping

HOUSING = """\
source: housing
agency: Riverford Homes
entity: person
format: {type: csv}
record_id: Tenant Ref
columns:
  given_name: Forename
  family_name: Surname
  date_of_birth: {column: DOB, format: "%d/%m/%Y"}
  sex: {column: Gender, codes: {F: female, M: male}}
  postcode: Post Code
"""
PATH = "/api/v1/sources/housing/records"
AISHA = {
    "record_id": "T0001",
    "given_name": "Aisha",
    "family_name": "Okafor",
    "date_of_birth": "1984-03-05",
    "sex": "female",
}
TOM = {"record_id": "T0002", "given_name": "Tom", "family_name": "Kowalski", "postcode": "rf15ab"}


def _housing(db: Session) -> Agency:
    homes = factories.agency(db, "Riverford Homes")
    service.register_source(db, mapping=parse_mapping(HOUSING, file="housing.yaml"), by="test", now=MOMENT)
    return homes


def _token(db: Session, agency: Agency, *scopes: Scope) -> dict[str, str]:
    _, whole = core.create_api_token(
        db, agency=agency, name="Housing system", scopes=scopes, by="admin", now=MOMENT
    )
    db.commit()
    return {"Authorization": f"Bearer {whole}"}


def _pushing(db: Session) -> dict[str, str]:
    """The housing source registered, and a token of its agency that may push."""
    return _token(db, _housing(db), Scope.RECORDS_PUSH)


def _push(client: TestClient, headers: dict[str, str], *records: dict[str, Any]) -> Any:
    return client.post(PATH, json={"records": list(records)}, headers=headers)


def _current_people(db: Session, settings: Settings) -> list[dict[str, Any]]:
    """The current person rows of the lake, by record id; a push holds only the fields it was given."""
    with Lake.in_data_dir(settings.data_dir).connect(service.lake_batches(db)) as lake:
        result = lake.execute("SELECT * FROM person ORDER BY record_id")
        names = [column[0] for column in result.description]
        return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


def test_a_push_loads_its_records_and_returns_the_counts(client: TestClient, db: Session) -> None:
    response = _push(client, _pushing(db), AISHA, TOM)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["source"] == "housing"
    assert (body["rows_read"], body["rows_loaded"], body["rows_quarantined"]) == (2, 2, 0)
    assert body["duplicate_of"] is None
    batch = service.get_batch(db, uuid.UUID(body["batch_id"]))
    assert (batch.file_format, batch.rows_loaded) == ("api", 2)


def test_pushed_dates_are_iso_and_standard_codes_are_used_directly(
    client: TestClient, db: Session, settings: Settings
) -> None:
    assert _push(client, _pushing(db), AISHA).status_code == 200
    (aisha,) = _current_people(db, settings)
    assert aisha["date_of_birth"].isoformat() == "1984-03-05"
    assert (aisha["sex"], aisha["sex_original"]) == ("female", "female")
    assert aisha["problems"] == []


def test_a_push_does_not_use_the_file_mappings_codes(
    client: TestClient, db: Session, settings: Settings
) -> None:
    assert _push(client, _pushing(db), {**AISHA, "sex": "F"}).json()["rows_loaded"] == 1
    (aisha,) = _current_people(db, settings)
    assert (aisha["sex"], aisha["sex_original"]) == (None, "F")
    assert aisha["problems"] == ["sex:unknown_code"]


def test_a_date_not_in_iso_form_is_flagged_and_the_record_still_loads(
    client: TestClient, db: Session, settings: Settings
) -> None:
    body = _push(client, _pushing(db), {**AISHA, "date_of_birth": "31/02/1984"}).json()
    assert body["rows_loaded"] == 1
    (aisha,) = _current_people(db, settings)
    assert (aisha["date_of_birth"], aisha["date_of_birth_original"]) == (None, "31/02/1984")
    assert aisha["problems"] == ["date_of_birth:not_a_date"]


def test_a_record_without_record_id_is_set_aside_while_the_others_load(
    client: TestClient, db: Session
) -> None:
    nameless = {key: value for key, value in TOM.items() if key != "record_id"}
    body = _push(client, _pushing(db), AISHA, nameless).json()
    assert (body["rows_read"], body["rows_loaded"], body["rows_quarantined"]) == (2, 1, 1)
    batch = service.get_batch(db, uuid.UUID(body["batch_id"]))
    (set_aside,) = service.quarantined_rows(db, batch)
    assert (set_aside.row_number, set_aside.reason) == (2, "no_record_id")


def test_the_same_push_twice_names_the_first_batch_and_loads_nothing(
    client: TestClient, db: Session, settings: Settings
) -> None:
    headers = _pushing(db)
    first = _push(client, headers, AISHA, TOM).json()
    again = _push(client, headers, AISHA, TOM).json()
    assert again["duplicate_of"] == first["batch_id"]
    assert (again["rows_loaded"], again["rows_quarantined"]) == (0, 0)
    assert len(service.batches_of(db, service.require_source(db, "housing"))) == 1
    assert len(_current_people(db, settings)) == 2


def test_a_later_push_supersedes_the_record_it_repeats(
    client: TestClient, db: Session, settings: Settings
) -> None:
    headers = _pushing(db)
    _push(client, headers, AISHA, TOM)
    _push(client, headers, {**TOM, "postcode": "RF2 7XY"})
    people = _current_people(db, settings)
    assert [(person["record_id"], person.get("postcode")) for person in people] == [
        ("T0001", None),
        ("T0002", "RF2 7XY"),
    ]


def test_a_field_the_standard_lacks_is_refused_naming_the_field(client: TestClient, db: Session) -> None:
    response = _push(client, _pushing(db), {**AISHA, "surname": "Okafor"})
    assert response.status_code == 400
    assert response.json()["error"] == "bad_request"
    assert "'surname'" in response.json()["detail"]
    assert service.batches_of(db, service.require_source(db, "housing")) == []


def test_a_full_name_is_refused_rather_than_crashing(client: TestClient, db: Session) -> None:
    # full_name needs a name order, which a push cannot give: it must be a 400 naming it, not a 500.
    response = _push(client, _pushing(db), {"record_id": "T0003", "full_name": "Nowak, Mary"})
    assert response.status_code == 400, response.text
    assert "full_name" in response.json()["detail"]


def test_a_token_without_records_push_is_forbidden(client: TestClient, db: Session) -> None:
    headers = _token(db, _housing(db), Scope.PLACE_READ)
    response = _push(client, headers, AISHA)
    assert response.status_code == 403
    assert response.json()["error"] == "insufficient_scope"


def test_no_token_is_unauthorised(client: TestClient, db: Session) -> None:
    _housing(db)
    db.commit()
    assert _push(client, {}, AISHA).status_code == 401


def test_a_token_of_another_agency_cannot_push_into_the_source(client: TestClient, db: Session) -> None:
    _housing(db)
    headers = _token(db, factories.agency(db, "Vale Police"), Scope.RECORDS_PUSH)
    response = _push(client, headers, AISHA)
    assert response.status_code == 400
    assert "does not belong to Vale Police" in response.json()["detail"]
    assert service.batches_of(db, service.require_source(db, "housing")) == []


def test_an_unknown_source_is_not_found(client: TestClient, db: Session) -> None:
    headers = _pushing(db)
    response = client.post("/api/v1/sources/nosuch/records", json={"records": [AISHA]}, headers=headers)
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_an_empty_records_list_is_an_invalid_request(client: TestClient, db: Session) -> None:
    response = _push(client, _pushing(db))
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_request"
    assert service.batches_of(db, service.require_source(db, "housing")) == []


def test_the_lake_holds_the_pushed_rows(client: TestClient, db: Session, settings: Settings) -> None:
    _push(client, _pushing(db), AISHA, TOM)
    with Lake.in_data_dir(settings.data_dir).connect(service.lake_batches(db)) as lake:
        assert lake.execute("SELECT count(*) FROM person").fetchone() == (2,)
        assert lake.execute("SELECT postcode FROM person WHERE record_id = 'T0002'").fetchone() == (
            "RF1 5AB",
        )


def test_the_openapi_document_lists_the_push(client: TestClient) -> None:
    document = client.get("/api/v1/openapi.json").json()
    assert "post" in document["paths"]["/api/v1/sources/{source}/records"]
