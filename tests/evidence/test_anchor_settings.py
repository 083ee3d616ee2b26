"""The anchoring settings: optional in production, strict when given (real manage.py processes)."""

from __future__ import annotations

import pytest

from tests.production_env import production_env as production
from tests.test_settings import manage

from .tsa import make_certificate, pem


def test_production_with_a_tsa_and_its_certificate_passes_the_deploy_checks(tmp_path):
    _, certificate = make_certificate("Production TSA")
    ca_file = tmp_path / "tsa.pem"
    ca_file.write_bytes(pem(certificate))
    env = production(
        tmp_path,
        BREACHTRACK_TSA_URL="http://timestamp.example/tsa",
        BREACHTRACK_TSA_CA_FILE=str(ca_file),
        BREACHTRACK_TSA_TIMEOUT_SECONDS="20",
        BREACHTRACK_TSA_HASH="sha512",
    )
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            {"BREACHTRACK_TSA_URL": "ftp://timestamp.example"},
            "BREACHTRACK_TSA_URL must be a URL with scheme http or https",
        ),
        (
            {"BREACHTRACK_TSA_CA_FILE": "/nonexistent/tsa.pem"},
            "BREACHTRACK_TSA_CA_FILE='/nonexistent/tsa.pem' is not a readable file",
        ),
        ({"BREACHTRACK_TSA_HASH": "md5"}, "BREACHTRACK_TSA_HASH='md5' must be one of sha256, sha384, sha512"),
        ({"BREACHTRACK_TSA_TIMEOUT_SECONDS": "0"}, "BREACHTRACK_TSA_TIMEOUT_SECONDS=0 is below the minimum of 1"),
    ],
)
def test_a_malformed_anchoring_setting_stops_the_start(tmp_path, extra, message):
    result = manage("check", env=production(tmp_path, **extra))
    assert result.returncode != 0
    assert message in result.stderr and "ConfigurationError" in result.stderr


def test_a_certificate_file_that_holds_no_certificate_fails_the_system_check(tmp_path):
    bad = tmp_path / "tsa.pem"
    bad.write_text("this is not a certificate\n", encoding="utf-8")
    result = manage("check", "--deploy", env=production(tmp_path, BREACHTRACK_TSA_CA_FILE=str(bad)))
    assert result.returncode != 0
    assert "evidence.E001" in result.stderr and "holds no readable PEM certificate" in result.stderr
