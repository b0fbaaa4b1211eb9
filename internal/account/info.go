package account

import "github.com/mailmcp/mailmcp/internal/policy"

// Info is the tools' static description of an account (tools.AccountInfo).
type Info struct {
	ID       string
	Email    string
	Name     string
	Provider string
	ReadOnly bool

	// DownloadDir is the only directory save_attachment writes to.
	DownloadDir string
	// AttachmentDir is the only directory outgoing mail attaches files
	// from ("" = none).
	AttachmentDir string
	// InlineAttachmentMax bounds what get_attachment returns inline.
	InlineAttachmentMax int64
	// MaxRecipients and MaxMessageBytes bound one outgoing message.
	MaxRecipients   int
	MaxMessageBytes int64
	// SavesSent: the provider files sent mail itself (no Sent APPEND).
	SavesSent bool
	// Policy is the account's send policy and Caps its sending caps.
	Policy policy.Policy
	Caps   policy.Caps
	// AuthServIDs name the Authentication-Results headers to believe
	// (empty: the provider's, else derived from the IMAP host).
	AuthServIDs []string
	// IndexFolders are the folders a local index covers when the account
	// has one (empty: those of search folder "all").
	IndexFolders []string
}

// Info is the tools' view of the account.
func (a *Account) Info() Info {
	c := a.cfg
	return Info{
		ID: c.ID, Email: c.Email, Name: c.Name, Provider: string(c.Provider), ReadOnly: a.readOnly,
		DownloadDir: c.DownloadDir, AttachmentDir: c.AttachmentDir, InlineAttachmentMax: c.InlineAttachmentMax,
		MaxRecipients: c.MaxRecipients, MaxMessageBytes: c.MaxMessageBytes, SavesSent: c.SavesSent(),
		Policy: a.policy, Caps: a.caps, AuthServIDs: c.AuthServIDs, IndexFolders: c.IndexFolders,
	}
}
