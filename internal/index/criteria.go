package index

import "github.com/mailmcp/mailmcp/internal/imapconn"

// FromCriteria maps search criteria to a query, and reports false when the
// index cannot answer them exactly as the server would: header, thread and
// Gmail-query criteria, TEXT (every header: the index keeps only the
// envelope's), or a text term under MinTerm characters.
func FromCriteria(c imapconn.Criteria, folders []string, limit int) (Query, bool) {
	q := Query{
		Folders: folders, From: c.From, To: c.To, Cc: c.Cc, Subject: c.Subject, Body: c.Body,
		Since: c.Since, Before: c.Before, Seen: c.Seen, Flagged: c.Flagged, Answered: c.Answered,
		HasAttachment: c.HasAttachment, Undeleted: c.Undeleted, Larger: c.Larger, Smaller: c.Smaller, Limit: limit,
	}
	if len(c.Header) > 0 || c.Thread != "" || c.GmailQuery != "" || c.Text != "" {
		return q, false
	}
	return q, q.Answerable()
}
