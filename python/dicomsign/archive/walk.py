"""The files of a run: directory trees walked and file lists read, streaming.

Nothing here holds a list of every path: a directory is read with ``os.scandir`` and its
files are yielded as they come; only the subdirectories still to visit are remembered. Files
are not opened nor, unless symbolic links are followed, even ``stat``-ed here: the verifier
examines each file (its type, its size) when it verifies it.

Rules, as ``find -H`` has them: a PATH named on the command line is followed when it is a
symbolic link; inside a tree, symbolic links are not followed (neither to files nor to
directories: they are counted, see :class:`Walk`) unless ``follow_symlinks``; then a link
that leads back to a directory of its own path is a loop, reported once and not entered.
Globs (``fnmatch``, case-sensitive) apply to what the walk finds inside directories: a
pattern without ``/`` is matched against the name, one with ``/`` against the path as walked;
``exclude`` prunes directories too. Files named as PATHs or listed with ``--files-from`` are
always verified.
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from fnmatch import translate
from typing import BinaryIO

from ..exceptions import os_reason

__all__ = ["Filters", "Found", "Walk", "read_file_list"]


@dataclass(frozen=True, slots=True)
class Found:
    """A path found by the walk.

    Attributes
    ----------
    path : str
        As walked: the PATH as given joined with the names below it (``os.fsdecode``: bytes
        that are not UTF-8 as lone surrogates).
    problem : str or None
        Why the walk could not go on at this path (a directory that cannot be listed, a
        symbolic link loop), in words; None for a file to verify.
    """

    path: str
    problem: str | None = None


class _Pattern:
    __slots__ = ("match", "whole_path")

    def __init__(self, glob: str) -> None:
        self.whole_path = "/" in glob or (os.sep != "/" and os.sep in glob)
        self.match = re.compile(translate(glob), re.DOTALL).match


@dataclass(frozen=True)
class Filters:
    """``--include`` and ``--exclude`` globs (see the module's rules)."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    _include: tuple[_Pattern, ...] = field(init=False, repr=False, compare=False)
    _exclude: tuple[_Pattern, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_include", tuple(_Pattern(g) for g in self.include))
        object.__setattr__(self, "_exclude", tuple(_Pattern(g) for g in self.exclude))

    @staticmethod
    def _any(patterns: tuple[_Pattern, ...], path: str, name: str) -> bool:
        return any(p.match(path if p.whole_path else name) for p in patterns)

    def keep_file(self, path: str, name: str) -> bool:
        """A file found in a directory is verified."""
        if self._any(self._exclude, path, name):
            return False
        return not self._include or self._any(self._include, path, name)

    def keep_directory(self, path: str, name: str) -> bool:
        """A directory found in a directory is walked."""
        return not self._any(self._exclude, path, name)


@dataclass(frozen=True, slots=True)
class _Ancestors:
    """The (device, inode) of each directory on the path from the root (loop detection)."""

    key: tuple[int, int]
    parent: _Ancestors | None

    def __contains__(self, key: tuple[int, int]) -> bool:
        node: _Ancestors | None = self
        while node is not None:
            if node.key == key:
                return True
            node = node.parent
        return False


class Walk:
    """The files below some PATHs, streaming (iterate over it once).

    Parameters
    ----------
    roots : iterable of str
        Files and directories (as given on the command line).
    follow_symlinks : bool
        Follow symbolic links inside the trees (loop-safe).
    filters : Filters
        ``--include`` and ``--exclude``.
    ignore : collection of (int, int)
        (device, inode) of files to leave out where they are found in a tree (the run's own
        journal).

    Attributes
    ----------
    symlinks_skipped : int
        Symbolic links found in the trees and not followed (``follow_symlinks`` false).
    """

    def __init__(
        self,
        roots: Iterable[str],
        *,
        follow_symlinks: bool = False,
        filters: Filters | None = None,
        ignore: Collection[tuple[int, int]] = (),
    ) -> None:
        self.roots = roots
        self.follow_symlinks = follow_symlinks
        self.filters = filters or Filters()
        self.ignore = frozenset(ignore)
        self.symlinks_skipped = 0

    def __iter__(self) -> Iterator[Found]:
        for root in self.roots:
            root = os.fspath(root)
            try:
                is_directory = os.path.isdir(root)
            except (OSError, ValueError):
                is_directory = False
            if is_directory:
                yield from self._tree(root)
            else:
                # A file, or anything else: the verifier says what it is (missing, a FIFO...).
                yield Found(root)

    def _tree(self, root: str) -> Iterator[Found]:
        pending: list[tuple[str, _Ancestors | None]] = [(root, None)]
        keep_file, keep_directory = self.filters.keep_file, self.filters.keep_directory
        while pending:
            directory, ancestors = pending.pop()
            try:
                here = os.stat(directory)
            except OSError as exc:
                # Vanished since its parent was listed, or a link that went dangling.
                yield Found(directory, _listing(os_reason(exc, directory), directory))
                continue
            key = (here.st_dev, here.st_ino)
            if ancestors is not None and key in ancestors:
                loop = "symbolic link loop (the directory is one of its own parents)"
                yield Found(directory, _listing(loop, directory))
                continue
            chain = _Ancestors(key, ancestors)
            subdirectories: list[str] = []
            try:
                entries = os.scandir(directory)
            except OSError as exc:
                yield Found(directory, _listing(os_reason(exc, directory), directory))
                continue
            with entries:
                while True:
                    try:
                        entry = next(entries)
                    except StopIteration:
                        break
                    except OSError as exc:
                        yield Found(directory, _listing(os_reason(exc, directory), directory))
                        break
                    path, name = entry.path, entry.name
                    try:
                        if entry.is_dir(follow_symlinks=False):
                            if keep_directory(path, name):
                                subdirectories.append(path)
                            continue
                        if entry.is_symlink():
                            if not self.follow_symlinks:
                                self.symlinks_skipped += 1
                                continue
                            if entry.is_dir(follow_symlinks=True):
                                if keep_directory(path, name):
                                    subdirectories.append(path)
                                continue
                    except OSError:
                        pass  # the verifier says what the entry is (stat fails again there)
                    if keep_file(path, name) and not (
                        self.ignore and (here.st_dev, entry.inode()) in self.ignore
                    ):
                        yield Found(path)
            subdirectories.sort(reverse=True)
            pending.extend((d, chain) for d in subdirectories)


def _listing(why: str, directory: str) -> str:
    return f"{why}: listing directory: {directory}"


def _split(stream: BinaryIO, separator: bytes) -> Iterator[bytes]:
    rest = b""
    read = getattr(stream, "read1", stream.read)  # what is there: a pipe streams
    while True:
        chunk = read(1 << 16)
        if not chunk:
            break
        parts = (rest + chunk).split(separator)
        rest = parts.pop()
        yield from parts
    if rest:
        yield rest


def read_file_list(stream: BinaryIO, *, null: bool = False) -> Iterator[Found]:
    """The files listed in a binary stream (a ``--files-from`` file or standard input),
    streaming.

    One name per line (a trailing carriage return is dropped), or NUL-separated with
    ``null``; empty entries are ignored; the names are bytes decoded as the file system does
    (``os.fsdecode``). Each name is a file to verify, never walked: a directory listed is
    ``unreadable`` ("Is a directory"), as ``rsync --files-from`` has it.
    """
    separator = b"\0" if null else b"\n"
    for raw in _split(stream, separator):
        if not null and raw.endswith(b"\r"):
            raw = raw[:-1]
        if raw:
            yield Found(os.fsdecode(raw))
