//! Byte-stream plumbing for text files: a reader that transcodes to UTF-8 on the fly, and
//! a reader that hands every byte it passes to a thread that hashes it and copies it to the
//! caller, while checking it.

use std::io::{self, Read, Write};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread::{Scope, ScopedJoinHandle};

use encoding_rs::{CoderResult, Decoder, Encoding};
use sha2::{Digest, Sha256};

use crate::detect::encoding_of;
use crate::source::InputStats;
use crate::TextEncoding;

const DECODE_BUFFER: usize = 64 * 1024;

/// Transcodes any `encoding_rs` encoding to UTF-8 as it is read, in bounded memory.
pub(crate) struct DecodingReader<R> {
    inner: R,
    decoder: Decoder,
    input: Box<[u8]>,
    input_start: usize,
    input_end: usize,
    input_done: bool,
    output: Box<[u8]>,
    output_start: usize,
    output_end: usize,
    finished: bool,
}

impl<R: Read> DecodingReader<R> {
    /// `encoding`'s BOM, if present, is removed.
    pub(crate) fn new(inner: R, encoding: &'static Encoding) -> Self {
        DecodingReader {
            inner,
            decoder: encoding.new_decoder_with_bom_removal(),
            input: vec![0; DECODE_BUFFER].into_boxed_slice(),
            input_start: 0,
            input_end: 0,
            input_done: false,
            // Room for the worst case of one full input buffer, so decoding always progresses.
            output: vec![0; DECODE_BUFFER * 3 + 16].into_boxed_slice(),
            output_start: 0,
            output_end: 0,
            finished: false,
        }
    }

    pub(crate) fn get_ref(&self) -> &R {
        &self.inner
    }

    pub(crate) fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    pub(crate) fn into_inner(self) -> R {
        self.inner
    }

