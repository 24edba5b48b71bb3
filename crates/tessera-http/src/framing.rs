//! Requests framed twice: a request with both `Content-Length` and `Transfer-Encoding` is
//! the classic request-smuggling vector (a proxy and the server behind it may disagree on
//! where it ends). hyper frames such a request by `Transfer-Encoding`, drops the
//! `Content-Length` header before the application sees it, and closes the connection after
//! the answer; the application cannot tell. So the connection's bytes are watched as hyper
//! reads them ([`FramingWatch`]): each request head is read for its framing headers and its
//! body skipped by the same rules, and the index of a head carrying both is recorded. The
//! server marks that request with [`DoubleFramed`] and the text guard refuses it with 400,
//! so it never reaches a handler or an upstream.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Marks a request that carried both `Content-Length` and `Transfer-Encoding`.
#[derive(Debug, Clone, Copy)]
pub struct DoubleFramed;

/// Largest request head the watch reads; hyper refuses larger ones itself (431).
const MAX_HEAD: usize = 64 * 1024;
/// Largest chunk-size line (with extensions) or trailer line the watch reads.
const MAX_LINE: usize = 4096;
/// No request of the connection was framed twice.
const NONE: u64 = u64::MAX;

/// The index (0 for the connection's first request) of the request framed twice, shared
/// between the connection's reader and its request handler.
#[derive(Debug, Clone)]
pub struct Flag(Arc<AtomicU64>);

impl Default for Flag {
    fn default() -> Self {
        Flag(Arc::new(AtomicU64::new(NONE)))
    }
}

impl Flag {
    /// Whether the connection's request number `index` was framed twice.
    pub fn is(&self, index: u64) -> bool {
        self.0.load(Ordering::Acquire) == index
    }
}

#[derive(Debug)]
enum State {
    /// Reading a request head up to its empty line.
    Head(Vec<u8>),
    /// Skipping a body of this many bytes.
    Body(u64),
    /// Reading a chunk-size line.
    ChunkSize(Vec<u8>),
    /// Skipping this many bytes of chunk data, then its CRLF.
    ChunkData(u64),
    /// Reading trailer lines up to the empty one.
    Trailers(Vec<u8>),
    /// Nothing more to watch (a request framed twice, an upgrade, or bytes hyper refuses).
    Off,
}

/// Reads a connection's request framing as its bytes go by.
#[derive(Debug)]
pub struct Scanner {
    state: State,
    heads: u64,
    flag: Flag,
}

impl Scanner {
    pub fn new(flag: Flag) -> Scanner {
        Scanner { state: State::Head(Vec::new()), heads: 0, flag }
    }

