"""A benchmark-size city made in SQL (used until/unless gis_data.demo_loader's benchmark scale).

10 streets × 20 communities × 100 grid cells (20,000 cells of ~100 m), 10 小区 per community
(2,000), one primary worker per community, a patrol per cell, attribute history and N reports
(default 1,000,000) scattered over the district, resolved to their cell by arithmetic.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

W, S = 113.60, 34.75  # south-west corner of the district
COMM = 0.01  # community side (degrees); 10 × 10 cells of 0.001°

STEPS: list[tuple[str, str]] = [
    (
        "district",
        "INSERT INTO district (code, name, geom) VALUES ('419800', '基准区',"
        " ST_Multi(ST_MakeEnvelope(:w, :s, :w + 0.2, :s + 0.1, 4326)))",
    ),
    (
        "streets",
        "INSERT INTO street (code, name, district_id, geom)"
        " SELECT '419800' || lpad((i + 1)::text, 3, '0'), '基准街道' || (i + 1), d.id,"
        "  ST_Multi(ST_MakeEnvelope(:w + (i % 5) * 0.04, :s + (i / 5) * 0.05,"
        "   :w + (i % 5 + 1) * 0.04, :s + (i / 5 + 1) * 0.05, 4326))"
        " FROM generate_series(0, 9) i, district d WHERE d.code = '419800'",
    ),
    (
        "communities",
        "INSERT INTO community (code, name, street_id, geom)"
        " SELECT st.code || lpad((k + 1)::text, 3, '0'), st.name || '社区' || (k + 1), st.id,"
        "  ST_Multi(ST_MakeEnvelope(ST_XMin(st.geom) + (k % 4) * :c,"
        "   ST_YMin(st.geom) + (k / 4) * :c, ST_XMin(st.geom) + (k % 4 + 1) * :c,"
        "   ST_YMin(st.geom) + (k / 4 + 1) * :c, 4326))"
        " FROM street st, generate_series(0, 19) k WHERE st.code LIKE '419800%'",
    ),
    (
        "cells",
        "INSERT INTO grid_cell (code, community_id, geom, households)"
        " SELECT c.code || lpad((g + 1)::text, 3, '0'), c.id,"
        "  ST_Multi(ST_MakeEnvelope(ST_XMin(c.geom) + (g % 10) * 0.001,"
        "   ST_YMax(c.geom) - (g / 10 + 1) * 0.001, ST_XMin(c.geom) + (g % 10 + 1) * 0.001,"
        "   ST_YMax(c.geom) - (g / 10) * 0.001, 4326)), 150 + (g * 37) % 300"
        " FROM community c, generate_series(0, 99) g WHERE c.code LIKE '419800%'",
    ),
    (
        "residential areas",
        "INSERT INTO residential_area (code, name, community_id, geom, households, buildings,"
        " build_year, property_service_mode, party_org_status, owners_committee_status,"
        " renovation_status, renovation_planned_year)"
        " SELECT c.code || 'R' || lpad((j + 1)::text, 3, '0'), '基准小区' || c.id || '-' || j,"
        "  c.id, ST_Multi(ST_Buffer(ST_SetSRID(ST_MakePoint(ST_XMin(c.geom) + 0.001 * j"
        "   + 0.0005, ST_YMax(c.geom) - 0.001 * j - 0.0005), 4326), 0.0004, 'quad_segs=4')),"
        "  200 + (c.id * 7 + j * 13) % 800, 4 + j, 1985 + (c.id + j * 3) % 35,"
        "  (ARRAY['professional','large_scale','quasi','unit_self','owner_self',"
        "   'emergency_custody','none'])[1 + (c.id + j) % 7],"
        "  (ARRAY['own_branch','joint_branch','party_group','instructor_only','none'])"
        "   [1 + (c.id * 3 + j) % 5],"
        "  (ARRAY['established','interim_committee','none'])[1 + (c.id + 2 * j) % 3],"
        "  (ARRAY['not_listed','planned','in_progress','completed','accepted'])"
        "   [1 + (c.id + j) % 5],"
        "  CASE WHEN (c.id + j) % 5 = 1 THEN 2026 + j % 3 END"
        " FROM community c, generate_series(0, 9) j WHERE c.code LIKE '419800%'",
    ),
    (
        "users",
        "INSERT INTO app_user (username, display_name, password_hash, role, district_id,"
        " street_id, community_id)"
        " SELECT 'bench-worker-' || c.id, '网格员' || c.id, 'x', 'grid_worker', d.id, NULL, c.id"
        " FROM community c JOIN street s ON s.id = c.street_id JOIN district d"
        "  ON d.id = s.district_id WHERE d.code = '419800'",
    ),
    (
        "assignments",
        "INSERT INTO grid_assignment (worker_id, cell_id, is_primary)"
        " SELECT u.id, g.id, true FROM grid_cell g JOIN app_user u"
        "  ON u.username = 'bench-worker-' || g.community_id",
    ),
    (
        "patrols",
        "INSERT INTO patrol (id, worker_id, grid_cell_id, community_id, district_id,"
        " started_at, ended_at)"
        " SELECT gen_random_uuid(), a.worker_id, a.cell_id, g.community_id, u.district_id,"
        "  now() - ((a.cell_id * 17) % 60) * interval '1 day',"
        "  now() - ((a.cell_id * 17) % 60) * interval '1 day'"
        " FROM grid_assignment a JOIN grid_cell g ON g.id = a.cell_id"
        " JOIN app_user u ON u.id = a.worker_id WHERE (a.cell_id % 9) <> 0",
    ),
    (
        "history",
        "INSERT INTO residential_area_change (residential_area_id, attribute, old_value,"
        " new_value, changed_at)"
        " SELECT r.id, 'party_org_status', 'none', r.party_org_status,"
        "  now() - ((r.id * 11) % 360) * interval '1 day'"
        " FROM residential_area r WHERE r.party_org_status <> 'none' AND r.id % 3 = 0",
    ),
    (
        "reports",
        "WITH cats AS (SELECT code, department_id, row_number() OVER (ORDER BY code) - 1 AS k,"
        "   count(*) OVER () AS total FROM event_category)"
        " INSERT INTO report (id, geom, category_code, description, status, reporter_id,"
        " grid_cell_id, community_id, street_id, district_id, department_id, deadline_at,"
        " created_at)"
        " SELECT gen_random_uuid(), ST_SetSRID(ST_MakePoint(p.x, p.y), 4326), e.code,"
        "  '基准事件', (ARRAY['closed','closed','closed','closed','closed','closed','reported',"
        "   'dispatched','in_progress','handled'])[1 + (p.n % 10)], u.id, g.id, c.id,"
        "  c.street_id, u.district_id, e.department_id,"
        "  now() + ((p.n % 11) - 5) * interval '1 day', now() - (p.n % 365) * interval '1 day'"
        " FROM (SELECT n, :w + random() * 0.19999 AS x, :s + random() * 0.09999 AS y"
        "       FROM generate_series(1, :reports) n) p"
        " JOIN LATERAL (SELECT floor((p.x - :w) / 0.04)::int AS sx,"
        "   floor((p.y - :s) / 0.05)::int AS sy) a ON true"
        " JOIN LATERAL (SELECT floor((p.x - :w - a.sx * 0.04) / :c)::int AS cx,"
        "   floor((p.y - :s - a.sy * 0.05) / :c)::int AS cy) b ON true"
        " JOIN LATERAL (SELECT floor((p.x - :w - a.sx * 0.04 - b.cx * :c) / 0.001)::int AS gx,"
        "   9 - floor((p.y - :s - a.sy * 0.05 - b.cy * :c) / 0.001)::int AS gy) q ON true"
        " JOIN community c ON c.code = '419800' || lpad((a.sy * 5 + a.sx + 1)::text, 3, '0')"
        "   || lpad((b.cy * 4 + b.cx + 1)::text, 3, '0')"
        " JOIN grid_cell g ON g.code = c.code || lpad((q.gy * 10 + q.gx + 1)::text, 3, '0')"
        " JOIN app_user u ON u.username = 'bench-worker-' || c.id"
        " JOIN cats e ON e.k = p.n % e.total",
    ),
]


def build(conn: Connection, reports: int, log: object = print) -> None:
    """Insert the city through `conn` (as the owner; caller commits)."""
    params = {"w": W, "s": S, "c": COMM, "reports": reports}
    for label, sql in STEPS:
        used = {k: v for k, v in params.items() if f":{k}" in sql}
        conn.execute(text(sql), used)
        log(f"  loaded {label}")  # type: ignore[operator]
