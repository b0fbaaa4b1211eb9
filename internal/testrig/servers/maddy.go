package servers

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/mailmcp/mailmcp/internal/testrig"
)

// MaddyVersion is the maddy release scripts/install-servers.sh builds.
const MaddyVersion = "v0.8.1"

func init() { starters[Maddy] = startMaddy }

// maddyConf is a one-domain maddy: imapsql on SQLite for mailboxes and
// credentials, TLS off on loopback (insecure_auth allows plain logins),
// submitted mail for the domain delivered to local mailboxes, everything
// else refused. %[1]s is the state directory; %[2]d/%[3]d/%[4]d are the SMTP,
// submission and IMAP ports.
const maddyConf = `$(hostname) = localhost
$(primary_domain) = localhost
$(local_domains) = localhost
tls off
hostname localhost
state_dir %[1]s/state
runtime_dir %[1]s/run
log %[1]s/maddy.log

auth.pass_table local_authdb {
    table sql_table {
        driver sqlite3
        dsn credentials.db
        table_name passwords
    }
}
storage.imapsql local_mailboxes {
    driver sqlite3
    dsn imapsql.db
}
msgpipeline local_routing {
    destination postmaster $(local_domains) {
        deliver_to &local_mailboxes
    }
    default_destination {
        reject 550 5.1.1 "User doesn't exist"
    }
}
smtp tcp://127.0.0.1:%[2]d {
    limits {
        all rate 1000 1s
    }
    dmarc no
    check {
    }
    default_source {
        destination postmaster $(local_domains) {
            deliver_to &local_routing
        }
        default_destination {
            reject 550 5.1.1 "User doesn't exist"
        }
    }
}
submission tcp://127.0.0.1:%[3]d {
    insecure_auth yes
    auth &local_authdb
    source $(local_domains) {
        destination postmaster $(local_domains) {
            deliver_to &local_routing
        }
        default_destination {
            reject 550 5.1.1 "no remote delivery in the test rig"
        }
    }
    default_source {
        reject 501 5.1.8 "Non-local sender domain"
    }
}
imap tcp://127.0.0.1:%[4]d {
    insecure_auth yes
    auth &local_authdb
    storage &local_mailboxes
}
`

// startMaddy runs maddy with maddyConf; each NewUser creates a fresh
// account (credentials and IMAP storage) with maddy's own CLI, which
// also creates Sent, Drafts, Trash, Junk and Archive.
//
// Known differences (observed with v0.8.1, also with a raw IMAP session):
// no UIDPLUS, SPECIAL-USE capability (LIST still carries \Sent etc.),
// ESEARCH, CONDSTORE, QUOTA or NAMESPACE; hierarchy delimiter "."; SEARCH
// SINCE drops a message dated that very day.
func startMaddy() (*Server, error) {
	bin, err := program("bin/maddy")
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "mailmcp-maddy-")
	if err != nil {
		return nil, err
	}
	for _, d := range []string{"state", "run"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, err
		}
	}
	ports, err := testrig.FreePorts("127.0.0.1", 3)
	if err != nil {
		return nil, err
	}
	conf := filepath.Join(dir, "maddy.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(maddyConf, dir, ports[0], ports[1], ports[2])), 0o644); err != nil {
		return nil, err
	}
	d, err := startDaemon("maddy", dir, bin, nil, "-config", conf, "run")
	if err != nil {
		return nil, err
	}
	if err := waitGreeting(d, hostPort(ports[2]), "* OK", nil, 60*time.Second); err != nil {
		_ = d.stop()
		return nil, err
	}
	var n atomic.Int64
	return &Server{
		Name: Maddy, Version: MaddyVersion,
		IMAP: Endpoint{Host: "127.0.0.1", Port: ports[2], TLS: TLSPlain},
		SMTP: Endpoint{Host: "127.0.0.1", Port: ports[1], TLS: TLSPlain},
		newUser: func(hint string) (User, error) {
			u := User{Email: fmt.Sprintf("%s%d@localhost", userPart(hint), n.Add(1)), Password: "testpass"}
			u.Username = u.Email
			if err := run(dir, nil, bin, "-config", conf, "creds", "create", "--password", u.Password, u.Email); err != nil {
				return User{}, err
			}
			if err := run(dir, nil, bin, "-config", conf, "imap-acct", "create", u.Email); err != nil {
				return User{}, err
			}
			return u, nil
		},
		close: func() error { err := d.stop(); removeState(dir); return err },
	}, nil
}

// userPart turns a test name into a short, safe local part.
func userPart(hint string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(hint) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
		if b.Len() >= 20 {
			break
		}
	}
	if b.Len() == 0 {
		return "u"
	}
	return b.String()
}
