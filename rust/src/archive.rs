//! The archive engine: files judged one by one ([`Checker`]) and many at once on a thread pool
//! ([`Pool`]), each completely in Rust: the file's type and metadata, the read, every
//! signature's verdict, and the quick chain check against trust anchors loaded once (each
//! distinct chain judged once per validation time, [`TrustAnchors::surely_trusts`]).
//!
//! What the engine cannot be sure of (a failed signature, a chain it does not surely accept,
//! CRLs) it leaves to the caller's complete emulation, with the verdicts already computed: a
//! file is never read twice.

use std::fs;
use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crossbeam_channel::{Receiver, Sender};

use crate::error::{os_errno, os_reason, CoreError};
use crate::pki::chain::TrustAnchors;
use crate::read::source::Source;
use crate::read::{self, ReadOptions};
use crate::signatures::verify::{self, Verdicts};

/// Files up to this size are read into memory at once; larger ones are streamed.
pub const IN_MEMORY: u64 = 4 << 20;

/// A file's size and modification time (`stat`, symbolic links followed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stat {
    /// Size in bytes.
    pub size: u64,
    /// Modification time, nanoseconds since the Unix epoch.
    pub mtime_ns: i64,
    /// The inode (0 where the system has none): a file replaced meanwhile is another file.
    inode: u64,
}

impl Stat {
    fn of(meta: &fs::Metadata) -> Stat {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            Stat {
                size: meta.len(),
                mtime_ns: meta
                    .mtime()
                    .saturating_mul(1_000_000_000)
                    .saturating_add(meta.mtime_nsec()),
                inode: meta.ino(),
            }
        }
        #[cfg(not(unix))]
        {
            let mtime_ns = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .and_then(|d| i64::try_from(d.as_nanos()).ok())
                .unwrap_or(0);
            Stat {
                size: meta.len(),
                mtime_ns,
                inode: 0,
            }
        }
    }
}

/// What the engine found in one file.
#[derive(Debug)]
pub enum Examination {
    /// The file cannot be examined or read (missing, not a regular file, an I/O error, changed
    /// while it was read): the reason in words.
    Unreadable(String),
    /// The reader stopped (damaged, or not DICOM); `dicm` tells whether the file has the
    /// `DICM` prefix after a preamble.
    Unparsable {
        /// The reader's error.
        error: CoreError,
        /// The file starts with 128 bytes and `DICM`.
        dicm: bool,
    },
    /// Read whole: every signature's verdict.
    Checked {
        /// The verdicts, in DCMTK's order.
        verdicts: Verdicts,
        /// Every signature is surely valid with a chain the anchors surely trust
        /// ([`Verdicts::surely_valid`]); false means "not sure", or no anchors.
        surely_valid: bool,
    },
}

/// The engine's result for one file.
#[derive(Debug)]
pub struct FileCheck {
    /// `stat` of the file before it was read, when it could be examined.
    pub stat: Option<Stat>,
    /// What was found.
    pub examination: Examination,
}

impl FileCheck {
    fn unreadable(stat: Option<Stat>, why: String) -> FileCheck {
        FileCheck {
            stat,
            examination: Examination::Unreadable(why),
        }
    }
}

/// The words for a file that is not a regular file.
fn not_regular(meta: &fs::Metadata) -> String {
    let kind = meta.file_type();
    if kind.is_dir() {
        return is_a_directory();
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let what = if kind.is_fifo() {
            Some("a named pipe (FIFO)")
        } else if kind.is_char_device() {
            Some("a character device")
        } else if kind.is_block_device() {
            Some("a block device")
        } else if kind.is_socket() {
            Some("a socket")
        } else {
            None
        };
        if let Some(what) = what {
            return format!("not a regular file: {what}");
        }
    }
    "not a regular file".to_string()
}

