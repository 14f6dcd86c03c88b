//! Random-access byte sources: a buffer in memory, a small file mapped read-only, or a large
//! file read with positioned reads (never mapped or read whole, so memory stays bounded).

use std::fs::File;
use std::io;
use std::path::Path;
use std::sync::Arc;

use crate::model::vr::swap_in_place;

/// Where the bytes of a document live.
#[derive(Debug)]
pub enum Source {
    /// A file read with positioned reads.
    File(File, u64),
    /// A buffer in memory.
    Memory(Arc<[u8]>),
    /// A small file mapped read-only: values and fragments are used where they lie.
    #[cfg(unix)]
    Mapped(memmap2::Mmap),
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    use std::os::unix::fs::FileExt;
    file.read_at(buf, offset)
}

#[cfg(windows)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    use std::os::windows::fs::FileExt;
    file.seek_read(buf, offset)
}

/// Maps a whole file read-only.
#[cfg(unix)]
#[allow(unsafe_code)] // the crate's only unsafe code
fn map_read_only(file: &File) -> io::Result<memmap2::Mmap> {
    // SAFETY: the map is read-only and private to this process, and we never write to the
    // files we read (outputs are new files renamed into place, so even signing a file onto
    // itself leaves the mapped inode untouched). The remaining hazard, another process
    // truncating the file while it is mapped (SIGBUS), concerns only small files (large
    // ones are never mapped) and is the one every mmap-based reader accepts.
    unsafe { memmap2::MmapOptions::new().map(file) }
}

impl Source {
    /// Opens a file.
    ///
    /// # Errors
    /// Any I/O error of opening the file or reading its metadata.
    pub fn open(path: &Path) -> io::Result<Source> {
        let file = File::open(path)?;
        let meta = file.metadata()?;
        if meta.is_dir() {
            return Err(io::Error::from(io::ErrorKind::IsADirectory));
        }
        #[cfg(unix)]
        if meta.is_file() && meta.len() > 0 && meta.len() <= SMALL_FILE {
            return Ok(Source::Mapped(map_read_only(&file)?));
        }
        Ok(Source::File(file, meta.len()))
    }

    /// Opens a file as the archive engine reads it: a file of at most `limit` bytes is read
    /// into memory at once (never mapped: a file truncated by another process while it is
    /// mapped would kill this one with `SIGBUS`, and an archive may change while it is
    /// verified), a larger one is read in chunks as it is used.
    ///
    /// # Errors
    /// Any I/O error of opening or reading the file; a directory is `EISDIR`.
    pub fn open_copied(path: &Path, limit: u64) -> io::Result<Source> {
        use std::io::Read;
        let mut file = File::open(path)?;
        let meta = file.metadata()?;
        if meta.is_dir() {
            return Err(io::Error::from(io::ErrorKind::IsADirectory));
        }
        if meta.len() > limit {
            return Ok(Source::File(file, meta.len()));
        }
        // The length may change meanwhile: whatever was read is the source (the caller
        // compares the file's metadata before and after).
        let mut data = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
        file.by_ref().take(limit + 1).read_to_end(&mut data)?;
        if data.len() as u64 > limit {
            let len = file.metadata()?.len();
            return Ok(Source::File(file, len));
        }
        Ok(Source::Memory(data.into()))
    }

    /// Wraps an open file (for example a temporary one).
    ///
    /// # Errors
    /// Any I/O error reading the file's metadata.
    pub fn from_file(file: File) -> io::Result<Source> {
        let len = file.metadata()?.len();
        Ok(Source::File(file, len))
    }

    /// Total length in bytes.
    #[must_use]
    pub fn len(&self) -> u64 {
        match self {
            Source::File(_, n) => *n,
            Source::Memory(m) => m.len() as u64,
            #[cfg(unix)]
            Source::Mapped(m) => m.len() as u64,
        }
    }

    /// All the bytes, when the source is in memory or mapped.
    #[must_use]
    pub fn bytes(&self) -> Option<&[u8]> {
        match self {
            Source::File(..) => None,
            Source::Memory(m) => Some(m),
            #[cfg(unix)]
            Source::Mapped(m) => Some(m),
        }
    }

