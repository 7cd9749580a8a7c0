"""Files only the account running Junction may read: the data folder and what it holds.

The data folder holds the SQLite database (with every credential's ciphertext) and, in
development, the keyring that decrypts them; other local users have no business reading
either, whatever the process's umask.
"""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE_FOLDER_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def private_folder(path: Path) -> None:
    """Create ``path`` (and missing parents) if needed; the folder itself is owner-only.

    A folder that already exists keeps its mode: the operator may have set it on purpose
    (a shared volume, a group that backs it up).
    """
    if path.is_dir():
        return
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, PRIVATE_FOLDER_MODE)  # mkdir's mode passes through the umask


def private_file(path: Path) -> None:
    """Create ``path`` empty and owner-only if it does not exist yet.

    SQLite gives the -wal and -shm files it creates the mode of the database file, so a
    database file made here keeps all three private.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    except FileExistsError:
        return
    os.close(fd)