    /// Takes the next bytes the server read from the connection.
    pub fn feed(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            let state = std::mem::replace(&mut self.state, State::Off);
            let (next, used) = self.step(state, bytes);
            self.state = next;
            bytes = &bytes[used..];
            if matches!(self.state, State::Off) {
                return;
            }
        }
    }

    fn step(&mut self, state: State, bytes: &[u8]) -> (State, usize) {
        match state {
            State::Off => (State::Off, bytes.len()),
            State::Body(n) => {
                let used = bytes.len().min(usize::try_from(n).unwrap_or(usize::MAX));
                let left = n - used as u64;
                (if left == 0 { State::Head(Vec::new()) } else { State::Body(left) }, used)
            }
            State::ChunkData(n) => {
                let used = bytes.len().min(usize::try_from(n).unwrap_or(usize::MAX));
                let left = n - used as u64;
                // `left == 0` goes on to the chunk's CRLF, read as an empty size line.
                (if left == 0 { State::ChunkSize(Vec::new()) } else { State::ChunkData(left) }, used)
            }
            State::Head(buf) => match whole_head(&buf, bytes) {
                // The whole head is in this read: read in place, as `take_until` would
                // have taken it.
                Some(stop) => (self.head(&bytes[..stop]), stop),
                None => self.head_in_pieces(buf, bytes),
            },
            State::ChunkSize(mut line) => {
                let (used, done) = take_until(&mut line, bytes, b"\n", MAX_LINE);
                match done {
                    Some(true) => (chunk_size(&line), used),
                    Some(false) => (State::Off, used),
                    None => (State::ChunkSize(line), used),
                }
            }
            State::Trailers(mut buf) => {
                let (used, done) = take_until(&mut buf, bytes, b"\n", MAX_LINE);
                match done {
                    Some(true) if buf == b"\r\n" || buf == b"\n" => (State::Head(Vec::new()), used),
                    Some(true) => (State::Trailers(Vec::new()), used),
                    Some(false) => (State::Off, used),
                    None => (State::Trailers(buf), used),
                }
            }
        }
    }

    /// A head arriving over several reads: collected in `buf` until its empty line.
    fn head_in_pieces(&mut self, mut buf: Vec<u8>, bytes: &[u8]) -> (State, usize) {
        let (used, done) = take_until(&mut buf, bytes, b"\r\n\r\n", MAX_HEAD);
        if buf == b"\r\n" {
            // An empty line between requests (RFC 9112 2.2).
            return (State::Head(Vec::new()), used);
        }
        match done {
            Some(true) => (self.head(&buf), used),
            Some(false) => (State::Off, used),
            None => (State::Head(buf), used),
        }
    }

    /// A complete request head: records it if framed twice, and what its body is.
    fn head(&mut self, head: &[u8]) -> State {
        let index = self.heads;
        self.heads += 1;
        let text = String::from_utf8_lossy(head);
        let mut lines = text.split("\r\n");
        let request_line = lines.next().unwrap_or_default();
        if request_line.starts_with("CONNECT ") {
            return State::Off;
        }
        let (mut length, mut chunked, mut te, mut upgrade) = (None, false, false, false);
        for line in lines {
            let Some((name, value)) = line.split_once(':') else { continue };
            let (name, value) = (name.trim(), value.trim());
            if name.eq_ignore_ascii_case("content-length") {
                length = Some(value.parse::<u64>().ok());
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                te = true;
                chunked = value.rsplit(',').next().is_some_and(|c| c.trim().eq_ignore_ascii_case("chunked"));
            } else if name.eq_ignore_ascii_case("upgrade") {
                upgrade = true;
            }
        }
        if te && length.is_some() {
            self.flag.0.store(index, Ordering::Release);
            // hyper closes the connection after answering it: nothing more to watch.
            return State::Off;
        }
        match (te, chunked, length) {
            _ if upgrade => State::Off,
            (true, true, _) => State::ChunkSize(Vec::new()),
            (true, false, _) => State::Off,
            (false, _, Some(Some(0))) | (false, _, None) => State::Head(Vec::new()),
            (false, _, Some(Some(n))) => State::Body(n),
            (false, _, Some(None)) => State::Off,
        }
    }
}

/// The length of the head at the start of `bytes` (up to and including its empty line) if
/// none of it was read before (`held` is empty) and all of it is there within [`MAX_HEAD`].
fn whole_head(held: &[u8], bytes: &[u8]) -> Option<usize> {
    if !held.is_empty() {
        return None;
    }
    let window = &bytes[..bytes.len().min(MAX_HEAD + 1)];
    window.windows(4).position(|w| w == b"\r\n\r\n").map(|at| at + 4)
}

/// Appends `bytes` to `buf` up to and including `end`. Answers the bytes used and
/// `Some(true)` when `end` was reached, `Some(false)` when `buf` outgrew `max`.
fn take_until(buf: &mut Vec<u8>, bytes: &[u8], end: &[u8], max: usize) -> (usize, Option<bool>) {
    let held = buf.len();
    // A terminator may begin in the bytes already held (fewer than `end.len()` of them can
    // belong to it: a whole one would have ended the search before).
    let from = held.saturating_sub(end.len().saturating_sub(1));
    // One byte past the limit is taken, so a terminator that ends there still counts, as
    // when the bytes were taken one at a time.
    let take = bytes.len().min((max + 1).saturating_sub(held));
    buf.extend_from_slice(&bytes[..take]);
    if let Some(at) = buf[from..].windows(end.len()).position(|w| w == end) {
        let stop = from + at + end.len();
        buf.truncate(stop);
        return (stop - held, Some(true));
    }
    if buf.len() > max {
        return (take, Some(false));
    }
    (take, None)
}

/// The state after a chunk-size line (or the CRLF ending a chunk's data, an empty line).
fn chunk_size(line: &[u8]) -> State {
    let text = String::from_utf8_lossy(line);
    let text = text.trim_end_matches(['\r', '\n']);
    if text.is_empty() {
        return State::ChunkSize(Vec::new());
    }
    let size = text.split(';').next().unwrap_or_default().trim();
    match u64::from_str_radix(size, 16) {
        Ok(0) => State::Trailers(Vec::new()),
        Ok(n) => State::ChunkData(n),
        Err(_) => State::Off,
    }
}

/// A connection whose read bytes go through a [`Scanner`].
pub struct FramingWatch<S> {
    inner: S,
    scanner: Scanner,
}

