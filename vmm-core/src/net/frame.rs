//! passt's stream framing, the same QEMU's `-netdev stream` speaks: every Ethernet frame on the
//! Unix stream socket is preceded by its length as a 32-bit big-endian integer.

use std::io::{self, BufReader, Read, Write};

/// Largest Ethernet frame (without the virtio-net header) that crosses the socket either way.
/// passt's own maximum is its 65520-byte MTU plus the 14-byte Ethernet header.
pub const MAX_FRAME_LEN: usize = 65535;

/// A length prefix above this is not an oversized frame but a broken stream (passt never sends
/// one): reading stops instead of skipping gigabytes.
const MAX_SKIP_LEN: u32 = 1 << 20;

/// Appends `frame` with its length prefix to `out`, so a batch of frames goes out in one write.
pub fn encode_into(frame: &[u8], out: &mut Vec<u8>) -> io::Result<()> {
    if frame.len() > MAX_FRAME_LEN {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "frame of {} bytes is larger than {MAX_FRAME_LEN}",
                frame.len()
            ),
        ));
    }
    out.extend_from_slice(&(frame.len() as u32).to_be_bytes());
    out.extend_from_slice(frame);
    Ok(())
}

/// Writes one frame with its length prefix in a single `write_all`.
pub fn write_frame<W: Write>(w: &mut W, frame: &[u8]) -> io::Result<()> {
    let mut out = Vec::with_capacity(frame.len() + 4);
    encode_into(frame, &mut out)?;
    w.write_all(&out)
}

/// What [`FrameReader::read_frame`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadFrame {
    /// A frame of this many bytes is in the buffer, after the requested headroom.
    Frame(usize),
    /// A frame longer than [`MAX_FRAME_LEN`] was read past and dropped.
    Skipped(u32),
    /// The peer closed the stream between two frames.
    Eof,
}

/// Reads length-prefixed frames from a byte stream.
pub struct FrameReader<R> {
    inner: BufReader<R>,
}

impl<R: Read> FrameReader<R> {
    pub fn new(r: R) -> Self {
        FrameReader {
            inner: BufReader::with_capacity(128 * 1024, r),
        }
    }

