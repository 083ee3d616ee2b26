"""Field-level validation errors that keep their code.

``ValidationError({"field": "message"}, code=...)`` silently drops the code
(Django ignores ``code`` for dicts); clients and tests rely on codes.
"""

from django.core.exceptions import ValidationError


def field_error(field: str, message, code: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


def field_errors(fields, message, code: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code) for field in fields})
