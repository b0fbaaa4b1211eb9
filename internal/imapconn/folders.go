package imapconn

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/emersion/go-imap/v2"

	"github.com/mailmcp/mailmcp/internal/fault"
)

// Roles of special folders.
const (
	RoleInbox   = "inbox"
	RoleSent    = "sent"
	RoleDrafts  = "drafts"
	RoleTrash   = "trash"
	RoleJunk    = "junk"
	RoleArchive = "archive"
	RoleAll     = "all"
	RoleFlagged = "flagged"
)

// Folder describes one mailbox.
type Folder struct {
	Name       string `json:"name"`
	Delimiter  string `json:"delimiter,omitempty"`
	Role       string `json:"role,omitempty"`
	Total      *int   `json:"total,omitempty"`
	Unseen     *int   `json:"unseen,omitempty"`
	Selectable bool   `json:"selectable"`
	// RoleFrom says how the role was found: "special-use" or "name".
	RoleFrom string `json:"role_source,omitempty"`
}

var useAttrRole = map[imap.MailboxAttr]string{
	imap.MailboxAttrSent:    RoleSent,
	imap.MailboxAttrDrafts:  RoleDrafts,
	imap.MailboxAttrTrash:   RoleTrash,
	imap.MailboxAttrJunk:    RoleJunk,
	imap.MailboxAttrArchive: RoleArchive,
	imap.MailboxAttrAll:     RoleAll,
	imap.MailboxAttrFlagged: RoleFlagged,
}

// nameRoles maps lower-cased leaf names seen at common providers and in
// common languages to roles, for servers without SPECIAL-USE (RFC 6154).
var nameRoles = map[string]string{
	"sent": RoleSent, "sent items": RoleSent, "sent mail": RoleSent, "sent messages": RoleSent,
	"gesendet": RoleSent, "gesendete objekte": RoleSent, "gesendete elemente": RoleSent,
	"éléments envoyés": RoleSent, "envoyés": RoleSent, "messages envoyés": RoleSent,
	"enviados": RoleSent, "elementos enviados": RoleSent, "posta inviata": RoleSent, "inviati": RoleSent,
	"verzonden items": RoleSent, "verzonden": RoleSent, "skickat": RoleSent, "wysłane": RoleSent,
	"отправленные": RoleSent, "已发送": RoleSent, "送信済み": RoleSent,
	"drafts": RoleDrafts, "draft": RoleDrafts, "entwürfe": RoleDrafts, "brouillons": RoleDrafts,
	"borradores": RoleDrafts, "bozze": RoleDrafts, "concepten": RoleDrafts, "utkast": RoleDrafts,
	"черновики": RoleDrafts, "草稿": RoleDrafts, "下書き": RoleDrafts, "rascunhos": RoleDrafts,
	"trash": RoleTrash, "deleted items": RoleTrash, "deleted messages": RoleTrash, "bin": RoleTrash,
	"papierkorb": RoleTrash, "gelöschte elemente": RoleTrash, "corbeille": RoleTrash,
	"éléments supprimés": RoleTrash, "papelera": RoleTrash, "cestino": RoleTrash,
	"prullenbak": RoleTrash, "verwijderde items": RoleTrash, "papperskorgen": RoleTrash,
	"корзина": RoleTrash, "已删除": RoleTrash, "ゴミ箱": RoleTrash, "lixeira": RoleTrash,
	"junk": RoleJunk, "junk e-mail": RoleJunk, "junk email": RoleJunk, "spam": RoleJunk,
	"bulk mail": RoleJunk, "junk-e-mail": RoleJunk, "courrier indésirable": RoleJunk,
	"correo no deseado": RoleJunk, "posta indesiderata": RoleJunk, "ongewenste e-mail": RoleJunk,
	"спам": RoleJunk, "垃圾邮件": RoleJunk, "迷惑メール": RoleJunk,
	"archive": RoleArchive, "archives": RoleArchive, "archiv": RoleArchive, "archivo": RoleArchive,
	"archivio": RoleArchive, "archief": RoleArchive, "arkiv": RoleArchive, "архив": RoleArchive,
	"all mail": RoleAll, "starred": RoleFlagged,
}

