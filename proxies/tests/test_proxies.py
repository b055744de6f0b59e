"""Proxy values, the admin pages and the JSON API's validation."""

from __future__ import annotations

import pytest
from django.test import Client

from proxies.models import Proxy
from tests.fixtures import add_token

pytestmark = pytest.mark.django_db
ADMIN = "proxy-admin"


@pytest.fixture
def api(settings) -> Client:
    settings.AUTH_TOKEN = ADMIN
    return Client(HTTP_AUTHORIZATION=f"Bearer {ADMIN}")


def post(client: Client, path: str, body: object) -> tuple[int, dict]:
    response = client.post(path, body, content_type="application/json")
    return response.status_code, response.json()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://proxy.example", "scheme"),
        ("http://", "needs a host"),
        ("http://proxy.example:99999", "port"),
        ("direct", "scheme"),
    ],
)
def test_bad_proxy_values_are_refused_with_422(api: Client, url: str, message: str) -> None:
    for path, body in (
        ("/proxies/add", {"proxies": {"p": url}}),
        ("/proxies/set", {"proxies": {"p": url}, "general": "p"}),
    ):
        status, data = post(api, path, body)
        assert status == 422 and data["error"] == "invalid_proxy" and message in data["message"]
    assert not Proxy.objects.exists()


def test_good_proxy_values(api: Client) -> None:
    values = {
        "direct": "non",
        "env": "sys",
        "h": "http://u:p@10.0.0.1:3128",
        "hs": "https://proxy.example",
        "s": "socks5://127.0.0.1:1080",
        "sh": "socks5h://user:pw@127.0.0.1:1080",
    }
    status, data = post(api, "/proxies/add", {"proxies": values})
    assert status == 200 and data["message"] == "Added 6 new proxies"
    shown = post(api, "/proxies/get", {})[1]["proxies"]
    assert shown["sh"] == "socks5h://user:***@127.0.0.1:1080" and shown["direct"] == "non"
    assert "pw" not in str(shown)


def test_proxies_api_auth_and_bad_bodies(api: Client) -> None:
    assert Client().post("/proxies/get", {}, content_type="application/json").status_code == 401
    assert post(api, "/proxies/add", {"proxies": ["x"]})[0] == 400
    assert post(api, "/proxies/set", {"general": "x"})[0] == 400
    bad = api.post("/proxies/set", "{", content_type="application/json")
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_json"


def test_proxy_admin_masks_the_password_and_keeps_it(admin_client: Client) -> None:
    proxy = Proxy.objects.create(name="corp", url="http://user:hunter2@proxy.example:3128")
    token = add_token("t")
    token.proxy = proxy
    token.save()
    listing = admin_client.get("/admin/proxies/proxy/").content.decode()
    assert "user:***@proxy.example" in listing and "hunter2" not in listing
    assert '<td class="field-token_count">1</td>' in listing
    page = admin_client.get(f"/admin/proxies/proxy/{proxy.pk}/change/").content.decode()
    assert "hunter2" not in page and "user:***@proxy.example" in page
    response = admin_client.post(
        f"/admin/proxies/proxy/{proxy.pk}/change/",
        {"name": "corp2", "url": "http://user:***@proxy.example:3128", "is_general": "on"},
    )
    assert response.status_code == 302
    proxy.refresh_from_db()
    assert (proxy.name, proxy.url, proxy.is_general) == (
        "corp2",
        "http://user:hunter2@proxy.example:3128",
        True,
    )
    admin_client.post("/admin/proxies/proxy/add/", {"name": "next", "url": "non", "is_general": "on"})
    assert list(Proxy.objects.filter(is_general=True).values_list("name", flat=True)) == ["next"]
    refused = admin_client.post(
        "/admin/proxies/proxy/add/", {"name": "old", "url": "gopher://127.0.0.1:1080"}
    ).content.decode()
    assert "scheme" in refused


def test_make_general_action(admin_client: Client) -> None:
    a = Proxy.objects.create(name="a", url="non", is_general=True)
    b = Proxy.objects.create(name="b", url="sys")
    admin_client.post("/admin/proxies/proxy/", {"action": "make_general", "_selected_action": [b.pk]})
    assert list(Proxy.objects.filter(is_general=True)) == [b]
    response = admin_client.post(
        "/admin/proxies/proxy/", {"action": "make_general", "_selected_action": [a.pk, b.pk]}, follow=True
    )
    assert "Select exactly one" in response.content.decode()
