package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mailmcp/mailmcp/internal/config"
	"github.com/mailmcp/mailmcp/internal/demo"
	"github.com/mailmcp/mailmcp/internal/tools"
)

// cmdTools prints every tool with its description and input schema.
func cmdTools(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("tools", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print the tools as JSON, as tools/list returns them")
	readOnly := fs.Bool("read-only", false, "only the tools registered in read-only mode")
	toolsets := fs.String("toolsets", "", "only the tools of these toolsets, e.g. read,send (default all)")
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	sets, err := tools.ParseToolsets(*toolsets)
	if err != nil {
		return usageError{err}
	}
	avail := tools.Available(tools.Options{ReadOnly: *readOnly, Toolsets: sets})
	var list []mcp.Tool
	for _, t := range avail {
		list = append(list, t.MCP())
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Tools []mcp.Tool `json:"tools"`
		}{list})
	}
	fmt.Fprintf(stdout, "%d tools. Those marked \"sends mail\" are offered only when an account can send (send_policy is not \"disabled\"; with no account configured, none can).\n\n", len(list))
	for i, t := range list {
		schema, _ := json.MarshalIndent(t.InputSchema, "  ", "  ")
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

// cmdCall runs one tool through a real in-process MCP client and prints the
// result as JSON: how a person tries or scripts a tool without an MCP host.
func cmdCall(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("call", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f serveFlags
	f.register(fs)
	useDemo := fs.Bool("demo", false, "run against the embedded demo mailbox")
	textOnly := fs.Bool("text", false, "print only the text content instead of the whole JSON result")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return usageError{err}
	}
	if len(pos) < 1 || len(pos) > 2 {
		return usageError{fmt.Errorf("want TOOL ['{\"json\":\"arguments\"}']")}
	}
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
	if *useDemo {
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
	if *textOnly {
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
