"""Share-link tokens never reach a log line: Django's loggers and gunicorn's access log."""

from __future__ import annotations

import logging
from datetime import timedelta
from types import SimpleNamespace

import pytest
from gunicorn.config import Config

from breachtrack.gunicorn_logging import RedactingLogger
from breachtrack.redaction import redact_share_tokens

TOKEN = "Zq3xK9-secret_token-0123456789abcdefABCDEF"  # the shape of secrets.token_urlsafe(32)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"/share/{TOKEN}/", "/share/[redacted]/"),
        (f"/share/{TOKEN}/timeline-json?x=1", "/share/[redacted]/timeline-json?x=1"),
        (f"GET /share/{TOKEN} HTTP/1.1", "GET /share/[redacted] HTTP/1.1"),
        (f"https://bt.example/share/{TOKEN}/", "https://bt.example/share/[redacted]/"),
        (f"%2Fshare%2F{TOKEN}%2F", "%2Fshare%2F[redacted]%2F"),
        ("/incidents/3/share-links/", "/incidents/3/share-links/"),
    ],
)
def test_the_token_segment_is_redacted_and_nothing_else(text, expected):
    assert redact_share_tokens(text) == expected


def test_a_404_on_a_share_url_is_logged_by_django_request_without_the_token(client, db, caplog):
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get(f"/share/{TOKEN}/timeline-json")
    assert response.status_code == 404
    [record] = [record for record in caplog.records if record.name == "django.request"]
    assert record.getMessage() == "Not Found: /share/[redacted]/timeline-json"
    assert TOKEN not in caplog.text


def test_runservers_request_lines_are_logged_without_the_token():
    """django.server logs the request line as an argument, as runserver's handler does."""
    lines = []

    class Collect(logging.Handler):
        def emit(self, record):
            lines.append(self.format(record))

    server_logger = logging.getLogger("django.server")
    handler = Collect()
    server_logger.addHandler(handler)
    try:
        server_logger.warning('"%s" %s %s', f"GET /share/{TOKEN}/ HTTP/1.1", "404", "1234")
    finally:
        server_logger.removeHandler(handler)
    assert lines == ['"GET /share/[redacted]/ HTTP/1.1" 404 1234']


def gunicorn_request(path: str, query: str = ""):
    raw_uri = f"{path}?{query}" if query else path
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": raw_uri,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "198.51.100.7",
        "HTTP_REFERER": f"https://bt.example{raw_uri}",
        "HTTP_USER_AGENT": "AP-browser/1.0",
    }
    request = SimpleNamespace(headers=[("REFERER", environ["HTTP_REFERER"]), ("USER-AGENT", "AP-browser/1.0")])
    response = SimpleNamespace(status="404 Not Found", sent=1234, headers=[("Content-Type", "text/html")])
    return response, request, environ


def test_gunicorns_access_log_atoms_carry_no_token():
    logger = RedactingLogger(Config())
    response, request, environ = gunicorn_request(f"/share/{TOKEN}/deadlines-ics", "a=1")
    atoms = logger.atoms(response, request, environ, timedelta(milliseconds=5))
    assert not [name for name, value in atoms.items() if TOKEN in str(value)]
    assert atoms["r"] == "GET /share/[redacted]/deadlines-ics?a=1 HTTP/1.1"
    assert atoms["U"] == "/share/[redacted]/deadlines-ics"
    assert atoms["f"] == atoms["{referer}i"] == "https://bt.example/share/[redacted]/deadlines-ics?a=1"
    assert atoms["{raw_uri}e"] == "/share/[redacted]/deadlines-ics?a=1"
    assert (atoms["s"], atoms["b"], atoms["h"]) == ("404", "1234", "198.51.100.7")  # the rest is untouched


def test_gunicorns_access_and_error_logs_as_written_carry_no_token(tmp_path):
    config = Config()
    config.set("accesslog", str(tmp_path / "access.log"))
    config.set("errorlog", str(tmp_path / "error.log"))
    logger = RedactingLogger(config)
    response, request, environ = gunicorn_request(f"/share/{TOKEN}/")
    logger.access(response, request, environ, timedelta(milliseconds=5))
    logger.error("Error handling request %s", environ["RAW_URI"])
    for handler in logger.access_log.handlers + logger.error_log.handlers:
        handler.close()
    access = (tmp_path / "access.log").read_text()
    error = (tmp_path / "error.log").read_text()
    assert '"GET /share/[redacted]/ HTTP/1.1" 404 1234' in access
    assert "Error handling request /share/[redacted]/" in error
    assert TOKEN not in access + error
