"""RFC 3161 time-stamps over a chain hash: the request, the TSA's answer, and a stored token.

Protocol code only: no ORM and no settings; the caller passes the URL, the timeout, the hash
algorithm and the trusted certificates. Every refusal is a :class:`TimestampError` whose message
says what was wrong, so the log (and ``verify_audit``) can name it.

What is checked, in :func:`check_reply` (a fresh answer) and :func:`check_token` (a stored one):

1. the answer is a DER ``TimeStampResp`` whose status is *granted* (or granted with mods);
2. the token is CMS ``SignedData`` over a ``TSTInfo`` (``id-ct-TSTInfo``);
3. exactly one signer; its signed attributes name that content type, carry the digest of the
   ``TSTInfo`` and bind the signer's certificate (ESS signingCertificate v1 or v2);
4. the signature verifies with the signer certificate's key; that certificate is valid at
   ``genTime`` and has the *timeStamping* extended key usage (RFC 3161 2.3);
5. with trusted certificates configured: the signer certificate is one of them, or is issued by
   one of them (through intermediates carried in the token or the file, at most 4 deep);
6. fresh answers only: the imprint is the one we sent and the nonce is ours.

The imprint of a chain hash: a chain hash is already a SHA-256 digest, so with ``sha256`` its 32
bytes are the imprint (``openssl ts -verify -digest <hash> -in token.tsr`` checks a token by hand);
with ``sha384``/``sha512`` the imprint is that hash of the 32 bytes.
"""

from __future__ import annotations

import hashlib
import secrets
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime

from asn1crypto import cms, core, tsp
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID

ALGORITHMS = ("sha256", "sha384", "sha512")
MAX_RESPONSE_BYTES = 1024 * 1024  # a token with a certificate chain is a few KB
MAX_CHAIN_DEPTH = 4
GRANTED = ("granted", "granted_with_mods")
_HASHES = {
    "sha1": hashes.SHA1, "sha224": hashes.SHA224, "sha256": hashes.SHA256,
    "sha384": hashes.SHA384, "sha512": hashes.SHA512,
}


class TimestampError(Exception):
    """The TSA's answer, or a stored token, cannot be trusted; the message says why."""


class TsaUnreachable(TimestampError):
    """The TSA did not answer with a time-stamp reply at all (down, timeout, HTTP error)."""


class _TimeStampResp(core.Sequence):
    # asn1crypto declares the token mandatory, but a refusal (RFC 3161 2.4.2) carries none.
    _fields = [("status", tsp.PKIStatusInfo), ("time_stamp_token", cms.ContentInfo, {"optional": True})]


@dataclass(frozen=True)
class Token:
    """A verified time-stamp token and what it says."""

    der: bytes
    gen_time: datetime
    serial: int
    policy: str
    nonce: int | None
    hash_algorithm: str
    imprint: bytes
    signer_subject: str
    is_trust_checked: bool


def imprint_of(chain_hash: str, algorithm: str) -> bytes:
    """The message imprint that anchors a chain hash (64 hex digits) under ``algorithm``."""
    if algorithm not in ALGORITHMS:
        raise TimestampError(f"hash algorithm {algorithm!r} is not one of {', '.join(ALGORITHMS)}")
    raw = bytes.fromhex(chain_hash)
    return raw if algorithm == "sha256" else hashlib.new(algorithm, raw).digest()


def build_request(imprint: bytes, algorithm: str, nonce: int) -> bytes:
    """A DER TimeStampReq asking for the TSA's certificate in the token (certReq)."""
    return tsp.TimeStampReq({
        "version": "v1",
        "message_imprint": {"hash_algorithm": {"algorithm": algorithm}, "hashed_message": imprint},
        "nonce": nonce,
        "cert_req": True,
    }).dump()


def new_nonce() -> int:
    return secrets.randbits(63) | (1 << 62)  # 63 bits, never small: a positive INTEGER of 8 bytes


