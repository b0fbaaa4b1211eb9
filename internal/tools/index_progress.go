package tools

import (
	"context"
	"fmt"
	"sync"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/mailmcp/mailmcp/internal/index"
)

// IndexLogger names mailmcp's index announcements in notifications/message.
const IndexLogger = "mailmcp.index"

// IndexProgress announces index backfills to the MCP sessions of one
// server as logging notifications (notifications/message, level info,
// logger "mailmcp.index"), honouring each session's logging/setLevel:
// mcp-go starts sessions at "error", so only a client that asks for info
// (or debug) gets them. A notification carries the account id, the folder
// name and counts, nothing of any message. A session that sets its level
// while a backfill runs is told at once how far it is. Delivery never
// blocks the sync: a session whose buffer is full (a streamable HTTP
// client with no stream open) misses that announcement.
//
// Clients on the 2026-07-28 protocol (no logging/setLevel, levels per
// request) are not reached: a backfill belongs to no request of theirs.
type IndexProgress struct {
	s *server.MCPServer

	mu       sync.Mutex
	sessions map[string]bool
	running  map[[2]string]index.Progress // (account, folder) → latest, until final
}

// RegisterIndexProgress enables the logging capability on s and returns
// the announcer whose Report the index syncers call.
func RegisterIndexProgress(s *server.MCPServer) *IndexProgress {
	server.WithLogging()(s)
	p := &IndexProgress{s: s, sessions: map[string]bool{}, running: map[[2]string]index.Progress{}}
	hooks := s.GetHooks()
	if hooks == nil {
		hooks = &server.Hooks{}
		server.WithHooks(hooks)(s)
	}
	hooks.AddOnRegisterSession(func(_ context.Context, cs server.ClientSession) {
		p.mu.Lock()
		p.sessions[cs.SessionID()] = true
		p.mu.Unlock()
	})
	hooks.AddOnUnregisterSession(func(_ context.Context, cs server.ClientSession) {
		p.mu.Lock()
		delete(p.sessions, cs.SessionID())
		p.mu.Unlock()
	})
	hooks.AddAfterSetLevel(func(ctx context.Context, _ any, _ *mcp.SetLevelRequest, _ *mcp.EmptyResult) {
		cs := server.ClientSessionFromContext(ctx)
		if cs == nil {
			return
		}
		p.mu.Lock()
		now := make([]index.Progress, 0, len(p.running))
		for _, r := range p.running {
			now = append(now, r)
		}
		p.mu.Unlock()
		for _, r := range now {
			_ = s.SendLogMessageToSpecificClient(cs.SessionID(), progressNotification(r))
		}
	})
	return p
}

// Report announces r to every session that wants info messages.
func (p *IndexProgress) Report(r index.Progress) {
	key := [2]string{r.Account, r.Folder}
	p.mu.Lock()
	if r.Final {
		delete(p.running, key)
	} else {
		p.running[key] = r
	}
	sids := make([]string, 0, len(p.sessions))
	for sid := range p.sessions {
		sids = append(sids, sid)
	}
	p.mu.Unlock()
	n := progressNotification(r)
	for _, sid := range sids {
		// Non-blocking; a session below info or not initialized is skipped.
		_ = p.s.SendLogMessageToSpecificClient(sid, n)
	}
}

// IndexProgressData is the data of one announcement.
type IndexProgressData struct {
	Event   string `json:"event"` // "index_backfill"
	Account string `json:"account"`
	Folder  string `json:"folder"`
	Indexed int    `json:"indexed"`
	Total   int    `json:"total"`
	Done    bool   `json:"done"`
	Message string `json:"message"`
}

func progressNotification(r index.Progress) mcp.LoggingMessageNotification {
	msg := fmt.Sprintf("indexing %s of account %s: %d of %d messages", r.Folder, r.Account, r.Done, r.Total)
	switch {
	case r.Final && r.Done >= r.Total:
		msg = fmt.Sprintf("indexed %s of account %s: %d messages; search answers from the index", r.Folder, r.Account, r.Done)
	case r.Final:
		msg = fmt.Sprintf("indexing %s of account %s stopped at %d of %d messages (list_accounts says why); search uses the server", r.Folder, r.Account, r.Done, r.Total)
	}
	return mcp.NewLoggingMessageNotification(mcp.LoggingLevelInfo, IndexLogger, IndexProgressData{
		Event: "index_backfill", Account: r.Account, Folder: r.Folder, Indexed: r.Done, Total: r.Total, Done: r.Final, Message: msg,
	})
}
