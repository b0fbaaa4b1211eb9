package index

// SetLikeRows sets when counts scan the stored header text instead of
// the trigram index, for tests of both paths; it returns the undo.
func SetLikeRows(n int) (undo func()) {
	old := likeRows
	likeRows = n
	return func() { likeRows = old }
}

// SetIncrementalDiff turns the CONDSTORE listing on or off; it returns the
// undo.
func SetIncrementalDiff(on bool) (undo func()) {
	old := incrementalDiff
	incrementalDiff = on
	return func() { incrementalDiff = old }
}
