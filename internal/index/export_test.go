package index

// SetLikeAbove sets when counts scan the stored text instead of the
// trigram index, for tests of both paths; it returns the undo.
func SetLikeAbove(n int) (undo func()) {
	old := likeAbove
	likeAbove = n
	return func() { likeAbove = old }
}
