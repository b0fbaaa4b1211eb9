package tools

import (
	"fmt"
	"slices"
	"strings"
)

// Toolset names a group of tools that are enabled together (--toolsets,
// the toolsets config key, MAILMCP_TOOLSETS), so that an agent which only
// reads mail does not pay for the schemas of every other tool in each turn.
type Toolset string

// The toolsets, in the order they are listed to people.
const (
	ToolsetRead     Toolset = "read"
	ToolsetOrganise Toolset = "organise"
	ToolsetSend     Toolset = "send"
	ToolsetWatch    Toolset = "watch"
)

// ToolsetCore marks the tools registered whatever toolsets are chosen
// (list_accounts: the agent needs the account ids every other tool takes).
const ToolsetCore Toolset = "core"

// toolsetDef is one toolset: its name, what it is for, and its tools'
// constructors. This table is the whole registry: adding a tool means
// adding its constructor here.
type toolsetDef struct {
	name  Toolset
	doc   string
	tools []func() *Tool
}

func toolsetDefs() []toolsetDef {
	return []toolsetDef{
		{ToolsetCore, "always registered", []func() *Tool{
			listAccountsTool,
		}},
		{ToolsetRead, "list folders, search, read messages and attachments", []func() *Tool{
			listFoldersTool, searchTool, fetchMessageTool, getAttachmentTool, saveAttachmentTool,
		}},
		{ToolsetOrganise, "move, copy, flag and delete messages; create, rename and delete folders", []func() *Tool{
			moveTool, copyTool, flagTool, deleteTool, createFolderTool, renameFolderTool, deleteFolderTool,
		}},
		{ToolsetSend, "drafts, send mail, reply, forward, confirm and follow outgoing mail", []func() *Tool{
			saveDraftTool, listDraftsTool, sendDraftTool, sendEmailTool, replyTool, forwardTool,
			confirmSendTool, cancelSendTool, outboxStatusTool,
		}},
		{ToolsetWatch, "wait for new mail", []func() *Tool{
			watchInboxTool,
		}},
	}
}

// Toolsets returns the names a person can choose, in display order.
func Toolsets() []Toolset {
	var out []Toolset
	for _, d := range toolsetDefs() {
		if d.name != ToolsetCore {
			out = append(out, d.name)
		}
	}
	return out
}

// ToolsetDoc says in a few words what a toolset is for.
func ToolsetDoc(name Toolset) string {
	for _, d := range toolsetDefs() {
		if d.name == name {
			return d.doc
		}
	}
	return ""
}

// ParseToolsets reads a comma-separated list of toolset names ("read,send";
// "all" or "" for every toolset). It returns nil for every toolset.
func ParseToolsets(s string) ([]Toolset, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "all" {
		return nil, nil
	}
	var out []Toolset
	for _, part := range strings.Split(s, ",") {
		name := Toolset(strings.ToLower(strings.TrimSpace(part)))
		if name == "organize" {
			name = ToolsetOrganise
		}
		if name == "" {
			continue
		}
		if name == "all" {
			return nil, nil
		}
		if !slices.Contains(Toolsets(), name) {
			return nil, fmt.Errorf("unknown toolset %q: choose from %s, or all", part, strings.Join(toolsetNames(), ", "))
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no toolset named in %q: choose from %s, or all", s, strings.Join(toolsetNames(), ", "))
	}
	return out, nil
}

func toolsetNames() []string {
	var out []string
	for _, t := range Toolsets() {
		out = append(out, string(t))
	}
	return out
}
