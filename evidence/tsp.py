"""RFC 3161 time-stamps over a chain hash: the request, the TSA's answer, and a stored token.

Protocol code only: no ORM and no settings; the caller passes the URL, the timeout, the hash
algorithm and the trusted certificates. Every refusal is a :class:`TimestampError` whose message
says what was wrong, so the log (and ``verify_audit``) can name it.

Parsing and verification are ``rfc3161-client``'s (``decode_timestamp_response`` and its
``Verifier``). What it checks, in :func:`check_reply` (a fresh answer) and :func:`check_token` (a
stored one), with this module's own checks marked *here*:

1. the answer is a DER ``TimeStampResp`` whose status is *granted* (or granted with mods, *here*);
2. the token is CMS ``SignedData`` over a well-formed ``TSTInfo``; SignedData v3 with exactly one
   signer whose certificate is identified by issuer and serial number (*here*, with the messages
   below);
3. the signature over the signed attributes verifies with the signer certificate's key, and the
   signed message-digest attribute is the digest of the ``TSTInfo``;
4. the signer certificate is valid at ``genTime`` and has the critical *timeStamping* extended
   key usage (RFC 3161 2.3; checked *here* first, so the refusal names the certificate);
5. the signer certificate chains, at ``genTime``, to a trust anchor: with trusted certificates
   configured, to one of them (intermediates carried in the token or the file);
6. fresh answers only: the imprint is the one we sent and the nonce is ours (*here*).

Integrity-only mode (no trusted certificates, ``BREACHTRACK_TSA_CA_FILE`` unset): the signature is
checked against the certificate the token carries, which proves the token is intact, not who made
it. ``rfc3161-client`` verifies a signature only together with a chain that ends at a
*self-signed* certificate given as a root (it runs OpenSSL's ``PKCS7_verify`` without the
partial-chain flag, and exposes neither the signature nor the signed attributes): so when the
signer certificate is self-signed, or the token carries the self-signed root of its chain, it is
that root which is given, and ``rfc3161-client`` does all the checking. A token whose chain ends
below a self-signed root that is not carried (a TSA certificate issued by a public CA, which
sends the leaf and at most its intermediates), and a configured file that holds only the TSA's
certificate or an intermediate CA, leave ``rfc3161-client`` nothing it accepts as a root. Those
tokens are verified by OpenSSL's own time-stamp verifier instead (``openssl ts -verify
-partial_chain``, run at ``genTime``): the same checks, steps 2 to 5, and the ESS
signing-certificate attribute besides. ``rfc3161-client`` does not check that attribute (the
signed binding of *which* certificate signed, RFC 5816): with a chain to a trust anchor the
signer's key is bound by its certificate instead.

The imprint of a chain hash: a chain hash is already a SHA-256 digest, so with ``sha256`` its 32
bytes are the imprint (``openssl ts -verify -digest <hash> -in token.tsr`` checks a token by hand);
with ``sha384``/``sha512`` the imprint is that hash of the 32 bytes.
"""

from __future__ import annotations

import hashlib
import secrets
import shutil
import subprocess
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat import asn1
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID, SignatureAlgorithmOID
from rfc3161_client import PKIStatus, VerificationError, VerifierBuilder, decode_timestamp_response

ALGORITHMS = ("sha256", "sha384", "sha512")
MAX_RESPONSE_BYTES = 1024 * 1024  # a token with a certificate chain is a few KB
GRANTED = (PKIStatus.GRANTED, PKIStatus.GRANTED_WITH_MODS)
OPENSSL_TIMEOUT_SECONDS = 30
_OIDS = {
    "sha256": x509.ObjectIdentifier("2.16.840.1.101.3.4.2.1"),
    "sha384": x509.ObjectIdentifier("2.16.840.1.101.3.4.2.2"),
    "sha512": x509.ObjectIdentifier("2.16.840.1.101.3.4.2.3"),
}
_NAMES = {oid: name for name, oid in _OIDS.items()}
_GRANTED_STATUS = bytes.fromhex("3003020100")  # PKIStatusInfo { status granted }
_RSA = {
    SignatureAlgorithmOID.RSA_WITH_SHA224,
    SignatureAlgorithmOID.RSA_WITH_SHA256,
    SignatureAlgorithmOID.RSA_WITH_SHA384,
    SignatureAlgorithmOID.RSA_WITH_SHA512,
    SignatureAlgorithmOID.RSASSA_PSS,
    x509.ObjectIdentifier("1.2.840.113549.1.1.1"),
}
_SIGNATURE_ALGORITHMS = (  # which signature algorithm fits which kind of key
    (rsa.RSAPublicKey, _RSA),
    (
        ec.EllipticCurvePublicKey,
        {
            SignatureAlgorithmOID.ECDSA_WITH_SHA224,
            SignatureAlgorithmOID.ECDSA_WITH_SHA256,
            SignatureAlgorithmOID.ECDSA_WITH_SHA384,
            SignatureAlgorithmOID.ECDSA_WITH_SHA512,
        },
    ),
    (ed25519.Ed25519PublicKey, {SignatureAlgorithmOID.ED25519}),
    (ed448.Ed448PublicKey, {SignatureAlgorithmOID.ED448}),
)


class TimestampError(Exception):
    """The TSA's answer, or a stored token, cannot be trusted; the message says why."""


class TsaUnreachable(TimestampError):
    """The TSA did not answer with a time-stamp reply at all (down, timeout, HTTP error)."""


@asn1.sequence
class _AlgorithmIdentifier:
    algorithm: x509.ObjectIdentifier
    parameters: asn1.Null


@asn1.sequence
class _MessageImprint:
    hash_algorithm: _AlgorithmIdentifier
    hashed_message: bytes


@asn1.sequence
class _TimeStampReq:
    # RFC 3161 2.4.1, without the optional fields we never send (reqPolicy, extensions)
    version: int
    message_imprint: _MessageImprint
    nonce: int
    cert_req: bool


# The SignerInfo's signatureAlgorithm, which rfc3161-client does not expose, and which OpenSSL's
# verifier does not read (it takes the kind of signature from the key): read with cryptography's
# DER parser, everything else left as raw elements.
@asn1.sequence
class _Algorithm:
    algorithm: x509.ObjectIdentifier


@asn1.sequence
class _SignerInfo:
    version: int
    sid: asn1.TLV
    digest_algorithm: asn1.TLV
    signed_attrs: Annotated[asn1.SetOf[asn1.TLV] | None, asn1.Implicit(0)]
    signature_algorithm: asn1.TLV
    signature: bytes
    unsigned_attrs: Annotated[asn1.SetOf[asn1.TLV] | None, asn1.Implicit(1)]


@asn1.sequence
class _SignedData:
    version: int
    digest_algorithms: asn1.SetOf[asn1.TLV]
    encap_content_info: asn1.TLV
    certificates: Annotated[asn1.SetOf[asn1.TLV] | None, asn1.Implicit(0)]
    crls: Annotated[asn1.SetOf[asn1.TLV] | None, asn1.Implicit(1)]
    signer_infos: asn1.SetOf[_SignerInfo]