/// The system's words for `EISDIR`, as Python's `os.strerror` gives them.
fn is_a_directory() -> String {
    #[cfg(unix)]
    {
        /// `EISDIR` (the same number on Linux, the BSDs and macOS).
        const EISDIR: i32 = 21;
        os_reason(&io::Error::from_raw_os_error(EISDIR))
    }
    #[cfg(not(unix))]
    {
        "Is a directory".to_string()
    }
}
/// `ENOENT`.
const ENOENT: i32 = 2;

fn has_dicm_prefix(source: Option<&Source>, path: &Path) -> bool {
    let mut magic = [0u8; 4];
    match source {
        Some(src) => src.read_exact_at(128, &mut magic).is_ok() && &magic == b"DICM",
        None => Source::open(path)
            .and_then(|src| src.read_exact_at(128, &mut magic))
            .is_ok_and(|()| &magic == b"DICM"),
    }
}

/// Seconds since the Unix epoch now (the validation time of the quick chain check).
fn now() -> Option<i64> {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .ok()
        .and_then(|d| i64::try_from(d.as_secs()).ok())
}

/// Judges files one by one with one set of trust anchors and reading options.
#[derive(Debug)]
pub struct Checker {
    anchors: Option<Arc<TrustAnchors>>,
    options: ReadOptions,
    old_format: bool,
    /// Tests: runs once the file is open, before it is read (a writer changing it).
    #[cfg(test)]
    after_open: Option<fn(&Path)>,
}

impl Checker {
    /// A checker; without `anchors` no file is surely valid (the caller judges every chain).
    #[must_use]
    pub fn new(anchors: Option<Arc<TrustAnchors>>, options: ReadOptions, old_format: bool) -> Self {
        Checker {
            anchors,
            options,
            old_format,
            #[cfg(test)]
            after_open: None,
        }
    }

    /// Examines, reads and judges one file; every problem with the file is in the result.
    ///
    /// A FIFO, a device or a socket is never opened (nothing blocks, nothing has effects); a
    /// file whose size, modification time or inode changed while it was read is unreadable,
    /// since its verdict may belong to neither version.
    #[must_use]
    pub fn check(&self, path: &Path) -> FileCheck {
        let before = match fs::metadata(path) {
            Ok(meta) => meta,
            Err(e) => {
                let mut why = os_reason(&e);
                let dangling = os_errno(&e) == ENOENT
                    && fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
                if dangling {
                    why.push_str(" (a dangling symbolic link)");
                }
                return FileCheck::unreadable(None, why);
            }
        };
        let stat = Stat::of(&before);
        if !before.is_file() {
            return FileCheck::unreadable(Some(stat), not_regular(&before));
        }
        let source = match Source::open_copied(path, IN_MEMORY) {
            Ok(src) => src,
            Err(e) => return FileCheck::unreadable(Some(stat), os_reason(&e)),
        };
        let dicm = has_dicm_prefix(Some(&source), path);
        #[cfg(test)]
        if let Some(hook) = &self.after_open {
            hook(path);
        }
        // Large values are read while the MAC streams are hashed: the file is read until
        // the verdicts are there.
        let examination = match read::read(source, self.options) {
            Ok(doc) => {
                let verdicts = verify::verdicts(&doc, self.old_format);
                drop(doc);
                let surely_valid = match (&self.anchors, now()) {
                    (Some(anchors), Some(now)) => verdicts.surely_valid(anchors, now),
                    _ => false,
                };
                Examination::Checked {
                    verdicts,
                    surely_valid,
                }
            }
            Err(CoreError::Io(e)) => Examination::Unreadable(os_reason(&e)),
            Err(error) => Examination::Unparsable { error, dicm },
        };
        // Whatever was found is the file's only if the file stayed the same (a damaged read
        // may come from a concurrent writer).
        match fs::metadata(path) {
            Ok(after) if Stat::of(&after) == stat => FileCheck {
                stat: Some(stat),
                examination,
            },
            // Neither version's metadata is the verdict's: none is recorded.
            Ok(_) => FileCheck::unreadable(None, "the file changed while it was verified".into()),
            Err(e) => {
                FileCheck::unreadable(Some(stat), format!("{} after it was read", os_reason(&e)))
            }
        }
    }
}

