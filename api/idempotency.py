"""``Idempotency-Key`` on the API's creating POSTs: a retried request is executed once.

A client that lost the answer to a POST (a timeout, a dropped connection) sends it again with
the same ``Idempotency-Key`` and gets the first answer back instead of a second incident, party,
awareness record, estimate, Art. 34 assessment or content version, filing, decision, wave or
import. The header is **optional**: without it a POST is executed every time, as before.

The key belongs to (organisation, caller, key), where the caller is the API token, or the user
of a session: two integrations can never collide, nor can a token and its user's browser.

Steps of ``run``:
1. **Own the key** (PostgreSQL): take a session advisory lock on a hash of the key's scope
   (``pg_try_advisory_lock``, never waiting) and hold it until the request has answered. The
   lock lives exactly as long as the request: released when it answers, and by the server when
   its connection ends (a killed worker, a database restart). A request that cannot take it
   meets a live duplicate: it answers from the key's row (replay, 422) or 409
   ``idempotency_key_in_flight`` without claiming anything.
2. **Claim**: INSERT the key as "in flight", in its own committed transaction, so a concurrent
   duplicate sees it at once. The unique constraint decides between two racing requests (where
   there is no advisory lock; on PostgreSQL the lock already did).
3. When the key exists already: expired → delete it and claim again; another request
   (method, path, body) → 422 ``idempotency_key_reused``; answered → the stored status, body
   and headers, with ``Idempotent-Replayed: true``; in flight → its request is gone if this one
   holds the key's lock (PostgreSQL), so this one takes the claim over at once (compare-and-set
   on ``claim``) and executes: the first never committed its work. Otherwise 409.
4. **Execute** the operation in one transaction that also stores the answer on the key, by
   compare-and-set on the claim: the answer and the rows it describes commit together, and a
   request whose claim was taken over meanwhile rolls its work back.
5. A refused request (an exception: 400, 403, 412, ...) **releases** the key: nothing was
   written, and the client may fix the request and send it again with the same key.

**On SQLite** (embedded: one machine, one writer at a time) there is no lock that ends with its
request, so a claim cannot tell a live request from a dead one: an "in flight" key answers 409
until it has been in flight for ``BREACHTRACK_API_IDEMPOTENCY_IN_FLIGHT_SECONDS``, and is then
taken over. Exactly-once still holds there: the answer is stored by compare-and-set in the
operation's transaction, so of two requests holding the same key only one commits its work.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import Error, IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import exceptions, status
from rest_framework.response import Response

from api.models import IdempotencyKey
from api.scoping import request_token

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_LENGTH = 255
STORED_HEADERS = ("Location", "ETag")

PARAMETER = OpenApiParameter(
    HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description=(
        "Optional; 1 to 255 printable ASCII characters chosen by the client (a UUID will do). The POST is executed "
        "once per key: sending it again with the same key and the same body returns the first answer (with "
        "`Idempotent-Replayed: true`) and creates nothing. The same key with another body: 422; while the first "
        "request is still running: 409. A refused request (4xx) does not use up its key. Keys expire after 24 hours."
    ),
)
REPLAYED = OpenApiParameter(
    REPLAYED_HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=True,
    description="`true` when this is the stored answer to an earlier request with the same Idempotency-Key.",
)
RESPONSES = {
    409: OpenApiResponse(description="A request with this Idempotency-Key is still running: retry later."),
    422: OpenApiResponse(description="This Idempotency-Key was used for a different request (method, path or body)."),
}


class InvalidKey(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = _("The Idempotency-Key must be 1 to 255 printable ASCII characters.")
    default_code = "invalid_idempotency_key"


class KeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = _("This Idempotency-Key was used for a different request: use a new key for a new request.")
    default_code = "idempotency_key_reused"


class KeyInFlight(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("A request with this Idempotency-Key is still running: wait for it, then retry.")
    default_code = "idempotency_key_in_flight"


def ttl() -> timedelta:
    return timedelta(hours=settings.BREACHTRACK_API_IDEMPOTENCY_TTL_HOURS)


def in_flight_limit() -> timedelta:
    return timedelta(seconds=settings.BREACHTRACK_API_IDEMPOTENCY_IN_FLIGHT_SECONDS)


def key_of(request) -> str | None:
    """The request's key, None without the header; 400 for an empty, too long or odd one."""
    raw = request.headers.get(HEADER)
    if raw is None:
        return None
    key = raw.strip()
    if not 1 <= len(key) <= MAX_LENGTH or not key.isascii() or not key.isprintable():
        raise InvalidKey()
    return key


def caller_of(request) -> str:
    token = request_token(request)
    return f"token:{token.pk}" if token is not None else f"user:{request.user.pk}"


