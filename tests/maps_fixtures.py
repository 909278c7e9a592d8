"""Session fixtures for the map and statistics tests: our own small city, app and logins.

They stand on `test_db` alone (not the demo city) so that every number the tests check is known
and no other test's rows can change it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from service.settings import Settings
from tests.conftest import TestDatabase, login
from tests.maps_city import City, build_city


@pytest.fixture(scope="session")
def maps_city(test_db: TestDatabase) -> City:
    """The city, committed once per session."""
    engine = create_engine(test_db.owner_url)
    with engine.begin() as conn:
        city = build_city(conn)
    engine.dispose()
    return city


@pytest.fixture(scope="session")
def maps_settings(
    test_db: TestDatabase, maps_city: City, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    return Settings(
        database_url=test_db.app_url,
        migration_database_url=test_db.owner_url,
        data_dir=tmp_path_factory.mktemp("wangge-maps"),
    )


@pytest.fixture(scope="session")
def maps_client(maps_settings: Settings) -> Iterator[TestClient]:
    from service.main import create_app

    with TestClient(create_app(maps_settings)) as c:
        yield c


@pytest.fixture(scope="session")
def maps_headers(maps_client: TestClient, maps_city: City) -> dict[str, dict[str, str]]:
    """Bearer headers for every user of the city."""
    return {name: login(maps_client, name) for name in maps_city.users}