    /// Decodes the next piece of input into `output`; false once everything is out.
    fn fill_output(&mut self) -> io::Result<bool> {
        while !self.finished {
            if self.input_start == self.input_end && !self.input_done {
                let read = self.inner.read(&mut self.input)?;
                self.input_start = 0;
                self.input_end = read;
                self.input_done = read == 0;
            }
            let input = self.input.get(self.input_start..self.input_end).unwrap_or(&[]);
            let (result, read, written, _) = self.decoder.decode_to_utf8(input, &mut self.output, self.input_done);
            self.input_start += read;
            self.output_start = 0;
            self.output_end = written;
            if self.input_done && result == CoderResult::InputEmpty {
                self.finished = true;
            }
            if written > 0 {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

impl<R: Read> Read for DecodingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.output_start == self.output_end && !self.fill_output()? {
            return Ok(0);
        }
        let available = self.output.get(self.output_start..self.output_end).unwrap_or(&[]);
        let n = available.len().min(buf.len());
        buf.get_mut(..n).unwrap_or_default().copy_from_slice(available.get(..n).unwrap_or(&[]));
        self.output_start += n;
        Ok(n)
    }
}

/// Checks UTF-8 validity across chunk boundaries, remembering where it first failed.
#[derive(Debug, Default)]
pub(crate) struct Utf8Check {
    carry: [u8; 4],
    carry_len: usize,
    seen: u64,
    pub(crate) first_invalid: Option<u64>,
}

impl Utf8Check {
    pub(crate) fn feed(&mut self, mut chunk: &[u8]) {
        let chunk_start = self.seen;
        self.seen += chunk.len() as u64;
        if self.first_invalid.is_some() {
            return;
        }
        if self.carry_len > 0 {
            // Finish the character split by the previous chunk.
            let mut joined = [0u8; 8];
            let take = chunk.len().min(4);
            let carry = self.carry.get(..self.carry_len).unwrap_or(&[]);
            let head = chunk.get(..take).unwrap_or(&[]);
            let total = carry.len() + head.len();
            for (slot, &b) in joined.iter_mut().zip(carry.iter().chain(head)) {
                *slot = b;
            }
            let joined = joined.get(..total).unwrap_or(&[]);
            let complete = match std::str::from_utf8(joined) {
                Ok(_) => total,
                Err(e) if e.valid_up_to() >= self.carry_len => e.valid_up_to(),
                Err(e) if e.error_len().is_none() && take == chunk.len() => {
                    // Still incomplete: keep carrying.
                    for (slot, &b) in self.carry.iter_mut().zip(joined) {
                        *slot = b;
                    }
                    self.carry_len = total.min(4);
                    return;
                }
                Err(_) => {
                    self.first_invalid = Some(chunk_start.saturating_sub(self.carry_len as u64));
                    return;
                }
            };
            chunk = chunk.get(complete - self.carry_len..).unwrap_or(&[]);
            self.carry_len = 0;
        }
        let offset = self.seen - chunk.len() as u64;
        if let Err(e) = std::str::from_utf8(chunk) {
            if e.error_len().is_some() {
                self.first_invalid = Some(offset + e.valid_up_to() as u64);
            } else {
                let tail = chunk.get(e.valid_up_to()..).unwrap_or(&[]);
                for (slot, &b) in self.carry.iter_mut().zip(tail) {
                    *slot = b;
                }
                self.carry_len = tail.len().min(4);
            }
        }
    }

    /// True when everything fed so far, ending here, was UTF-8.
    pub(crate) fn finish(&mut self) -> bool {
        if self.carry_len > 0 && self.first_invalid.is_none() {
            self.first_invalid = Some(self.seen - self.carry_len as u64);
        }
        self.first_invalid.is_none()
    }
}

/// Chunks of the original on their way to the [`Keeper`]'s thread.
const KEPT_CHUNKS: usize = 4;

/// Where [`Tee`] hands the original: a thread of its own hashes every chunk, checks it as
/// UTF-8 (for 8-bit text) and writes it to the caller, so the parser waits for none of that.
pub(crate) struct Keeper {
    chunks: SyncSender<Vec<u8>>,
    /// Chunk buffers written and handed back, to be filled again.
    spares: Receiver<Vec<u8>>,
}

/// What the keeper found once its [`Keeper`] is dropped.
pub(crate) struct KeptOriginal {
    /// Hex SHA-256 of every byte sent.
    pub(crate) sha256: String,
    /// Whether they were UTF-8 throughout; `None` when not checked.
    pub(crate) utf8: Option<bool>,
}

/// The keeper's answer: what it found, or the caller's writer's error.
pub(crate) type Kept<'scope> = ScopedJoinHandle<'scope, io::Result<KeptOriginal>>;

impl Keeper {
    pub(crate) fn spawn<'scope>(
        scope: &'scope Scope<'scope, '_>,
        original: &'scope mut (dyn Write + Send),
        check_utf8: bool,
    ) -> io::Result<(Keeper, Kept<'scope>)> {
        let (chunks, received) = sync_channel::<Vec<u8>>(KEPT_CHUNKS);
        let (written, spares) = sync_channel(KEPT_CHUNKS + 2);
        let kept = std::thread::Builder::new().name("original".into()).spawn_scoped(scope, move || {
            let mut hasher = Sha256::new();
            let mut utf8 = check_utf8.then(Utf8Check::default);
            for chunk in received {
                original.write_all(&chunk)?;
                hasher.update(&chunk);
                if let Some(check) = utf8.as_mut() {
                    check.feed(&chunk);
                }
                let _ = written.try_send(chunk);
            }
            Ok(KeptOriginal { sha256: hex::encode(hasher.finalize()), utf8: utf8.map(|mut check| check.finish()) })
        })?;
        Ok((Keeper { chunks, spares }, kept))
    }

    /// False once the keeper has stopped: the caller's writer failed.
    fn send(&self, chunk: &[u8]) -> bool {
        let mut buffer = self.spares.try_recv().unwrap_or_default();
        buffer.clear();
        buffer.extend_from_slice(chunk);
        self.chunks.send(buffer).is_ok()
    }
}

/// Passes a file through while handing it to the [`Keeper`], counting it, and (for 8-bit
/// text) looking for NUL bytes.
pub(crate) struct Tee<R> {
    inner: R,
    keeper: Keeper,
    pub(crate) bytes: u64,
    /// False for UTF-16, where NUL bytes are text.
    find_nul: bool,
    pub(crate) first_nul: Option<u64>,
    /// The keeper stopped; its error is reported as a sink error, not a read error.
    original_failed: bool,
}

impl<R: Read> Tee<R> {
    pub(crate) fn new(inner: R, keeper: Keeper, find_nul: bool) -> Self {
        Tee { inner, keeper, bytes: 0, find_nul, first_nul: None, original_failed: false }
    }
}

/// What reading reports when the keeper stopped; the keeper's own error replaces it.
fn original_stopped() -> io::Error {
    io::Error::other("the copy of the original stopped")
}

impl<R: Read> Read for Tee<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let chunk = buf.get(..n).unwrap_or(&[]);
        if !self.keeper.send(chunk) {
            self.original_failed = true;
            return Err(original_stopped());
        }
        if self.find_nul && self.first_nul.is_none() {
            if let Some(at) = memchr::memchr(0, chunk) {
                self.first_nul = Some(self.bytes + at as u64);
            }
        }
        self.bytes += n as u64;
        Ok(n)
    }
}