    /// Reads the next frame into `buf[headroom..]` (the first `headroom` bytes are left for the
    /// caller, e.g. a virtio-net header). A stream that ends inside a frame or its prefix is an
    /// `UnexpectedEof` error; an absurd length prefix is `InvalidData`.
    pub fn read_frame(&mut self, buf: &mut Vec<u8>, headroom: usize) -> io::Result<ReadFrame> {
        let mut prefix = [0u8; 4];
        let mut got = 0;
        while got < 4 {
            match self.inner.read(&mut prefix[got..]) {
                Ok(0) if got == 0 => return Ok(ReadFrame::Eof),
                Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        let len = u32::from_be_bytes(prefix);
        if len as usize > MAX_FRAME_LEN {
            if len > MAX_SKIP_LEN {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("frame length {len} in the stream: the stream is out of step"),
                ));
            }
            let skipped = io::copy(&mut (&mut self.inner).take(u64::from(len)), &mut io::sink())?;
            if skipped < u64::from(len) {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            return Ok(ReadFrame::Skipped(len));
        }
        buf.resize(headroom + len as usize, 0);
        self.inner.read_exact(&mut buf[headroom..])?;
        Ok(ReadFrame::Frame(len as usize))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_prefixed_with_their_big_endian_length() {
        let mut out = Vec::new();
        encode_into(&[0xaa; 3], &mut out).unwrap();
        encode_into(&[], &mut out).unwrap();
        assert_eq!(out, [0, 0, 0, 3, 0xaa, 0xaa, 0xaa, 0, 0, 0, 0]);
        let mut w = Vec::new();
        write_frame(&mut w, &[1, 2]).unwrap();
        assert_eq!(w, [0, 0, 0, 2, 1, 2]);
        assert!(encode_into(&vec![0; MAX_FRAME_LEN + 1], &mut out).is_err());
        encode_into(&vec![0; MAX_FRAME_LEN], &mut Vec::new()).unwrap();
    }

    #[test]
    fn reader_splits_a_stream_into_frames_with_headroom() {
        let mut stream = Vec::new();
        encode_into(b"first", &mut stream).unwrap();
        encode_into(b"", &mut stream).unwrap();
        encode_into(&[7; 1500], &mut stream).unwrap();
        let mut r = FrameReader::new(&stream[..]);
        let mut buf = Vec::new();
        assert_eq!(r.read_frame(&mut buf, 12).unwrap(), ReadFrame::Frame(5));
        assert_eq!(&buf[12..], b"first");
        assert_eq!(buf.len(), 17);
        assert_eq!(r.read_frame(&mut buf, 0).unwrap(), ReadFrame::Frame(0));
        assert_eq!(r.read_frame(&mut buf, 2).unwrap(), ReadFrame::Frame(1500));
        assert!(buf[2..].iter().all(|&b| b == 7));
        assert_eq!(r.read_frame(&mut buf, 2).unwrap(), ReadFrame::Eof);
    }

    /// A reader that hands out one byte per call, like a socket under load might.
    struct Trickle<'a>(&'a [u8]);
    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            if self.0.is_empty() || out.is_empty() {
                return Ok(0);
            }
            out[0] = self.0[0];
            self.0 = &self.0[1..];
            Ok(1)
        }
    }

    #[test]
    fn reader_copes_with_short_reads() {
        let mut stream = Vec::new();
        encode_into(b"abc", &mut stream).unwrap();
        encode_into(b"defg", &mut stream).unwrap();
        let mut r = FrameReader::new(Trickle(&stream));
        let mut buf = Vec::new();
        assert_eq!(r.read_frame(&mut buf, 0).unwrap(), ReadFrame::Frame(3));
        assert_eq!(buf, b"abc");
        assert_eq!(r.read_frame(&mut buf, 0).unwrap(), ReadFrame::Frame(4));
        assert_eq!(buf, b"defg");
        assert_eq!(r.read_frame(&mut buf, 0).unwrap(), ReadFrame::Eof);
    }

    #[test]
    fn oversized_frames_are_skipped_and_the_stream_stays_in_step() {
        let mut stream = Vec::new();
        stream.extend_from_slice(&70000u32.to_be_bytes());
        stream.extend_from_slice(&vec![1; 70000]);
        encode_into(b"after", &mut stream).unwrap();
        let mut r = FrameReader::new(&stream[..]);
        let mut buf = Vec::new();
        assert_eq!(
            r.read_frame(&mut buf, 0).unwrap(),
            ReadFrame::Skipped(70000)
        );
        assert_eq!(r.read_frame(&mut buf, 0).unwrap(), ReadFrame::Frame(5));
        assert_eq!(buf, b"after");
    }

    #[test]
    fn truncated_and_garbage_streams_are_errors_not_panics() {
        let mut buf = Vec::new();
        // Cut inside the prefix.
        let e = FrameReader::new(&[0u8, 0][..])
            .read_frame(&mut buf, 0)
            .unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
        // Cut inside the frame.
        let e = FrameReader::new(&[0u8, 0, 0, 9, 1, 2][..])
            .read_frame(&mut buf, 0)
            .unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
        // Cut inside an oversized frame being skipped.
        let mut s = 70000u32.to_be_bytes().to_vec();
        s.extend_from_slice(&[0; 100]);
        let e = FrameReader::new(&s[..])
            .read_frame(&mut buf, 0)
            .unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
        // A length no peer would send.
        let e = FrameReader::new(&[0xffu8, 0xff, 0xff, 0xff][..])
            .read_frame(&mut buf, 0)
            .unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
    }
}
