"""sitegen serve against a hostile page or a careless request: the Host header (DNS
rebinding), paths that would be joined as absolute ones or redirect off-site, too many
live-reload tabs, and names too long for the file system. A real server on 127.0.0.1,
spoken to with http.client and raw headers."""

from __future__ import annotations

import http.client
import time

from test_serve import CONFIG, WAIT, Response, Server, hub, serve, wait_for  # noqa: F401 - fixtures

from sitegen.serve import MAX_RELOAD_LISTENERS, host_allowed


def raw_get(server: Server, path: str, host: str | None) -> Response:
    """A GET with exactly this Host header (or none at all)."""
    conn = http.client.HTTPConnection(server.host, server.port, timeout=WAIT)
    try:
        conn.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
        if host is not None:
            conn.putheader("Host", host)
        conn.endheaders()
        response = conn.getresponse()
        return Response(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    finally:
        conn.close()


def assert_same_origin(response: Response, path: str) -> None:
    location = response.headers.get("location")
    if location is not None:
        assert location.startswith("/") and not location.startswith(("//", "/\\")), (path, location)


def test_requests_for_another_host_name_are_refused(serve, hub) -> None:  # noqa: F811
    server = serve(hub)
    port = server.port
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}", f"LOCALHOST:{port}"):
        assert raw_get(server, "/repo/", host).status == 200, host
    for host in (f"evil.example:{port}", "evil.example", f"127.0.0.1:{port + 1}", f"localhost.evil.example:{port}",
                 f"127.0.0.1.nip.io:{port}", f"user@127.0.0.1:{port}", "", f"127.0.0.1:{port}, evil.example"):
        for path in ("/repo/", "/repo/interviews/bread/", "/__sitegen/events?v=x", "/__sitegen/livereload.js"):
            response = raw_get(server, path, host)
            assert response.status in (400, 421), (host, path)
            assert response.headers["content-type"] == "text/plain; charset=utf-8"
            assert b"Bread" not in response.body and len(response.body) < 200
            assert b"127.0.0.1" in response.body  # says where the preview answers
    assert raw_get(server, "/repo/", None).status in (400, 421)
    # Two Host headers: refused, whichever a proxy would read.
    conn = http.client.HTTPConnection(server.host, port, timeout=WAIT)
    try:
        conn.putrequest("GET", "/repo/", skip_host=True)
        conn.putheader("Host", f"127.0.0.1:{port}")
        conn.putheader("Host", f"evil.example:{port}")
        conn.endheaders()
        assert conn.getresponse().status in (400, 421)
    finally:
        conn.close()
    assert "Traceback" not in server.output()


def test_the_host_rule() -> None:
    assert host_allowed("127.0.0.1:8000", 8000, "127.0.0.1")
    assert not host_allowed("127.0.0.1", 8000, "127.0.0.1")  # port 80 implied
    assert host_allowed("localhost", 80, "127.0.0.1")
    assert host_allowed("192.168.1.5:8000", 8000, "192.168.1.5")
    assert not host_allowed("192.168.1.5:8000", 8000, "127.0.0.1")
    # Bound to every address: other machines use an address, never a name (no rebinding).
    assert host_allowed("192.168.1.5:8000", 8000, "0.0.0.0")
    assert host_allowed("[fe80::1]:8000", 8000, "::")
    assert not host_allowed("evil.example:8000", 8000, "0.0.0.0")
    assert host_allowed("laptop.local:8000", 8000, "0.0.0.0", ("laptop", "laptop.local"))
    assert not host_allowed("laptop.local:8000", 8000, "127.0.0.1", ("laptop", "laptop.local"))
    assert not host_allowed(None, 8000, "127.0.0.1")


ABSOLUTE = ("/repo//etc", "/repo//etc/", "/repo//tmp", "/repo/%2Ftmp", "/repo/%2F%2Ftmp", "/repo/%2fetc",
            "/repo//no-such-folder-anywhere", "/repo/about//", "/repo/%2F%2Fevil.example", "/repo//evil.example/")


def test_an_absolute_path_after_the_base_path_is_never_joined(serve, hub) -> None:  # noqa: F811
    server = serve(hub)
    for path in ABSOLUTE:
        response = server.get(path)
        # Not a redirect: a 301 for /etc and a 404 for a missing folder told which system folders exist.
        assert response.status == 404, path
        assert_same_origin(response, path)
    assert server.get("/repo/about").headers["location"] == "/repo/about/"  # ordinary redirects still work
    assert "Traceback" not in server.output()


def test_nothing_redirects_off_site_under_the_root_base_path(serve, make_site) -> None:
    site = make_site(config=CONFIG.replace("https://example.org/repo/", "https://example.org/"), files={
        "content/pages/about.md": "---\ntitle: About\n---\nAbout.\n"})
    server = serve(site)
    for path in ("/%2Ftmp", "/%2F%2Ftmp", "/%2F%2Fevil.example", "/%2F%2Fevil.example/", "/%5C%5Cevil.example",
                 "//tmp", "///tmp", "/%2Fetc/", "//evil.example/about", "//evil.example"):
        response = server.get(path)
        assert response.status in (301, 302, 403, 404), path
        assert_same_origin(response, path)
    assert server.get("/%2Ftmp").status == 404
    assert server.get("/about").headers["location"] == "/about/"


def _open_stream(server: Server) -> tuple[http.client.HTTPConnection, int, bytes]:
    conn = http.client.HTTPConnection(server.host, server.port, timeout=WAIT)
    conn.request("GET", "/__sitegen/events?v=x")
    response = conn.getresponse()
    body = response.read() if response.status != 200 else response.fp.readline()
    return conn, response.status, body


def test_live_reload_connections_are_bounded(serve, hub) -> None:  # noqa: F811
    server = serve(hub)
    streams = []
    try:
        for _ in range(MAX_RELOAD_LISTENERS):
            conn, status, first = _open_stream(server)
            streams.append(conn)
            assert status == 200 and first.startswith(b"retry:")
        conn, status, body = _open_stream(server)
        conn.close()
        assert status == 503
        assert body.startswith(b"Refused:") and str(MAX_RELOAD_LISTENERS).encode() in body
        assert server.get("/repo/").status == 200  # pages are still served
        streams.pop().close()
        # The closed tab's place is free again once the server notices (its next ping fails).
        opened: list[http.client.HTTPConnection] = []

        def reopen() -> bool:
            conn, status, _ = _open_stream(server)
            if status == 200:
                opened.append(conn)
                return True
            conn.close()
            return False

        wait_for(lambda: reopen() or time.sleep(0.5), "a closed tab's place to come free", timeout=WAIT + 15)
        reopened = opened[0]
        streams.append(reopened)
    finally:
        for conn in streams:
            conn.close()
    assert "Traceback" not in server.output()


TOO_LONG = (
    "/repo/" + "a" * 300,
    "/repo/" + "a" * 300 + "/",
    "/repo/interviews/" + "b" * 256 + "/index.html",
    "/repo/" + "%C3%A9" * 200,  # 400 bytes once encoded in UTF-8
    "/repo/" + "/".join(["c" * 255] * 20),  # a path longer than the system allows
)


def test_a_name_too_long_for_the_file_system_is_not_found(serve, hub) -> None:  # noqa: F811
    server = serve(hub)
    for path in TOO_LONG:
        response = server.get(path)
        assert response.status == 404, path
        assert server.get("/repo/").status == 200
    assert "Traceback" not in server.output()
