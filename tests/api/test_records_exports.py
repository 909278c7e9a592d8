"""Exports (read back by GDAL) and OGC residential_areas carry the full kept record."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pyogrio
from sqlalchemy import Engine, text

RECORD = {
    "property_officer_name": "赵物管",
    "property_officer_phone": "0371-66668888",
    "owners_committee_status": "residents_committee_acting",
    "owners_committee_term_end": "2027-06-30",
    "owners_committee_members": 5,
    "renovation_items": "{water,ev_charging}",
    "note": "=导出备注",
}


def _kept_area(owner_engine: Engine) -> tuple[str, str]:
    """A district 小区 given a full record through the owner connection; (code, community)."""
    with owner_engine.begin() as conn:
        code, community = conn.execute(
            text(
                "SELECT r.code, c.code FROM residential_area r"
                " JOIN community c ON c.id = r.community_id ORDER BY r.code LIMIT 1 OFFSET 7"
            )
        ).one()
        conn.execute(
            text(
                "UPDATE residential_area SET property_officer_name = :property_officer_name,"
                " property_officer_phone = :property_officer_phone,"
                " owners_committee_status = :owners_committee_status,"
                " owners_committee_term_end = :owners_committee_term_end,"
                " owners_committee_members = :owners_committee_members,"
                " renovation_items = CAST(:renovation_items AS text[]), note = :note"
                " WHERE code = :code"
            ),
            {**RECORD, "code": code},
        )
    return str(code), str(community)


def test_geopackage_carries_the_record(client, auth_headers, owner_engine, tmp_path: Path):
    code, community = _kept_area(owner_engine)
    r = client.get(
        f"/api/exports/residential_areas.gpkg?area={community}", headers=auth_headers["planner"]
    )
    assert r.status_code == 200, r.text
    path = tmp_path / "areas.gpkg"
    path.write_bytes(r.content)
    df = pyogrio.read_dataframe(path)
    row = df[df["code"] == code].iloc[0]
    assert row["property_officer_name"] == "赵物管"
    assert row["property_officer_phone"] == "0371-66668888"
    assert row["owners_committee_status_zh"] == "居委会代行"
    assert row["owners_committee_term_end"] == "2027-06-30"
    assert int(row["owners_committee_members"]) == 5
    assert row["renovation_items"] == "water,ev_charging"
    assert row["note"] == "=导出备注"
    assert row["property_service_mode_zh"]  # every 小区 has a mode, in Chinese


def test_ogc_item_carries_the_record(client, auth_headers, owner_engine):
    code, _ = _kept_area(owner_engine)
    r = client.get(
        f"/ogc/collections/residential_areas/items/{code}", headers=auth_headers["planner"]
    )
    assert r.status_code == 200, r.text
    props = r.json()["properties"]
    assert props["property_officer_name"] == "赵物管"
    assert props["owners_committee_status_zh"] == "居委会代行"
    assert props["owners_committee_members"] == 5


def test_shapefile_names_each_field_in_chinese(client, auth_headers, owner_engine, tmp_path):
    import io
    import zipfile

    code, community = _kept_area(owner_engine)
    r = client.get(
        f"/api/exports/residential_areas.shp.zip?area={community}", headers=auth_headers["planner"]
    )
    assert r.status_code == 200, r.text
    with zipfile.ZipFile(io.BytesIO(r.content)) as z:
        readme = z.read(next(n for n in z.namelist() if n.endswith(".txt"))).decode()
        (tmp_path / "a.zip").write_bytes(r.content)
    for short, zh in (("off_tel", "物管员电话"), ("oc_term", "业委会任期届满"), ("note", "备注")):
        assert f"({zh})" in next(line for line in readme.splitlines() if line.startswith(short))
    df = pyogrio.read_dataframe(f"/vsizip/{tmp_path / 'a.zip'}")
    assert df[df["code"] == code].iloc[0]["off_tel"] == "0371-66668888"


def test_csv_neutralises_a_formula_in_the_note(client, auth_headers, owner_engine):
    code, community = _kept_area(owner_engine)
    r = client.get(
        f"/api/exports/residential_areas.csv?area={community}", headers=auth_headers["planner"]
    )
    assert r.status_code == 200, r.text
    line = next(x for x in r.text.splitlines() if x.startswith(code))
    assert "'=导出备注" in line


def _exported_columns(field) -> list[str]:  # type: ignore[no-untyped-def]
    """The export columns that carry one record field (service/domain/records.FIELDS)."""
    if field.kind == "company":
        return ["property_company", "company_grade"]
    if field.kind == "enum":
        return [field.name, f"{field.name}_zh"]
    return [field.name]


def test_every_record_field_is_exported_with_a_chinese_title(
    client, auth_headers, owner_engine, tmp_path: Path
):
    """The GeoPackage, read back by GDAL (pyogrio), has a column for every field of the kept
    record, each titled in Chinese in the file (gpkg_data_columns), as in the OGC schema."""
    import sqlite3

    from service.domain.export_formats import LAYERS
    from service.domain.records import FIELDS

    code, community = _kept_area(owner_engine)
    r = client.get(
        f"/api/exports/residential_areas.gpkg?area={community}", headers=auth_headers["planner"]
    )
    assert r.status_code == 200, r.text
    path = tmp_path / "areas.gpkg"
    path.write_bytes(r.content)
    info = pyogrio.read_info(path)
    columns = set(info["fields"])
    wanted = {c for f in FIELDS for c in _exported_columns(f)}
    assert wanted <= columns, wanted - columns
    assert {f.name for f in LAYERS["residential_areas"].fields} == columns
    with sqlite3.connect(path) as db:
        titles = dict(
            db.execute(
                "SELECT column_name, title FROM gpkg_data_columns WHERE table_name = ?",
                ("residential_areas",),
            ).fetchall()
        )
    assert set(titles) == columns
    assert all(re.search(r"[\u4e00-\u9fff]", t) for t in titles.values()), titles
    for f in FIELDS:  # the record's own Chinese label names its column
        if f.kind not in ("enum", "company"):
            assert titles[f.name] == f.label_zh, f.name
    # the same titles through OGC API – Features (Part 5 schema, linked from the collection)
    h = auth_headers["planner"]
    collection = client.get("/ogc/collections/residential_areas", headers=h).json()
    link = next(x for x in collection["links"] if x["rel"].endswith("/schema"))
    assert link["type"] == "application/schema+json"
    schema = client.get(urlsplit(link["href"]).path, headers=h)
    assert schema.status_code == 200, schema.text
    assert schema.headers["content-type"].startswith("application/schema+json")
    props = schema.json()["properties"]
    assert {k: v["title"] for k, v in props.items() if k != "geometry"} == titles
    committee = {o["const"]: o["title"] for o in props["owners_committee_status"]["oneOf"]}
    assert committee["residents_committee_acting"] == "居委会代行"
    assert props["code"]["x-ogc-role"] == "id"


def test_chinese_labels_cover_every_value_of_the_record(
    client, auth_headers, owner_engine, tmp_path: Path
):
    """?labels=zh (the CSV's default) writes every coded value in the record's own words,
    居委会代行 and the renovation items included; read back with GDAL's CSV and GPKG drivers."""
    code, community = _kept_area(owner_engine)
    h = auth_headers["planner"]
    r = client.get(f"/api/exports/residential_areas.gpkg?area={community}&labels=zh", headers=h)
    assert r.status_code == 200, r.text
    (tmp_path / "zh.gpkg").write_bytes(r.content)
    row = pyogrio.read_dataframe(tmp_path / "zh.gpkg").set_index("code").loc[code]
    assert row["owners_committee_status"] == "居委会代行" == row["owners_committee_status_zh"]
    assert row["property_service_mode"] == row["property_service_mode_zh"]
    assert row["party_org_status"] == row["party_org_status_zh"]
    assert row["renovation_status"] == row["renovation_status_zh"]
    assert row["renovation_items"] == "供水、电动车充电"
    csv = client.get(f"/api/exports/residential_areas.csv?area={community}", headers=h)
    assert csv.status_code == 200, csv.text
    (tmp_path / "a.csv").write_bytes(csv.content)
    df = pyogrio.read_dataframe(tmp_path / "a.csv")
    line = df[df["code"] == code].iloc[0]
    assert line["owners_committee_status"] == "居委会代行"
    assert line["renovation_items"] == "供水、电动车充电"
    assert line["property_officer_phone"] == "0371-66668888"
