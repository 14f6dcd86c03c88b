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

__all__ = ["DICTIONARY_PATH", "ensure_dictionary"]

#: The data dictionary table shipped with the package.
DICTIONARY_PATH: Final = os.path.join(os.path.dirname(__file__), "data", "dictionary.tsv")


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
