package imapconn

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/emersion/go-imap/v2"

	"github.com/mailmcp/mailmcp/internal/fault"
)

// destRoles are the roles a destination may name instead of a folder.
var destRoles = map[string]bool{RoleArchive: true, RoleTrash: true, RoleJunk: true, RoleInbox: true, RoleSent: true, RoleDrafts: true}

// ResolveFolder returns the existing folder called name or, when no folder
// has that exact name, the folder with role name (archive, trash, junk,
// inbox, sent, drafts). A miss is a not-found error naming the closest
// existing folders.
func (p *Pool) ResolveFolder(ctx context.Context, name string) (Folder, error) {
	folders, err := p.ListFolders(ctx, false)
	if err != nil {
		return Folder{}, err
	}
	return resolveIn(folders, name)
}

// ResolveFolders resolves each of names as ResolveFolder does, over one
// LIST.
func (p *Pool) ResolveFolders(ctx context.Context, names []string) ([]Folder, error) {
	folders, err := p.ListFolders(ctx, false)
	if err != nil {
		return nil, err
	}
	out := make([]Folder, len(names))
	for i, name := range names {
		if out[i], err = resolveIn(folders, name); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func resolveIn(folders []Folder, name string) (Folder, error) {
	if f, ok := exactFolder(folders, name); ok {
		if !f.Selectable {
			return Folder{}, &fault.Error{Kind: fault.Invalid, Op: "find folder", Err: fmt.Errorf("folder %q cannot hold messages (it only groups subfolders)", f.Name),
				Hint: "Pick one of its subfolders; call list_folders"}
		}
		return f, nil
	}
	if role := strings.ToLower(name); destRoles[role] {
		if f, ok := roleFolder(folders, role); ok {
			return f, nil
		}
		return Folder{}, noRoleFolder(role)
	}
	return Folder{}, folderNotFound(name, folders)
}

// exactFolder finds name as the server spells it (INBOX in any case, RFC
// 3501 5.1).
func exactFolder(folders []Folder, name string) (Folder, bool) {
	for _, f := range folders {
		if f.Name == name || (strings.EqualFold(name, "INBOX") && strings.EqualFold(f.Name, "INBOX")) {
			return f, true
		}
	}
	return Folder{}, false
}

// roleFolder prefers a SPECIAL-USE folder over one recognised by its name.
func roleFolder(folders []Folder, role string) (Folder, bool) {
	if role == RoleInbox {
		return exactFolder(folders, "INBOX")
	}
	for _, f := range folders {
		if f.Role == role && f.RoleFrom == "special-use" && f.Selectable {
			return f, true
		}
	}
	for _, f := range folders {
		if f.Role == role && f.Selectable {
			return f, true
		}
	}
	if role == RoleArchive {
		// Gmail has no Archive folder: archiving is moving to All Mail
		// (\All), which takes the message out of every other folder and
		// keeps it there (https://github.com/pipedrive/inbox/issues/97).
		return roleFolder(folders, RoleAll)
	}
	return Folder{}, false
}

// folderNotFound names the closest existing folders in its hint.
func folderNotFound(name string, folders []Folder) error {
	names := make([]string, 0, len(folders))
	for _, f := range folders {
		names = append(names, f.Name)
	}
	hint := "Call list_folders to see the folder names of this account"
	if close := ClosestNames(name, names, 3); len(close) > 0 {
		hint = "Closest existing folders: " + quoteJoin(close) + ". Call list_folders to see every name"
	}
	return &fault.Error{Kind: fault.NotFound, Op: "find folder", Err: fmt.Errorf("folder %q not found", truncate(name, 200)), Hint: hint}
}

func quoteJoin(s []string) string {
	q := make([]string, len(s))
	for i, x := range s {
		q[i] = fmt.Sprintf("%q", x)
	}
	return strings.Join(q, ", ")
}

// ClosestNames returns up to n of names that look like what the caller
// meant: the same name in another case, a name containing it (or its leaf),
// or one within a small edit distance, best first.
func ClosestNames(want string, names []string, n int) []string {
	w := strings.ToLower(want)
	type cand struct {
		name  string
		score int
	}
	var cands []cand
	for _, name := range names {
		l := strings.ToLower(name)
		leaf := l
		if i := strings.LastIndexAny(l, "/."); i >= 0 {
			leaf = l[i+1:]
		}
		d := min(editDistance(w, l), editDistance(w, leaf))
		limit := max(2, len([]rune(w))/3)
		switch {
		case l == w || leaf == w:
			cands = append(cands, cand{name, 0})
		case w != "" && (strings.Contains(l, w) || strings.Contains(w, leaf) && len(leaf) >= 3):
			cands = append(cands, cand{name, 1 + d})
		case d <= limit:
			cands = append(cands, cand{name, 2 + d})
		}
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].score < cands[j].score })
	var out []string
	for _, c := range cands {
		if len(out) == n {
			break
		}
		out = append(out, c.name)
	}
	return out
}

