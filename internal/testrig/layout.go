package testrig

import "path/filepath"

// layout names every file and directory of a stack below its state directory.
type layout struct {
	StateDir string

	RigFile    string // JSON description of the stack (attach, leftover cleanup)
	LockFile   string // flock for token updates across processes
	TLSDir     string
	LogDir     string
	DovecotLog string
	PostfixLog string
	StartLog   string // stdout/stderr of the dovecot and postfix start commands

	DovecotDir  string
	DovecotConf string
	OAuthConf   string
	UsersDir    string // Dovecot passwd-files, one per user: UsersDir/<domain>/<local part>
	DovecotRun  string // base_dir: master.pid, sockets (lmtp, auth-postfix)
	DovecotLib  string // state_dir
	VirtualDir  string // virtual mailbox definitions: VirtualDir/<name>/dovecot-virtual

	PostfixConf  string // config_directory (main.cf, master.cf)
	PostfixQueue string // queue_directory (pid/master.pid lives here)
	PostfixData  string // data_directory

	MailDir    string // homes: MailDir/<domain>/<local part>
	TokensFile string // bearer tokens: "<token> <email>" per line
}

func newLayout(stateDir string) layout {
	j := func(p ...string) string { return filepath.Join(append([]string{stateDir}, p...)...) }
	return layout{
		StateDir:     stateDir,
		RigFile:      j("rig.json"),
		LockFile:     j("lock"),
		TLSDir:       j("tls"),
		LogDir:       j("log"),
		DovecotLog:   j("log", "dovecot.log"),
		PostfixLog:   j("log", "postfix.log"),
		StartLog:     j("log", "start.log"),
		DovecotDir:   j("dovecot"),
		DovecotConf:  j("dovecot", "dovecot.conf"),
		OAuthConf:    j("dovecot", "oauth2.conf.ext"),
		UsersDir:     j("dovecot", "users"),
		DovecotRun:   j("dovecot", "run"),
		DovecotLib:   j("dovecot", "lib"),
		VirtualDir:   j("dovecot", "virtual"),
		PostfixConf:  j("postfix", "conf"),
		PostfixQueue: j("postfix", "spool"),
		PostfixData:  j("postfix", "data"),
		MailDir:      j("mail"),
		TokensFile:   j("oauth-tokens"),
	}
}
