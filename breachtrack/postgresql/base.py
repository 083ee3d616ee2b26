"""Django's PostgreSQL backend, with a health check that asks the socket before the server.

Production keeps its connection between requests (``CONN_MAX_AGE``) and checks it at the start
of each request (``CONN_HEALTH_CHECKS``): Django's check is a ``SELECT 1``, a round trip to the
server before every request's first query. On a busy machine that round trip costs a context
switch to the server and back (on this project's 2-core host, a third of a call-centre
lookup's round trips).

A connection the server has ended (a restart, ``pg_terminate_backend``, an idle timeout) is
not silent: the server sends its error message and closes the socket, so the socket of an idle
connection turns readable. An idle connection whose socket has nothing to read, and which
psycopg still holds as open and outside a transaction, is therefore taken as usable without a
query; anything else (something to read, a broken or busy connection) gets Django's ``SELECT 1``
as before. What neither check can see, a connection lost between the check and the query (or a
network gone without a word), is answered as before: an error for that request, and a new
connection for the next.
"""

from __future__ import annotations

import select

import psycopg
from django.db.backends.postgresql import base
from psycopg import pq


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        if self.connection is not None and self._is_quiet():
            return True
        return super().is_usable()

    def _is_quiet(self) -> bool:
        """Open, idle outside a transaction, and nothing from the server waiting on the socket."""
        pgconn = self.connection.pgconn
        if pgconn.status != pq.ConnStatus.OK or pgconn.transaction_status != pq.TransactionStatus.IDLE:
            return False
        try:
            readable, _, _ = select.select([pgconn.socket], [], [], 0)
        except (OSError, ValueError, psycopg.Error):  # no usable descriptor: let Django's check say so
            return False
        return not readable