    /// True for an empty source.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Reads as many bytes as available at `offset` into `buf` (short only at the end).
    ///
    /// # Errors
    /// Any I/O error of the underlying file.
    pub fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        let Source::File(f, _) = self else {
            let m = self.bytes().unwrap_or_default();
            let Some(rest) = usize::try_from(offset).ok().and_then(|o| m.get(o..)) else {
                return Ok(0);
            };
            let n = buf.len().min(rest.len());
            buf[..n].copy_from_slice(&rest[..n]);
            return Ok(n);
        };
        let mut done = 0;
        while done < buf.len() {
            let n = read_at(f, &mut buf[done..], offset + done as u64)?;
            if n == 0 {
                break;
            }
            done += n;
        }
        Ok(done)
    }

    /// Reads exactly `buf.len()` bytes at `offset`.
    ///
    /// # Errors
    /// `UnexpectedEof` when the source is shorter, or any I/O error.
    pub fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        if self.read_at(offset, buf)? == buf.len() {
            Ok(())
        } else {
            Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "premature end of data",
            ))
        }
    }

    /// Calls `f` with consecutive chunks of `[offset, offset + len)`, each byte-swapped by
    /// words of `swap` bytes (1: as stored). Chunks of an in-memory source are passed without
    /// copying unless they must be swapped; `buf` is the scratch buffer otherwise.
    ///
    /// # Errors
    /// I/O errors of the source or errors returned by `f`.
    pub fn for_each_chunk<E: From<io::Error>>(
        &self,
        offset: u64,
        len: u64,
        swap: u8,
        buf: &mut Vec<u8>,
        mut f: impl FnMut(&[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        if let Some(m) = self.bytes() {
            let end = offset
                .checked_add(len)
                .filter(|e| *e <= m.len() as u64)
                .ok_or_else(|| io::Error::new(io::ErrorKind::UnexpectedEof, "premature end"))?;
            #[allow(clippy::cast_possible_truncation)]
            let data = &m[offset as usize..end as usize];
            for chunk in data.chunks(CHUNK) {
                if swap > 1 {
                    buf.clear();
                    buf.extend_from_slice(chunk);
                    swap_in_place(buf, swap);
                    f(buf)?;
                } else {
                    f(chunk)?;
                }
            }
            return Ok(());
        }
        if len >= PIPELINE_THRESHOLD {
            return self.pipelined_chunks(offset, len, swap, f);
        }
        buf.resize(CHUNK, 0);
        let mut pos = offset;
        let end = offset + len;
        while pos < end {
            #[allow(clippy::cast_possible_truncation)]
            let n = (end - pos).min(CHUNK as u64) as usize;
            self.read_exact_at(pos, &mut buf[..n])?;
            swap_in_place(&mut buf[..n], swap);
            f(&buf[..n])?;
            pos += n as u64;
        }
        Ok(())
    }

    /// Like [`Source::for_each_chunk`], with a reader thread that fills the next buffers while
    /// `f` works on the current one, so that reading the file overlaps with hashing it.
    fn pipelined_chunks<E: From<io::Error>>(
        &self,
        offset: u64,
        len: u64,
        swap: u8,
        mut f: impl FnMut(&[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        use std::sync::mpsc::sync_channel;
        let (full_tx, full_rx) = sync_channel::<io::Result<(Vec<u8>, usize)>>(BUFFERS);
        let (empty_tx, empty_rx) = sync_channel::<Vec<u8>>(BUFFERS);
        for _ in 0..BUFFERS {
            let _ = empty_tx.send(vec![0u8; PIPE_CHUNK]);
        }
        std::thread::scope(|scope| {
            scope.spawn(move || {
                let mut pos = offset;
                let end = offset + len;
                while pos < end {
                    // The consumer stopped (error or done): stop reading.
                    let Ok(mut buf) = empty_rx.recv() else { return };
                    #[allow(clippy::cast_possible_truncation)]
                    let n = (end - pos).min(PIPE_CHUNK as u64) as usize;
                    let read = self.read_exact_at(pos, &mut buf[..n]).map(|()| {
                        swap_in_place(&mut buf[..n], swap);
                        (buf, n)
                    });
                    let failed = read.is_err();
                    if full_tx.send(read).is_err() || failed {
                        return;
                    }
                    pos += n as u64;
                }
            });
            // The channel ends are moved in and dropped on return, error or not, which
            // releases a reader blocked on either channel before the scope joins it.
            let consume = move || -> Result<(), E> {
                for item in full_rx {
                    let (buf, n) = item?;
                    f(&buf[..n])?;
                    let _ = empty_tx.send(buf);
                }
                Ok(())
            };
            consume()
        })
    }
}

/// Files up to this size are mapped when opened (Unix); larger ones are read in chunks.
const SMALL_FILE: u64 = 32 << 20;
/// Values at least this long are read by a second thread while being processed.
const PIPELINE_THRESHOLD: u64 = 16 << 20;
/// Buffers in flight between the reader thread and the consumer.
const BUFFERS: usize = 4;
/// Size of those buffers: large enough that hashing is not slowed by hand-overs (measured:
/// 4 MiB hashes 1 GiB about 5% faster than 1 MiB), small enough to keep memory bounded.
const PIPE_CHUNK: usize = 4 << 20;

/// Size of the chunks in which large values are streamed.
pub const CHUNK: usize = 1 << 20;

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn big_file(len: usize) -> (tempfile::NamedTempFile, Vec<u8>) {
        let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(&data).unwrap();
        f.flush().unwrap();
        (f, data)
    }

    fn chunks(src: &Source, offset: u64, len: u64, swap: u8) -> Vec<u8> {
        let mut got = Vec::new();
        let mut buf = Vec::new();
        src.for_each_chunk::<io::Error>(offset, len, swap, &mut buf, |c| {
            got.extend_from_slice(c);
            Ok(())
        })
        .unwrap();
        got
    }

    #[test]
    #[cfg(unix)]
    fn small_files_are_mapped_and_read_like_files() {
        let (file, data) = big_file(3 * CHUNK + 10);
        let mapped = Source::open(file.path()).unwrap();
        assert!(matches!(mapped, Source::Mapped(_)));
        assert_eq!(mapped.bytes(), Some(&data[..]));
        let read = Source::from_file(File::open(file.path()).unwrap()).unwrap();
        assert!(read.bytes().is_none());
        for swap in [1, 2, 4, 8] {
            let (offset, len) = (3, 2 * CHUNK as u64 + 16);
            let expected = chunks(&read, offset, len, swap);
            assert_eq!(chunks(&mapped, offset, len, swap), expected);
            if swap == 2 {
                assert_eq!(expected[..4], [data[4], data[3], data[6], data[5]]);
            }
        }
        // Empty files and directories are not mapped.
        let empty = tempfile::NamedTempFile::new().unwrap();
        assert!(matches!(
            Source::open(empty.path()).unwrap(),
            Source::File(_, 0)
        ));
        assert!(Source::open(file.path().parent().unwrap()).is_err());
        // A range beyond the end is an error, not a panic.
        let mut buf = Vec::new();
        let r = mapped.for_each_chunk::<io::Error>(5, data.len() as u64, 1, &mut buf, |_| Ok(()));
        assert_eq!(r.unwrap_err().kind(), io::ErrorKind::UnexpectedEof);
        let r = mapped.for_each_chunk::<io::Error>(u64::MAX, 2, 1, &mut buf, |_| Ok(()));
        assert!(r.is_err());
    }

    #[test]
    fn pipelined_chunks_deliver_every_byte_in_order() {
        let (file, data) = big_file(SMALL_FILE as usize + 12345);
        let src = Source::open(file.path()).unwrap();
        let mut got = Vec::new();
        let mut buf = Vec::new();
        src.for_each_chunk::<io::Error>(7, data.len() as u64 - 7, 1, &mut buf, |c| {
            got.extend_from_slice(c);
            Ok(())
        })
        .unwrap();
        assert_eq!(got, &data[7..]);
    }

    #[test]
    fn a_consumer_error_stops_the_reader() {
        let (file, data) = big_file(SMALL_FILE as usize + (PIPELINE_THRESHOLD as usize) * 3);
        let src = Source::open(file.path()).unwrap();
        let mut calls = 0;
        let mut buf = Vec::new();
        let r = src.for_each_chunk::<io::Error>(0, data.len() as u64, 1, &mut buf, |_| {
            calls += 1;
            if calls == 2 {
                Err(io::Error::other("stop"))
            } else {
                Ok(())
            }
        });
        assert_eq!(r.unwrap_err().to_string(), "stop");
        assert_eq!(calls, 2);
        // A range beyond the end of the file is an error, not a hang.
        let r = src.for_each_chunk::<io::Error>(0, data.len() as u64 + 1, 1, &mut buf, |_| Ok(()));
        assert!(r.is_err());
    }
}
