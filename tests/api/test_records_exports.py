"""Exports (read back by GDAL) and OGC residential_areas carry the full kept record."""

from __future__ import annotations

from pathlib import Path

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
