"""gunicorn's logs without share-link tokens.

gunicorn writes its access log itself, outside Django's logging, so Django's filter
(``breachtrack.redaction.ShareTokenFilter`` in ``LOGGING``) never sees those lines. Start gunicorn
with ``--logger-class breachtrack.gunicorn_logging.RedactingLogger`` (scripts/run does; the
README's production outline says so): every text atom of the access-log format (the request line
``%(r)s``, the path ``%(U)s``, the referer ``%(f)s``, request headers ``%({name}i)s`` and
environment values ``%({name}e)s`` such as RAW_URI) then has the token of ``/share/<token>``
replaced by ``[redacted]``, and so has gunicorn's error log ("Error handling request <uri>").
"""

from __future__ import annotations

from gunicorn.glogging import Logger

from breachtrack.redaction import ShareTokenFilter, redact_value

ERROR_LOG_FILTER = ShareTokenFilter()  # one instance: a configuration reload does not add a second


class RedactingLogger(Logger):
    """gunicorn's own logger, with share-link tokens redacted from the access and error logs."""

    def setup(self, cfg):
        super().setup(cfg)
        self.error_log.addFilter(ERROR_LOG_FILTER)

    def atoms(self, resp, req, environ, request_time):
        return {name: redact_value(value) for name, value in super().atoms(resp, req, environ, request_time).items()}
