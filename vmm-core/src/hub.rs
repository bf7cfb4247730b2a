//! A broadcast hub: one producer (a device or the VMM) and any number of API subscribers.
//!
//! Publishing never blocks: each subscriber has a bounded queue, and a subscriber that falls
//! behind loses messages (counted) instead of stalling the guest.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::Mutex;

pub struct Hub<T: Clone> {
    subs: Mutex<Vec<SyncSender<T>>>,
    dropped: AtomicU64,
    depth: usize,
}

impl<T: Clone> Hub<T> {
    pub fn new(depth: usize) -> Self {
        Hub {
            subs: Mutex::new(Vec::new()),
            dropped: AtomicU64::new(0),
            depth,
        }
    }

    pub fn subscribe(&self) -> Receiver<T> {
        let (tx, rx) = sync_channel(self.depth);
        crate::util::lock(&self.subs).push(tx);
        rx
    }

    pub fn publish(&self, msg: T) {
        let mut subs = crate::util::lock(&self.subs);
        subs.retain(|s| match s.try_send(msg.clone()) {
            Ok(()) => true,
            Err(TrySendError::Full(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
                true
            }
            Err(TrySendError::Disconnected(_)) => false,
        });
    }

    pub fn has_subscribers(&self) -> bool {
        !crate::util::lock(&self.subs).is_empty()
    }

    /// Messages lost because a subscriber's queue was full.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slow_subscriber_loses_messages_but_never_blocks() {
        let hub = Hub::new(2);
        let slow = hub.subscribe();
        for i in 0..10 {
            hub.publish(i);
        }
        assert_eq!(slow.try_iter().collect::<Vec<_>>(), vec![0, 1]);
        assert_eq!(hub.dropped(), 8);
        drop(slow);
        hub.publish(11);
        assert!(!hub.has_subscribers());
    }
}