/// Counts the bytes read through it, for progress.
pub(crate) struct Counting<R> {
    inner: R,
    pub(crate) bytes: u64,
}

impl<R> Counting<R> {
    pub(crate) fn new(inner: R) -> Self {
        Counting { inner, bytes: 0 }
    }
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
}

/// The reader under the CSV parser: raw bytes, or transcoded to UTF-8.
pub(crate) enum TextInput<R> {
    Plain(R),
    Decoded(DecodingReader<R>),
}

impl<R: Read> TextInput<R> {
    /// Skips a UTF-8 BOM, and transcodes anything that is not UTF-8.
    pub(crate) fn new(mut inner: R, encoding: TextEncoding) -> io::Result<Self> {
        match encoding {
            TextEncoding::Utf8 => Ok(TextInput::Plain(inner)),
            TextEncoding::Utf8Bom => {
                let mut bom = [0u8; 3];
                inner.read_exact(&mut bom)?;
                Ok(TextInput::Plain(inner))
            }
            TextEncoding::Windows1252 => {
                // A BOM-marked file that turned out not to be UTF-8: drop the BOM anyway.
                Ok(TextInput::Decoded(DecodingReader::new(inner, encoding_of(encoding))))
            }
            TextEncoding::Utf16Le | TextEncoding::Utf16Be => {
                Ok(TextInput::Decoded(DecodingReader::new(inner, encoding_of(encoding))))
            }
        }
    }

    pub(crate) fn inner(&self) -> &R {
        match self {
            TextInput::Plain(r) => r,
            TextInput::Decoded(d) => d.get_ref(),
        }
    }
}

impl<R: Read> Read for TextInput<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            TextInput::Plain(r) => r.read(buf),
            TextInput::Decoded(d) => d.read(buf),
        }
    }
}

impl<R: Read + InputStats> InputStats for TextInput<R> {
    fn byte_count(&self) -> u64 {
        self.inner().byte_count()
    }
    fn sink_failure(&mut self) -> Option<io::Error> {
        match self {
            TextInput::Plain(r) => r.sink_failure(),
            TextInput::Decoded(d) => d.get_mut().sink_failure(),
        }
    }
    fn binary_offset(&self) -> Option<u64> {
        self.inner().binary_offset()
    }
}

impl<R: Read> InputStats for Tee<R> {
    fn byte_count(&self) -> u64 {
        self.bytes
    }
    fn sink_failure(&mut self) -> Option<io::Error> {
        self.original_failed.then(original_stopped)
    }
    fn binary_offset(&self) -> Option<u64> {
        self.first_nul
    }
}

impl<R: Read> InputStats for Counting<R> {
    fn byte_count(&self) -> u64 {
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_utf16_in_small_reads() {
        let text = "Kunde;Betrag\né;€ 12,50\n".repeat(5000);
        let mut bytes = vec![0xFF, 0xFE];
        bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        let mut reader = DecodingReader::new(bytes.as_slice(), encoding_rs::UTF_16LE);
        let mut out = Vec::new();
        let mut buf = [0u8; 7];
        loop {
            let n = reader.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
        assert_eq!(String::from_utf8(out).unwrap(), text);
    }

    #[test]
    fn decodes_windows_1252() {
        let mut out = String::new();
        DecodingReader::new(&b"caf\xe9 \x80"[..], encoding_rs::WINDOWS_1252).read_to_string(&mut out).unwrap();
        assert_eq!(out, "café €");
    }

    #[test]
    fn utf8_check_handles_split_characters() {
        let text = "aé€😀b".as_bytes();
        for split in 0..text.len() {
            let mut check = Utf8Check::default();
            check.feed(&text[..split]);
            check.feed(&text[split..]);
            assert!(check.finish(), "split at {split}");
        }
        // Byte by byte, too.
        let mut check = Utf8Check::default();
        text.chunks(1).for_each(|c| check.feed(c));
        assert!(check.finish());
        let mut check = Utf8Check::default();
        check.feed(b"ok\xe9t");
        assert!(!check.finish());
        assert_eq!(check.first_invalid, Some(2));
        let mut truncated = Utf8Check::default();
        truncated.feed(&"é".as_bytes()[..1]);
        assert!(!truncated.finish());
    }
}
