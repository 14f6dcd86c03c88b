"""Type stubs of the Rust engine (``rust/src/py``)."""

from collections.abc import Callable
from typing import Literal, TypeAlias, TypedDict

__version__: str
ITEM_TAG: int

ItemPath: TypeAlias = list[tuple[int, int]]
Record: TypeAlias = tuple[int, str, bytes | list[list[Record]]]
ReadMode: TypeAlias = Literal["auto", "file", "dataset"]
ReadXfer: TypeAlias = Literal["auto", "detect", "little", "big", "implicit"]
Rule: TypeAlias = Literal["3.6", "3.7"]
OutputXfer: TypeAlias = Literal["same", "little", "big", "implicit"]

class SignatureDict(TypedDict):
    container: ItemPath
    location: str
    index: int
    mac_id: int | None
    uid: str | None
    datetime: str | None
    datetime_vr: str | None
    certificate_type: str | None
    certificate: bytes | None
    signature: bytes | None
    signature_vr: str | None
    timestamp_type: str | None
    timestamp: bytes | None
    purpose: str | None
    purpose_scheme: str | None
    purpose_meaning: str | None
    has_mac: bool
    mac_transfer_syntax: str | None
    mac_algorithm: str | None
    tags: list[int] | None
    tags_vr: str | None

class VerifiedDict(SignatureDict):
    digest: bytes | None
    digest_37: bytes | None
    failure: str | None
    unsignable_tag: int | None

class Document:
    @staticmethod
    def open(
        path: str,
        /,
        *,
        read_mode: ReadMode = "auto",
        read_xfer: ReadXfer = "auto",
        convert_un: bool = False,
    ) -> Document: ...
    @staticmethod
    def from_bytes(
        data: bytes,
        /,
        *,
        read_mode: ReadMode = "auto",
        read_xfer: ReadXfer = "auto",
        convert_un: bool = False,
    ) -> Document: ...
    @property
    def transfer_syntax(self) -> str: ...
    @property
    def has_meta(self) -> bool: ...
    @property
    def warnings(self) -> list[str]: ...
    def signatures(self) -> tuple[list[SignatureDict], int]: ...
    def verify_digests(self, *, old_format: bool = False) -> tuple[list[VerifiedDict], int]: ...
    def signature_digest(
        self,
        container: ItemPath,
        index: int,
        /,
        *,
        algorithm: str,
        transfer_syntax: str,
        tags: list[int],
        old_format: bool = False,
        rule: Rule = "3.6",
        dump: str | None = None,
    ) -> tuple[bytes, bool]: ...
    def new_signature_digest(
        self,
        container: ItemPath,
        tags: list[int] | None,
        sig_item: list[Record],
        /,
        *,
        algorithm: str,
        transfer_syntax: str,
        old_format: bool = False,
        rule: Rule = "3.7",
        dump: str | None = None,
    ) -> tuple[bytes, list[int], bool]: ...
    def sign_and_write(
        self,
        tags: list[int],
        mac_item: list[Record],
        sig_item: list[Record],
        sign: Callable[[bytes], bytes],
        path: str,
        /,
        *,
        algorithm: str,
        transfer_syntax: str,
        old_format: bool = False,
        rule: Rule = "3.7",
        dump: str | None = None,
        syntax: OutputXfer = "same",
        explicit_lengths: bool = True,
        implementation_class_uid: str,
        implementation_version_name: str,
        fallback_instance_uid: str,
    ) -> tuple[bytes, list[int], bool]: ...
    def can_sign_and_write(self) -> bool: ...
    def surely_valid(
        self,
        trusted: list[str],
        untrusted: list[str],
        *,
        der: bool = False,
        old_format: bool = False,
    ) -> list[str] | None: ...
    def locate(self, container: ItemPath) -> None: ...
    def elements(self, container: ItemPath) -> list[tuple[int, str, bool, bool]]: ...
    def item_count(self, container: ItemPath, tag: int) -> int | None: ...
    def value(self, container: ItemPath, tag: int) -> bytes | None: ...
    def next_mac_id(self, container: ItemPath) -> int: ...
    def add_signature(
        self, container: ItemPath, mac_item: list[Record], sig_item: list[Record]
    ) -> None: ...
    def remove_signature(self, container: ItemPath, index: int) -> None: ...
    def output_transfer_syntax(self, *, syntax: OutputXfer = "same") -> str: ...
    def write(
        self,
        path: str,
        /,
        *,
        syntax: OutputXfer = "same",
        explicit_lengths: bool = True,
        rule: Rule = "3.6",
        implementation_class_uid: str,
        implementation_version_name: str,
        fallback_instance_uid: str,
    ) -> None: ...
    def to_bytes(
        self,
        *,
        syntax: OutputXfer = "same",
        explicit_lengths: bool = True,
        rule: Rule = "3.6",
        implementation_class_uid: str,
        implementation_version_name: str,
        fallback_instance_uid: str,
    ) -> bytes: ...

class Hasher:
    def __init__(self, algorithm: str) -> None: ...
    def update(self, data: bytes) -> None: ...
    def finalize(self) -> bytes: ...

def load_dictionary(text: str) -> None: ...
def dictionary_loaded() -> bool: ...
def set_dictionary_path(path: str) -> None: ...
def tag_name(tag: int) -> str: ...
def tag_for_keyword(keyword: str) -> int | None: ...
def location_string(container: ItemPath) -> str: ...
def transfer_syntax_name(uid: str) -> str | None: ...
def verify_file(
    path: str,
    /,
    *,
    read_mode: ReadMode = "auto",
    read_xfer: ReadXfer = "auto",
    convert_un: bool = False,
    old_format: bool = False,
) -> tuple[list[VerifiedDict], int]: ...

class SigningKey:
    @staticmethod
    def load(key: str, certificate: str) -> SigningKey | None: ...
    @property
    def key_type(self) -> str: ...
    @property
    def certificate_der(self) -> bytes: ...
    @property
    def weak(self) -> bool: ...
    @property
    def odd_modulus(self) -> bool: ...
    @property
    def validity(self) -> tuple[int, int]: ...
    def sign_digest(self, algorithm: str, digest: bytes) -> bytes: ...
