//! A command's physical region descriptor table: where in guest memory its data goes.

/// The PRDT of one command: where the data goes, written in order.
pub(super) struct Prdt {
    pub(super) entries: Vec<(u64, u32)>,
}

impl Prdt {
    pub(super) fn capacity(&self) -> u64 {
        self.entries.iter().map(|&(_, n)| u64::from(n)).sum()
    }

    /// The pieces of a `len`-byte transfer that starts at byte `at` of the table: each piece's
    /// guest address and its range in the transfer's buffer, in order; `None` for an address
    /// that overflows (the transfer fails there). Stops where the table ends.
    pub(super) fn segments(
        &self,
        mut at: u64,
        len: usize,
    ) -> impl Iterator<Item = Option<(u64, std::ops::Range<usize>)>> + '_ {
        let mut done = 0usize;
        self.entries.iter().filter_map(move |&(addr, n)| {
            let n = u64::from(n);
            if done == len {
                return None;
            }
            if at >= n {
                at -= n;
                return None;
            }
            let take = ((n - at) as usize).min(len - done);
            let piece = addr.checked_add(at).map(|gpa| (gpa, done..done + take));
            done += take;
            at = 0;
            Some(piece)
        })
    }
}
