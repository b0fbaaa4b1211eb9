package quirks

import (
	"strings"

	"github.com/mailmcp/mailmcp/internal/testrig"
)

// Folder is one provider folder and the rig Dovecot mailbox that holds it.
type Folder struct {
	Name    string   // as the provider shows it
	Backend string   // the rig Dovecot mailbox
	Attrs   []string // the special-use attributes the provider sends on LIST (replacing Dovecot's)
	Source  string   // where the name and attributes are documented
	// SaveTo is the rig mailbox that COPY, MOVE and APPEND into this
	// folder fill, when Backend is a virtual mailbox that cannot hold
	// messages of its own.
	SaveTo string
}

// Profile is one provider's IMAP, as far as public sources show it.
type Profile struct {
	Name string
	// Caps are the provider's capabilities after login. The proxy
	// announces those the rig Dovecot also has, plus Emulated; AUTH=,
	// SASL-IR, STARTTLS and LOGINDISABLED stay Dovecot's (authentication
	// is the rig's).
	Caps       []string
	CapsSource string
	// Emulated are capabilities the proxy itself implements.
	Emulated []string
	// Folders replace the rig's special folders; a Dovecot mailbox that
	// is no Folder's Backend and is listed in Hidden is not shown.
	Folders []Folder
	Hidden  []string
	// Parents are \Noselect parents the provider lists ("[Gmail]").
	Parents []string
	// NoSpecialUse drops special-use attributes the provider does not send.
	NoSpecialUse bool
	// GmailFetch emulates X-GM-MSGID, X-GM-THRID and X-GM-LABELS.
	GmailFetch bool
	// SentSaved cites where the provider's SMTP is documented to file what
	// it sends in Sent itself ("" when it does not): the profile's
	// submission is then a Submission, which does the same.
	SentSaved string
	// Differences lists what is known to differ from the real provider
	// (not emulated, or unsourced).
	Differences []string
}

// Sources of the profiles, cited beside each behaviour.
const (
	srcGmailExt     = "https://developers.google.com/gmail/imap/imap-extensions"
	srcGmailCaps    = "https://github.com/imapsync/imapsync/issues/338"
	srcOutlookCaps  = "https://github.com/Foundry376/Mailspring/issues/1983"
	srcOutlookNames = "https://github.com/huacnlee/omamail/pull/90"
	srcOutlookList  = "https://github.com/jstedfast/MailKit/issues/1282"
	srcYahoo        = "https://github.com/jstedfast/MailKit/issues/242"
	srcYahooJunk    = "https://github.com/jstedfast/MailKit/issues/274"
	srcYahooIdle    = "https://github.com/MailCore/mailcore2/issues/1274"
	srcYahooArchive = "https://github.com/maathimself/mailflow/issues/433"
	srcICloud       = "https://github.com/nextcloud/mail/issues/3401"
	srcICloudSent   = "https://github.com/kellylford/QuickMail/issues/149"
)

