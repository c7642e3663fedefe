"""The Sources pages: analysts only; each source's loads, quality and value distributions without anyone's
name; the quarantine browser and its CSV; and the upload, including files that fail and uploads cut short."""

from __future__ import annotations

import asyncio
import csv
import html
import io
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.support import factories
from tests.support.agreements import record_linkage
from tests.support.factories import MOMENT
from tests.support.web import csrf_from
from tests.web.conftest import SignedInAs
from wholeplace.core import service as core
from wholeplace.core.models import Agency
from wholeplace.core.roles import Role, Sector
from wholeplace.core.settings import Settings
from wholeplace.governance.models import AccessLogEntry
from wholeplace.sources import service
from wholeplace.sources.lake import Lake
from wholeplace.sources.mapping import parse_mapping
from wholeplace.sources.models import Batch

MAPPING = """\
source: tenants
agency: Testford Homes
entity: person
format: {type: csv, encoding: utf-8, delimiter: ",", header: true}
record_id: ref
columns:
  given_name: first
  family_name: last
  date_of_birth: {column: dob, format: "%d/%m/%Y"}
  sex: {column: sex, codes: {F: female, M: male}}
  postcode: postcode
"""
HEADER = "ref,first,last,dob,sex,postcode\n"
GOOD_AND_BAD = (
    HEADER
    + "Q1,Ann,Ash,01/02/1980,F,RF1 1AA\n"
    + ",Bob,Birch,03/04/1981,F,RF1 1AB\n"  # row 3: no record id
    + "Q3,,,05/06/1982,F,RF1 1AD\n"  # row 4: nothing identifies anyone
    + "=1+2,,,,,\n"  # row 5: nothing identifies anyone, and a formula for a record id
    + "Q1,Ann,Again,,,\n"  # row 6: Q1 again
    + "Q7,Too,Many,01/01/2000,F,RF1 1AA,extra\n"  # row 7: one cell too many
)


def register(db: Session, mapping: str = MAPPING) -> None:
    service.register_source(db, mapping=parse_mapping(mapping, file="tenants.yaml"), by="test", now=MOMENT)
    db.commit()


def load(db: Session, settings: Settings, content: str, *, file_name: str = "tenants.csv") -> uuid.UUID:
    register(db)
    path = settings.data_dir / "incoming" / file_name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")
    result = service.ingest_file(
        db,
        source_name="tenants",
        path=path,
        lake=Lake.in_data_dir(settings.data_dir),
        by="test",
        now=MOMENT,
    )
    db.commit()
    return result.batch_id


def table(page: str, caption: str) -> list[list[str]]:
    """The body rows of the table with this caption, each as the text of its cells."""
    for found in re.findall(r"<table.*?</table>", page, flags=re.DOTALL):
        title = re.search(r"<caption[^>]*>(.*?)</caption>", found, flags=re.DOTALL)
        if title and _text(title.group(1)) == caption:
            body = re.search(r"<tbody[^>]*>(.*?)</tbody>", found, flags=re.DOTALL)
            rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body.group(1) if body else "", flags=re.DOTALL)
            return [
                [_text(cell) for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.DOTALL)]
                for row in rows
            ]
    raise AssertionError(f"no table captioned {caption!r}")


def _text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def batches(db: Session) -> int:
    return int(db.scalar(select(func.count()).select_from(Batch)) or 0)


def upload(client: TestClient, *, source: str, name: str, content: bytes) -> Response:
    form = client.get("/sources/upload")
    return client.post(
        "/sources/upload",
        data={"csrf_token": csrf_from(form), "source": source},
        files={"file": (name, content, "text/csv")},
        follow_redirects=False,
    )


def left_in_uploads(settings: Settings) -> list[Path]:
    folder = settings.data_dir / "uploads"
    return list(folder.rglob("*")) if folder.exists() else []


# ---------------------------------------------------------------- who may see them


@pytest.mark.parametrize(
    "path",
    [
        "/sources",
        "/sources/upload",
        "/sources/tenants",
        f"/sources/tenants/batches/{uuid.UUID(int=1)}/quarantine",
        f"/sources/tenants/batches/{uuid.UUID(int=1)}/quarantine.csv",
    ],
)
def test_only_analysts_reach_the_sources_pages(
    client: TestClient, signed_in_as: SignedInAs, path: str
) -> None:
    signed_in_as(Role.PRACTITIONER, Role.ADMINISTRATOR, Role.INFORMATION_GOVERNANCE_OFFICER)
    assert client.get(path).status_code == 403


def test_someone_signed_out_is_sent_to_sign_in(client: TestClient) -> None:
    response = client.get("/sources", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_only_analysts_can_upload(client: TestClient, signed_in_as: SignedInAs, db: Session) -> None:
    register(db)
    signed_in_as(Role.ADMINISTRATOR)
    token = csrf_from(client.get("/"))
    response = client.post(
        "/sources/upload",
        data={"csrf_token": token, "source": "tenants"},
        files={"file": ("tenants.csv", GOOD_AND_BAD.encode(), "text/csv")},
    )
    assert response.status_code == 403
    assert batches(db) == 0


# ---------------------------------------------------------------- the list and one source


def test_the_list_shows_each_source_with_its_last_load(
    client: TestClient, signed_in_as: SignedInAs, db: Session, settings: Settings
) -> None:
    load(db, settings, GOOD_AND_BAD)
    signed_in_as(Role.ANALYST)
    page = client.get("/sources").text
    (row,) = table(page, "Sources and their last load")
    assert row == ["tenants", "Testford Homes", "People", "2 Nov 2026, 09:30 UTC", "1", "5", "1"]
    assert 'href="/sources/tenants"' in page and 'href="/sources/upload"' in page


def test_the_list_says_how_to_add_a_source_when_there_are_none(
    client: TestClient, signed_in_as: SignedInAs
) -> None:
    signed_in_as(Role.ANALYST)
    page = client.get("/sources").text
    assert "No sources yet" in page
    assert "wholeplace sources add NAME --mapping MAPPING.yaml" in page


def test_the_source_page_shows_its_batches_and_mapping(
    client: TestClient, signed_in_as: SignedInAs, db: Session, settings: Settings
) -> None:
    batch_id = load(db, settings, GOOD_AND_BAD)
    signed_in_as(Role.ANALYST)
    page = client.get("/sources/tenants").text
    (row,) = table(page, "Batches loaded, newest first")
    assert row == [
        "1",
        "tenants.csv",
        "2 Nov 2026, 09:30 UTC",
        "test",
        "6",
        "1",
        "5 rows set aside from batch 1",
        "csv, utf-8",
    ]
    assert f'href="/sources/tenants/batches/{batch_id}/quarantine"' in page
    assert "date_of_birth: {column: dob" in html.unescape(page)


def test_the_source_page_shows_completeness_and_validity_of_each_field(
    client: TestClient, signed_in_as: SignedInAs, db: Session, settings: Settings
) -> None:
    # Sex: 3 of the 4 rows have a value (75%); one of those, X, is not a listed code (2 of 3 valid).
    load(
        db,
        settings,
        HEADER
        + "T1,Ann,Ash,01/02/1980,F,RF1 1AA\n"
        + "T2,Bob,Birch,03/04/1981,F,RF1 1AB\n"
        + "T3,Cy,Cedar,05/06/1982,X,not a postcode\n"
        + "T4,Di,Dale,07/08/1983,,RF1 1AE\n",
    )
    signed_in_as(Role.ANALYST)
    quality = table(client.get("/sources/tenants").text, "Completeness and validity of each field in batch 1")
    by_field = {row[0]: row[1:] for row in quality}
    assert by_field["Sex"] == ["3", "75%", "66.7%", "A code the mapping does not list: 1"]
    assert by_field["Postcode"] == ["4", "100%", "75%", "Not in the expected shape: 1"]
    assert by_field["Given name"] == ["4", "100%", "100%", "None"]
    assert list(by_field) == ["Given name", "Family name", "Date of birth", "Sex", "Postcode"]


def test_distributions_suppress_small_counts_and_never_show_a_name(
    client: TestClient, signed_in_as: SignedInAs, db: Session, settings: Settings
) -> None:
    rows = [f"R{n},Zelda,Quint{n},0{n}/02/198{n},F,RF1 {n}AA\n" for n in range(1, 7)]
    load(db, settings, HEADER + "".join(rows) + "R7,Xavier,Yarrow,01/03/1990,M,RF2 7AA\n")
    signed_in_as(Role.ANALYST)
    page = client.get("/sources/tenants").text
    assert table(page, "Sex") == [["female", "6"], ["male", "fewer than 5"]]
    assert table(page, "Postcode district") == [["RF1", "6"], ["RF2", "fewer than 5"]]
    assert table(page, "Decade of birth") == [["1980s", "6"], ["1990s", "fewer than 5"]]
    for personal in ("Zelda", "Quint", "Xavier", "Yarrow", "R7", "RF2 7AA", "01/03/1990", "1990-03-01"):
        assert personal not in page


def test_a_source_that_does_not_exist_is_not_found(client: TestClient, signed_in_as: SignedInAs) -> None:
    signed_in_as(Role.ANALYST)
    response = client.get("/sources/nowhere")
    assert response.status_code == 404
    assert "There is no source called" in response.text


# ---------------------------------------------------------------- the quarantine


def homes(db: Session) -> Agency:
    """The agency whose source the tests load: its own analysts may see the rows it sent."""
    found = core.find_agency(db, "Testford Homes")
    assert found is not None
    return found


def test_the_quarantine_lists_each_row_set_aside_with_what_to_do(
    client: TestClient, signed_in_as: SignedInAs, db: Session, settings: Settings
) -> None:
    batch_id = load(db, settings, GOOD_AND_BAD)
    signed_in_as(Role.ANALYST, at=homes(db))
    page = client.get(f"/sources/tenants/batches/{batch_id}/quarantine").text
    rows = table(page, "Rows set aside")
    assert [row[:3] for row in rows] == [
        ["3", "ref", "(blank)"],
        ["4", "ref", "Q3"],
        ["5", "ref", "=1+2"],
        ["6", "ref", "Q1"],
        ["7", "(whole row)", "Q7,Too,Many,01/01/2000,F,RF1 1AA,extra"],
    ]
    assert all(row[3] and row[4] for row in rows)
    assert "Showing rows 1 to 5 of 5." in _text(page)


def test_quarantine_filters_by_reason_and_column_narrow_the_rows(
    client: TestClient, signed_in_as: SignedInAs, db: Session, settings: Settings
) -> None:
    batch_id = load(db, settings, GOOD_AND_BAD)
    signed_in_as(Role.ANALYST, at=homes(db))
    path = f"/sources/tenants/batches/{batch_id}/quarantine"
    page = client.get(path).text
    assert "Nothing identifies anyone (2)" in page and "ref (4)" in page

    by_reason = client.get(path, params={"reason": "nothing_identifies"}).text
    assert [row[0] for row in table(by_reason, "Rows set aside")] == ["4", "5"]
    assert "of 2 that match the filters" in _text(by_reason)
    by_column = client.get(path, params={"column": "ref"}).text
    assert [row[0] for row in table(by_column, "Rows set aside")] == ["3", "4", "5", "6"]
    neither = client.get(path, params={"reason": "malformed", "column": "ref"}).text
    assert "No rows set aside match these filters." in neither


def test_the_quarantine_is_shown_fifty_rows_a_page(
    client: TestClient, signed_in_as: SignedInAs, db: Session, settings: Settings
) -> None:
    batch_id = load(db, settings, HEADER + "".join(f",Ann,Ash{n},,,\n" for n in range(60)))
    signed_in_as(Role.ANALYST, at=homes(db))
    path = f"/sources/tenants/batches/{batch_id}/quarantine"
    first = client.get(path).text
    assert len(table(first, "Rows set aside")) == 50
    assert f'href="{path}?page=2"' in first
    second = client.get(path, params={"page": 2}).text
    assert len(table(second, "Rows set aside")) == 10
    assert "Showing rows 51 to 60 of 60." in _text(second)


def test_the_quarantine_downloads_as_csv_with_formulas_neutralised(
    client: TestClient, signed_in_as: SignedInAs, db: Session, settings: Settings
) -> None:
    batch_id = load(db, settings, GOOD_AND_BAD)
    signed_in_as(Role.ANALYST, at=homes(db))
    response = client.get(
        f"/sources/tenants/batches/{batch_id}/quarantine.csv", params={"reason": "nothing_identifies"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="quarantine-tenants-1.csv"'
    header, *rows = list(csv.reader(io.StringIO(response.text)))
    assert header == ["batch", "row", "column", "value", "reason", "problem", "what to do"]
    assert [(row[1], row[3]) for row in rows] == [("4", "Q3"), ("5", "'=1+2")]


def test_a_batch_of_another_source_is_not_found(
    client: TestClient, signed_in_as: SignedInAs, db: Session, settings: Settings
) -> None:
    batch_id = load(db, settings, GOOD_AND_BAD)
    register(db, MAPPING.replace("source: tenants", "source: others"))
    signed_in_as(Role.ANALYST, at=homes(db))
    assert client.get(f"/sources/others/batches/{batch_id}/quarantine").status_code == 404
    assert client.get(f"/sources/others/batches/{batch_id}/quarantine.csv").status_code == 404


def test_another_agency_s_analyst_sees_set_aside_rows_only_under_an_agreement_and_it_is_logged(
    client: TestClient, signed_in_as: SignedInAs, db: Session, settings: Settings
) -> None:
    batch_id = load(db, settings, GOOD_AND_BAD)
    analyst = signed_in_as(Role.ANALYST)
    path = f"/sources/tenants/batches/{batch_id}/quarantine"
    refused = client.get(path)
    assert refused.status_code == 403 and "=1+2" not in refused.text
    assert client.get(f"{path}.csv").status_code == 403
    record_linkage(db, analysts=analyst.agency.name, at=MOMENT)
    db.commit()
    assert client.get(path).status_code == 200
    logged = list(db.scalars(select(AccessLogEntry).order_by(AccessLogEntry.position)))
    assert [(entry.subject_kind, entry.subject_id, entry.outcome) for entry in logged] == [
        ("batch", str(batch_id), "deny"),
        ("batch", str(batch_id), "deny"),
        ("batch", str(batch_id), "permit"),
    ]


def test_the_source_s_own_analysts_need_no_decision(
    client: TestClient, signed_in_as: SignedInAs, db: Session, settings: Settings
) -> None:
    batch_id = load(db, settings, GOOD_AND_BAD)
    signed_in_as(Role.ANALYST, at=homes(db))
    assert client.get(f"/sources/tenants/batches/{batch_id}/quarantine").status_code == 200
    assert db.scalar(select(func.count()).select_from(AccessLogEntry)) == 0


# ---------------------------------------------------------------- uploading


def test_an_upload_loads_the_file_and_says_what_was_loaded(
    client: TestClient, signed_in_as: SignedInAs, db: Session, settings: Settings
) -> None:
    register(db)
    analyst = signed_in_as(Role.ANALYST)
    response = upload(client, source="tenants", name="march.csv", content=GOOD_AND_BAD.encode())
    assert response.status_code == 303
    assert response.headers["location"].startswith("/sources/tenants?loaded=")
    page = client.get(response.headers["location"]).text
    assert "Loaded 1 of 6 rows of march.csv as batch 1; 5 set aside." in page
    batch = db.scalars(select(Batch)).one()
    assert batch.file_name == "march.csv"
    assert batch.loaded_by == f"{analyst.full_name} ({analyst.username})"
    assert left_in_uploads(settings) == []


def test_uploading_the_same_file_again_changes_nothing(
    client: TestClient, signed_in_as: SignedInAs, db: Session, settings: Settings
) -> None:
    register(db)
    signed_in_as(Role.ANALYST)
    upload(client, source="tenants", name="march.csv", content=GOOD_AND_BAD.encode())
    again = upload(client, source="tenants", name="march-again.csv", content=GOOD_AND_BAD.encode())
    assert again.status_code == 303 and "already=" in again.headers["location"]
    page = client.get(again.headers["location"]).text
    assert (
        "This file was already loaded as batch 1 (march.csv, 2 Nov 2026, 09:30 UTC); nothing changed." in page
    )
    assert batches(db) == 1
    assert left_in_uploads(settings) == []


def test_an_upload_missing_a_mapped_column_says_what_to_fix_and_loads_nothing(
    client: TestClient, signed_in_as: SignedInAs, db: Session, settings: Settings
) -> None:
    register(db)
    signed_in_as(Role.ANALYST)
    content = "ref,first,last,dob,sex\nT1,Ann,Ash,01/02/1980,F\n"
    response = upload(client, source="tenants", name="march.csv", content=content.encode())
    assert response.status_code == 400
    summary = _text(response.text.split('class="govuk-error-summary"')[1].split("</div>\n</div>")[0])
    assert "There is a problem" in summary
    assert "'postcode', which march.csv does not have" in summary
    assert 'href="#file"' in response.text
    assert "<title>Error: Upload a file" in response.text
    assert batches(db) == 0
    assert left_in_uploads(settings) == []


def test_an_upload_without_a_source_or_a_file_asks_for_them(
    client: TestClient, signed_in_as: SignedInAs, db: Session
) -> None:
    register(db)
    signed_in_as(Role.ANALYST)
    response = upload(client, source="", name="", content=b"")
    assert response.status_code == 400
    assert "Choose the source the file is for" in response.text
    assert "Choose the file to upload" in response.text
    assert batches(db) == 0


def test_an_interrupted_upload_loads_nothing_and_says_so(
    client: TestClient, signed_in_as: SignedInAs, db: Session, settings: Settings
) -> None:
    register(db)
    signed_in_as(Role.ANALYST)
    token = csrf_from(client.get("/sources/upload"))
    boundary = "wholeplace-test-boundary"
    whole = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="source"\r\n\r\ntenants\r\n'
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="march.csv"\r\n'
        f"Content-Type: text/csv\r\n\r\n{GOOD_AND_BAD}\r\n"
        f"--{boundary}--\r\n"
    ).encode()
    cut_short = whole[: whole.index(b"Q3,,")]
    response = client.post(
        "/sources/upload",
        content=cut_short,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 400
    assert "The upload did not finish, so nothing was loaded." in response.text
    assert 'class="govuk-error-summary"' in response.text
    assert batches(db) == 0
    assert left_in_uploads(settings) == []


def test_an_upload_without_its_form_token_is_refused(
    client: TestClient, signed_in_as: SignedInAs, db: Session
) -> None:
    register(db)
    signed_in_as(Role.ANALYST)
    response = client.post(
        "/sources/upload",
        data={"source": "tenants"},
        files={"file": ("march.csv", GOOD_AND_BAD.encode(), "text/csv")},
    )
    assert response.status_code == 400
    assert "This form has expired" in response.text
    assert batches(db) == 0


def test_the_upload_form_chooses_the_source_it_was_opened_for(
    client: TestClient, signed_in_as: SignedInAs, db: Session
) -> None:
    register(db)
    signed_in_as(Role.ANALYST)
    page = client.get("/sources/upload", params={"source": "tenants"}).text
    assert '<option value="tenants" selected>' in page
    assert 'enctype="multipart/form-data"' in page


def test_an_uploaded_file_keeps_only_its_own_name(
    client: TestClient, signed_in_as: SignedInAs, db: Session, settings: Settings
) -> None:
    register(db)
    signed_in_as(Role.ANALYST)
    response = upload(
        client, source="tenants", name="..\\..\\C:\\march<b>.csv", content=GOOD_AND_BAD.encode()
    )
    assert response.status_code == 303
    assert db.scalars(select(Batch)).one().file_name == "march_b_.csv"
    assert "<b>" not in client.get(response.headers["location"]).text


def test_an_upload_whose_sender_goes_away_loads_nothing_and_is_not_logged_as_a_crash(
    app: FastAPI, db: Session, caplog: pytest.LogCaptureFixture
) -> None:
    register(db)
    started = (
        '--b\r\nContent-Disposition: form-data; name="source"\r\n\r\ntenants\r\n'
        '--b\r\nContent-Disposition: form-data; name="file"; filename="march.csv"\r\n\r\n' + GOOD_AND_BAD[:40]
    ).encode()
    arriving = [
        {"type": "http.request", "body": started, "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        return arriving.pop(0) if arriving else {"type": "http.disconnect"}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/sources/upload",
        "raw_path": b"/sources/upload",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", b"multipart/form-data; boundary=b"),
            (b"content-length", b"100000"),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    # On a thread of its own: a browser test earlier in the run may have left an event loop running on this one.
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, app(scope, receive, send)).result()  # type: ignore[arg-type]
    assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == 400
    assert "unhandled error" not in caplog.text
    assert batches(db) == 0


# ---------------------------------------------------------------- registering a source


NEW_AGENCY_MAPPING = MAPPING.replace("Testford Homes", "Testford Youth Trust")


def register_by_page(
    client: TestClient,
    *,
    text: str = "",
    file: tuple[str, bytes] | None = None,
    kind: str = "voluntary",
    sector: str = "voluntary",
) -> Response:
    form = client.get("/sources/new")
    assert form.status_code == 200
    return client.post(
        "/sources/new",
        data={"csrf_token": csrf_from(form), "mapping_text": text, "kind": kind, "sector": sector},
        files={"mapping_file": (file[0], file[1], "application/yaml") if file else ("", b"", "")},
        follow_redirects=False,
    )


def banner(page: str) -> str:
    found = re.search(r'<div class="govuk-notification-banner.*?</div>\s*</div>', page, flags=re.DOTALL)
    assert found, "the page has no notification banner"
    return _text(found.group(0))


def error_summary(page: str) -> str:
    found = re.search(r'<div class="govuk-error-summary.*?</ul>', page, flags=re.DOTALL)
    assert found, "the page has no error summary"
    return _text(found.group(0))


def sources_and_agencies(db: Session) -> tuple[list[str], list[str]]:
    db.expire_all()
    return (
        [source.name for source in service.list_sources(db)],
        [agency.name for agency in db.scalars(select(Agency).order_by(Agency.name))],
    )


def test_only_analysts_can_register_a_source(
    client: TestClient, signed_in_as: SignedInAs, db: Session
) -> None:
    signed_in_as(Role.ADMINISTRATOR, Role.PRACTITIONER)
    assert client.get("/sources/new").status_code == 403
    token = csrf_from(client.get("/"))
    response = client.post("/sources/new", data={"csrf_token": token, "mapping_text": NEW_AGENCY_MAPPING})
    assert response.status_code == 403
    assert service.find_source(db, "tenants") is None


def test_the_list_links_to_registering_a_source(client: TestClient, signed_in_as: SignedInAs) -> None:
    signed_in_as(Role.ANALYST)
    page = client.get("/sources").text
    assert page.count('href="/sources/new"') == 2  # the button, and the empty state's link
    assert "Register a source" in page


def test_a_pasted_mapping_registers_the_source_and_its_new_agency(
    client: TestClient, signed_in_as: SignedInAs, db: Session
) -> None:
    analyst = signed_in_as(Role.ANALYST)
    response = register_by_page(client, text=NEW_AGENCY_MAPPING, kind="voluntary", sector="housing")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/sources/tenants?registered=")
    source = service.require_source(db, "tenants")
    assert source.agency.name == "Testford Youth Trust"
    assert (source.agency.kind, source.agency.sector) == ("voluntary", "housing")
    assert source.created_by == f"{analyst.full_name} ({analyst.username})"
    told = banner(client.get(response.headers["location"]).text)
    assert "Registered the source tenants of Testford Youth Trust" in told
    assert "added the agency Testford Youth Trust to the place" in told


def test_a_mapping_file_registers_the_source_for_an_agency_the_place_has(
    client: TestClient, signed_in_as: SignedInAs, db: Session
) -> None:
    factories.agency(db, "Testford Homes", sector=Sector.HOUSING)
    db.commit()
    signed_in_as(Role.ANALYST)
    response = register_by_page(
        client, file=("tenants.yaml", MAPPING.encode()), kind="private", sector="police"
    )
    assert response.status_code == 303
    source = service.require_source(db, "tenants")
    assert (source.agency.kind, source.agency.sector) == ("public", "housing")  # the agency keeps its own
    told = banner(client.get(response.headers["location"]).text)
    assert "Registered the source tenants of Testford Homes" in told and "added the agency" not in told


def test_a_mapping_with_an_unknown_key_is_refused_at_its_line_and_nothing_is_created(
    client: TestClient, signed_in_as: SignedInAs, db: Session
) -> None:
    signed_in_as(Role.ANALYST)
    before = sources_and_agencies(db)
    wrong = NEW_AGENCY_MAPPING.replace("record_id: ref\n", "record_id: ref\ncolour: blue\n")
    response = register_by_page(client, text=wrong)
    assert response.status_code == 400
    told = error_summary(response.text)
    assert "Pasted mapping, line 6" in told and "'colour' is not part of a mapping" in told
    assert 'href="#mapping_text"' in response.text
    assert "colour: blue" in html.unescape(response.text)  # the pasted text is kept to correct
    assert sources_and_agencies(db) == before


def test_a_mapping_file_with_an_unknown_key_names_the_file_and_line(
    client: TestClient, signed_in_as: SignedInAs
) -> None:
    signed_in_as(Role.ANALYST)
    wrong = MAPPING.replace("entity: person\n", "entity: person\nshape: long\n")
    response = register_by_page(client, file=("tenants.yaml", wrong.encode()))
    assert response.status_code == 400
    assert "tenants.yaml, line 4: 'shape' is not part of a mapping" in error_summary(response.text)


def test_registering_the_same_mapping_again_changes_nothing(
    client: TestClient, signed_in_as: SignedInAs, db: Session
) -> None:
    register(db)
    signed_in_as(Role.ANALYST)
    response = register_by_page(client, text=MAPPING)
    assert response.status_code == 303
    told = banner(client.get(response.headers["location"]).text)
    assert "The source tenants already has this mapping (version" in told and "nothing changed" in told


def test_a_changed_mapping_with_a_new_version_replaces_the_old(
    client: TestClient, signed_in_as: SignedInAs, db: Session
) -> None:
    register(db)
    signed_in_as(Role.ANALYST)
    response = register_by_page(client, text=MAPPING + 'version: "2"\n')
    assert response.status_code == 303
    assert service.require_source(db, "tenants").mapping_version == "2"
    assert "Gave the source tenants a new mapping (version 2)" in banner(
        client.get(response.headers["location"]).text
    )


def test_a_changed_mapping_keeping_its_version_is_refused(
    client: TestClient, signed_in_as: SignedInAs, db: Session
) -> None:
    register(db, MAPPING + 'version: "1"\n')
    signed_in_as(Role.ANALYST)
    changed = MAPPING.replace("  postcode: postcode\n", "") + 'version: "1"\n'
    response = register_by_page(client, text=changed)
    assert response.status_code == 400
    assert "has changed but still declares version '1'" in error_summary(response.text)
    db.expire_all()
    assert "postcode: postcode" in service.require_source(db, "tenants").mapping_text


@pytest.mark.parametrize("name", ["new", "upload"])
def test_a_source_cannot_take_the_name_of_a_page(
    client: TestClient, signed_in_as: SignedInAs, db: Session, name: str
) -> None:
    signed_in_as(Role.ANALYST)
    response = register_by_page(client, text=NEW_AGENCY_MAPPING.replace("source: tenants", f"source: {name}"))
    assert response.status_code == 400
    assert f"A source cannot be called '{name}'" in error_summary(response.text)
    assert service.find_source(db, name) is None


def test_a_mapping_both_uploaded_and_pasted_is_refused(client: TestClient, signed_in_as: SignedInAs) -> None:
    signed_in_as(Role.ANALYST)
    response = register_by_page(client, text=MAPPING, file=("tenants.yaml", MAPPING.encode()))
    assert response.status_code == 400
    assert "either as a file or pasted in, not both" in error_summary(response.text)


def test_no_mapping_at_all_is_asked_for(client: TestClient, signed_in_as: SignedInAs) -> None:
    signed_in_as(Role.ANALYST)
    response = register_by_page(client)
    assert response.status_code == 400
    assert "Choose the mapping file, or paste the mapping in" in error_summary(response.text)


def test_a_mapping_file_over_a_megabyte_is_refused(
    client: TestClient, signed_in_as: SignedInAs, db: Session
) -> None:
    signed_in_as(Role.ANALYST)
    large = (MAPPING + "#" * (1 << 20)).encode()
    response = register_by_page(client, file=("tenants.yaml", large))
    assert response.status_code == 400
    assert "The mapping file must be smaller than 1 MB" in error_summary(response.text)
    assert service.find_source(db, "tenants") is None


def test_a_kind_not_on_the_list_is_refused(client: TestClient, signed_in_as: SignedInAs, db: Session) -> None:
    signed_in_as(Role.ANALYST)
    response = register_by_page(client, text=NEW_AGENCY_MAPPING, kind="imaginary")
    assert response.status_code == 400
    assert "Select the kind of agency" in error_summary(response.text)
    assert 'href="#kind"' in response.text
    assert service.find_source(db, "tenants") is None