impl<S> FramingWatch<S> {
    pub fn new(inner: S, flag: Flag) -> FramingWatch<S> {
        FramingWatch { inner, scanner: Scanner::new(flag) }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for FramingWatch<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let this = &mut *self;
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled {
            this.scanner.feed(&buf.filled()[before..]);
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for FramingWatch<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The index the scanner flags after reading `bytes` fed in pieces of `step` bytes.
    fn flagged(bytes: &[u8], step: usize) -> Option<u64> {
        let flag = Flag::default();
        let mut s = Scanner::new(flag.clone());
        for piece in bytes.chunks(step) {
            s.feed(piece);
        }
        let v = flag.0.load(Ordering::Acquire);
        (v != NONE).then_some(v)
    }

    const BOTH: &str =
        "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";

    #[test]
    fn a_request_with_both_framings_is_flagged_in_either_order_and_any_split() {
        for step in [1, 3, 7, 4096] {
            assert_eq!(flagged(BOTH.as_bytes(), step), Some(0), "step {step}");
            let te_first = "POST /a HTTP/1.1\r\ntransfer-encoding: chunked\r\ncontent-length: 4\r\n\r\n0\r\n\r\n";
            assert_eq!(flagged(te_first.as_bytes(), step), Some(0), "step {step}");
        }
    }

    #[test]
    fn bodies_are_skipped_so_only_the_request_framed_twice_is_flagged() {
        // A Content-Length body and a chunked body whose bytes look like a head framed
        // twice, then the real one: only the third request is flagged.
        let fake = "GET / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n";
        let chunked = format!(
            "POST /b HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n{:x};ext=1\r\n{fake}\r\n0\r\nX-Trailer: 1\r\n\r\n",
            fake.len()
        );
        let sized = format!("POST /a HTTP/1.1\r\nContent-Length: {}\r\n\r\n{fake}", fake.len());
        let plain = "GET /c HTTP/1.1\r\nHost: x\r\n\r\n\r\n";
        let stream = format!("{sized}{chunked}{plain}{BOTH}");
        for step in [1, 5, 64, 100_000] {
            assert_eq!(flagged(stream.as_bytes(), step), Some(3), "step {step}");
        }
        let clean = format!("{sized}{chunked}{plain}");
        assert_eq!(flagged(clean.as_bytes(), 2), None);
    }

    #[test]
    fn a_head_larger_than_the_limit_stops_the_watch() {
        let big = format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n{BOTH}", "a".repeat(MAX_HEAD));
        for step in [1000, big.len()] {
            assert_eq!(flagged(big.as_bytes(), step), None, "step {step}");
        }
        // A head that just fits is read, whether it comes in pieces or in one read.
        let pad = MAX_HEAD - "GET / HTTP/1.1\r\nX: \r\n\r\n".len();
        let fits = format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n{BOTH}", "a".repeat(pad));
        for step in [1000, fits.len()] {
            assert_eq!(flagged(fits.as_bytes(), step), Some(1), "step {step}");
        }
    }

    /// The byte-at-a-time search `take_until` replaced, as the reference it must agree with.
    fn take_until_bytewise(buf: &mut Vec<u8>, bytes: &[u8], end: &[u8], max: usize) -> (usize, Option<bool>) {
        for (i, b) in bytes.iter().enumerate() {
            buf.push(*b);
            if buf.ends_with(end) {
                return (i + 1, Some(true));
            }
            if buf.len() > max {
                return (i + 1, Some(false));
            }
        }
        (bytes.len(), None)
    }

    #[test]
    fn take_until_agrees_with_the_bytewise_search_at_every_split_and_limit() {
        let inputs: [&[u8]; 4] = [b"ab\r\n\r\ncd", b"\r\n\r\n", b"abc\r\n\rx\r\n\r\n\r\n", b"no end here"];
        for end in [&b"\r\n\r\n"[..], &b"\n"[..]] {
            for input in inputs {
                for max in [0, 1, 3, 4, 5, 8, 64] {
                    for split in 0..=input.len() {
                        let (mut a, mut b) = (Vec::new(), Vec::new());
                        let mut results = Vec::new();
                        for (buf, f) in [
                            (&mut a, take_until as fn(&mut Vec<u8>, &[u8], &[u8], usize) -> (usize, Option<bool>)),
                            (&mut b, take_until_bytewise),
                        ] {
                            let (first, done) = f(buf, &input[..split], end, max);
                            let second = if done.is_none() { Some(f(buf, &input[split..], end, max)) } else { None };
                            results.push((first, done, second, buf.clone()));
                        }
                        assert_eq!(results[0], results[1], "input {input:?} end {end:?} max {max} split {split}");
                    }
                }
            }
        }
    }
}
