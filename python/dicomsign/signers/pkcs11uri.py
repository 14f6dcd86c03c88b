"""PKCS#11 URIs (RFC 7512) naming a token's key and certificate: :class:`Pkcs11Uri`.

``pkcs11:token=Radiology;object=signer`` names the object labelled ``signer`` on the token
labelled ``Radiology``. Path attributes are separated by ``;``, query attributes (after ``?``)
by ``&``; values are percent-decoded (``id=%01%02``). Understood here:

* the token and its slot: ``token``, ``manufacturer``, ``serial``, ``model``, ``slot-id``,
  ``slot-description``, ``slot-manufacturer``;
* the module: ``library-manufacturer``, ``library-description``, ``library-version``, and the
  query attributes ``module-path`` (the module to load) and ``module-name``;
* the object: ``object`` (CKA_LABEL), ``id`` (CKA_ID), ``type`` (``private``, ``cert``,
  ``public``, ``secret-key``, ``data``).

A URI naming any other attribute is refused rather than matched loosely (a looser match could
pick another key), and so are ``pin-value`` and ``pin-source``: a PIN in a URI would be seen
on command lines (``ps``) and in logs; give it with ``--pin-file`` or the environment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final
from urllib.parse import unquote_to_bytes

__all__ = ["OBJECT_TYPES", "Pkcs11Uri", "Pkcs11UriError"]

#: The values of the ``type`` attribute (RFC 7512 section 2.3).
OBJECT_TYPES: Final = ("public", "private", "cert", "secret-key", "data")

_PATH: Final = frozenset(
    {
        "token",
        "manufacturer",
        "serial",
        "model",
        "library-manufacturer",
        "library-description",
        "library-version",
        "slot-manufacturer",
        "slot-description",
        "slot-id",
        "object",
        "id",
        "type",
    }
)
_QUERY: Final = frozenset({"module-path", "module-name"})
_SECRET: Final = frozenset({"pin-value", "pin-source"})


class Pkcs11UriError(ValueError):
    """A text that is not a PKCS#11 URI this module understands; the message never repeats
    a PIN the text may hold."""


@dataclass(frozen=True)
class Pkcs11Uri:
    """A parsed PKCS#11 URI: each attribute decoded, None when absent.

    Attributes
    ----------
    text : str
        The URI as given (it holds no PIN: such URIs are refused).
    token, manufacturer, model : str or None
        The token's label, manufacturer and model.
    serial : str or None
        The token's serial number.
    slot_id : int or None
        The slot's number.
    slot_description, slot_manufacturer : str or None
        The slot's description and manufacturer.
    library_manufacturer, library_description : str or None
        The module's manufacturer and description.
    library_version : tuple of (int, int) or None
        The module's version, ``M`` or ``M.N`` (``M`` means ``M.0``).
    object : str or None
        The object's label (CKA_LABEL).
    id : bytes or None
        The object's identifier (CKA_ID).
    type : str or None
        ``private``, ``cert``, ``public``, ``secret-key`` or ``data``.
    module_path, module_name : str or None
        The module to load (query attributes).
    """

    text: str
    token: str | None = None
    manufacturer: str | None = None
    serial: str | None = None
    model: str | None = None
    slot_id: int | None = None
    slot_description: str | None = None
    slot_manufacturer: str | None = None
    library_manufacturer: str | None = None
    library_description: str | None = None
    library_version: tuple[int, int] | None = None
    object: str | None = None
    id: bytes | None = field(default=None, repr=False)
    type: str | None = None
    module_path: str | None = None
    module_name: str | None = None

    @staticmethod
    def is_uri(text: str) -> bool:
        """True when ``text`` is meant as a PKCS#11 URI (it starts with ``pkcs11:``)."""
        return text[:7].lower() == "pkcs11:"

    @classmethod
    def parse(cls, text: str) -> Pkcs11Uri:
        """Parse ``text``.

        Raises
        ------
        Pkcs11UriError
            Not a ``pkcs11:`` URI, an attribute given twice, not understood (see the module),
            a PIN in it, a value that is not valid UTF-8, a ``slot-id`` that is not a number, a
            ``type`` that is not one of :data:`OBJECT_TYPES`.
        """
        if not cls.is_uri(text):
            raise Pkcs11UriError(f"not a PKCS#11 URI (pkcs11:...): {text!r}")
        body = text[7:]
        path, _, query = body.partition("?")
        raw: dict[str, bytes] = {}
        for part, names, separator in ((path, _PATH, ";"), (query, _QUERY, "&")):
            for attribute in part.split(separator) if part else ():
                name, equals, value = attribute.partition("=")
                name = name.strip().lower()
                if name in _SECRET:
                    raise Pkcs11UriError(
                        f"a PIN in a PKCS#11 URI ({name}) is not accepted: it would be seen by "
                        "other users of the machine; give it in a file or the environment"
                    )
                if not equals or not name:
                    raise Pkcs11UriError(f"PKCS#11 URI attribute without a value: {attribute!r}")
                if name not in names:
                    where = "path" if separator == ";" else "query"
                    raise Pkcs11UriError(
                        f"PKCS#11 URI {where} attribute not supported: {name!r} in {text!r}"
                    )
                if name in raw:
                    raise Pkcs11UriError(f"PKCS#11 URI attribute given twice: {name!r}")
                raw[name] = unquote_to_bytes(value)
        values: dict[str, str] = {}
        for name, decoded in raw.items():
            if name == "id":
                continue
            try:
                values[name] = decoded.decode("utf-8")
            except UnicodeDecodeError:
                raise Pkcs11UriError(
                    f"PKCS#11 URI attribute {name!r} is not UTF-8 text: {text!r}"
                ) from None
        slot_id: int | None = None
        if "slot-id" in values:
            if not values["slot-id"].isdigit():
                raise Pkcs11UriError(f"slot-id must be a decimal number: {values['slot-id']!r}")
            slot_id = int(values["slot-id"])
        version: tuple[int, int] | None = None
        if "library-version" in values:
            major, dot, minor = values["library-version"].partition(".")
            if not major.isdigit() or (dot and not minor.isdigit()):
                raise Pkcs11UriError(
                    f"library-version must be M or M.N: {values['library-version']!r}"
                )
            version = (int(major), int(minor or 0))
        kind = values.get("type")
        if kind is not None and kind not in OBJECT_TYPES:
            raise Pkcs11UriError(
                f"PKCS#11 URI type must be one of {', '.join(OBJECT_TYPES)}: {kind!r}"
            )
        return cls(
            text=text,
            token=values.get("token"),
            manufacturer=values.get("manufacturer"),
            serial=values.get("serial"),
            model=values.get("model"),
            slot_id=slot_id,
            slot_description=values.get("slot-description"),
            slot_manufacturer=values.get("slot-manufacturer"),
            library_manufacturer=values.get("library-manufacturer"),
            library_description=values.get("library-description"),
            library_version=version,
            object=values.get("object"),
            id=raw.get("id"),
            type=kind,
            module_path=values.get("module-path"),
            module_name=values.get("module-name"),
        )
