//! Random-access byte sources: a file on disk (read with positioned reads, never mapped or
//! read whole) or a buffer in memory.

use std::fs::File;
use std::io;
use std::path::Path;
use std::sync::Arc;

/// Where the bytes of a document live.
#[derive(Debug)]
pub enum Source {
    /// A file read with positioned reads.
    File(File, u64),
    /// A buffer in memory.
    Memory(Arc<[u8]>),
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

impl Source {
    /// Opens a file.
    ///
    /// # Errors
    /// Any I/O error of opening the file or reading its metadata.
    pub fn open(path: &Path) -> io::Result<Source> {
        let file = File::open(path)?;
        let meta = file.metadata()?;
        if meta.is_dir() {
            return Err(io::Error::other("is a directory"));
        }
        Ok(Source::File(file, meta.len()))
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
        match self {
            Source::File(f, _) => {
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
            Source::Memory(m) => {
                let len = m.len() as u64;
                if offset >= len {
                    return Ok(0);
                }
                #[allow(clippy::cast_possible_truncation)]
                let start = offset as usize;
                let n = buf.len().min(m.len() - start);
                buf[..n].copy_from_slice(&m[start..start + n]);
                Ok(n)
            }
        }
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

    /// Calls `f` with consecutive chunks of `[offset, offset + len)`, reusing `buf`.
    ///
    /// # Errors
    /// I/O errors of the source or errors returned by `f`.
    pub fn for_each_chunk<E: From<io::Error>>(
        &self,
        offset: u64,
        len: u64,
        buf: &mut Vec<u8>,
        mut f: impl FnMut(&mut [u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        if let Source::Memory(m) = self {
            // Copy into the scratch buffer so callers may swap bytes in place.
            #[allow(clippy::cast_possible_truncation)]
            let (start, end) = (offset as usize, (offset + len) as usize);
            if end > m.len() {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "premature end").into());
            }
            for chunk in m[start..end].chunks(CHUNK) {
                buf.clear();
                buf.extend_from_slice(chunk);
                f(buf)?;
            }
            return Ok(());
        }
        buf.resize(CHUNK, 0);
        let mut pos = offset;
        let end = offset + len;
        while pos < end {
            #[allow(clippy::cast_possible_truncation)]
            let n = (end - pos).min(CHUNK as u64) as usize;
            self.read_exact_at(pos, &mut buf[..n])?;
            f(&mut buf[..n])?;
            pos += n as u64;
        }
        Ok(())
    }
}

/// Size of the chunks in which large values are streamed.
pub const CHUNK: usize = 1 << 20;
