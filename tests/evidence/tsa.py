"""A real RFC 3161 time-stamping authority on 127.0.0.1, for the anchoring tests.

It parses each TimeStampReq and answers a TimeStampResp signed with ``cryptography`` by a TSA
certificate generated here (with the critical timeStamping extended key usage). ``mode`` makes it
misbehave in one precise way, so every check of evidence.tsp meets a real wrong answer.
"""

from __future__ import annotations

import hashlib
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from asn1crypto import cms, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

POLICY = "1.3.6.1.4.1.99999.1.1"
VALID_FROM = datetime(2020, 1, 1, tzinfo=UTC)
VALID_UNTIL = datetime(2045, 1, 1, tzinfo=UTC)
MODES = ("ok", "http_500", "garbage", "rejection", "wrong_nonce", "wrong_imprint", "bad_signature", "no_certificate")


def make_certificate(name: str, *, key=None, issuer=None, issuer_key=None, is_ca=False, time_stamping=True):
    """A certificate for ``name``: self-signed unless an issuer (certificate, key) is given."""
    key = key or ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        # Wide validity: tests freeze time in 2025 (the real case) while the TSA signs "now".
        .not_valid_before(VALID_FROM)
        .not_valid_after(VALID_UNTIL)
        .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if time_stamping:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
    certificate = builder.sign(issuer_key or key, hashes.SHA256())
    return key, certificate


def pem(*certificates) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certificates)


class LocalTsa:
    """A threaded HTTP TSA; ``url``, ``mode``, ``requests`` (each parsed TimeStampReq)."""

    def __init__(self, key=None, certificate=None, chain=()):
        if certificate is None:
            key, certificate = make_certificate("BreachTrack test TSA")
        self.key, self.certificate, self.chain = key, certificate, list(chain)
        self.mode = "ok"
        self.requests: list[tsp.TimeStampReq] = []
        self.serial = 1000
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/tsa"

    def start(self) -> LocalTsa:
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread.is_alive():  # shutdown() waits for a serve_forever() that never started
            self._server.shutdown()
        self._server.server_close()

    def _handler(self):
        tsa = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status, reply = tsa.answer(body)
                self.send_response(status)
                self.send_header("Content-Type", "application/timestamp-reply")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):  # keep the test output quiet
                pass

        return Handler

    def answer(self, body: bytes) -> tuple[int, bytes]:
        request = tsp.TimeStampReq.load(body)
        self.requests.append(request)
        if self.mode == "http_500":
            return 500, b"internal error"
        if self.mode == "garbage":
            return 200, b"<html>this is not a time-stamp</html>"
        if self.mode == "rejection":
            refusal = {
                "status": "rejection",
                "status_string": ["unaccepted policy"],
                "fail_info": {"unaccepted_policy"},
            }
            return 200, _refusal(refusal)
        return 200, tsp.TimeStampResp(
            {"status": {"status": "granted"}, "time_stamp_token": self.token_for(request)}
        ).dump()

    def token_for(self, request) -> cms.ContentInfo:
        self.serial += 1
        imprint = request["message_imprint"].native
        if self.mode == "wrong_imprint":
            imprint = {
                **imprint,
                "hashed_message": hashlib.sha256(b"something else").digest()[: len(imprint["hashed_message"])],
            }
        nonce = request["nonce"].native
        if self.mode == "wrong_nonce":
            nonce += 1
        info = tsp.TSTInfo(
            {
                "version": "v1",
                "policy": POLICY,
                "message_imprint": imprint,
                "serial_number": self.serial,
                "gen_time": datetime.now(UTC).replace(microsecond=0),
                "nonce": nonce,
            }
        )
        return self.sign(info.dump(), include_certificate=request["cert_req"].native and self.mode != "no_certificate")

    def sign(self, content: bytes, *, include_certificate: bool) -> cms.ContentInfo:
        cert = asn1_x509.Certificate.load(self.certificate.public_bytes(serialization.Encoding.DER))
        attrs = cms.CMSAttributes(
            [
                {"type": "content_type", "values": ["tst_info"]},
                {"type": "message_digest", "values": [hashlib.sha256(content).digest()]},
                {
                    "type": "signing_certificate_v2",
                    "values": [{"certs": [{"cert_hash": hashlib.sha256(cert.dump()).digest()}]}],
                },
            ]
        )
        if isinstance(self.key, rsa.RSAPrivateKey):
            signature = self.key.sign(attrs.dump(), padding.PKCS1v15(), hashes.SHA256())
            algorithm = "sha256_rsa"
        else:
            signature = self.key.sign(attrs.dump(), ec.ECDSA(hashes.SHA256()))
            algorithm = "sha256_ecdsa"
        if self.mode == "bad_signature":
            signature = signature[:-1] + bytes([signature[-1] ^ 0x01])
        signer = cms.SignerInfo(
            {
                "version": "v1",
                "sid": cms.SignerIdentifier(
                    {"issuer_and_serial_number": {"issuer": cert.issuer, "serial_number": cert.serial_number}}
                ),
                "digest_algorithm": {"algorithm": "sha256"},
                "signed_attrs": attrs,
                "signature_algorithm": {"algorithm": algorithm},
                "signature": signature,
            }
        )
        extra = [asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in self.chain]
        signed = {
            "version": "v3",
            "digest_algorithms": [{"algorithm": "sha256"}],
            "encap_content_info": {"content_type": "tst_info", "content": tsp.TSTInfo.load(content)},
            "signer_infos": [signer],
        }
        if include_certificate:
            signed["certificates"] = [cert, *extra]
        return cms.ContentInfo({"content_type": "signed_data", "content": cms.SignedData(signed)})


def _refusal(status: dict) -> bytes:
    """A TimeStampResp with a status and no token (asn1crypto's class insists on a token)."""
    return b"\x30" + _length(tsp.PKIStatusInfo(status).dump()) + tsp.PKIStatusInfo(status).dump()


def _length(content: bytes) -> bytes:
    size = len(content)
    if size < 0x80:
        return bytes([size])
    raw = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw
