package tools

import (
	"errors"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mailmcp/mailmcp/internal/fault"
	"github.com/mailmcp/mailmcp/internal/imapconn"
)

// accountParam is the `account` argument every mail tool takes.
func accountParam() mcp.ToolOption {
	return mcp.WithString("account", mcp.Description("Account id from list_accounts (optional with one account)."), mcp.MaxLength(64))
}

// pool resolves the account argument to its connection pool.
func pool(d *Deps, a *Args) (*imapconn.Pool, error) {
	id := a.String("account", "")
	if id == "" {
		if def, ok := d.Mail.Default(); ok {
			id = def
		} else if len(d.Mail.IDs()) > 1 {
			return nil, &fault.Error{Kind: fault.Invalid, Op: "account", Err: errors.New("account is required"),
				Hint: "Several accounts are configured; pass account (call list_accounts for the ids)"}
		}
	}
	return d.Mail.Pool(id)
}

// findAccount returns the description of account id.
func findAccount(d *Deps, id string) (AccountInfo, bool) {
	for _, a := range d.Accounts {
		if a.ID == id {
			return a, true
		}
	}
	return AccountInfo{}, false
}

// accountInfo returns the description of account id (only the id when
// unknown).
func accountInfo(d *Deps, id string) AccountInfo {
	if a, ok := findAccount(d, id); ok {
		return a
	}
	return AccountInfo{ID: id}
}

// messagePool resolves a message id and the pool of its account.
func messagePool(d *Deps, id string) (imapconn.MessageRef, *imapconn.Pool, error) {
	ref, err := imapconn.ParseID(id)
	if err != nil {
		return ref, nil, err
	}
	p, err := d.Mail.Pool(ref.Account)
	return ref, p, err
}
