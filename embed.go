// Package mailmcp holds files embedded into the binary: the demo mailbox
// that `mailmcp demo` serves. The program itself lives in cmd/mailmcp.
package mailmcp

import "embed"

// DemoMailbox is testdata/demo: one directory per folder of .eml files, and
// flags.tsv giving each file's flags.
//
//go:embed testdata/demo
var DemoMailbox embed.FS
