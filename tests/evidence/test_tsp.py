"""evidence.tsp: the RFC 3161 request and the checks of a reply, against a real local TSA.

No database: these are the protocol checks alone. Each wrong answer comes from the local TSA
(tests/evidence/tsa.py) over HTTP on 127.0.0.1, as a real TSA would send it.
"""

from __future__ import annotations

import hashlib
import subprocess

import pytest
from asn1crypto import tsp as asn1_tsp
from cryptography.hazmat.primitives.asymmetric import rsa

from evidence import tsp

from .tsa import LocalTsa, make_certificate, pem

CHAIN_HASH = hashlib.sha256(b"the head of a chain").hexdigest()


def stamp(server: LocalTsa, algorithm: str = "sha256", trusted=None) -> tsp.Token:
    return tsp.request_timestamp(
        server.url, imprint=tsp.imprint_of(CHAIN_HASH, algorithm), algorithm=algorithm, timeout=5, trusted=trusted
    )


@pytest.fixture
def server():
    started = LocalTsa().start()
    yield started
    started.stop()


def test_a_sha256_imprint_is_the_chain_hash_itself_so_openssl_can_check_it_by_hand():
    assert tsp.imprint_of(CHAIN_HASH, "sha256") == bytes.fromhex(CHAIN_HASH)
    assert tsp.imprint_of(CHAIN_HASH, "sha512") == hashlib.sha512(bytes.fromhex(CHAIN_HASH)).digest()
    with pytest.raises(tsp.TimestampError, match="'md5' is not one of sha256, sha384, sha512"):
        tsp.imprint_of(CHAIN_HASH, "md5")


def test_the_request_carries_the_imprint_a_nonce_and_asks_for_the_certificate():
    request = asn1_tsp.TimeStampReq.load(tsp.build_request(b"\x01" * 32, "sha256", 12345))
    assert request["message_imprint"]["hash_algorithm"]["algorithm"].native == "sha256"
    assert request["message_imprint"]["hashed_message"].native == b"\x01" * 32
    assert (request["nonce"].native, request["cert_req"].native, request["version"].native) == (12345, True, "v1")
    assert len({tsp.new_nonce() for _ in range(50)}) == 50 and min(tsp.new_nonce() for _ in range(50)) >= 2**62


@pytest.mark.parametrize("algorithm", ["sha256", "sha384", "sha512"])
def test_a_granted_reply_gives_a_token_with_the_tsas_time_serial_and_policy(server, algorithm):
    token = stamp(server, algorithm, trusted=[server.certificate])
    assert token.imprint == tsp.imprint_of(CHAIN_HASH, algorithm) and token.hash_algorithm == algorithm
    assert token.policy == "1.3.6.1.4.1.99999.1.1" and token.serial == server.serial
    assert token.gen_time.tzinfo is not None and token.is_trust_checked
    assert tsp.check_token(token.der) == token.__class__(**{**token.__dict__, "is_trust_checked": False})


def test_an_rsa_tsa_is_verified_as_well():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key, certificate = make_certificate("RSA TSA", key=key)
    server = LocalTsa(key, certificate).start()
    try:
        assert stamp(server, trusted=[certificate]).signer_subject == "CN=RSA TSA"
    finally:
        server.stop()


def test_a_tsa_issued_by_a_configured_ca_is_trusted_through_the_chain_it_sends():
    ca_key, ca = make_certificate("Test Root CA", is_ca=True, time_stamping=False)
    mid_key, intermediate = make_certificate(
        "Test Issuing CA", issuer=ca, issuer_key=ca_key, is_ca=True, time_stamping=False
    )
    key, certificate = make_certificate("TSA under the CA", issuer=intermediate, issuer_key=mid_key)
    server = LocalTsa(key, certificate, chain=[intermediate]).start()
    try:
        assert stamp(server, trusted=tsp.load_trusted(pem(ca))).signer_subject == "CN=TSA under the CA"
        _, stranger = make_certificate("Another Root", is_ca=True, time_stamping=False)
        with pytest.raises(tsp.TimestampError, match="is not the configured certificate nor issued by it"):
            stamp(server, trusted=[stranger])
    finally:
        server.stop()