// editDistance is the Levenshtein distance over runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// MaxFolderName bounds folder names given by callers.
const MaxFolderName = 200

func checkFolderName(op, name, delim string) error {
	bad := func(why string) error {
		return &fault.Error{Kind: fault.Invalid, Op: op, Err: fmt.Errorf("%s: folder name %q %s", op, truncate(name, 80), why),
			Hint: "Use a plain name such as Projects or Receipts 2026"}
	}
	switch {
	case strings.TrimSpace(name) == "":
		return bad("is empty")
	case len(name) > MaxFolderName:
		return bad(fmt.Sprintf("is longer than %d bytes", MaxFolderName))
	case strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return bad("contains control characters")
	case strings.ContainsAny(name, "*%"):
		return bad("contains * or %, which IMAP uses as wildcards")
	case strings.EqualFold(name, "INBOX"):
		return bad("is reserved for the inbox")
	case name != strings.TrimSpace(name):
		return bad("starts or ends with a space")
	}
	if delim != "" {
		for _, part := range strings.Split(name, delim) {
			if part == "" {
				return bad(fmt.Sprintf("has an empty level (the hierarchy delimiter is %q)", delim))
			}
		}
	}
	return nil
}

// delimiterOf returns the hierarchy delimiter from LIST (INBOX's, else any).
func delimiterOf(folders []Folder) string {
	for _, f := range folders {
		if strings.EqualFold(f.Name, "INBOX") && f.Delimiter != "" {
			return f.Delimiter
		}
	}
	for _, f := range folders {
		if f.Delimiter != "" {
			return f.Delimiter
		}
	}
	return ""
}

// protected refuses renaming or deleting INBOX and folders with a role.
func protected(op string, f Folder) error {
	if strings.EqualFold(f.Name, "INBOX") {
		return &fault.Error{Kind: fault.Invalid, Op: op, Err: fmt.Errorf("%s: INBOX cannot be renamed or deleted", op),
			Hint: "INBOX is where new mail arrives; create another folder instead"}
	}
	if f.Role != "" {
		return &fault.Error{Kind: fault.Invalid, Op: op, Err: fmt.Errorf("%s: %q is this account's %s folder", op, f.Name, f.Role),
			Hint: "Mail clients and mailmcp's roles depend on it, so mailmcp does not rename or delete it"}
	}
	return nil
}

// unknownFolderOutcome is the error when the connection dropped after a
// folder command was sent.
func unknownFolderOutcome(op string, err error) error {
	switch fault.KindOf(err) {
	case fault.ConnLost, fault.Timeout, fault.Cancelled:
		return &fault.Error{Kind: fault.KindOf(err), Op: op, Err: fmt.Errorf("%s: outcome unknown: %w", op, err),
			Hint: "The command was sent but no answer came back; call list_folders to check before trying again"}
	}
	return err
}