def fingerprint(request) -> str:
    """SHA-256 of method, path and the parsed body; an uploaded file counts by its SHA-256.

    The parsed body, not the raw bytes: a multipart body's boundary differs on every retry.
    """
    files = getattr(request, "FILES", {}) or {}
    data = request.data
    if hasattr(data, "lists"):  # a QueryDict (multipart, form)
        body = {name: values for name, values in data.lists() if name not in files}
    else:
        body = data
    uploads = {}
    for name, upload in files.items():
        digest = hashlib.sha256()
        upload.seek(0)
        for chunk in upload.chunks():
            digest.update(chunk)
        upload.seek(0)
        uploads[name] = [upload.name, digest.hexdigest()]
    canonical = json.dumps(
        {"method": request.method, "path": request.path, "body": body, "files": uploads},
        cls=DjangoJSONEncoder,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def run(request, *, organisation_id: int, operation) -> Response:
    """Answer a POST with ``operation()`` (a Response), at most once per Idempotency-Key."""
    key = key_of(request)
    if key is None:
        with transaction.atomic():
            return operation()
    scope = {"organisation_id": organisation_id, "caller": caller_of(request), "key": key}
    with key_owned(**scope) as owned:
        claimed = _claim(request, scope=scope, now=timezone.now(), owned=owned)
        if isinstance(claimed, Response):
            return claimed
        try:
            with transaction.atomic():
                response = operation()
                if status.is_success(response.status_code):
                    _store(claimed, response)
        except BaseException:
            _release(claimed)
            raise
        if not status.is_success(response.status_code):
            _release(claimed)
        return response


def advisory_lock_id(*, organisation_id: int, caller: str, key: str) -> int:
    """The PostgreSQL advisory lock (a signed 64-bit number) of one key's scope."""
    scope = json.dumps(["api.idempotency", organisation_id, caller, key], separators=(",", ":"))
    return int.from_bytes(hashlib.sha256(scope.encode("utf-8")).digest()[:8], "big", signed=True)


@contextmanager
def key_owned(*, organisation_id: int, caller: str, key: str) -> Iterator[bool | None]:
    """Hold the key's advisory lock while the block runs: True when held, False when a live
    request holds it, None where the database has no advisory locks (SQLite).

    A session lock, not a transaction's: it must span the claim's commit and the operation's
    transaction. It is given back when the block ends; should that fail (the connection broke),
    the connection is closed, and the end of its session gives the lock back.
    """
    if connection.vendor != "postgresql":
        yield None
        return
    lock = advisory_lock_id(organisation_id=organisation_id, caller=caller, key=key)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [lock])
        held = bool(cursor.fetchone()[0])
    try:
        yield held
    finally:
        if held:
            _unlock(lock)


def _unlock(lock: int) -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [lock])
    except Error:  # the connection broke (its session, and the lock, may be gone already)
        connection.close()


def _claim(request, *, scope: dict, now, owned: bool | None) -> IdempotencyKey | Response:
    print_ = fingerprint(request)
    if owned is False:  # a live request holds the key: answer from its row, claim nothing
        existing = IdempotencyKey.objects.filter(**scope, expires_at__gt=now).first()
        if existing is None:
            raise KeyInFlight()  # it has not claimed yet, or is giving the key back
        return _judge(existing, print_)
    for _attempt in range(3):
        try:
            with transaction.atomic():
                return IdempotencyKey.objects.create(
                    **scope,
                    fingerprint=print_,
                    method=request.method,
                    path=request.path[:500],
                    claim=uuid.uuid4().hex,
                    claimed_at=now,
                    expires_at=now + ttl(),
                )
        except IntegrityError:
            pass  # the key exists: judge it below
        existing = IdempotencyKey.objects.filter(**scope).first()
        if existing is None:
            continue  # released or purged meanwhile: claim it again
        if existing.expires_at <= now:
            IdempotencyKey.objects.filter(pk=existing.pk, expires_at__lte=now).delete()
            continue
        if existing.state == IdempotencyKey.State.IN_FLIGHT and existing.fingerprint == print_:
            if _owner_gone(existing, now, owned) and _take_over(existing, now):
                return existing
        return _judge(existing, print_)
    raise KeyInFlight()


def _judge(existing: IdempotencyKey, print_: str) -> Response:
    """The answer to a key someone else claimed: 422, the stored answer, or 409."""
    if existing.fingerprint != print_:
        raise KeyReused()
    if existing.state == IdempotencyKey.State.DONE:
        return _replay(existing)
    raise KeyInFlight()


def _owner_gone(row: IdempotencyKey, now, owned: bool | None) -> bool:
    """Whether the request that claimed ``row`` is gone (its work never committed)."""
    if owned is None:  # no advisory locks (SQLite): only the claim's age tells
        return row.claimed_at <= now - in_flight_limit()
    return True  # this request holds the key's lock, so no live request has the claim


def _take_over(row: IdempotencyKey, now) -> bool:
    """Claim a key whose request died in flight; False when someone else just did."""
    new_claim = uuid.uuid4().hex
    held = IdempotencyKey.objects.filter(pk=row.pk, state=IdempotencyKey.State.IN_FLIGHT, claim=row.claim)
    taken = held.update(claim=new_claim, claimed_at=now)  # not-historied: IdempotencyKey
    row.claim, row.claimed_at = new_claim, now
    return taken == 1


def _store(row: IdempotencyKey, response: Response) -> None:
    """Keep the answer, in the operation's transaction; refuse if the claim was taken over."""
    body = json.loads(json.dumps(response.data, cls=DjangoJSONEncoder))
    headers = {name: response[name] for name in STORED_HEADERS if response.has_header(name)}
    stored = IdempotencyKey.objects.filter(pk=row.pk, claim=row.claim).update(  # not-historied: IdempotencyKey
        state=IdempotencyKey.State.DONE,
        response_status=response.status_code,
        response_body=body,
        response_headers=headers,
    )
    if stored != 1:
        raise KeyInFlight()  # rolls the operation back: the request that took over answers


def _release(row: IdempotencyKey) -> None:
    IdempotencyKey.objects.filter(pk=row.pk, claim=row.claim, state=IdempotencyKey.State.IN_FLIGHT).delete()


def _replay(row: IdempotencyKey) -> Response:
    headers = {**row.response_headers, REPLAYED_HEADER: "true"}
    return Response(row.response_body, status=row.response_status, headers=headers)


def purge_expired(*, now, batch: int = 1000) -> int:
    """Delete expired keys, ``batch`` at a time (the beat task drains it); returns how many."""
    total = 0
    while True:
        ids = list(IdempotencyKey.objects.filter(expires_at__lte=now).values_list("pk", flat=True)[:batch])
        if not ids:
            return total
        total += IdempotencyKey.objects.filter(pk__in=ids, expires_at__lte=now).delete()[0]
