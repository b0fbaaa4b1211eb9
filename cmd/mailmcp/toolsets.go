package main

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/mailmcp/mailmcp/internal/config"
	"github.com/mailmcp/mailmcp/internal/tools"
)

// envToolsets chooses the toolsets like the toolsets key and --toolsets.
const envToolsets = "MAILMCP_TOOLSETS"

// foldToolsets applies the toolset choice in order of precedence: the
// --toolsets flag, then MAILMCP_TOOLSETS, then the config file's toolsets.
// buildEngine checks the names.
func (f *serveFlags) foldToolsets(cfg *config.Config, getenv func(string) string) {
	switch {
	case f.toolsets != "":
		cfg.Toolsets = []string{f.toolsets}
	case getenv(envToolsets) != "":
		cfg.Toolsets = []string{getenv(envToolsets)}
	}
}

// logHiddenTools logs one line naming the tools left out and why, so that
// a person comparing tools/list with 'mailmcp tools' or the README sees
// the reason (e.g. no account configured hides the sending tools).
func logHiddenTools(eng *engine, opt tools.Options) {
	offered := map[string]bool{}
	for _, t := range tools.Available(opt) {
		offered[t.Name] = true
	}
	all := tools.All()
	var hidden, why []string
	var sends, writes, outside bool
	for _, t := range all {
		if offered[t.Name] {
			continue
		}
		hidden = append(hidden, t.Name)
		switch {
		case t.Writes && opt.ReadOnly:
			writes = true
		case t.Sends && opt.NoSending:
			sends = true
		default:
			outside = true
		}
	}
	if len(hidden) == 0 {
		return
	}
	if writes {
		why = append(why, "read-only mode registers no tool that writes")
	}
	if sends {
		if len(eng.accounts) == 0 {
			why = append(why, "no account is configured, so no account can send mail")
		} else {
			why = append(why, "every account has send_policy = \"disabled\"")
		}
	}
	if outside {
		why = append(why, fmt.Sprintf("toolsets = %s", joinToolsets(opt.Toolsets)))
	}
	eng.deps.Log.Info(fmt.Sprintf("offering %d of %d tools", len(all)-len(hidden), len(all)),
		slog.String("hidden", strings.Join(hidden, ",")), slog.String("why", strings.Join(why, "; ")))
}

func joinToolsets(ts []tools.Toolset) string {
	var s []string
	for _, t := range ts {
		s = append(s, string(t))
	}
	return strings.Join(s, ",")
}
