"""Shared fixtures for the pynautobot client suite.

The suite drives a running server through the real `pynautobot` client, exactly as an
operator's script would. `tests/pynautobot.rs` starts the server (with the plugin
`example_plugin`) and runs it with:

    NAUTOBOT_URL    the server's base URL, e.g. http://127.0.0.1:8000
    NAUTOBOT_TOKEN  the API token of a superuser

Every test makes its own objects, named with a fresh suffix, so tests do not depend on
each other's order and the suite can be run again against the same server.
"""

import os
import uuid

import pynautobot
import pytest


def _env(name):
    value = os.environ.get(name)
    if not value:
        pytest.skip(f"{name} is not set: run this suite through `cargo test --test pynautobot`")
    return value


@pytest.fixture(scope="session")
def url():
    return _env("NAUTOBOT_URL").rstrip("/")


@pytest.fixture(scope="session")
def token():
    return _env("NAUTOBOT_TOKEN")


@pytest.fixture(scope="session")
def nb(url, token):
    return pynautobot.api(url, token=token)


@pytest.fixture
def uid():
    """A short suffix unique to this test (8 hex digits)."""
    return uuid.uuid4().hex[:8]


@pytest.fixture(scope="session")
def active(nb):
    """The seeded Status "Active"."""
    status = nb.extras.statuses.get(name="Active")
    assert status is not None, "the Status 'Active' is seeded by migrate"
    return status


@pytest.fixture(scope="session")
def global_namespace(nb):
    """The seeded Namespace "Global"."""
    namespace = nb.ipam.namespaces.get(name="Global")
    assert namespace is not None, "the Namespace 'Global' is seeded by migrate"
    return namespace


@pytest.fixture
def location_type(nb, uid):
    return nb.dcim.location_types.create(
        name=f"lt-{uid}", nestable=True, content_types=["dcim.device"]
    )


@pytest.fixture
def location(nb, uid, location_type, active):
    return nb.dcim.locations.create(
        name=f"loc-{uid}", location_type=location_type.id, status=active.id
    )