/// A result of the pool: the caller's token and the file's check (`None` when the file was
/// dropped by [`Pool::cancel`] before it started).
pub type Done<T> = (T, Option<FileCheck>);

/// Files judged in parallel by a [`Checker`] on a pool of threads, results handed out in the
/// order they complete. The caller bounds the files in flight (submitted and not yet
/// received): memory is bounded by that number and the number of threads, never by the
/// number of files.
pub struct Pool<T> {
    checker: Arc<Checker>,
    threads: rayon::ThreadPool,
    results: Receiver<Done<T>>,
    sender: Sender<Done<T>>,
    cancelled: Arc<AtomicBool>,
    /// Files submitted and not yet received.
    pending: AtomicUsize,
}

impl<T: Send + 'static> Pool<T> {
    /// A pool of `jobs` threads (at least one).
    ///
    /// # Errors
    /// The threads cannot be started.
    pub fn new(checker: Arc<Checker>, jobs: usize) -> io::Result<Pool<T>> {
        let threads = rayon::ThreadPoolBuilder::new()
            .num_threads(jobs.max(1))
            .thread_name(|i| format!("dicomsign-verify-{i}"))
            .build()
            .map_err(io::Error::other)?;
        let (sender, results) = crossbeam_channel::unbounded();
        Ok(Pool {
            checker,
            threads,
            results,
            sender,
            cancelled: Arc::new(AtomicBool::new(false)),
            pending: AtomicUsize::new(0),
        })
    }

    /// Queues one file; its result comes back with `token`.
    pub fn submit(&self, token: T, path: std::path::PathBuf) {
        let checker = Arc::clone(&self.checker);
        let sender = self.sender.clone();
        let cancelled = Arc::clone(&self.cancelled);
        self.pending.fetch_add(1, Ordering::Relaxed);
        self.threads.spawn(move || {
            let check = (!cancelled.load(Ordering::Relaxed)).then(|| checker.check(&path));
            // The receiver lives as long as the pool, which outlives its threads' work.
            let _ = sender.send((token, check));
        });
    }

    /// The next result, waiting at most `timeout`; `None` when none came in time.
    #[must_use]
    pub fn next_timeout(&self, timeout: Duration) -> Option<Done<T>> {
        // Never disconnected: the pool holds a sender.
        let done = self.results.recv_timeout(timeout).ok()?;
        self.pending.fetch_sub(1, Ordering::Relaxed);
        Some(done)
    }

    /// Every result already there, without waiting.
    pub fn ready(&self) -> impl Iterator<Item = Done<T>> + '_ {
        self.results.try_iter().inspect(|_| {
            self.pending.fetch_sub(1, Ordering::Relaxed);
        })
    }

    /// Files submitted whose results have not been received.
    #[must_use]
    pub fn pending(&self) -> usize {
        self.pending.load(Ordering::Relaxed)
    }

    /// Files queued and not started are dropped (their results come back as `None`); those
    /// being judged finish.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }

    /// Cancels, waits until every file in flight has finished, and gives back the results
    /// not received yet: afterwards nothing runs in the pool.
    pub fn finish(&self) -> Vec<Done<T>> {
        self.cancel();
        let mut rest = Vec::new();
        while self.pending() > 0 {
            rest.extend(self.next_timeout(Duration::from_millis(100)));
        }
        rest
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checker() -> Checker {
        Checker::new(None, ReadOptions::default(), false)
    }

    #[test]
    fn missing_and_directories_are_unreadable_with_words() {
        let dir = tempfile::tempdir().unwrap();
        let check = checker().check(&dir.path().join("absent"));
        assert!(check.stat.is_none());
        assert!(
            matches!(check.examination, Examination::Unreadable(ref w) if w == "No such file or directory")
        );
        let check = checker().check(dir.path());
        assert!(check.stat.is_some());
        assert!(
            matches!(check.examination, Examination::Unreadable(ref w) if w == "Is a directory")
        );
    }

    #[cfg(unix)]
    #[test]
    fn dangling_links_and_fifos_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(dir.path().join("nowhere"), &link).unwrap();
        let check = checker().check(&link);
        assert!(
            matches!(check.examination, Examination::Unreadable(ref w) if w.ends_with("(a dangling symbolic link)"))
        );
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|s| s.success()) {
            // Never opened: this would block forever otherwise.
            let check = checker().check(&fifo);
            assert!(
                matches!(check.examination, Examination::Unreadable(ref w) if w == "not a regular file: a named pipe (FIFO)")
            );
        }
    }

    #[test]
    fn text_is_unparsable_without_prefix_and_empty_files_too() {
        let dir = tempfile::tempdir().unwrap();
        let text = dir.path().join("notes.txt");
        fs::write(&text, b"hello, this is not DICOM at all\n").unwrap();
        let check = checker().check(&text);
        assert_eq!(check.stat.unwrap().size, 32);
        assert!(matches!(
            check.examination,
            Examination::Unparsable { dicm: false, .. }
        ));
        let empty = dir.path().join("empty");
        fs::write(&empty, b"").unwrap();
        let check = checker().check(&empty);
        assert!(matches!(
            check.examination,
            Examination::Unparsable { dicm: false, .. }
        ));
    }

    #[test]
    fn a_truncated_file_with_the_prefix_is_unparsable_with_it() {
        let dir = tempfile::tempdir().unwrap();
        let cut = dir.path().join("cut.dcm");
        let mut data = vec![0u8; 128];
        data.extend_from_slice(b"DICM\x02\x00\x00\x00UL\x04\x00");
        fs::write(&cut, &data).unwrap();
        let check = checker().check(&cut);
        assert!(matches!(
            check.examination,
            Examination::Unparsable { dicm: true, .. }
        ));
    }

    #[test]
    fn a_file_changed_while_it_is_read_is_unreadable_without_metadata() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("growing.dcm");
        let mut data = vec![0u8; 128];
        data.extend_from_slice(b"DICM");
        data.extend_from_slice(&[0x08, 0, 0x16, 0, b'U', b'I', 2, 0, b'1', 0]);
        fs::write(&path, &data).unwrap();
        let mut checker = checker();
        checker.after_open = Some(|p| {
            use std::io::Write;
            let mut f = fs::OpenOptions::new().append(true).open(p).unwrap();
            f.write_all(&[8, 0, 0x18, 0, b'U', b'I', 2, 0, b'2', 0])
                .unwrap();
        });
        let check = checker.check(&path);
        assert!(check.stat.is_none());
        assert!(
            matches!(check.examination, Examination::Unreadable(ref w) if w == "the file changed while it was verified")
        );
    }

    #[test]
    fn the_pool_gives_one_result_per_file_and_drops_cancelled_ones() {
        let dir = tempfile::tempdir().unwrap();
        let pool: Pool<usize> = Pool::new(Arc::new(checker()), 2).unwrap();
        for i in 0..50 {
            pool.submit(i, dir.path().join(format!("missing-{i}")));
        }
        let mut seen: Vec<usize> = (0..50)
            .map(|_| pool.next_timeout(Duration::from_secs(10)).unwrap())
            .map(|(token, check)| {
                assert!(check.is_some());
                token
            })
            .collect();
        seen.sort_unstable();
        assert_eq!(seen, (0..50).collect::<Vec<_>>());
        assert!(pool.next_timeout(Duration::from_millis(10)).is_none());
        assert_eq!(pool.pending(), 0);
        pool.cancel();
        pool.submit(99, dir.path().join("late"));
        let (token, check) = pool.next_timeout(Duration::from_secs(10)).unwrap();
        assert_eq!(token, 99);
        assert!(check.is_none());
        for i in 100..110 {
            pool.submit(i, dir.path().join("later"));
        }
        assert_eq!(pool.finish().len(), 10);
        assert_eq!(pool.pending(), 0);
    }
}
