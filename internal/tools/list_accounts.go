package tools

import (
	"context"
	"fmt"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mailmcp/mailmcp/internal/imapconn"
)

type accountOut struct {
	ID              string   `json:"id" jsonschema_description:"Account id to pass as account"`
	Email           string   `json:"email"`
	Name            string   `json:"name,omitempty"`
	Provider        string   `json:"provider"`
	ReadOnly        bool     `json:"read_only"`
	Connection      string   `json:"connection" jsonschema_description:"not_connected, ok or error"`
	OpenConnections int      `json:"open_connections"`
	LastError       string   `json:"last_error,omitempty"`
	Features        []string `json:"features,omitempty" jsonschema_description:"Features mailmcp uses (move, idle, quota, gmail, …), once connected"`
	Capabilities    []string `json:"capabilities,omitempty" jsonschema_description:"The server's IMAP capabilities, once connected"`
	Index           string   `json:"index,omitempty"`
}

type listAccountsOut struct {
	Accounts []accountOut `json:"accounts"`
}

func listAccountsTool() *Tool {
	return &Tool{
		Name:        "list_accounts",
		Title:       "List email accounts",
		Description: "List the email accounts this server can use, with address, provider and connection health. Call it first: other tools take its ids. check=true connects now and reports server capabilities.",
		Idempotent:  true, OpenWorld: true,
		Params: []mcp.ToolOption{
			mcp.WithBoolean("check", mcp.Description("Connect now and report server capabilities (slower)."), mcp.DefaultBool(false)),
		},
		Output: mcp.WithOutputSchema[listAccountsOut](),
		Handle: func(ctx context.Context, d *Deps, a *Args) *mcp.CallToolResult {
			check := a.Bool("check", false)
			if err := a.Err(); err != nil {
				return errResult(err)
			}
			out := listAccountsOut{Accounts: []accountOut{}}
			for _, info := range d.Accounts {
				ao := accountOut{ID: info.ID, Email: info.Email, Name: info.Name, Provider: info.Provider, ReadOnly: info.ReadOnly, Connection: "not_connected"}
				p, err := d.Mail.Pool(info.ID)
				if err != nil {
					return errResult(err)
				}
				if check {
					caps, err := p.Capabilities(ctx)
					if err != nil {
						ao.Connection, ao.LastError = "error", err.Error()
					} else {
						ao.Capabilities = caps
					}
				} else {
					ao.Capabilities = p.KnownCaps() // no login just to list
				}
				if ao.Capabilities != nil {
					ao.Features = imapconn.Features(ao.Capabilities)
				}
				if svc := d.Indexes[info.ID]; svc != nil {
					ao.Index = indexLine(svc.Report(ctx))
				}
				st := p.Stats()
				ao.OpenConnections = st.Open
				switch {
				case ao.Connection == "error": // the check just failed
				case st.LastError != "" && st.Open == 0:
					ao.Connection, ao.LastError = "error", st.LastError
				case st.Dials > 0 || st.Open > 0:
					ao.Connection = "ok"
				}
				out.Accounts = append(out.Accounts, ao)
			}
			var b strings.Builder
			if len(out.Accounts) == 0 {
				b.WriteString("No email account is configured. The user can add one to the config file or run `mailmcp demo`.")
			}
			for _, ao := range out.Accounts {
				fmt.Fprintf(&b, "- %s: %s (%s) connection=%s", ao.ID, ao.Email, ao.Provider, ao.Connection)
				if ao.ReadOnly {
					b.WriteString(" read-only")
				}
				if ao.LastError != "" {
					fmt.Fprintf(&b, " last_error=%q", ao.LastError)
				}
				if ao.Features != nil {
					fmt.Fprintf(&b, " features=%s", strings.Join(ao.Features, ","))
				}
				if len(ao.Capabilities) > 0 {
					fmt.Fprintf(&b, " capabilities=%s", strings.Join(ao.Capabilities, " "))
				}
				if ao.Index != "" {
					fmt.Fprintf(&b, " index=%q", ao.Index)
				}
				b.WriteByte('\n')
			}
			return okResult(out, b.String())
		},
	}
}