// CreateFolder creates name, under parent when parent is not empty (a
// folder name or role; the hierarchy delimiter comes from LIST), and
// subscribes to it so mail clients show it.
func (p *Pool) CreateFolder(ctx context.Context, name, parent string) (Folder, error) {
	const op = "create folder"
	if err := p.writable(op, nil); err != nil {
		return Folder{}, err
	}
	folders, err := p.ListFolders(ctx, false)
	if err != nil {
		return Folder{}, err
	}
	delim := delimiterOf(folders)
	full := name
	if parent != "" {
		pf, ok := exactFolder(folders, parent)
		if !ok {
			if r := strings.ToLower(parent); destRoles[r] {
				pf, ok = roleFolder(folders, r)
			}
		}
		if !ok {
			return Folder{}, folderNotFound(parent, folders)
		}
		if pf.Delimiter != "" {
			delim = pf.Delimiter
		}
		if delim == "" {
			return Folder{}, &fault.Error{Kind: fault.Unsupported, Op: op, Err: fmt.Errorf("%s: this server has no folder hierarchy", op),
				Hint: "Create the folder without parent"}
		}
		full = pf.Name + delim + name
	}
	if err := checkFolderName(op, name, delim); err != nil {
		return Folder{}, err
	}
	if f, ok := exactFolder(folders, full); ok {
		return Folder{}, &fault.Error{Kind: fault.Invalid, Op: op, Err: fmt.Errorf("%s: folder %q already exists", op, f.Name),
			Hint: "Use it as it is, or pick another name"}
	}
	sent := false
	err = p.Do(ctx, Op{Name: op}, func(ctx context.Context, c *Conn) error {
		if err := c.names.checkLevels(op, name); err != nil {
			return err
		}
		sent = true
		if err := c.c.Create(c.ServerName(full), nil).Wait(); err != nil {
			return alreadyExists(op, full, err)
		}
		// Best effort: some clients only show subscribed folders.
		_ = c.c.Subscribe(c.ServerName(full)).Wait()
		return nil
	})
	if err != nil {
		if sent {
			err = unknownFolderOutcome(op, err)
		}
		return Folder{}, err
	}
	return Folder{Name: full, Delimiter: delim, Selectable: true}, nil
}

// userFolder finds an existing folder the user may rename or delete (not
// INBOX, not one with a role) on a writable account, with the folder list
// and the hierarchy delimiter.
func (p *Pool) userFolder(ctx context.Context, op, name string) (Folder, []Folder, string, error) {
	if err := p.writable(op, nil); err != nil {
		return Folder{}, nil, "", err
	}
	folders, err := p.ListFolders(ctx, false)
	if err != nil {
		return Folder{}, nil, "", err
	}
	f, ok := exactFolder(folders, name)
	if !ok {
		return Folder{}, nil, "", folderNotFound(name, folders)
	}
	if err := protected(op, f); err != nil {
		return Folder{}, nil, "", err
	}
	delim := f.Delimiter
	if delim == "" {
		delim = delimiterOf(folders)
	}
	return f, folders, delim, nil
}

// RenameFolder renames a folder (and with it its subfolders). INBOX and
// folders with a role are refused.
func (p *Pool) RenameFolder(ctx context.Context, from, to string) (Folder, error) {
	const op = "rename folder"
	f, folders, delim, err := p.userFolder(ctx, op, from)
	if err != nil {
		return Folder{}, err
	}
	if err := checkFolderName(op, to, delim); err != nil {
		return Folder{}, err
	}
	if g, ok := exactFolder(folders, to); ok {
		return Folder{}, &fault.Error{Kind: fault.Invalid, Op: op, Err: fmt.Errorf("%s: folder %q already exists", op, g.Name),
			Hint: "Pick a name that is not in use (call list_folders)"}
	}
	err = p.changeFolder(ctx, op, f.Name, delim, nil, func(c *Conn) error {
		if err := c.names.checkLevels(op, to); err != nil {
			return err
		}
		if err := c.c.Rename(c.ServerName(f.Name), c.ServerName(to), nil).Wait(); err != nil {
			return alreadyExists(op, to, err)
		}
		_ = c.c.Unsubscribe(c.ServerName(f.Name)).Wait()
		_ = c.c.Subscribe(c.ServerName(to)).Wait()
		return nil
	})
	if err != nil {
		return Folder{}, err
	}
	return Folder{Name: to, Delimiter: f.Delimiter, Selectable: f.Selectable}, nil
}