// Gmail: X-GM-EXT-1, the [Gmail]/ folders with special-use attributes, All
// Mail (a virtual mailbox of everything outside Trash and Spam).
var Gmail = Profile{
	Name: "gmail",
	// After login, as imapsync logged it in 2022 (srcGmailCaps).
	Caps:       strings.Fields("IMAP4rev1 UNSELECT IDLE NAMESPACE QUOTA ID XLIST CHILDREN X-GM-EXT-1 UIDPLUS COMPRESS=DEFLATE ENABLE MOVE CONDSTORE ESEARCH UTF8=ACCEPT LIST-EXTENDED LIST-STATUS LITERAL- SPECIAL-USE APPENDLIMIT=35651584"),
	CapsSource: srcGmailCaps,
	Emulated:   []string{"X-GM-EXT-1"},
	// The LIST transcript of Google's own documentation (srcGmailExt).
	Folders: []Folder{
		// Moving a message to All Mail archives it: out of every other
		// folder, still in All Mail (https://github.com/pipedrive/inbox/issues/97).
		// It is filed in the rig's (hidden) Archive, part of VirtualAll.
		{Name: "[Gmail]/All Mail", Backend: testrig.VirtualAll, Attrs: []string{`\All`}, Source: srcGmailExt, SaveTo: "Archive"},
		{Name: "[Gmail]/Drafts", Backend: "Drafts", Attrs: []string{`\Drafts`}, Source: srcGmailExt},
		{Name: "[Gmail]/Sent Mail", Backend: "Sent", Attrs: []string{`\Sent`}, Source: srcGmailExt},
		{Name: "[Gmail]/Spam", Backend: "Junk", Attrs: []string{`\Junk`}, Source: srcGmailExt},
		{Name: "[Gmail]/Starred", Backend: testrig.VirtualFlagged, Attrs: []string{`\Flagged`}, Source: srcGmailExt},
		{Name: "[Gmail]/Trash", Backend: "Trash", Attrs: []string{`\Trash`}, Source: srcGmailExt},
	},
	// Gmail has no Archive folder: archiving is removing the Inbox label
	// (srcGmailExt lists every special folder; Archive is not one).
	Hidden:     []string{"Archive"},
	Parents:    []string{"[Gmail]"},
	GmailFetch: true,
	// "Sent messages are automatically copied to the Gmail/Sent folder if
	// your email client uses SMTP"; not again when a message with the
	// same Message-ID is there (wildduck's notes on Gmail).
	SentSaved: "https://support.google.com/mail/answer/78892 https://github.com/nodemailer/wildduck/wiki/Gmail-sending",
	Differences: []string{
		"[Gmail]/Important (\\Important) is not emulated",
		"X-GM-LABELS shows only the label of the selected folder (\\Inbox, \\Sent, \\Draft, \\Starred, \\Trash, \\Spam or a user folder's name), not every label of the message",
		"X-GM-THRID is the message's own id (one thread per message); X-GM-RAW and X-GM-THRID search keys are not emulated",
		"not emulated: XLIST, COMPRESS=DEFLATE, UTF8=ACCEPT, LITERAL-, APPENDLIMIT; Dovecot's own SORT, THREAD, BINARY, QRESYNC are hidden",
		"an IMAP APPEND of a message already in Sent Mail replaces it on Gmail (wildduck's notes): not emulated",
	},
}

// Outlook is Outlook.com / Microsoft 365 (outlook.office365.com).
var Outlook = Profile{
	Name: "outlook",
	// After login (srcOutlookCaps, 2020; the same list in srcOutlookList,
	// 2021): no CONDSTORE, QRESYNC, ESEARCH, SPECIAL-USE, BINARY, SORT,
	// ENABLE or LIST-EXTENDED.
	Caps:       strings.Fields("IMAP4 IMAP4rev1 SASL-IR UIDPLUS MOVE ID UNSELECT CLIENTACCESSRULES CLIENTNETWORKPRESENCELOCATION BACKENDAUTHENTICATE CHILDREN IDLE NAMESPACE LITERAL+"),
	CapsSource: srcOutlookCaps,
	// Names from srcOutlookNames; LIST still carries \Sent, \Trash,
	// \Drafts, \Junk without announcing SPECIAL-USE (transcripts in
	// srcOutlookCaps and srcOutlookList; Archive has no attribute there).
	Folders: []Folder{
		{Name: "Sent Items", Backend: "Sent", Attrs: []string{`\Sent`}, Source: srcOutlookNames + " " + srcOutlookCaps},
		{Name: "Deleted Items", Backend: "Trash", Attrs: []string{`\Trash`}, Source: srcOutlookNames + " " + srcOutlookCaps},
		{Name: "Drafts", Backend: "Drafts", Attrs: []string{`\Drafts`}, Source: srcOutlookNames + " " + srcOutlookCaps},
		{Name: "Junk Email", Backend: "Junk", Attrs: []string{`\Junk`}, Source: srcOutlookNames + " " + srcOutlookList},
		{Name: "Archive", Backend: "Archive", Attrs: nil, Source: srcOutlookNames + " " + srcOutlookList},
	},
	// Outlook files SMTP-submitted mail in Sent Items itself.
	SentSaved: "https://github.com/chatmail/provider-db/issues/258 https://github.com/mguessan/davmail/issues/269",
	Differences: []string{
		"srcOutlookNames reports LIST without any special-use attribute; the transcripts emulated here carry them",
		"Outlook's Calendar, Contacts, Notes, Outbox folders are not emulated",
		"not emulated: CLIENTACCESSRULES, CLIENTNETWORKPRESENCELOCATION, BACKENDAUTHENTICATE, IMAP4",
	},
}

