// Package store is mailmcp's one durable state store: the outbox, watcher
// checkpoints, webhook queues and the audit log all live in it.
//
// The interface (Store, Tx, Bucket, Queue) is small on purpose: namespaced
// key/value buckets with string keys, atomic read-write transactions,
// consistent read snapshots, ordered iteration and a durable FIFO queue
// built on those. A server database (PostgreSQL, …) can implement it later
// for multi-instance deployments; nothing outside this package knows that
// the local implementation is bbolt.
//
// # One file, many processes
//
// The local store is one bbolt file, state.db, in the state directory
// (mode 0600, directory 0700). bbolt takes an exclusive flock(2) on the file
// for as long as a writable handle is open and a shared one for a read-only
// handle: Update opens it writable, View read-only, so readers in different
// processes overlap while a writer waits for them (or times out). mailmcp is often run as many stdio processes
// sharing one state directory (OpenClaw starts one per agent session), so no
// process may hold the file open: File opens the database for each
// transaction, runs it, and closes it again, releasing the lock. Opening is
// cheap (one mmap and a meta-page check; see BenchmarkUpdate) and the
// transactions mailmcp runs are small, so processes take turns in
// milliseconds. Inside one process a read-write lock orders transactions
// the same way (Views together, an Update alone), so goroutines never spin
// on the file lock against each other.
//
// Waiting for the lock is bounded by Options.LockTimeout (default 10 s) and
// by the caller's context deadline, whichever ends first; when it expires
// the transaction fails with an error wrapping ErrBusy that names the file.
// Cancelling the context ends either wait (for this process or another) at
// once, with the context's error.
// The kernel drops a flock when its process dies, so a crashed or killed
// mailmcp never leaves the store locked.
//
// Every committed write transaction is fsynced before Update returns, so a
// journal entry written before an action survives a crash right after it.
package store