def test_a_certificate_without_the_time_stamping_usage_is_refused():
    key, certificate = make_certificate("Not a TSA", time_stamping=False)
    server = LocalTsa(key, certificate).start()
    try:
        with pytest.raises(tsp.TimestampError, match="is not for time-stamping"):
            stamp(server)
    finally:
        server.stop()


def test_a_token_whose_signature_was_altered_after_the_fact_is_refused(server):
    der = bytearray(stamp(server).der)
    der[-1] ^= 0x01  # the last byte of the signature
    with pytest.raises(tsp.TimestampError, match="signature does not verify"):
        tsp.check_token(bytes(der))


def test_bytes_that_are_no_token_are_refused_with_a_reason():
    with pytest.raises(tsp.TimestampError, match="not a well-formed RFC 3161 TimeStampToken"):
        tsp.check_token(b"\x30\x03\x02\x01\x00")
    with pytest.raises(tsp.TimestampError, match="the TSA's reply is not a DER TimeStampResp"):
        tsp.token_of(b"")


def test_an_unreadable_certificate_file_is_refused():
    with pytest.raises(tsp.TimestampError, match="holds no readable PEM certificate"):
        tsp.load_trusted(b"-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")


def test_no_single_flipped_byte_of_a_token_goes_unnoticed_or_crashes_the_check(server):
    """Every damaged token is refused with a TimestampError (verify_audit names it, never crashes)."""
    der = stamp(server).der
    for position in range(len(der)):
        damaged = bytearray(der)
        damaged[position] ^= 0x5A
        with pytest.raises(tsp.TimestampError):
            tsp.check_token(bytes(damaged))


def test_openssl_verifies_a_token_by_hand_as_the_readme_says(server, tmp_path):
    """An independent implementation agrees: the chain hash is the digest, the TSA certificate the CA."""
    token = stamp(server, trusted=[server.certificate])
    (tmp_path / "token.der").write_bytes(token.der)
    (tmp_path / "tsa.pem").write_bytes(pem(server.certificate))
    command = ["openssl", "ts", "-verify", "-digest", CHAIN_HASH, "-in", "token.der", "-token_in", "-CAfile", "tsa.pem"]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0 and "Verification: OK" in result.stdout, result.stdout + result.stderr
    other = hashlib.sha256(b"another head").hexdigest()
    command[4] = other
    assert subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=30).returncode != 0


def test_without_a_root_at_hand_a_token_is_still_checked_for_integrity_and_against_a_pinned_certificate():
    """The TSA's chain ends at a root that neither the token nor the file holds: OpenSSL's verifier."""
    ca_key, ca = make_certificate("Test Root CA", is_ca=True, time_stamping=False)
    mid_key, intermediate = make_certificate(
        "Test Issuing CA", issuer=ca, issuer_key=ca_key, is_ca=True, time_stamping=False
    )
    key, certificate = make_certificate("TSA under the CA", issuer=intermediate, issuer_key=mid_key)
    server = LocalTsa(key, certificate, chain=[intermediate]).start()
    try:
        token = stamp(server)
        assert token.signer_subject == "CN=TSA under the CA" and not token.is_trust_checked
        assert stamp(server, trusted=[intermediate]).is_trust_checked
        assert stamp(server, trusted=[certificate]).is_trust_checked
        _, stranger = make_certificate(
            "Another Issuing CA", issuer=ca, issuer_key=ca_key, is_ca=True, time_stamping=False
        )
        with pytest.raises(tsp.TimestampError, match="is not the configured certificate nor issued by it"):
            stamp(server, trusted=[stranger])
        damaged = bytearray(token.der)
        damaged[-1] ^= 0x01
        with pytest.raises(tsp.TimestampError, match="signature does not verify"):
            tsp.check_token(bytes(damaged))
    finally:
        server.stop()
