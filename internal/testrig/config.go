package testrig

import (
	"bytes"
	"embed"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"text/template"
	"time"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

var templates = template.Must(template.New("").Option("missingkey=error").ParseFS(templateFS, "templates/*.tmpl"))

// configData is what the templates see.
type configData struct {
	layout
	Host                                                         string
	Domain                                                       string
	IMAPPort, IMAPSPort, SubmissionPort, SubmissionsPort, MXPort int
	POP3Port, POP3SPort                                          int
	OAuthURL                                                     string
	SocketmapAddr                                                string
	CertFile, KeyFile                                            string
	MailUser, MailGroup                                          string
	MailUID, MailGID                                             int
	DefaultQuota                                                 string
	MaxUserIPConnections                                         int
	AuthDebug                                                    string
	VirtualPrefix                                                string
}

// systemIDs holds the uids/gids of the Debian system users the servers use.
type systemIDs struct {
	mailUser, mailGroup string
	mailUID, mailGID    int
	postfixUID          int
	postfixGID          int // group "postfix"
	postdropGID         int
	dovecotGID          int
}

func lookupSystemIDs() (systemIDs, error) {
	var ids systemIDs
	u, err := user.Lookup("mail")
	if err != nil {
		return ids, fmt.Errorf("lookup system user mail: %w", err)
	}
	ids.mailUser = u.Username
	ids.mailUID, _ = strconv.Atoi(u.Uid)
	ids.mailGID, _ = strconv.Atoi(u.Gid)
	g, err := user.LookupGroupId(u.Gid)
	if err != nil {
		return ids, fmt.Errorf("lookup group of mail: %w", err)
	}
	ids.mailGroup = g.Name
	pf, err := user.Lookup("postfix")
	if err != nil {
		return ids, fmt.Errorf("lookup system user postfix: %w", err)
	}
	ids.postfixUID, _ = strconv.Atoi(pf.Uid)
	ids.postfixGID, _ = strconv.Atoi(pf.Gid)
	for name, dst := range map[string]*int{"postdrop": &ids.postdropGID, "dovecot": &ids.dovecotGID} {
		g, err := user.LookupGroup(name)
		if err != nil {
			return ids, fmt.Errorf("lookup system group %s: %w", name, err)
		}
		*dst, _ = strconv.Atoi(g.Gid)
	}
	return ids, nil
}

// renderConfigs writes dovecot.conf, the oauth2 passdb file, main.cf and
// master.cf for d.
func renderConfigs(d configData) error {
	files := []struct{ tmpl, path string }{
		{"dovecot.conf.tmpl", d.DovecotConf},
		{"dovecot-oauth2.conf.ext.tmpl", d.OAuthConf},
		{"main.cf.tmpl", filepath.Join(d.PostfixConf, "main.cf")},
		{"master.cf.tmpl", filepath.Join(d.PostfixConf, "master.cf")},
	}
	if err := writeVirtual(d.VirtualDir); err != nil {
		return fmt.Errorf("render: %w", err)
	}
	for _, f := range files {
		var buf bytes.Buffer
		if err := templates.ExecuteTemplate(&buf, f.tmpl, d); err != nil {
			return fmt.Errorf("render %s: %w", f.tmpl, err)
		}
		if err := os.WriteFile(f.path, buf.Bytes(), 0o644); err != nil {
			return fmt.Errorf("render %s: %w", f.tmpl, err)
		}
	}
	// Postfix re-reads a "hot" main.cf (mtime within the last ~2 s) every
	// 300 ms until it cools down; backdating saves ~2 s per start.
	old := time.Now().Add(-time.Minute)
	for _, name := range []string{"main.cf", "master.cf"} {
		if err := os.Chtimes(filepath.Join(d.PostfixConf, name), old, old); err != nil {
			return fmt.Errorf("render: backdate %s: %w", name, err)
		}
	}
	return nil
}

// prepareDirs creates the state tree with the owners and modes the daemons
// need. Modes of the Postfix queue tree follow /etc/postfix/postfix-files.
func prepareDirs(l layout, ids systemIDs) error {
	mk := func(path string, mode os.FileMode, uid, gid int) error {
		if err := os.MkdirAll(path, mode); err != nil {
			return err
		}
		if err := os.Chmod(path, mode); err != nil {
			return err
		}
		return os.Chown(path, uid, gid)
	}
	type dir struct {
		path     string
		mode     os.FileMode
		uid, gid int
	}
	dirs := []dir{
		// Every daemon user must be able to traverse the state directory.
		{l.StateDir, 0o755, 0, 0},
		{l.TLSDir, 0o755, 0, 0},
		{l.LogDir, 0o755, 0, 0},
		{l.DovecotDir, 0o755, 0, 0},
		{l.PostfixConf, 0o755, 0, 0},
		{l.PostfixQueue, 0o755, 0, 0},
		{l.PostfixData, 0o700, ids.postfixUID, ids.postfixGID},
		{l.MailDir, 0o755, ids.mailUID, ids.mailGID},
		{filepath.Join(l.PostfixQueue, "pid"), 0o755, 0, 0},
	}
	for _, q := range []string{"active", "bounce", "corrupt", "defer", "deferred", "flush", "hold", "incoming", "private", "saved", "trace"} {
		dirs = append(dirs, dir{filepath.Join(l.PostfixQueue, q), 0o700, ids.postfixUID, 0})
	}
	dirs = append(dirs,
		dir{filepath.Join(l.PostfixQueue, "maildrop"), 0o730, ids.postfixUID, ids.postdropGID},
		dir{filepath.Join(l.PostfixQueue, "public"), 0o710, ids.postfixUID, ids.postdropGID},
	)
	for _, d := range dirs {
		if err := mk(d.path, d.mode, d.uid, d.gid); err != nil {
			return fmt.Errorf("prepare state dir: %w", err)
		}
	}
	// postfix-script skips its ~0.2 s of 'post-install create-missing' and
	// permission scans when this marker exists (the tree is made above).
	if err := os.WriteFile(filepath.Join(l.PostfixQueue, "quick-start"), nil, 0o644); err != nil {
		return fmt.Errorf("prepare state dir: %w", err)
	}
	// Parents of the state directory must be traversable by the daemon users.
	for p := filepath.Dir(l.StateDir); p != "/" && p != "."; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("prepare state dir: %w", err)
		}
		if fi.Mode().Perm()&0o001 == 0 {
			return fmt.Errorf("prepare state dir: %s is not searchable by other users (mode %v); the mail daemons run as mail/postfix/dovecot: set TMPDIR to a directory like /tmp", p, fi.Mode().Perm())
		}
	}
	return nil
}