// changeFolder runs check, then cmd (the RENAME or DELETE of name) on a
// connection that does not have name selected. Once cmd was started, idle
// connections forget name, and a connection lost before the answer is an
// unknown outcome.
func (p *Pool) changeFolder(ctx context.Context, op, name, delim string, check, cmd func(c *Conn) error) error {
	sent := false
	err := p.Do(ctx, Op{Name: op}, func(ctx context.Context, c *Conn) error {
		if check != nil {
			if err := check(c); err != nil {
				return err
			}
		}
		if c.selected == name {
			if err := c.c.Unselect().Wait(); err != nil {
				return err
			}
			c.selected = ""
		}
		sent = true
		return cmd(c)
	})
	if sent {
		p.forgetFolder(name, delim)
		if err != nil {
			err = unknownFolderOutcome(op, err)
		}
	}
	return err
}

// DeletedFolder describes a folder DeleteFolder removed.
type DeletedFolder struct {
	Name string `json:"name"`
	// Messages is how many messages the folder held (deleted with it).
	Messages int `json:"messages_deleted"`
}

// DeleteFolder deletes an empty folder, or a non-empty one when force is
// set (its messages are deleted with it). INBOX, folders with a role and
// folders with subfolders are refused.
func (p *Pool) DeleteFolder(ctx context.Context, name string, force bool) (DeletedFolder, error) {
	const op = "delete folder"
	f, folders, delim, err := p.userFolder(ctx, op, name)
	if err != nil {
		return DeletedFolder{}, err
	}
	var children []string
	for _, g := range folders {
		if delim != "" && strings.HasPrefix(g.Name, f.Name+delim) {
			children = append(children, g.Name)
		}
	}
	if len(children) > 0 {
		return DeletedFolder{}, &fault.Error{Kind: fault.Invalid, Op: op, Err: fmt.Errorf("%s: folder %q has %d subfolder(s): %s", op, f.Name, len(children), quoteJoin(children[:min(5, len(children))])),
			Hint: "Delete or move its subfolders first; mailmcp never deletes subfolders implicitly"}
	}
	out := DeletedFolder{Name: f.Name}
	check := func(c *Conn) error {
		if f.Selectable {
			sd, err := c.c.Status(c.ServerName(f.Name), &imap.StatusOptions{NumMessages: true}).Wait()
			if err != nil {
				return err
			}
			if sd.NumMessages != nil {
				out.Messages = int(*sd.NumMessages)
			}
		}
		if out.Messages > 0 && !force {
			return &fault.Error{Kind: fault.Invalid, Op: op, Err: fmt.Errorf("%s: folder %q holds %d message(s)", op, f.Name, out.Messages),
				Hint: "Move them elsewhere first, or pass force: true to delete them permanently together with the folder"}
		}
		return nil
	}
	err = p.changeFolder(ctx, op, f.Name, delim, check, func(c *Conn) error {
		if err := c.c.Delete(c.ServerName(f.Name)).Wait(); err != nil {
			return err
		}
		_ = c.c.Unsubscribe(c.ServerName(f.Name)).Wait()
		return nil
	})
	if err != nil {
		return DeletedFolder{}, err
	}
	return out, nil
}

// alreadyExists maps ALREADYEXISTS (RFC 5530) to an argument error.
func alreadyExists(op, name string, err error) error {
	var ie *imap.Error
	if errors.As(err, &ie) && ie.Code == imap.ResponseCodeAlreadyExists {
		return &fault.Error{Kind: fault.Invalid, Op: op, Err: fmt.Errorf("%s: folder %q already exists", op, name),
			Hint: "Pick another name (call list_folders)"}
	}
	return err
}

// forgetFolder makes idle connections that have name (or a subfolder)
// selected select again before their next use, so they notice that it was
// renamed or deleted.
func (p *Pool) forgetFolder(name, delim string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.idle {
		if c.selected == name || (delim != "" && strings.HasPrefix(c.selected, name+delim)) {
			c.selected = ""
		}
	}
}
