from __future__ import annotations

from collections.abc import Iterator

import pytest

from .servers import HttpProxy, Socks5Proxy


@pytest.fixture(scope="session")
def _http_proxy() -> Iterator[HttpProxy]:
    proxy = HttpProxy("scott", "tiger").start()
    yield proxy
    proxy.stop()


@pytest.fixture(scope="session")
def _socks_proxy() -> Iterator[Socks5Proxy]:
    proxy = Socks5Proxy("ann", "s3cret").start()
    yield proxy
    proxy.stop()


@pytest.fixture
def http_proxy(_http_proxy: HttpProxy) -> HttpProxy:
    _http_proxy.reset()
    return _http_proxy


@pytest.fixture
def socks_proxy(_socks_proxy: Socks5Proxy) -> Socks5Proxy:
    _socks_proxy.reset()
    return _socks_proxy