// roleOf finds the role of a LIST entry.
func roleOf(d *imap.ListData) (role, from string) {
	if strings.EqualFold(d.Mailbox, "INBOX") {
		return RoleInbox, "name"
	}
	for _, a := range d.Attrs {
		if r, ok := useAttrRole[imap.MailboxAttr(strings.ToLower(string(a)))]; ok {
			return r, "special-use"
		}
		if r, ok := useAttrRole[a]; ok {
			return r, "special-use"
		}
	}
	leaf := d.Mailbox
	if d.Delim != 0 {
		if i := strings.LastIndexByte(leaf, byte(d.Delim)); i >= 0 && d.Delim < 128 {
			leaf = leaf[i+1:]
		}
	}
	if r, ok := nameRoles[strings.ToLower(leaf)]; ok {
		return r, "name"
	}
	return "", ""
}

// ListFolders lists every folder with its role and, when withCounts, total
// and unseen counts (from LIST-STATUS, RFC 5819, in one round trip when the
// server has it; otherwise one STATUS per folder).
func (p *Pool) ListFolders(ctx context.Context, withCounts bool) ([]Folder, error) {
	var out []Folder
	err := p.Do(ctx, Op{Name: "list folders", Idempotent: true}, func(ctx context.Context, c *Conn) error {
		out = nil
		opts := &imap.ListOptions{}
		if c.Has(imap.CapSpecialUse) {
			opts.ReturnSpecialUse = true
		}
		status := &imap.StatusOptions{NumMessages: true, NumUnseen: true}
		listStatus := withCounts && c.Has(imap.CapListStatus)
		if listStatus {
			opts.ReturnStatus = status
		}
		data, err := c.c.List("", "*", opts).Collect()
		if err != nil {
			return err
		}
		for _, d := range data {
			f := Folder{Name: c.AgentName(d.Mailbox), Selectable: true}
			if d.Delim != 0 {
				f.Delimiter = AgentDelimiter
			}
			for _, a := range d.Attrs {
				if a == imap.MailboxAttrNoSelect || a == imap.MailboxAttrNonExistent {
					f.Selectable = false
				}
			}
			f.Role, f.RoleFrom = roleOf(d)
			if d.Status != nil {
				setCounts(&f, d.Status)
			}
			out = append(out, f)
		}
		if withCounts && !listStatus {
			for i := range out {
				if !out[i].Selectable {
					continue
				}
				sd, err := c.c.Status(c.ServerName(out[i].Name), status).Wait()
				if err != nil {
					return err
				}
				setCounts(&out[i], sd)
			}
		}
		return nil
	})
	sort.SliceStable(out, func(i, j int) bool { return folderRank(out[i]) < folderRank(out[j]) })
	return out, err
}

func setCounts(f *Folder, sd *imap.StatusData) {
	if sd.NumMessages != nil {
		n := int(*sd.NumMessages)
		f.Total = &n
	}
	if sd.NumUnseen != nil {
		n := int(*sd.NumUnseen)
		f.Unseen = &n
	}
}

// folderRank puts INBOX first, then special folders, then the rest by name.
func folderRank(f Folder) string {
	order := map[string]string{RoleInbox: "0", RoleDrafts: "1", RoleSent: "2", RoleArchive: "3", RoleJunk: "4", RoleTrash: "5"}
	if o, ok := order[f.Role]; ok {
		return o + f.Name
	}
	return "9" + strings.ToLower(f.Name)
}

// FolderForRole returns the name of the folder with the given role.
func (p *Pool) FolderForRole(ctx context.Context, role string) (string, error) {
	if role == RoleInbox {
		return "INBOX", nil
	}
	folders, err := p.ListFolders(ctx, false)
	if err != nil {
		return "", err
	}
	if f, ok := roleFolder(folders, role); ok {
		return f.Name, nil
	}
	return "", noRoleFolder(role)
}

// noRoleFolder is the error for an account without a folder of role.
func noRoleFolder(role string) error {
	return &fault.Error{Kind: fault.NotFound, Op: "find folder", Err: fmt.Errorf("this account has no %s folder", role),
		Hint: "Call list_folders and pass a folder name instead"}
}
