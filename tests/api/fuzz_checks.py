"""What the API fuzz accepts as an answer, shared by the in-process fuzz (tests/api/test_fuzz.py)
and the live, stateful one against gunicorn (tests/e2e/test_live_api.py).

Schemathesis' checks with their expected statuses: anything else a check sees fails the test, and
so does any 5xx, a status, content type, header or body the schema does not document.
"""

CHECKS = {
    # A schema-valid request may still break a rule JSON Schema cannot state: an instant in
    # the future or before the incident began, an organisation the caller is not in, a change
    # naming no field. Those are 400s with the field named (tests/api/test_validation.py);
    # a 415, 428 or any other refusal of valid data still fails the check. 409 and 422 are the
    # Idempotency-Key's: a key the generator sends again (it likes "0") while its first request
    # runs, or with another body.
    "positive_data_acceptance": {"expected-statuses": ["2xx", "400", "401", "403", "404", "409", "412", "422"]},
    # A change is judged against the version it names before its content is read (RFC 9110,
    # 13.2.1: preconditions come before processing the content), so a stale If-Match with an
    # invalid body is a 412.
    "negative_data_rejection": {
        "expected-statuses": [
            "400",
            "401",
            "403",
            "404",
            "405",
            "406",
            "409",
            "412",
            "415",
            "422",
            "428",
            "429",
        ]
    },
    # Without If-Match a change is a 428 (RFC 6585, 3: "Precondition Required"), after the
    # object was found (404) and the role checked (403).
    "missing_required_header": {"expected-statuses": ["400", "401", "403", "404", "406", "415", "422", "428"]},
}