// Yahoo is Yahoo Mail (imap.mail.yahoo.com).
var Yahoo = Profile{
	Name: "yahoo",
	// After login (srcYahoo): no IDLE (also srcYahooIdle), MOVE,
	// SPECIAL-USE, CONDSTORE, ESEARCH, BINARY or SORT.
	Caps:       strings.Fields("IMAP4rev1 ID NAMESPACE X-ID-ACLID UIDPLUS LITERAL+ XAPPLEPUSHSERVICE XYMHIGHESTMODSEQ"),
	CapsSource: srcYahoo,
	// Names from the LIST of srcYahoo; no special-use attributes
	// (srcYahooJunk: the spam folder cannot be found by attribute).
	Folders: []Folder{
		{Name: "Bulk Mail", Backend: "Junk", Source: srcYahoo},
		{Name: "Draft", Backend: "Drafts", Source: srcYahoo},
		{Name: "Sent", Backend: "Sent", Source: srcYahoo},
		{Name: "Trash", Backend: "Trash", Source: srcYahoo},
		// Not in the 2015 transcript; a 2026 report lists it.
		{Name: "Archive", Backend: "Archive", Source: srcYahooArchive},
	},
	NoSpecialUse: true,
	Differences: []string{
		"INBOX is listed as \"Inbox\" by Yahoo (srcYahoo); the rig lists INBOX",
		"not emulated: X-ID-ACLID, XAPPLEPUSHSERVICE, XYMHIGHESTMODSEQ",
	},
}

// ICloud is iCloud Mail (imap.mail.me.com).
var ICloud = Profile{
	Name: "icloud",
	// After login (srcICloud): no MOVE, no SPECIAL-USE; CONDSTORE,
	// QRESYNC, BINARY, SORT, ESEARCH, IDLE are there.
	Caps:       strings.Fields("XAPPLEPUSHSERVICE IMAP4 IMAP4rev1 CONDSTORE ENABLE QRESYNC QUOTA NAMESPACE UIDPLUS CHILDREN BINARY UNSELECT SORT CATENATE URLAUTH LANGUAGE ESEARCH ESORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES CONTEXT=SEARCH CONTEXT=SORT WITHIN SASL-IR SEARCHRES METADATA ID XMSEARCH X-SUN-SORT ANNOTATE-EXPERIMENT-1 X-UNAUTHENTICATE X-SUN-IMAP XUM1 MULTISEARCH IDLE LIST-STATUS"),
	CapsSource: srcICloud,
	// LIST of srcICloud: "Archive" and "Deleted Messages" with no
	// attributes; "Sent Messages" (srcICloudSent). Drafts and Junk keep
	// their names (unsourced beyond common client presets).
	Folders: []Folder{
		{Name: "Sent Messages", Backend: "Sent", Source: srcICloudSent},
		{Name: "Deleted Messages", Backend: "Trash", Source: srcICloud},
		{Name: "Archive", Backend: "Archive", Source: srcICloud},
		{Name: "Drafts", Backend: "Drafts", Source: "unsourced"},
		{Name: "Junk", Backend: "Junk", Source: "unsourced"},
	},
	NoSpecialUse: true,
	Differences: []string{
		"INBOX is listed with \\Noinferiors by iCloud (srcICloud): not emulated",
		"not emulated: XAPPLEPUSHSERVICE, CATENATE, URLAUTH, XMSEARCH, X-SUN-*, XUM1, MULTISEARCH, ANNOTATE-EXPERIMENT-1",
	},
}

// Profiles are the four, by name.
var Profiles = map[string]Profile{Gmail.Name: Gmail, Outlook.Name: Outlook, Yahoo.Name: Yahoo, ICloud.Name: ICloud}
