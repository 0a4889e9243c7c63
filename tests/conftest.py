import pytest


def pytest_addoption(parser):
    parser.addoption("--update-snapshots", action="store_true", help="Rewrite tests/fixtures/*.txt from current output.")


@pytest.fixture
def update_snapshots(request):
    return request.config.getoption("--update-snapshots")
