//! A bound on the paragraphs waiting for tantivy's indexing threads.
//!
//! A document's paragraphs go to tantivy as one batch so that they land side by side in one
//! segment. tantivy's queue holds up to 10,000 *batches*: one paragraph each before, now a
//! whole document each, so the indexer could run ahead by 10,000 documents (at 1M paragraphs
//! the peak grew from 381 to 583 MB, and a corpus of long reports would hold most of itself in
//! memory). Each paragraph is counted from when it is handed to tantivy to when tantivy has
//! indexed and dropped it, and the indexer waits while too many are queued.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use tantivy::TantivyDocument;
use tantivy::schema::Field;
use tantivy::schema::document::Document;

/// Most paragraphs queued at once (what tantivy's own queue held when each batch was one).
pub const MAX_QUEUED: usize = 10_000;

/// The count of paragraphs handed to tantivy and not yet indexed.
#[derive(Default)]
pub struct Queue {
    queued: Mutex<usize>,
    drained: Condvar,
}

impl Queue {
    fn lock(&self) -> MutexGuard<'_, usize> {
        // Only counts are kept under the lock, so a poisoned one still holds a good count.
        self.queued.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits until `n` more paragraphs fit (or nothing is queued, for a document longer than
    /// the bound), then counts them.
    pub fn enter(&self, n: usize) {
        let mut queued = self.lock();
        while *queued > 0 && *queued + n > MAX_QUEUED {
            // A timeout only re-checks: the count drops with every paragraph indexed.
            queued = self
                .drained
                .wait_timeout(queued, Duration::from_millis(50))
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        *queued += n;
    }

    fn leave(&self) {
        let mut queued = self.lock();
        *queued = queued.saturating_sub(1);
        if *queued <= MAX_QUEUED / 2 {
            self.drained.notify_one();
        }
    }

    #[cfg(test)]
    fn queued(&self) -> usize {
        *self.lock()
    }
}

/// A paragraph's document, counted in its queue until tantivy has indexed (and dropped) it.
pub struct Queued {
    doc: TantivyDocument,
    queue: Arc<Queue>,
}

impl Queued {
    /// `doc`, counted in `queue` (which [`Queue::enter`] has made room in).
    pub fn new(doc: TantivyDocument, queue: Arc<Queue>) -> Queued {
        Queued { doc, queue }
    }
}

impl Drop for Queued {
    fn drop(&mut self) {
        self.queue.leave();
    }
}

impl Document for Queued {
    type Value<'a> = <TantivyDocument as Document>::Value<'a>;
    type FieldsValuesIter<'a> = <TantivyDocument as Document>::FieldsValuesIter<'a>;

    fn iter_fields_and_values(&self) -> Self::FieldsValuesIter<'_> {
        self.doc.iter_fields_and_values()
    }

    fn get_sorted_field_values(&self) -> Vec<(Field, Vec<Self::Value<'_>>)> {
        self.doc.get_sorted_field_values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_leave_the_count_when_dropped_and_the_bound_holds() {
        let queue = Arc::new(Queue::default());
        queue.enter(3);
        let docs: Vec<Queued> = (0..3)
            .map(|_| Queued::new(TantivyDocument::default(), queue.clone()))
            .collect();
        assert_eq!(queue.queued(), 3);
        drop(docs);
        assert_eq!(queue.queued(), 0);

        // A producer waits while the queue is full, and goes on as paragraphs are indexed.
        queue.enter(MAX_QUEUED);
        let full: Vec<Queued> = (0..MAX_QUEUED)
            .map(|_| Queued::new(TantivyDocument::default(), queue.clone()))
            .collect();
        let producer = {
            let queue = queue.clone();
            std::thread::spawn(move || queue.enter(10))
        };
        std::thread::sleep(Duration::from_millis(100));
        assert!(!producer.is_finished(), "entered a full queue");
        drop(full);
        producer.join().expect("producer");
        assert_eq!(queue.queued(), 10);

        // A document longer than the bound enters an empty queue.
        let queue = Queue::default();
        queue.enter(MAX_QUEUED * 3);
        assert_eq!(queue.queued(), MAX_QUEUED * 3);
    }
}
