package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/spf13/cobra"

	"github.com/mailmcp/mailmcp/internal/config"
	"github.com/mailmcp/mailmcp/internal/demo"
	"github.com/mailmcp/mailmcp/internal/tools"
)

func newToolsCmd() *cobra.Command {
	var t toolsFlags
	c := &cobra.Command{
		Use:   "tools",
		Short: "print every tool with its description and input schema",
		Args:  noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return cmdTools(t, c.OutOrStdout())
		},
	}
	fs := c.Flags()
	fs.BoolVar(&t.json, "json", false, "print {\"tools\": [...]} as tools/list returns it")
	fs.BoolVar(&t.readOnly, "read-only", false, "only the tools registered in read-only mode")
	fs.StringVar(&t.toolsets, "toolsets", "", "only the tools of these toolsets, e.g. read,send (default all)")
	return c
}

type toolsFlags struct {
	json, readOnly bool
	toolsets       string
}

// cmdTools prints every tool with its description and input schema.
func cmdTools(tf toolsFlags, stdout io.Writer) error {
	sets, err := tools.ParseToolsets(tf.toolsets)
	if err != nil {
		return usageError{err}
	}
	avail := tools.Available(tools.Options{ReadOnly: tf.readOnly, Toolsets: sets})
	var list []mcp.Tool
	for _, t := range avail {
		list = append(list, t.MCP())
	}
	if tf.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Tools []mcp.Tool `json:"tools"`
		}{list})
	}
	fmt.Fprintf(stdout, "%d tools. Those marked \"sends mail\" are offered only when an account can send (send_policy is not \"disabled\"; with no account configured, none can).\n\n", len(list))
	for i, t := range list {
		schema, _ := json.MarshalIndent(t.RawInputSchema, "  ", "  ")
		note := "toolset " + string(avail[i].Toolset)
		if avail[i].Toolset == tools.ToolsetCore {
			note = "always offered"
		}
		if avail[i].Sends {
			note += "; sends mail"
		}
		fmt.Fprintf(stdout, "%s — %s (%s)\n  %s\n  input: %s\n\n", t.Name, t.Title, note, t.Description, schema)
	}
	return nil
}

func newCallCmd() *cobra.Command {
	var f serveFlags
	var k callFlags
	c := &cobra.Command{
		Use:   "call TOOL ['{\"json\":\"arguments\"}']",
		Short: "run one tool through an in-process MCP client and print its result",
		Long: `Run one tool through a real in-process MCP client and print the result as
JSON (or only its text with --text): how a person tries or scripts a tool
without an MCP host. Example: mailmcp call --demo search '{"limit":3}'`,
		Args: rangeArgs(1, 2, `TOOL ['{"json":"arguments"}']`),
		RunE: func(c *cobra.Command, args []string) error {
			return cmdCall(c.Context(), f, k, args, c.OutOrStdout(), c.ErrOrStderr())
		},
		ValidArgsFunction: func(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var names []string
			for _, t := range tools.All() {
				names = append(names, t.Name+"\t"+t.Title)
			}
			return names, cobra.ShellCompDirectiveNoFileComp
		},
	}
	fs := c.Flags()
	f.common.register(fs)
	f.registerTools(fs)
	fs.BoolVar(&k.demo, "demo", false, "run against the embedded demo mailbox")
	fs.BoolVar(&k.text, "text", false, "print only the text content instead of the whole JSON result")
	return c
}

type callFlags struct{ demo, text bool }

// cmdCall runs one tool through a real in-process MCP client and prints the
// result as JSON: how a person tries or scripts a tool without an MCP host.
func cmdCall(ctx context.Context, f serveFlags, k callFlags, pos []string, stdout, stderr io.Writer) error {
	name := pos[0]
	var callArgs map[string]any
	if len(pos) == 2 {
		if err := json.Unmarshal([]byte(pos[1]), &callArgs); err != nil {
			return usageError{fmt.Errorf("arguments must be a JSON object: %v", err)}
		}
	}
	log, closeLog, err := f.logger(stderr, "warn")
	if err != nil {
		return err
	}
	defer closeLog()
	var cfg *config.Config
	if k.demo {
		srv, err := demo.Start(demo.Options{Logger: log})
		if err != nil {
			return err
		}
		defer srv.Close(context.Background())
		cfg = demoConfig(srv, demoStateDir())
	} else if cfg, err = config.Load(config.Options{Path: f.configPath}); err != nil {
		return err
	}
	f.foldToolsets(cfg, os.Getenv)
	res, err := callTool(ctx, cfg, f.readOnly, log, name, callArgs)
	if err != nil {
		return err
	}
	if k.text {
		for _, c := range res.Content {
			if tc, ok := c.(mcp.TextContent); ok {
				fmt.Fprintln(stdout, tc.Text)
			}
		}
	} else {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return err
		}
	}
	if res.IsError {
		return fmt.Errorf("tool %s returned an error", name)
	}
	return nil
}

func callTool(ctx context.Context, cfg *config.Config, readOnly bool, log *slog.Logger, name string, args map[string]any) (*mcp.CallToolResult, error) {
	_, s, stop, err := startEngine(cfg, log, readOnly, false, nil) // watch_inbox watches on demand
	if err != nil {
		return nil, err
	}
	defer stop()
	c, err := client.NewInProcessClient(s)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if err := c.Start(ctx); err != nil {
		return nil, err
	}
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	init.Params.ClientInfo = mcp.Implementation{Name: "mailmcp-call", Version: version}
	if _, err := c.Initialize(ctx, init); err != nil {
		return nil, fmt.Errorf("initialize: %w", err)
	}
	req := mcp.CallToolRequest{}
	req.Params.Name = name
	req.Params.Arguments = args
	res, err := c.CallTool(ctx, req)
	if err != nil {
		if strings.Contains(err.Error(), "not found") {
			return nil, fmt.Errorf("no tool %q: run 'mailmcp tools' to list them", name)
		}
		return nil, fmt.Errorf("call %s: %w", name, err)
	}
	return res, nil
}
