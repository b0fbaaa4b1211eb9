package index

// SetLikeAbove sets when counts scan the stored text instead of the
// trigram index, for tests of both paths; it returns the undo.
func SetLikeAbove(n int) (undo func()) {
	old := likeAbove
	likeAbove = n
	return func() { likeAbove = old }
}

// SetIncrementalDiff turns the CONDSTORE listing on or off; it returns the
// undo.
func SetIncrementalDiff(on bool) (undo func()) {
	old := incrementalDiff
	incrementalDiff = on
	return func() { incrementalDiff = old }
}