def request_timestamp(url: str, *, imprint: bytes, algorithm: str, timeout: float, trusted=None) -> Token:
    """Ask the TSA at ``url`` to time-stamp ``imprint``; return the checked token.

    Raises TsaUnreachable when no reply came, TimestampError when the reply is not acceptable.
    """
    nonce = new_nonce()
    body = post(url, build_request(imprint, algorithm, nonce), timeout=timeout)
    return check_reply(body, imprint=imprint, algorithm=algorithm, nonce=nonce, trusted=trusted)


def post(url: str, query: bytes, *, timeout: float) -> bytes:
    request = urllib.request.Request(
        url, data=query, method="POST",
        headers={"Content-Type": "application/timestamp-query", "Accept": "application/timestamp-reply"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (URL from settings)
            body = response.read(MAX_RESPONSE_BYTES + 1)
    except urllib.error.HTTPError as error:
        raise TsaUnreachable(f"the TSA at {url} answered HTTP {error.code} {error.reason}") from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise TsaUnreachable(f"the TSA at {url} cannot be reached: {reason}") from None
    if len(body) > MAX_RESPONSE_BYTES:
        raise TimestampError(f"the TSA's reply is larger than {MAX_RESPONSE_BYTES} bytes")
    return body


def check_reply(body: bytes, *, imprint: bytes, algorithm: str, nonce: int, trusted=None) -> Token:
    """Check a fresh TimeStampResp against the request it answers; return its token."""
    token = check_token(token_of(body), trusted=trusted)
    if token.hash_algorithm != algorithm or token.imprint != imprint:
        raise TimestampError(
            f"the token's message imprint ({token.hash_algorithm}:{token.imprint.hex()}) "
            f"is not the one requested ({algorithm}:{imprint.hex()})"
        )
    if token.nonce != nonce:
        raise TimestampError(f"the token's nonce ({token.nonce}) is not the one sent ({nonce})")
    return token


def token_of(body: bytes) -> bytes:
    """The DER TimeStampToken of a granted TimeStampResp."""
    try:
        response = _TimeStampResp.load(body, strict=True)
        status = response["status"]["status"].native
        texts = response["status"]["status_string"].native or []
        failure = response["status"]["fail_info"].native
    except (ValueError, TypeError, KeyError) as error:
        raise TimestampError(f"the TSA's reply is not a DER TimeStampResp ({error})") from None
    if status not in GRANTED:
        detail = "; ".join(texts) + (f" {sorted(failure)}" if failure else "")
        raise TimestampError(f"the TSA refused the request: status {status} {detail}".rstrip())
    if not response["time_stamp_token"].contents:
        raise TimestampError("the TSA granted the request but sent no token")
    return response["time_stamp_token"].dump()


def check_token(der: bytes, *, trusted=None) -> Token:
    """Parse a TimeStampToken and verify its signature (steps 2-5 of the module docstring)."""
    try:
        return _check_token(bytes(der), trusted)
    except (ValueError, TypeError, KeyError, AttributeError, IndexError, x509.InvalidVersion) as error:
        # asn1crypto parses lazily: a damaged inner structure fails wherever it is first read.
        raise TimestampError(f"the token is not a well-formed RFC 3161 TimeStampToken ({error})") from None


def _check_token(der: bytes, trusted) -> Token:
    try:
        info = cms.ContentInfo.load(der, strict=True)
        if info["content_type"].native != "signed_data":
            raise TimestampError(f"the token is {info['content_type'].native}, not signed data")
        signed = info["content"]
        encap = signed["encap_content_info"]
        if encap["content_type"].native != "tst_info":
            raise TimestampError(f"the token signs {encap['content_type'].native}, not a TSTInfo")
        content = encap["content"].contents
        tst = tsp.TSTInfo.load(content, strict=True)
        fields = {
            "gen_time": tst["gen_time"].native, "serial": tst["serial_number"].native,
            "policy": tst["policy"].dotted, "nonce": tst["nonce"].native,
            "hash_algorithm": tst["message_imprint"]["hash_algorithm"]["algorithm"].native,
            "imprint": tst["message_imprint"]["hashed_message"].native,
        }
        signers = list(signed["signer_infos"])
        # Not covered by the signature, but part of a well-formed token: RFC 5652 5.1 (v3 for
        # content other than id-data) and the digest algorithms its signer uses.
        if signed["version"].native != "v3":
            raise TimestampError(f"the token's SignedData is {signed['version'].native}, not v3")
        digests = {algorithm["algorithm"].dotted for algorithm in signed["digest_algorithms"]}
        if any(signer["digest_algorithm"]["algorithm"].dotted not in digests for signer in signers):
            raise TimestampError("the token's digest algorithms do not list its signer's")
        carried = signed["certificates"]
        certificates = [] if isinstance(carried, core.Void) else [
            x509.load_der_x509_certificate(choice.chosen.dump()) for choice in carried if choice.name == "certificate"
        ]
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise TimestampError(f"the token is not a well-formed RFC 3161 TimeStampToken ({error})") from None
    if len(signers) != 1:
        raise TimestampError(f"the token has {len(signers)} signers; a time-stamp has exactly one")
    gen_time = fields["gen_time"].astimezone(UTC)
    signer_cert = _verify_signer(signers[0], content, certificates + list(trusted or []), gen_time)
    if trusted is not None:
        _check_trust(signer_cert, certificates, list(trusted), gen_time)
    return Token(
        der=der, gen_time=gen_time, serial=fields["serial"], policy=fields["policy"], nonce=fields["nonce"],
        hash_algorithm=fields["hash_algorithm"], imprint=fields["imprint"],
        signer_subject=signer_cert.subject.rfc4514_string(), is_trust_checked=trusted is not None,
    )


def _verify_signer(signer, content: bytes, candidates, gen_time: datetime) -> x509.Certificate:
    """Steps 3-4: the signed attributes, the signature, the signer certificate's purpose and dates."""
    expected_version = "v1" if signer["sid"].name == "issuer_and_serial_number" else "v3"
    if signer["version"].native != expected_version:  # RFC 5652 5.3
        raise TimestampError(f"the token's SignerInfo is {signer['version'].native}, not {expected_version}")
    cert = _signer_certificate(signer["sid"], candidates)
    attrs = signer["signed_attrs"]
    if isinstance(attrs, core.Void) or len(attrs) == 0:
        raise TimestampError("the token's signer has no signed attributes")
    # The bytes the TSA signed: taken first, as parsed. asn1crypto re-encodes a value once a
    # default field was read (ESSCertIDv2's hash algorithm), which is slow and must not matter.
    signed_bytes = b"\x31" + attrs.dump()[1:]  # signed over as a SET OF, not as the [0] field
    found = {attr["type"].native: attr["values"][0] for attr in attrs}
    digest_name = signer["digest_algorithm"]["algorithm"].native
    if found.get("content_type") is None or found["content_type"].native != "tst_info":
        raise TimestampError("the signed content-type attribute is not id-ct-TSTInfo")
    if found.get("message_digest") is None or found["message_digest"].native != _digest(digest_name, content):
        raise TimestampError("the signed message digest does not match the TSTInfo")
    _check_signing_certificate(found, cert)
    _verify_signature(cert.public_key(), signer, signed_bytes, digest_name)
    if not cert.not_valid_before_utc <= gen_time <= cert.not_valid_after_utc:
        raise TimestampError(f"the TSA certificate {cert.subject.rfc4514_string()} was not valid at {gen_time.isoformat()}")
    try:
        usages = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        usages = []
    if ExtendedKeyUsageOID.TIME_STAMPING not in usages:
        raise TimestampError(f"the certificate {cert.subject.rfc4514_string()} is not for time-stamping (no timeStamping usage)")
    return cert


def _signer_certificate(sid, candidates) -> x509.Certificate:
    if sid.name == "issuer_and_serial_number":
        issuer = sid.chosen["issuer"].dump()
        serial = sid.chosen["serial_number"].native
        for cert in candidates:
            if cert.serial_number == serial and cert.issuer.public_bytes() == issuer:
                return cert
    else:
        key_id = sid.chosen.native
        for cert in candidates:
            try:
                if cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest == key_id:
                    return cert
            except x509.ExtensionNotFound:
                continue
    raise TimestampError("the token carries no certificate of its signer (and no configured certificate matches)")


def _check_signing_certificate(found: dict, cert: x509.Certificate) -> None:
    """ESS signingCertificate(v2): the signature covers *which* certificate signed (RFC 3161, 5816)."""
    der = cert.public_bytes(Encoding.DER)
    if found.get("signing_certificate_v2") is not None:
        first = found["signing_certificate_v2"]["certs"][0]
        expected = _digest(first["hash_algorithm"]["algorithm"].native, der)
    elif found.get("signing_certificate") is not None:
        first = found["signing_certificate"]["certs"][0]
        expected = hashlib.sha1(der).digest()  # noqa: S324 (ESSCertID v1 is defined with SHA-1)
    else:
        raise TimestampError("the token does not name its signing certificate (ESS signingCertificate)")
    if first["cert_hash"].native != expected:
        raise TimestampError("the signing-certificate attribute names another certificate than the signer's")


def _verify_signature(key, signer, data: bytes, digest_name: str) -> None:
    algorithm = signer["signature_algorithm"]
    signature = signer["signature"].native
    try:
        kind = algorithm.signature_algo
        if kind == "rsassa_pkcs1v15" and isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, data, padding.PKCS1v15(), _hash(digest_name))
        elif kind == "rsassa_pss" and isinstance(key, rsa.RSAPublicKey):
            params = algorithm["parameters"]
            pss_hash = _hash(params["hash_algorithm"]["algorithm"].native)
            mgf_hash = _hash(params["mask_gen_algorithm"]["parameters"]["algorithm"].native)
            key.verify(signature, data, padding.PSS(padding.MGF1(mgf_hash), params["salt_length"].native), pss_hash)
        elif kind == "ecdsa" and isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, data, ec.ECDSA(_hash(digest_name)))
        elif kind in ("ed25519", "ed448") and isinstance(key, (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)):
            key.verify(signature, data)
        else:
            raise TimestampError(f"signature algorithm {algorithm['algorithm'].native} does not fit the TSA's key")
    except InvalidSignature:
        raise TimestampError("the token's signature does not verify with the TSA certificate") from None
    except ValueError as error:
        raise TimestampError(f"the token's signature cannot be checked ({error})") from None


