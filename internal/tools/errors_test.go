package tools

import (
	"encoding/json"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
)

// structuredError reads structuredContent.error of an error result as a
// client receives it (through JSON); false when the result is not an
// error or carries no structured error.
func structuredError(t *testing.T, res *mcp.CallToolResult) (ErrorInfo, bool) {
	t.Helper()
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var wire struct {
		IsError           bool `json:"isError"`
		StructuredContent struct {
			Error *ErrorInfo `json:"error"`
		} `json:"structuredContent"`
	}
	if err := json.Unmarshal(b, &wire); err != nil {
		t.Fatalf("result does not decode: %v: %s", err, b)
	}
	if !wire.IsError || wire.StructuredContent.Error == nil {
		return ErrorInfo{}, false
	}
	return *wire.StructuredContent.Error, true
}
