//! Writing updates to a client's socket: the deadline-bound write, padded pixel reads and
//! rectangle headers.

use std::io::{self, Write};
use std::time::{Duration, Instant};

use super::server::Stream;
use crate::display::{FrameSource, Rect};

/// Writes all of `buf` within `timeout` in total (the socket's own timeout is per write
/// call, and a slow reader can make each call take nearly all of it).
pub(super) fn write_all_by(out: &mut Stream, mut buf: &[u8], timeout: Duration) -> io::Result<()> {
    let deadline = Instant::now() + timeout;
    while !buf.is_empty() {
        let left = deadline.saturating_duration_since(Instant::now());
        let result = if left.is_zero() {
            Err(io::ErrorKind::TimedOut.into())
        } else {
            out.set_write_timeout(Some(left))?;
            out.write(buf)
        };
        match result {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => buf = &buf[n..],
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("client did not take an update within {timeout:?}"),
                ));
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// The rectangle's pixels, black where it reaches past the frame (which shrank since we
/// looked, or is smaller than the size a client without DesktopSize keeps): the message stays
/// well-formed.
pub(super) fn read_padded(frame: &dyn FrameSource, r: Rect, out: &mut Vec<u8>) {
    frame.read_rect(r, out);
    let row = r.w as usize * 4;
    if out.len() == row * r.h as usize {
        return;
    }
    // Row by row, so each row's clipping is known.
    out.clear();
    let mut line = Vec::with_capacity(row);
    for y in r.y..r.y + r.h {
        frame.read_rect(Rect { y, h: 1, ..r }, &mut line);
        line.resize(row, 0);
        out.extend_from_slice(&line);
    }
}

pub(super) fn put_rect_header(msg: &mut Vec<u8>, r: Rect, encoding: i32) {
    for v in [r.x, r.y, r.w, r.h] {
        msg.extend_from_slice(&(v as u16).to_be_bytes());
    }
    msg.extend_from_slice(&encoding.to_be_bytes());
}