@asn1.sequence
class _ContentInfo:
    content_type: x509.ObjectIdentifier
    content: Annotated[_SignedData, asn1.Explicit(0)]


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
    """A DER TimeStampReq asking for the TSA's certificate in the token (certReq).

    Not rfc3161-client's ``TimestampRequestBuilder``: it hashes the data itself (SHA-256 or
    SHA-512 only) and draws its own nonce, while the imprint here is the chain hash itself.
    """
    algorithm_id = _AlgorithmIdentifier(algorithm=_OIDS[algorithm], parameters=asn1.Null())
    return asn1.encode_der(
        _TimeStampReq(
            version=1,
            message_imprint=_MessageImprint(hash_algorithm=algorithm_id, hashed_message=imprint),
            nonce=nonce,
            cert_req=True,
        )
    )


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
    request = urllib.request.Request(  # noqa: S310 (the configured TSA URL, http(s) only, checked at start-up)
        url,
        data=query,
        method="POST",
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
        response = decode_timestamp_response(bytes(body))
        status, texts = response.status, list(response.status_string)
    except ValueError as error:
        raise TimestampError(f"the TSA's reply is not a DER TimeStampResp ({error})") from None
    if status not in GRANTED:
        name = PKIStatus(status).name.lower() if status in iter(PKIStatus) else str(status)
        raise TimestampError(f"the TSA refused the request: status {name} {'; '.join(texts)}".rstrip())
    try:
        token = bytes(response.time_stamp_token())
    except ValueError:
        token = b""
    if not token:
        raise TimestampError("the TSA granted the request but sent no token")
    return token


def check_token(der: bytes, *, trusted=None) -> Token:
    """Parse a TimeStampToken and verify it (steps 2-5 of the module docstring)."""
    try:
        return _check_token(bytes(der), trusted)
    except TimestampError:
        raise
    except BaseException as error:
        # The parsers are lazy: a damaged inner structure (a certificate's name, say) fails
        # wherever it is first read, as a ValueError, or as a panic of the Rust parser, which is
        # no Exception.
        if not isinstance(
            error, (ValueError, TypeError, KeyError, IndexError, UnsupportedAlgorithm, x509.InvalidVersion)
        ) and not _is_panic(error):
            raise
        raise TimestampError(f"the token is not a well-formed RFC 3161 TimeStampToken ({error})") from None


def _is_panic(error: BaseException) -> bool:
    return type(error).__name__ == "PanicException"


def _check_token(der: bytes, trusted) -> Token:
    response = decode_timestamp_response(b"\x30" + _length(len(_GRANTED_STATUS) + len(der)) + _GRANTED_STATUS + der)
    signed, tst = response.signed_data, response.tst_info
    fields = {
        "gen_time": _gen_time(tst),
        "serial": tst.serial_number,
        "policy": tst.policy.dotted_string,
        "nonce": tst.nonce,
        "hash_algorithm": tst.message_imprint.hash_algorithm,
        "imprint": tst.message_imprint.message,
    }
    signers = [(signer.version, signer.issuer, signer.serial_number) for signer in signed.signer_infos]
    version = signed.version
    carried = [x509.load_der_x509_certificate(cert) for cert in signed.certificates]
    if version != 3:  # RFC 5652 5.1: v3 for content other than id-data
        raise TimestampError(f"the token's SignedData is v{version}, not v3")
    if len(signers) != 1:
        raise TimestampError(f"the token has {len(signers)} signers; a time-stamp has exactly one")
    gen_time = fields["gen_time"]
    if signers[0][0] != 1:  # RFC 5652 5.3: v1 with an issuer-and-serial-number signer identifier
        raise TimestampError(f"the token's SignerInfo is v{signers[0][0]}, not v1")
    signer = _signer_certificate(signers[0][1:], carried + list(trusted or []))
    _check_signature_algorithm(der, signer)
    _check_certificate(signer, gen_time)
    if trusted is not None and not trusted:
        raise TimestampError("the configured TSA certificate file holds no certificate")
    _verify(response, der, signer, carried, None if trusted is None else list(trusted), gen_time, fields["imprint"])
    algorithm = fields.pop("hash_algorithm")
    return Token(
        der=der,
        **fields,
        hash_algorithm=_NAMES.get(algorithm, algorithm.dotted_string),
        signer_subject=signer.subject.rfc4514_string(),
        is_trust_checked=trusted is not None,
    )


def _gen_time(tst) -> datetime:
    """genTime with its fraction of a second, which rfc3161-client drops (RFC 3161 2.4.2 allows one)."""
    whole = tst.gen_time.astimezone(UTC)
    der, digits = tst.as_bytes(), whole.strftime("%Y%m%d%H%M%S").encode()
    at = der.find(b"\x18" + bytes([len(digits) + 1]) + digits)  # a GeneralizedTime without fraction
    if at >= 0:
        return whole
    at = der.find(digits + b".")
    if at < 2 or der[at - 2] != 0x18:
        return whole
    fraction = der[at + len(digits) + 1 : at + der[at - 1] - 1].decode("ascii")  # up to the Z
    if not fraction.isdigit():
        raise TimestampError(f"the token's genTime has a malformed fraction of a second ({fraction!r})")
    return whole.replace(microsecond=int(fraction[:6].ljust(6, "0")))


def _signer_certificate(sid, candidates) -> x509.Certificate:
    issuer, serial = sid
    for cert in candidates:
        if cert.serial_number == serial and cert.issuer == issuer:
            return cert
    raise TimestampError("the token carries no certificate of its signer (and no configured certificate matches)")


def _check_signature_algorithm(der: bytes, signer: x509.Certificate) -> None:
    """Not covered by the signature, but part of a well-formed token: the algorithm fits the key."""
    [info] = asn1.decode_der(_ContentInfo, der).content.signer_infos.as_list()
    content = bytes(info.signature_algorithm.data)
    identifier = content[: 2 + content[1]]  # the OID alone (tag, short length, value), without parameters
    oid = asn1.decode_der(_Algorithm, b"\x30" + _length(len(identifier)) + identifier).algorithm
    key = signer.public_key()
    if not any(isinstance(key, kind) and oid in fitting for kind, fitting in _SIGNATURE_ALGORITHMS):
        raise TimestampError(f"signature algorithm {oid.dotted_string} does not fit the TSA's key")


def _check_certificate(cert: x509.Certificate, gen_time: datetime) -> None:
    """Step 4, before the verifier runs, so that the refusal names the certificate."""
    if not cert.not_valid_before_utc <= gen_time <= cert.not_valid_after_utc:
        raise TimestampError(
            f"the TSA certificate {cert.subject.rfc4514_string()} was not valid at {gen_time.isoformat()}"
        )
    try:
        usages = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        usages = []
    if ExtendedKeyUsageOID.TIME_STAMPING not in usages:
        raise TimestampError(
            f"the certificate {cert.subject.rfc4514_string()} is not for time-stamping (no timeStamping usage)"
        )


def _is_self_signed(cert: x509.Certificate) -> bool:
    if cert.issuer != cert.subject:
        return False
    try:
        cert.verify_directly_issued_by(cert)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _verify(response, der: bytes, signer, carried, trusted, gen_time: datetime, imprint: bytes) -> None:
    """Steps 3 and 5: rfc3161-client when a self-signed root is at hand, else OpenSSL's verifier."""
    pool = carried if trusted is None else trusted
    roots = [cert for cert in _unique(pool) if _is_self_signed(cert)]
    others = [cert for cert in _unique(carried + (trusted or [])) if cert not in roots and cert != signer]
    if not roots:
        anchors = [signer] if trusted is None else trusted
        _verify_with_openssl(der, signer, carried, anchors, gen_time, imprint, is_trust_checked=trusted is not None)
        return
    builder = VerifierBuilder()
    for root in roots:
        builder = builder.add_root_certificate(root)
    for cert in others:
        builder = builder.add_intermediate_certificate(cert)
    if signer not in carried:
        builder = builder.tsa_certificate(signer)  # the token does not carry it: the configured one
    try:
        builder.build().verify(response, imprint)
    except VerificationError as error:
        raise TimestampError(_reason(str(error), signer, trusted is not None)) from None


def _reason(error: str, signer: x509.Certificate, is_trust_checked: bool) -> str:
    if "certificate verify error" in error and is_trust_checked:
        return (
            f"the TSA certificate {signer.subject.rfc4514_string()} is not the configured certificate nor issued by it"
        )
    if "signature failure" in error or "digest failure" in error:
        return "the token's signature does not verify with the TSA certificate"
    return f"the token does not verify ({error})"


def _verify_with_openssl(
    der, signer, carried, anchors, gen_time: datetime, imprint: bytes, *, is_trust_checked
) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        raise TimestampError(
            f"the TSA certificate {signer.subject.rfc4514_string()} is not self-signed and no self-signed "
            "root is at hand, which rfc3161-client needs; the openssl command that checks such a token is not installed"
        )
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        (work / "token.der").write_bytes(der)
        (work / "anchors.pem").write_bytes(_pem(anchors))
        (work / "untrusted.pem").write_bytes(_pem([signer, *carried]))
        command = [
            openssl,
            "ts",
            "-verify",
            "-token_in",
            "-in",
            "token.der",
            "-digest",
            imprint.hex(),
            "-CAfile",
            "anchors.pem",
            "-untrusted",
            "untrusted.pem",
            "-partial_chain",
            "-attime",
            str(int(gen_time.timestamp())),
        ]
        result = subprocess.run(  # noqa: S603 (fixed arguments, no shell)
            command,
            cwd=work,
            capture_output=True,
            text=True,
            timeout=OPENSSL_TIMEOUT_SECONDS,
            check=False,
        )
    if result.returncode == 0 and "Verification: OK" in result.stdout:
        return
    raise TimestampError(_reason(" ".join((result.stdout + result.stderr).split()), signer, is_trust_checked))


def _pem(certificates) -> bytes:
    return b"".join(cert.public_bytes(Encoding.PEM) for cert in certificates)


def _unique(certificates) -> list[x509.Certificate]:
    found = []
    for cert in certificates:
        if cert not in found:
            found.append(cert)
    return found


def _length(size: int) -> bytes:
    """A DER length."""
    if size < 0x80:
        return bytes([size])
    raw = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def load_trusted(pem: bytes) -> list[x509.Certificate]:
    """The certificates of a PEM file (the TSA's own, or the CA(s) that issue it)."""
    try:
        return x509.load_pem_x509_certificates(pem)
    except ValueError as error:
        raise TimestampError(f"the TSA certificate file holds no readable PEM certificate ({error})") from None
