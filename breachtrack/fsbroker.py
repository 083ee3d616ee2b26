"""Celery's filesystem broker (the embedded default) with message files that appear whole.

kombu's filesystem transport creates a message file under its final name and then writes it;
a worker listing the folder in between moves and reads an empty file, fails to decode it, and
the whole worker stops ("Unrecoverable error: JSONDecodeError"): seen in CI, with beat sending a
sweep every second. Here a message is written under a temporary name that no queue matches
(kombu picks files by their ``.<queue>.msg`` suffix) and renamed into place, which is atomic on
one filesystem. ``filesystem://`` resolves to this transport (breachtrack.celery); Redis, the
production broker, is untouched.
"""

from __future__ import annotations

import os
import uuid
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        """Put ``payload`` onto ``queue``: write it aside, then rename it into the queue's folder."""
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = os.path.join(self.data_folder_out, f"incoming-{uuid.uuid4()}.partial")
        try:
            with open(partial, "wb") as file:
                file.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel
