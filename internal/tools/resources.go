package tools

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/mailmcp/mailmcp/internal/watch"
)

// FolderURI names a watched folder as an MCP resource: mail://ACCOUNT/FOLDER
// (the folder path-escaped, "/" kept).
func FolderURI(account, folder string) string {
	parts := strings.Split(folder, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return "mail://" + account + "/" + strings.Join(parts, "/")
}

// recentEvents is how many events a resource read summarises.
const recentEvents = 10

// RegisterResources publishes every watched folder of d.Watch as a
// resource whose read returns a short summary of its recent events, and
// sends notifications/resources/updated to the sessions that subscribed to
// a folder whenever its events are appended in this process.
//
// mcp-go v1.2.1 acknowledges resources/subscribe but its sessions do not
// track subscriptions, so they are kept here from the subscribe hooks.
// Clients on the stateless 2026-07-28 protocol, and OpenClaw (which ignores
// resource notifications), are not reached: they use watch_inbox or webhooks.
func RegisterResources(s *server.MCPServer, d *Deps) {
	if d.Watch == nil {
		return
	}
	server.WithResourceCapabilities(true, false)(s)
	subs := &subscribers{m: map[string]map[string]bool{}}
	hooks := s.GetHooks()
	if hooks == nil {
		hooks = &server.Hooks{}
		server.WithHooks(hooks)(s)
	}
	hooks.AddAfterSubscribe(func(ctx context.Context, _ any, req *mcp.SubscribeRequest, _ *mcp.EmptyResult) {
		if cs := server.ClientSessionFromContext(ctx); cs != nil {
			subs.add(req.Params.URI, cs.SessionID())
		}
	})
	hooks.AddAfterUnsubscribe(func(ctx context.Context, _ any, req *mcp.UnsubscribeRequest, _ *mcp.EmptyResult) {
		if cs := server.ClientSessionFromContext(ctx); cs != nil {
			subs.remove(req.Params.URI, cs.SessionID())
		}
	})
	hooks.AddOnUnregisterSession(func(_ context.Context, cs server.ClientSession) { subs.drop(cs.SessionID()) })

	feed := d.Watch.Feed()
	for _, ref := range d.Watch.Watched() {
		uri := FolderURI(ref.Account, ref.Folder)
		flt := &watch.Filter{Accounts: []string{ref.Account}, Folders: []string{ref.Folder}}
		res := mcp.NewResource(uri, ref.Account+"/"+ref.Folder,
			mcp.WithResourceDescription("New mail and changes in folder "+ref.Folder+" of account "+ref.Account+" (subscribe for updates; use watch_inbox to wait for mail)."),
			mcp.WithMIMEType("text/plain"))
		s.AddResource(res, func(ctx context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
			evs, err := feed.Recent(ctx, recentEvents, flt)
			if err != nil {
				return nil, err
			}
			head, err := feed.Head(ctx)
			if err != nil {
				return nil, err
			}
			r := WatchResult{Events: evs, Cursor: watch.Cursor(head), Watching: []string{ref.Account + "/" + ref.Folder}}
			text := fmt.Sprintf("Latest %d events, newest first (call watch_inbox with since=%q for what comes next).\n", len(evs), r.Cursor)
			if len(evs) > 0 {
				text += watchText(&r)
			}
			return []mcp.ResourceContents{mcp.TextResourceContents{URI: uri, MIMEType: "text/plain", Text: text}}, nil
		})
	}
	feed.Listen(func(evs []watch.Event) {
		seen := map[string]bool{}
		for _, e := range evs {
			uri := FolderURI(e.Account, e.Folder)
			if seen[uri] {
				continue
			}
			seen[uri] = true
			for _, sid := range subs.of(uri) {
				// Non-blocking: a full session buffer drops the notification.
				_ = s.SendNotificationToSpecificClient(sid, mcp.MethodNotificationResourceUpdated, map[string]any{"uri": uri})
			}
		}
	})
}

// subscribers maps resource URIs to subscribed session ids.
type subscribers struct {
	mu sync.Mutex
	m  map[string]map[string]bool
}

func (s *subscribers) add(uri, sid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m[uri] == nil {
		s.m[uri] = map[string]bool{}
	}
	s.m[uri][sid] = true
}

func (s *subscribers) remove(uri, sid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m[uri], sid)
}

func (s *subscribers) drop(sid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.m {
		delete(m, sid)
	}
}

func (s *subscribers) of(uri string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for sid := range s.m[uri] {
		out = append(out, sid)
	}
	return out
}