def _check_trust(cert, carried, trusted, gen_time: datetime) -> None:
    """Step 5: the signer is a trusted certificate, or is issued by one (through intermediates)."""
    if not trusted:
        raise TimestampError("the configured TSA certificate file holds no certificate")
    current = cert
    for _depth in range(MAX_CHAIN_DEPTH + 1):
        if current in trusted:
            return
        issuer = _issuer_of(current, trusted + carried, gen_time)
        if issuer is None:
            break
        current = issuer
    raise TimestampError(
        f"the TSA certificate {cert.subject.rfc4514_string()} is not the configured certificate "
        "nor issued by it"
    )


def _issuer_of(cert, pool, gen_time: datetime):
    for issuer in pool:
        if issuer == cert or issuer.subject != cert.issuer:
            continue
        if not issuer.not_valid_before_utc <= gen_time <= issuer.not_valid_after_utc:
            continue
        try:
            constraints = issuer.extensions.get_extension_for_class(x509.BasicConstraints).value
            cert.verify_directly_issued_by(issuer)
        except (x509.ExtensionNotFound, ValueError, TypeError, InvalidSignature):
            continue
        if constraints.ca:
            return issuer
    return None


def load_trusted(pem: bytes) -> list[x509.Certificate]:
    """The certificates of a PEM file (the TSA's own, or the CA(s) that issue it)."""
    try:
        return x509.load_pem_x509_certificates(pem)
    except ValueError as error:
        raise TimestampError(f"the TSA certificate file holds no readable PEM certificate ({error})") from None


def _digest(name: str, data: bytes) -> bytes:
    if name not in _HASHES:
        raise TimestampError(f"digest algorithm {name} is not supported")
    return hashlib.new(name, data).digest()


def _hash(name: str):
    if name not in _HASHES:
        raise TimestampError(f"digest algorithm {name} is not supported")
    return _HASHES[name]()

