"""The embedded broker writes message files whole (breachtrack.fsbroker)."""

from __future__ import annotations

from kombu import Connection

from breachtrack import fsbroker


def test_filesystem_urls_use_the_atomic_transport_and_a_file_being_written_is_never_read(tmp_path):
    folder = str(tmp_path)
    options = {"data_folder_in": folder, "data_folder_out": folder, "control_folder": folder}
    (tmp_path / "incoming-unfinished.partial").write_bytes(b'{"n": ')  # another writer, mid-way
    with Connection("filesystem://", transport_options=options) as connection:
        assert isinstance(connection.transport, fsbroker.Transport)
        queue = connection.SimpleQueue("fsbroker-test")
        queue.put({"n": 1})
        # Only whole files carry a queue's suffix; ours left no partial file behind.
        assert sorted(path.suffix for path in tmp_path.iterdir() if path.suffix in (".msg", ".partial")) == [
            ".msg",
            ".partial",
        ]
        assert queue.get(timeout=2).payload == {"n": 1}  # the partial file is not taken for a message
        queue.close()
