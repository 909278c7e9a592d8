"""The .xlsx round trip: download, edit three cells and break one, dry run, fix, apply."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import Engine, text


def _history_rows(owner_engine: Engine, codes: list[str]) -> int:
    with owner_engine.connect() as conn:
        return int(
            conn.execute(
                text(
                    "SELECT count(*) FROM residential_area_change h"
                    " JOIN residential_area r ON r.id = h.residential_area_id"
                    " WHERE r.code = ANY(:codes)"
                ),
                {"codes": codes},
            ).scalar_one()
        )


def _versions(owner_engine: Engine, codes: list[str]) -> dict[str, int]:
    with owner_engine.connect() as conn:
        rows = conn.execute(
            text("SELECT code, version FROM residential_area WHERE code = ANY(:codes)"),
            {"codes": codes},
        ).all()
    return {str(c): int(v) for c, v in rows}


def _street_code(owner_engine: Engine, username: str) -> str:
    with owner_engine.connect() as conn:
        return str(
            conn.execute(
                text(
                    "SELECT s.code FROM app_user u JOIN street s ON s.id = u.street_id"
                    " WHERE u.username = :u"
                ),
                {"u": username},
            ).scalar_one()
        )


def _upload(client, headers, wb, *, apply: bool):
    out = io.BytesIO()
    wb.save(out)
    files = {"file": ("小区台账.xlsx", out.getvalue(), "application/octet-stream")}
    return client.post(
        f"/api/residential-areas/sheet.xlsx?apply={'true' if apply else 'false'}",
        files=files,
        headers=headers,
    )


def test_xlsx_round_trip(client, auth_headers, owner_engine) -> None:
    h = auth_headers["street1"]
    street = _street_code(owner_engine, "street1")
    r = client.get(f"/api/residential-areas/sheet.xlsx?street={street}", headers=h)
    assert r.status_code == 200, r.text
    wb = load_workbook(io.BytesIO(r.content))
    ws = wb["小区"]
    header = [c.value for c in ws[1]]
    assert header[:4] == ["小区编码", "小区名称", "社区", "版本"]
    col = {name: i + 1 for i, name in enumerate(header)}
    # the enumerations have drop-downs backed by the hidden options sheet
    assert wb["选项"].sheet_state == "hidden"
    validated = {str(dv.sqref).split(":")[0][:-1] for dv in ws.data_validations.dataValidation}
    assert ws.cell(row=1, column=col["物业服务模式"]).column_letter in validated
    assert ws.cell(row=1, column=col["党组织"]).column_letter in validated

    codes = [ws.cell(row=r_, column=1).value for r_ in (2, 3, 4)]
    before = _history_rows(owner_engine, codes)
    versions = _versions(owner_engine, codes)
    originals = {
        "note": ws.cell(row=2, column=col["备注"]).value,
        "officer": ws.cell(row=3, column=col["物管员"]).value,
        "office": ws.cell(row=4, column=col["物业用房"]).value,
    }
    ws.cell(row=2, column=col["备注"], value="表格批量维护")
    ws.cell(row=3, column=col["物管员"], value="王物管")
    ws.cell(row=4, column=col["物业用房"], value="否" if originals["office"] == "是" else "是")
    ws.cell(row=5, column=col["党组织"], value="党委会")  # not an option

    r = _upload(client, h, wb, apply=False)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["dry_run"] is True
    assert len(body["changes"]) == 3, body["changes"]
    assert {c["column"] for c in body["changes"]} == {"备注", "物管员", "物业用房"}
    assert len(body["refusals"]) == 1, body["refusals"]
    refusal = body["refusals"][0]
    assert (refusal["row"], refusal["column"]) == (5, "党组织")
    assert "党委会" in refusal["message_zh"]
    assert _history_rows(owner_engine, codes) == before  # a dry run writes nothing
    assert _versions(owner_engine, codes) == versions

    # applying while a refusal stands writes nothing either
    r = _upload(client, h, wb, apply=True)
    assert r.status_code == 422, r.text
    assert _history_rows(owner_engine, codes) == before
    assert _versions(owner_engine, codes) == versions

    ws.cell(row=5, column=col["党组织"], value=None)
    wb_fixed = wb
    # the fixed row's party organisation must be its current value again
    fresh = load_workbook(
        io.BytesIO(
            client.get(f"/api/residential-areas/sheet.xlsx?street={street}", headers=h).content
        )
    )["小区"]
    ws.cell(row=5, column=col["党组织"], value=fresh.cell(row=5, column=col["党组织"]).value)
    r = _upload(client, h, wb_fixed, apply=True)
    assert r.status_code == 200, r.text
    assert r.json()["applied"] == 3
    assert _history_rows(owner_engine, codes) == before + 3
    assert _versions(owner_engine, codes) == {c: v + 1 for c, v in versions.items()}

    # a second upload of the same sheet is now stale: refused by its version column
    r = _upload(client, h, wb_fixed, apply=False)
    assert {x["column"] for x in r.json()["refusals"]} == {"版本"}


def test_sheet_rows_outside_the_street_are_refused(client, auth_headers, owner_engine) -> None:
    street = _street_code(owner_engine, "street1")
    r = client.get(
        f"/api/residential-areas/sheet.xlsx?street={street}", headers=auth_headers["street1"]
    )
    wb = load_workbook(io.BytesIO(r.content))
    r = _upload(client, auth_headers["street2"], wb, apply=False)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["changes"] == []
    assert body["refusals"] and all(x["column"] == "小区编码" for x in body["refusals"])


def test_not_a_workbook_is_a_clear_422(client, auth_headers) -> None:
    files = {"file": ("x.xlsx", b"PK\x03\x04 not really", "application/octet-stream")}
    r = client.post(
        "/api/residential-areas/sheet.xlsx", files=files, headers=auth_headers["street1"]
    )
    assert r.status_code == 422, r.text
    assert r.json()["detail"]["message_zh"]


def test_a_zip_bomb_is_refused_before_parsing(client, auth_headers) -> None:
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            chunk = b"0" * (1 << 20)
            for _ in range(70):  # 70 MB unpacked, a few hundred KB packed
                member.write(chunk)
    files = {"file": ("bomb.xlsx", out.getvalue(), "application/octet-stream")}
    r = client.post(
        "/api/residential-areas/sheet.xlsx", files=files, headers=auth_headers["street1"]
    )
    assert r.status_code == 422, r.text
    assert "解压后过大" in r.json()["detail"]["message_zh"]


def test_control_characters_are_refused_and_an_old_one_does_not_break_the_sheet(
    client, auth_headers, owner_engine
) -> None:
    # new text with a control character never gets in: 422 naming the field
    r = client.post(
        "/api/property-companies", json={"name": "坏\x01物业"}, headers=auth_headers["admin"]
    )
    assert r.status_code == 422, r.text
    assert "U+0001" in r.text and "name" in r.text
    # a row stored before that rule still downloads, the character shown as U+FFFD
    with owner_engine.begin() as conn:
        company = conn.execute(
            text("INSERT INTO property_company (name) VALUES ('旧\x02物业') RETURNING id")
        ).scalar_one()
    try:
        street = _street_code(owner_engine, "street1")
        r = client.get(
            f"/api/residential-areas/sheet.xlsx?street={street}", headers=auth_headers["street1"]
        )
        assert r.status_code == 200, r.text
        options = load_workbook(io.BytesIO(r.content))["选项"]
        names = {c.value for row in options.iter_rows() for c in row}
        assert "旧\ufffd物业" in names
    finally:
        with owner_engine.begin() as conn:
            conn.execute(text("DELETE FROM property_company WHERE id = :id"), {"id": company})
