import pytest


def pytest_addoption(parser):
    parser.addoption("--update-snapshots", action="store_true", help="Rewrite tests/fixtures/*.txt from current output.")


@pytest.fixture
def update_snapshots(request):
    return request.config.getoption("--update-snapshots")


@pytest.fixture(autouse=True)
def _private_nanlint_cache(tmp_path_factory, monkeypatch):
    """Each test gets its own results cache: a result cached by one test (or by a run
    outside the tests) must not answer for another test that patches rules or the engine."""
    monkeypatch.setenv("NANLINT_CACHE_DIR", str(tmp_path_factory.mktemp("nanlint-cache")))
