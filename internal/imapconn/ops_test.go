package imapconn_test

import (
	"context"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"

	"github.com/mailmcp/mailmcp/internal/fault"
	"github.com/mailmcp/mailmcp/internal/imapconn"
)

// refsOf returns the refs of every message in folder, oldest first.
func refsOf(t *testing.T, p *imapconn.Pool, folder string) []imapconn.MessageRef {
	t.Helper()
	var refs []imapconn.MessageRef
	cursor := ""
	for {
		page, err := p.Search(context.Background(), folder, imapconn.Criteria{}, 100, cursor)
		if err != nil {
			t.Fatalf("search %s: %v", folder, err)
		}
		for _, m := range page.Messages {
			ref, err := imapconn.ParseID(m.ID)
			if err != nil {
				t.Fatal(err)
			}
			refs = append(refs, ref)
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	slices.Reverse(refs)
	return refs
}

// subjects lists the subjects in folder, newest first.
func subjects(t *testing.T, p *imapconn.Pool, folder string) []string {
	t.Helper()
	page, err := p.Search(context.Background(), folder, imapconn.Criteria{}, 100, "")
	if err != nil {
		t.Fatalf("search %s: %v", folder, err)
	}
	var out []string
	for _, m := range page.Messages {
		out = append(out, m.Subject)
	}
	return out
}

func subjectOf(t *testing.T, p *imapconn.Pool, id string) string {
	t.Helper()
	ref, err := imapconn.ParseID(id)
	if err != nil {
		t.Fatalf("new id %q: %v", id, err)
	}
	var raw []byte
	if err := p.FetchRaw(context.Background(), ref, false, func(_ imapconn.MessageMeta, r io.Reader) error {
		raw, err = io.ReadAll(r)
		return err
	}); err != nil {
		t.Fatalf("fetch %s: %v", id, err)
	}
	for _, line := range strings.Split(string(raw), "\r\n") {
		if s, ok := strings.CutPrefix(line, "Subject: "); ok {
			return s
		}
	}
	return ""
}

func mustOK(t *testing.T, res *imapconn.BulkResult, err error, want int) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	if res.Succeeded != want || len(res.Results) != want {
		t.Fatalf("want %d ok, got %+v", want, res)
	}
	for _, r := range res.Results {
		if !r.OK || r.Error != "" {
			t.Fatalf("result %+v", r)
		}
	}
}

func TestMoveByFolderAndRole(t *testing.T) { eachBackend(t, testMove) }

func testMove(t *testing.T, b *backend) {
	b.fill(t, "Src", 5, num)
	p := b.pool(t, b.addr, nil)
	ctx := context.Background()
	refs := refsOf(t, p, "Src")

	res, err := p.Move(ctx, refs[0:2], "Archive", imapconn.BulkOptions{})
	mustOK(t, res, err, 2)
	for i, r := range res.Results {
		if r.ID != refs[i].ID() {
			t.Errorf("result %d is about %s, want %s", i, r.ID, refs[i].ID())
		}
		if r.NewID == "" {
			t.Fatalf("no new id from MOVE's COPYUID: %+v", r)
		}
		if got := subjectOf(t, p, r.NewID); got != num(i+1) {
			t.Errorf("new id %d reads %q, want %q", i, got, num(i+1))
		}
	}
	// A role works as a destination.
	res, err = p.Move(ctx, refs[2:3], "trash", imapconn.BulkOptions{})
	mustOK(t, res, err, 1)
	if ref, _ := imapconn.ParseID(res.Results[0].NewID); ref.Folder != "Trash" {
		t.Errorf("role trash resolved to %q", ref.Folder)
	}
	if got := subjects(t, p, "Src"); !slices.Equal(got, []string{num(5), num(4)}) {
		t.Errorf("Src now holds %q", got)
	}
	// A moved id is gone from its folder: per-id error, others still work.
	res, err = p.Move(ctx, []imapconn.MessageRef{refs[0], refs[3]}, "Archive", imapconn.BulkOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Succeeded != 1 || res.Failed != 1 || res.Results[0].OK || !strings.Contains(res.Results[0].Error, "no longer exists") || !res.Results[1].OK {
		t.Errorf("moved id again: %+v", res)
	}
	// Already in the destination: nothing to do, same id.
	arch := refsOf(t, p, "Archive")
	res, err = p.Move(ctx, arch[:1], "archive", imapconn.BulkOptions{})
	mustOK(t, res, err, 1)
	if res.Results[0].NewID != arch[0].ID() {
		t.Errorf("already there: %+v", res.Results[0])
	}
	// Missing destination: closest names in the hint.
	_, err = p.Move(ctx, refs[4:5], "Arhcive", imapconn.BulkOptions{})
	if fault.KindOf(err) != fault.NotFound || !strings.Contains(err.Error(), `"Archive"`) {
		t.Errorf("missing folder: %v", err)
	}
	_, err = p.Move(ctx, refs[4:5], "archive-2019", imapconn.BulkOptions{})
	if fault.KindOf(err) != fault.NotFound || !strings.Contains(err.Error(), "list_folders") {
		t.Errorf("missing folder: %v", err)
	}
	// Bounds.
	if _, err := p.Move(ctx, nil, "Archive", imapconn.BulkOptions{}); fault.KindOf(err) != fault.Invalid {
		t.Errorf("no ids: %v", err)
	}
	many := slices.Repeat(refs[4:5], imapconn.MaxBulk+1)
	if _, err := p.Move(ctx, many, "Archive", imapconn.BulkOptions{}); fault.KindOf(err) != fault.Invalid || !strings.Contains(err.Error(), "500") {
		t.Errorf("501 ids: %v", err)
	}
	other := refs[4]
	other.Account = "elsewhere"
	if _, err := p.Move(ctx, []imapconn.MessageRef{other}, "Archive", imapconn.BulkOptions{}); fault.KindOf(err) != fault.Invalid {
		t.Errorf("id of another account: %v", err)
	}
}

func TestCopyGivesNewIDs(t *testing.T) { eachBackend(t, testCopy) }

func testCopy(t *testing.T, b *backend) {
	b.fill(t, "Orig", 3, num)
	p := b.pool(t, b.addr, nil)
	ctx := context.Background()
	if _, err := p.CreateFolder(ctx, "Copies", ""); err != nil {
		t.Fatal(err)
	}
	refs := refsOf(t, p, "Orig")
	// Duplicates are done once and reported for each position.
	res, err := p.Copy(ctx, append(refs, refs[0]), "Copies", imapconn.BulkOptions{})
	mustOK(t, res, err, 4)
	for i, r := range res.Results[:3] {
		if got := subjectOf(t, p, r.NewID); got != num(i+1) {
			t.Errorf("copy %d reads %q", i, got)
		}
	}
	if res.Results[3].NewID != res.Results[0].NewID {
		t.Errorf("duplicate id copied twice: %+v", res.Results)
	}
	if n := len(subjects(t, p, "Orig")); n != 3 {
		t.Errorf("copy removed originals: %d left", n)
	}
	if n := len(subjects(t, p, "Copies")); n != 3 {
		t.Errorf("Copies holds %d", n)
	}
}

func TestFlagAddRemove(t *testing.T) { eachBackend(t, testFlag) }

func testFlag(t *testing.T, b *backend) {
	b.fill(t, "Flags", 3, num)
	p := b.pool(t, b.addr, nil)
	ctx := context.Background()
	refs := refsOf(t, p, "Flags")
	yes := true
	count := func(c imapconn.Criteria) int {
		page, err := p.Search(ctx, "Flags", c, 10, "")
		if err != nil {
			t.Fatal(err)
		}
		return len(page.Messages)
	}
	flagsOf := func(ref imapconn.MessageRef) []string {
		var flags []string
		if err := p.FetchRaw(ctx, ref, false, func(m imapconn.MessageMeta, _ io.Reader) error { flags = m.Flags; return nil }); err != nil {
			t.Fatal(err)
		}
		return flags
	}
	res, err := p.Flag(ctx, refs[:2], []string{"seen", "flagged", "$Project"}, nil, imapconn.BulkOptions{})
	mustOK(t, res, err, 2)
	if n := count(imapconn.Criteria{Seen: &yes}); n != 2 {
		t.Errorf("%d seen, want 2", n)
	}
	if f := flagsOf(refs[0]); !slices.Contains(f, "$project") || !slices.Contains(f, "flagged") {
		t.Errorf("flags after add: %v", f)
	}
	res, err = p.Flag(ctx, refs[:1], nil, []string{"flagged", "$Project"}, imapconn.BulkOptions{})
	mustOK(t, res, err, 1)
	if f := flagsOf(refs[0]); slices.Contains(f, "$project") || slices.Contains(f, "flagged") || !slices.Contains(f, "seen") {
		t.Errorf("flags after remove: %v", f)
	}
	if n := count(imapconn.Criteria{Flagged: &yes}); n != 1 {
		t.Errorf("%d flagged, want 1", n)
	}
	for _, bad := range [][2][]string{
		{{"deleted"}, nil}, {{`\Deleted`}, nil}, {{"two words"}, nil}, {{`\Recent`}, nil},
		{{"x(y"}, nil}, {nil, nil}, {{"seen"}, {"seen"}}, {{strings.Repeat("k", 65)}, nil},
	} {
		if _, err := p.Flag(ctx, refs[:1], bad[0], bad[1], imapconn.BulkOptions{}); fault.KindOf(err) != fault.Invalid {
			t.Errorf("add %q remove %q: %v", bad[0], bad[1], err)
		}
	}
}

func TestDeleteToTrashThenPermanently(t *testing.T) { eachBackend(t, testDelete) }

func testDelete(t *testing.T, b *backend) {
	b.fill(t, "Del", 3, num)
	p := b.pool(t, b.addr, nil)
	ctx := context.Background()
	before := len(subjects(t, p, "Trash"))
	// A message in Trash already marked \Deleted by another client must
	// survive our permanent delete: only our UIDs are expunged.
	b.add(t, "Trash", "From: x@example.org\r\nSubject: bystander\r\n\r\nmarked elsewhere\r\n")
	trash := refsOf(t, p, "Trash")
	bystander := trash[len(trash)-1]
	if err := p.Do(ctx, imapconn.Op{Name: "mark", Folder: "Trash"}, func(ctx context.Context, c *imapconn.Conn) error {
		return c.Client().Store(imap.UIDSetNum(bystander.UID), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close()
	}); err != nil {
		t.Fatal(err)
	}

	refs := refsOf(t, p, "Del")
	res, err := p.Delete(ctx, refs[:2], false, imapconn.BulkOptions{})
	mustOK(t, res, err, 2)
	var inTrash []imapconn.MessageRef
	for _, r := range res.Results {
		ref, err := imapconn.ParseID(r.NewID)
		if err != nil || ref.Folder != "Trash" {
			t.Fatalf("deleted message not in Trash: %+v", r)
		}
		inTrash = append(inTrash, ref)
	}
	if n := len(subjects(t, p, "Trash")); n != before+3 {
		t.Fatalf("Trash holds %d, want %d", n, before+3)
	}
	// Deleting again without permanent: already there.
	res, err = p.Delete(ctx, inTrash[:1], false, imapconn.BulkOptions{})
	mustOK(t, res, err, 1)
	if !strings.Contains(res.Results[0].Note, "permanent") {
		t.Errorf("note for a message already in Trash: %+v", res.Results[0])
	}
	// Permanent: only for ids in Trash; the one outside is refused per id.
	mixed := []imapconn.MessageRef{inTrash[0], refs[2], inTrash[1]}
	res, err = p.Delete(ctx, mixed, true, imapconn.BulkOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Succeeded != 2 || res.Failed != 1 || res.Results[1].OK || !strings.Contains(res.Results[1].Error, "already in Trash") {
		t.Fatalf("permanent delete: %+v", res)
	}
	for _, ref := range inTrash {
		err := p.FetchRaw(ctx, ref, false, func(imapconn.MessageMeta, io.Reader) error { return nil })
		if fault.KindOf(err) != fault.NotFound {
			t.Errorf("permanently deleted message still readable: %v", err)
		}
	}
	if err := p.FetchRaw(ctx, bystander, false, func(imapconn.MessageMeta, io.Reader) error { return nil }); err != nil {
		t.Errorf("a \\Deleted bystander in Trash was expunged too: %v", err)
	}
	if got := subjects(t, p, "Del"); !slices.Equal(got, []string{num(3)}) {
		t.Errorf("refused permanent delete touched Del: %q", got)
	}
}

func TestStaleIDsFailPerID(t *testing.T) { eachBackend(t, testStaleOps) }

func testStaleOps(t *testing.T, b *backend) {
	b.fill(t, "Stale", 2, num)
	p := b.pool(t, b.addr, nil)
	ctx := context.Background()
	refs := refsOf(t, p, "Stale")
	stale := refs[0]
	stale.UIDValidity++
	res, err := p.Move(ctx, []imapconn.MessageRef{stale, refs[1]}, "Archive", imapconn.BulkOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Results[0].OK || !strings.Contains(strings.ToLower(res.Results[0].Error), "search again") || !res.Results[1].OK || res.Failed != 1 {
		t.Fatalf("stale id: %+v", res)
	}
	// The stale id's UID was not acted on: message 1 is still in Stale.
	if got := subjects(t, p, "Stale"); !slices.Equal(got, []string{num(1)}) {
		t.Errorf("Stale holds %q", got)
	}
}

func TestFolderLifecycle(t *testing.T) { eachBackend(t, testFolders) }

func testFolders(t *testing.T, b *backend) {
	b.fill(t, "Seed", 1, num)
	p := b.pool(t, b.addr, nil)
	ctx := context.Background()
	f, err := p.CreateFolder(ctx, "Projects", "")
	if err != nil || f.Name != "Projects" {
		t.Fatalf("create: %+v %v", f, err)
	}
	child, err := p.CreateFolder(ctx, "2026", "Projects")
	if err != nil || child.Name != "Projects"+child.Delimiter+"2026" || child.Delimiter == "" {
		t.Fatalf("create child: %+v %v", child, err)
	}
	if _, err := p.CreateFolder(ctx, "Projects", ""); fault.KindOf(err) != fault.Invalid || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("duplicate: %v", err)
	}
	if _, err := p.CreateFolder(ctx, "x", "Nope"); fault.KindOf(err) != fault.NotFound {
		t.Errorf("missing parent: %v", err)
	}
	for _, bad := range []string{"", "INBOX", "a\r\nb", "a*", "a" + child.Delimiter + child.Delimiter + "b"} {
		if _, err := p.CreateFolder(ctx, bad, ""); fault.KindOf(err) != fault.Invalid {
			t.Errorf("create %q: %v", bad, err)
		}
	}
	// A parent with subfolders is never deleted.
	if _, err := p.DeleteFolder(ctx, "Projects", true); fault.KindOf(err) != fault.Invalid || !strings.Contains(err.Error(), "subfolder") {
		t.Errorf("delete parent: %v", err)
	}
	renamed, err := p.RenameFolder(ctx, child.Name, "Projects"+child.Delimiter+"Done")
	if err != nil {
		t.Fatal(err)
	}
	seed := refsOf(t, p, "Seed")
	if res, err := p.Copy(ctx, seed, renamed.Name, imapconn.BulkOptions{}); err != nil || res.Succeeded != 1 {
		t.Fatalf("copy into renamed folder: %+v %v", res, err)
	}
	if _, err := p.DeleteFolder(ctx, renamed.Name, false); fault.KindOf(err) != fault.Invalid || !strings.Contains(err.Error(), "force") {
		t.Errorf("delete non-empty: %v", err)
	}
	d, err := p.DeleteFolder(ctx, renamed.Name, true)
	if err != nil || d.Messages != 1 {
		t.Fatalf("force delete: %+v %v", d, err)
	}
	if _, err := p.DeleteFolder(ctx, "Projects", false); err != nil {
		t.Fatalf("delete empty: %v", err)
	}
	folders, err := p.ListFolders(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range folders {
		if strings.HasPrefix(f.Name, "Projects") {
			t.Errorf("%s survived", f.Name)
		}
	}
	// Protected and missing folders.
	for _, name := range []string{"INBOX", "inbox", "Trash", "Sent"} {
		if _, err := p.DeleteFolder(ctx, name, true); fault.KindOf(err) != fault.Invalid {
			t.Errorf("delete %s: %v", name, err)
		}
		if _, err := p.RenameFolder(ctx, name, "Other"); fault.KindOf(err) != fault.Invalid {
			t.Errorf("rename %s: %v", name, err)
		}
	}
	if _, err := p.DeleteFolder(ctx, "seed", false); fault.KindOf(err) != fault.NotFound || !strings.Contains(err.Error(), `"Seed"`) {
		t.Errorf("case-insensitive hint: %v", err)
	}
	if _, err := p.RenameFolder(ctx, "Seed", "Archive"); fault.KindOf(err) != fault.Invalid {
		t.Errorf("rename onto an existing folder: %v", err)
	}
	// A pooled connection that had the deleted folder selected notices.
	if _, err := p.CreateFolder(ctx, "Gone", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Search(ctx, "Gone", imapconn.Criteria{}, 5, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := p.DeleteFolder(ctx, "Gone", false); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Search(ctx, "Gone", imapconn.Criteria{}, 5, ""); fault.KindOf(err) != fault.NotFound {
		t.Errorf("search in a deleted folder: %v (%v)", err, fault.KindOf(err))
	}
}

func TestWritesRefusedOnReadOnlyAccount(t *testing.T) {
	eachBackend(t, func(t *testing.T, b *backend) {
		b.fill(t, "RO", 1, num)
		rw := b.pool(t, b.addr, nil)
		refs := refsOf(t, rw, "RO")
		p := b.pool(t, b.addr, func(a *imapconn.Account) { a.ReadOnly = true })
		ctx := context.Background()
		_, err1 := p.Move(ctx, refs, "Archive", imapconn.BulkOptions{})
		_, err2 := p.Flag(ctx, refs, []string{"seen"}, nil, imapconn.BulkOptions{})
		_, err3 := p.Delete(ctx, refs, false, imapconn.BulkOptions{})
		_, err4 := p.CreateFolder(ctx, "New", "")
		_, err5 := p.DeleteFolder(ctx, "RO", true)
		for i, err := range []error{err1, err2, err3, err4, err5} {
			if fault.KindOf(err) != fault.ReadOnly {
				t.Errorf("write %d on a read-only account: %v", i+1, err)
			}
		}
		if st := p.Stats(); st.Dials != 0 {
			t.Errorf("a refused write connected %d times", st.Dials)
		}
	})
}

// TestDestinationVanishesMidCall: the folder is deleted between two
// batches; the server's TRYCREATE becomes a per-id not-found error that
// says so.
func TestDestinationVanishesMidCall(t *testing.T) {
	eachBackend(t, func(t *testing.T, b *backend) {
		b.fill(t, "Vanish", 2, num)
		p := b.pool(t, b.addr, nil)
		ctx := context.Background()
		if _, err := p.CreateFolder(ctx, "Tmp", ""); err != nil {
			t.Fatal(err)
		}
		refs := refsOf(t, p, "Vanish")
		res, err := p.Move(ctx, refs, "Tmp", imapconn.BulkOptions{BatchSize: 1, Progress: func(done, total int) {
			if done == 1 {
				if _, err := p.DeleteFolder(ctx, "Tmp", true); err != nil {
					t.Errorf("delete Tmp: %v", err)
				}
			}
		}})
		if err != nil {
			t.Fatal(err)
		}
		r := res.Results[1]
		if res.Succeeded != 1 || r.OK || r.Unknown || !strings.Contains(r.Error, "TRYCREATE") || !strings.Contains(r.Error, "create_folder") {
			t.Fatalf("move into a vanished folder: %+v", res)
		}
		if got := subjects(t, p, "Vanish"); !slices.Equal(got, []string{num(2)}) {
			t.Errorf("Vanish holds %q", got)
		}
	})
}
