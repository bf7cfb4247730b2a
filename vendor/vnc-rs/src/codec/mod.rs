mod cursor;
mod raw;
mod tight;
mod trle;
mod zlib;
mod zrle;
pub(crate) use cursor::Decoder as CursorDecoder;
pub(crate) use raw::Decoder as RawDecoder;
pub(crate) use tight::Decoder as TightDecoder;
pub(crate) use trle::Decoder as TrleDecoder;
pub(crate) use zrle::Decoder as ZrleDecoder;

fn initialized_vec(len: usize) -> Vec<u8> {
    vec![0; len]
}

// vmdesk: storage for Raw rectangles that the application gave back (`give_back`). A guest
// that redraws its whole screen sends a screen-sized Raw rectangle per frame; a fresh buffer
// for each was allocated, zeroed and page-faulted in (~14 % of the app's CPU at 60 frames/s).
static SPARE: std::sync::Mutex<Vec<Vec<u8>>> = std::sync::Mutex::new(Vec::new());
/// How many buffers wait (a screen-sized one goes back per one taken, so one is usual; at 4K
/// each is 33 MiB); smaller ones than `SPARE_MIN_BYTES` are not worth keeping.
const SPARE_MAX: usize = 2;
const SPARE_MIN_BYTES: usize = 64 * 1024;

/// vmdesk: hands a pixel buffer (e.g. a `VncEvent::RawImage`'s, once used) back for a later
/// Raw rectangle to be read into.
pub fn give_back(buffer: Vec<u8>) {
    if buffer.capacity() < SPARE_MIN_BYTES {
        return;
    }
    let mut spare = SPARE.lock().unwrap_or_else(|e| e.into_inner());
    if spare.len() < SPARE_MAX {
        // It keeps what it holds: reused, only bytes beyond its length get zeroed.
        spare.push(buffer);
    }
}

/// vmdesk: lets the buffers given back go (e.g. when the application's last session ends).
pub fn release_spare() {
    SPARE.lock().unwrap_or_else(|e| e.into_inner()).clear();
}

/// vmdesk: `len` bytes to be overwritten entirely (their contents are whatever a given-back
/// buffer held): a given-back buffer if one is big enough, else a new one.
fn overwritten_vec(len: usize) -> Vec<u8> {
    if len >= SPARE_MIN_BYTES {
        let mut spare = SPARE.lock().unwrap_or_else(|e| e.into_inner());
        // The smallest that fits: a small rectangle must not take a screen-sized buffer.
        let fits = spare.iter().enumerate().filter(|(_, b)| b.capacity() >= len);
        if let Some((i, _)) = fits.min_by_key(|(_, b)| b.capacity()) {
            let mut b = spare.swap_remove(i);
            drop(spare);
            if b.len() >= len {
                b.truncate(len);
            } else {
                b.resize(len, 0);
            }
            return b;
        }
    }
    initialized_vec(len)
}

#[cfg(test)]
mod tests;
