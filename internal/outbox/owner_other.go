//go:build !unix

package outbox

// holdOwner has no process lock on this platform.
func holdOwner(dir, token string) (func(), error) { return func() {}, nil }

// ownerAlive cannot tell on this platform, so another process's attempt is
// never taken over: an abandoned one stays submitting until resolved by hand.
func ownerAlive(dir, token string) bool { return true }
