"""Connecting: the API root's API-Version header, /api/status/, tokens, versioned Accept."""

import pynautobot
import pytest


def test_status_reports_the_nautobot_version(nb):
    status = nb.status()
    assert isinstance(status, dict)
    assert status["nautobot-version"]


def test_the_api_version_header_is_2_4(nb):
    # pynautobot reads the `API-Version` header of GET /api/.
    assert nb.version == "2.4"


def test_a_client_pinned_to_api_version_2_4_works(url, token):
    # Sends `Accept: application/json; version=2.4` on every request.
    pinned = pynautobot.api(url, token=token, api_version="2.4")
    assert pinned.version == "2.4"
    assert pinned.extras.statuses.get(name="Active") is not None


def test_an_invalid_token_is_refused_with_403(url):
    bad = pynautobot.api(url, token="0" * 40)
    with pytest.raises(pynautobot.RequestError) as err:
        bad.dcim.manufacturers.all()
    assert err.value.req.status_code == 403
    assert err.value.req.json() == {"detail": "Invalid token"}


def test_installed_plugins_lists_the_example_plugin(nb):
    packages = [p["package"] for p in nb.plugins.installed_plugins()]
    assert "example_plugin" in packages
