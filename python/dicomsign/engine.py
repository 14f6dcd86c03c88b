"""Access to the Rust engine (:mod:`dicomsign._core`) with the data dictionary available.

The engine needs the data dictionary (generated from pydicom's, shipped as
``data/dictionary.tsv``) to give implicit-VR elements their VRs and to name tags. Its file is
named to the engine once per process; the engine parses it only when it first needs it
(reading explicit VR files never does), and pydicom is never imported for it.
"""

from __future__ import annotations

import os

from . import _core

TYPE_CHECKING = False  # ``typing`` is not imported at run time (start-up time)
if TYPE_CHECKING:
    from typing import Final

__all__ = [
    "DICTIONARY_PATH",
    "IMPLEMENTATION_CLASS_UID",
    "IMPLEMENTATION_VERSION_NAME",
    "ensure_dictionary",
    "new_uid",
    "write_options",
]

#: Implementation Class UID written into the meta header of files we write (a UUID-derived
#: UID under the 2.25 root, fixed for this implementation).
IMPLEMENTATION_CLASS_UID: Final = "2.25.184762963301727409521693212871843061097"

#: The data dictionary table shipped with the package.
DICTIONARY_PATH: Final = os.path.join(os.path.dirname(__file__), "data", "dictionary.tsv")


def _version_name() -> str:
    digits = "".join(c for c in _core.__version__ if c.isdigit())
    return f"DICOMSIGN_{digits}"[:16]


#: Implementation Version Name written into the meta header (at most 16 characters).
IMPLEMENTATION_VERSION_NAME: Final = _version_name()


def ensure_dictionary() -> None:
    """Name the data dictionary file to the engine, once per process.

    Raises
    ------
    FileNotFoundError
        When the package's data file is missing (a broken installation).
    """
    if not _core.dictionary_loaded():
        if not os.path.isfile(DICTIONARY_PATH):
            raise FileNotFoundError(f"dicomsign data dictionary missing: {DICTIONARY_PATH}")
        _core.set_dictionary_path(DICTIONARY_PATH)


def new_uid() -> str:
    """Return a new globally unique UID under the ``2.25`` root (from a random UUID)."""
    from .items import new_signature_uid

    return new_signature_uid()


def write_options() -> dict[str, str]:
    """Keyword arguments identifying this implementation for ``Document.write``/``to_bytes``."""
    return {
        "implementation_class_uid": IMPLEMENTATION_CLASS_UID,
        "implementation_version_name": IMPLEMENTATION_VERSION_NAME,
        "fallback_instance_uid": new_uid(),
    }
